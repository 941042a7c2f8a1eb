"""Tables as CSV (numbers), Markdown and LaTeX (``mean ± std`` as the paper prints them)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from manga_ssl.analysis import bias, clustering
from manga_ssl.analysis.acceptance import RULE_TITLES, division_performance, largest_accepted_k, rule_text
from manga_ssl.core.files import atomic_output
from manga_ssl.core.names import TRUTH_NAME, kind_of

TABLE1_COLUMNS = {
    "acc_max_nonphys": "Acc_max Non-phys",
    "acc_mean_phys": "Acc_mean Phys",
    "acc_gain_nonphys": "ΔAcc Non-phys given Phys",
    "acc_max_nonphys_oriented": "Acc_max Non-phys, angles as axes",
}


def pm(mean, std, digits=None, n=None, unit="", flat_digits=2) -> str:
    """Mean and spread in one format: '93.63 ± 0.03', the mean rounded to the spread's first
    significant digit (or to ``digits``), ``unit`` after the numbers.

    A zero spread is shown as one ('95.9 ± 0.0' with ``flat_digits=1``); a spread that could
    not be computed says why: '95.9 (1 run)' given the number of runs ``n``, else
    '95.9 (no spread)'. A missing mean is an empty cell.
    """
    if mean is None or not math.isfinite(mean):
        return ""
    if std is None or not math.isfinite(std):
        d = digits if digits is not None else flat_digits
        why = "no spread" if n is None else f"{int(n)} run{'' if int(n) == 1 else 's'}"
        return f"{mean:.{d}f}{unit} ({why})"
    if abs(std) <= 1e-9 * max(1.0, abs(mean)):  # equal runs, up to the float rounding of their mean
        d = digits if digits is not None else flat_digits
    else:
        d = digits if digits is not None else max(0, -int(math.floor(math.log10(abs(std)))))
    return f"{mean:.{d}f} ± {std:.{d}f}{unit}"


def write_table(numbers: pd.DataFrame, shown: pd.DataFrame, stem, caption: str) -> None:
    """``stem``.csv (numbers), ``stem``.md and ``stem``.tex (the formatted ``shown`` frame)."""
    with atomic_output(f"{stem}.csv") as tmp:
        numbers.to_csv(tmp, index=False)
    with atomic_output(f"{stem}.md") as tmp:
        tmp.write_text(f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    latex = shown.to_latex(index=False, caption=caption, escape=True)
    for text, tex in (("±", r"$\pm$"), ("Δ", r"$\Delta$")):
        latex = latex.replace(text, tex)
    with atomic_output(f"{stem}.tex") as tmp:
        tmp.write_text(latex)


TABLE1_CAPTION = (
    "Table 1. Cluster divisions performance: agreement score over the training replicas "
    "(mean ± std over K-means seeds), the largest validation accuracy of the fit to "
    "non-physical parameters among the clusters, and the mean accuracy of the fit to physical "
    "parameters (mean ± std over replicas x K-means seeds), in percent. Beyond the paper: "
    "ΔAcc Non-phys given Phys, the largest gain in validation accuracy among the clusters when the "
    "non-physical parameters are added to the physical ones (same samples and splits), which the "
    "sample selection (z tracking mass) does not inflate; and Acc_max Non-phys with PA and RA as a "
    "linear fit can see them (cos 2PA, sin 2PA, cos RA, sin RA) instead of as numbers from 0 to 360 "
    "deg."
)


def table1_rows(table: pd.DataFrame, name: str, agreement: bool) -> list[dict]:
    """Table 1's shown cells of one representation; ``agreement`` False: no agreement score
    (PCA: one table; the truth: true labels)."""
    rows = []
    for _, r in table.iterrows():
        agree = pm(r["agreement"], r["agreement_std"], n=r["agreement_n"], flat_digits=1) if agreement else ""
        if agreement and not agree:
            agree = "n/a (1 replica)"  # the agreement score compares replicas
        if name == TRUTH_NAME:
            agree = "n/a (true labels)"
        rows.append(
            {
                "representation": name,
                "N clusters": int(r["k"]),
                "% Agree": agree,
                **{
                    shown: pm(r[col], r[f"{col}_std"], n=r[f"{col}_n"], flat_digits=1)
                    or "n/a (too few galaxies)"  # every cluster under 5 members or non-members
                    for col, shown in TABLE1_COLUMNS.items()
                },
            }
        )
    return rows


def make_table1(
    performance: dict,
    stem,
    min_agreement=85.0,
    max_nonphys=65.0,
    max_gain=5.0,
    truth_accuracy=None,
    division_note: str = "",
) -> dict:
    """Table 1 from {representation: (agreement csv, accuracy csv)}, with the mock survey's
    true divisions as reference rows when ``truth_accuracy`` (csv) is given. Returns the
    largest accepted k of each SimCLR representation under the paper's rule and under the
    conditional one: {"paper": {...}, "conditional": {...}, "rules": {...}}; the truth
    rows are never accepted."""
    numbers, shown = [], []
    accepted = {rule: {} for rule in RULE_TITLES}
    for name, (agreement_path, accuracy_path) in performance.items():
        table = division_performance(pd.read_csv(agreement_path), pd.read_csv(accuracy_path))
        table.insert(0, "representation", name)
        simclr = kind_of(name) == "simclr"
        for rule in RULE_TITLES:
            accepted[rule][name] = (
                largest_accepted_k(table, rule, min_agreement, max_nonphys, max_gain) if simclr else None
            )
        numbers.append(table)
        shown += table1_rows(table, name, simclr)
    if truth_accuracy is not None:
        accuracy = pd.read_csv(truth_accuracy)
        table = division_performance(pd.DataFrame({"k": accuracy["k"].unique(), "agreement": np.nan}), accuracy)
        table.insert(0, "representation", TRUTH_NAME)
        numbers.append(table)
        shown += table1_rows(table, TRUTH_NAME, False)
    rules = {rule: rule_text(rule, min_agreement, max_nonphys, max_gain) for rule in RULE_TITLES}
    notes = " ".join(
        f"Largest accepted k under {title}, {rules[rule]}: "
        + ", ".join(f"{n} {v}" for n, v in accepted[rule].items() if kind_of(n) == "simclr")
        + "."
        for rule, title in RULE_TITLES.items()
    )
    truth_note = (
        f" The {TRUTH_NAME} rows: the mock survey's three true populations (k = 3) and star-forming "
        "discs vs the quenched populations (k = 2), mean ± std over random non-member samples and "
        "splits; reference only, never accepted."
        if truth_accuracy is not None
        else ""
    )
    write_table(
        pd.concat(numbers, ignore_index=True),
        pd.DataFrame(shown),
        stem,
        f"{TABLE1_CAPTION}{truth_note} {notes}" + (f" Divisions studied: {division_note}" if division_note else ""),
    )
    return {**accepted, "rules": rules}


def make_table2(contributions_path, k: int, stem, letters: bool = False, division_note: str = "") -> None:
    """Table 2: each physical parameter's contribution (%) to each cluster of the k-division;
    ``division_note`` says how k was chosen (:mod:`manga_ssl.divisions`)."""

    c = pd.read_csv(contributions_path)
    c = c[c["k"] == k]
    params = list(bias.PHYSICAL)
    stats = c.groupby("cluster")[params].agg(["mean", "std", "count"])
    numbers = pd.DataFrame({"cluster": stats.index})
    shown = pd.DataFrame({"Cluster": [clustering.cluster_name(int(c) - 1, letters) for c in stats.index]})
    for p in params:
        numbers[p] = stats[(p, "mean")].to_numpy()
        numbers[f"{p}_std"] = stats[(p, "std")].to_numpy()
        shown[bias.PHYSICAL[p]] = [
            pm(m, s, 1, n=n, unit="%") for m, s, n in zip(stats[(p, "mean")], stats[(p, "std")], stats[(p, "count")])
        ]
    name = c["representation"].iloc[0] if len(c) else ""
    write_table(
        numbers,
        shown,
        stem,
        f"Table 2. Dependence of the {k} clusters of {name} on integrated parameters: normalised "
        "|coefficient| of each standardised parameter in the linear fit of cluster membership, "
        f"mean ± std over replicas x K-means seeds. Clusters are {clustering.CLUSTER_NAMING}."
        + (f" {division_note}" if division_note else ""),
    )
