"""Issue 16's goals, read off finished mock runs: one row per run, from the tables the pipeline
wrote (Table 1, accepted_k.json, the truth tables); only the conditional rule is applied again,
to the one division each goal is about. docs/science.md's goal tables are printed by this script.

    .venv/bin/python bench/goals_table.py results/demo results/mock-seed11 [--markdown]

Columns (agreement and Acc_max in percent, ΔAcc in points):
  erased k=3      `simclr-relative-all+erased` at relative k=3: agreement, ARI against the true
                  populations, Acc_max non-phys against the truth's own at k=3, ΔAcc non-phys
                  given phys, how many of the seven instrumental probes are below PCA-1024's,
                  and whether the conditional rule accepts that division (the package's rule at
                  its default thresholds, the demo's: accepted_k.json holds only the largest k);
  further_away    `simclr-individual-all+further_away` at individual k=2: agreement, ARI against
                  early / late types, Acc_max non-phys against the truth's at k=2, ΔAcc, accepted;
  paper           the paper's method: relative k=3 and individual k=2 agreement, relative k=3 ARI;
  ARI k=3         summary statistics, PCA-1024 and the true physical parameters (relative k=3);
  paper's rule    whether the paper's rule accepts any k of any representation.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from manga_ssl.analysis.acceptance import accepted_k_conditional
from manga_ssl.analysis.probes import INSTRUMENTAL

ERASED, FURTHER_AWAY = "simclr-relative-all+erased", "simclr-individual-all+further_away"


def rows_of(table: pd.DataFrame, representation: str, k: int) -> pd.DataFrame:
    return table[(table["representation"] == representation) & (table["k"] == k)]


def one_row(table: pd.DataFrame, representation: str, k: int) -> pd.Series | None:
    rows = rows_of(table, representation, k)
    return rows.iloc[0] if len(rows) else None


def accepted_at(table1: pd.DataFrame, representation: str, k: int) -> bool:
    """Whether the conditional rule accepts this one division of Table 1."""
    return accepted_k_conditional(rows_of(table1, representation, k)) == k


def value(row: pd.Series | None, column: str) -> float:
    return float(row[column]) if row is not None else float("nan")


def goals(run: Path) -> dict:
    """The goal numbers of one finished mock run."""
    table1 = pd.read_csv(run / "tables" / "table1.csv")
    accepted = json.loads((run / "tables" / "accepted_k.json").read_text())
    probes = pd.read_csv(run / "validation" / "representations_vs_truth.csv")
    divisions = pd.read_csv(run / "validation" / "divisions_vs_truth.csv")
    erased, further = one_row(table1, ERASED, 3), one_row(table1, FURTHER_AWAY, 2)
    erased_probes, pca_probes = one_row(probes, ERASED, 3), one_row(probes, "pca1024-relative", 3)
    below = sum(value(erased_probes, f"r2_{t}") < value(pca_probes, f"r2_{t}") for t in INSTRUMENTAL)
    return {
        "run": run.name,
        "erased agree": value(erased, "agreement"),
        "erased ARI": value(erased_probes, "ari"),
        "erased Acc_max": value(erased, "acc_max_nonphys"),
        "truth Acc_max k=3": value(one_row(table1, "truth (mock)", 3), "acc_max_nonphys"),
        "erased ΔAcc": value(erased, "acc_gain_nonphys"),
        "erased probes < PCA": f"{below}/{len(INSTRUMENTAL)}",
        "erased accepted": accepted_at(table1, ERASED, 3),
        "further_away agree": value(further, "agreement"),
        "further_away ARI early/late": value(one_row(divisions, FURTHER_AWAY, 2), "ari"),
        "further_away Acc_max": value(further, "acc_max_nonphys"),
        "truth Acc_max k=2": value(one_row(table1, "truth (mock)", 2), "acc_max_nonphys"),
        "further_away ΔAcc": value(further, "acc_gain_nonphys"),
        "further_away accepted": accepted_at(table1, FURTHER_AWAY, 2),
        "paper relative k=3 agree": value(one_row(table1, "simclr-relative-all", 3), "agreement"),
        "paper individual k=2 agree": value(one_row(table1, "simclr-individual-all", 2), "agreement"),
        "paper relative k=3 ARI": value(one_row(probes, "simclr-relative-all", 3), "ari"),
        "summary ARI": value(one_row(probes, "summary-relative", 3), "ari"),
        "PCA-1024 ARI": value(pca_probes, "ari"),
        "true physics ARI": value(one_row(probes, "true physical parameters", 3), "ari"),
        "paper's rule accepts any": any(k is not None for k in accepted["paper"].values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="finished mock runs' results folders")
    parser.add_argument("--markdown", action="store_true", help="one column per run, as a Markdown table")
    args = parser.parse_args()
    frame = pd.DataFrame([goals(run) for run in args.runs]).set_index("run")
    formatted = frame.apply(lambda col: col.map(lambda x: f"{x:.2f}" if isinstance(x, float) else str(x)))
    if args.markdown:
        print(formatted.T.to_markdown())
    else:
        with pd.option_context("display.width", 250, "display.max_columns", None):
            print(formatted.T.to_string())


if __name__ == "__main__":
    main()
