"""The galaxy sample (paper Section 2): which MaNGA observations enter the run, and why not the others.

The paper kept the 9507 galaxies of MPL-10 with Pipe3D maps. On DR17 the same
cut is: a main-sample target (MNGTARG1 Primary, Secondary or Colour-enhanced),
a cube the DRP does not flag as critical, a Pipe3D analysis (a row in the
SDSS17Pipe3D catalogue) and a completed DAP analysis of the model-variation
type; one observation per galaxy (MaNGA-ID) when a galaxy was observed twice.
Every observation of drpall gets one row in the selection table: kept, or the
first reason it was dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from manga_ssl.survey.formats import DAPQUAL_CRITICAL, DRP3QUAL_CRITICAL
from manga_ssl.survey.targets import target_sample


def select_sample(
    drpall: pd.DataFrame,
    pipe3d: pd.DataFrame,
    dapall: pd.DataFrame | None = None,
    plateifus=(),
    limit: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Selection table: plateifu, mangaid, sample, ifudesignsize, kept, reason (one row per drpall plateifu).

    ``plateifus``: keep only these observations (a partial run); an unknown
    plateifu raises ValueError. ``limit``: then keep at most this many, drawn
    at random with ``seed`` (the others are dropped as 'beyond sample_limit').
    """
    drp = drpall.drop_duplicates("plateifu").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "plateifu": drp["plateifu"].astype(str),
            "mangaid": drp["mangaid"].astype(str) if "mangaid" in drp else drp["plateifu"].astype(str),
            "sample": [target_sample(t) or "other" for t in drp.get("mngtarg1", pd.Series(0, index=drp.index))],
            "ifudesignsize": drp["ifudesignsize"].astype(int),
        }
    )
    reason = pd.Series("", index=out.index, dtype=object)

    def drop(mask, why):
        mask = np.asarray(mask, bool) & (reason == "").to_numpy()
        reason[mask] = why if isinstance(why, str) else np.asarray(why, dtype=object)[mask]

    if plateifus:
        unknown = sorted(set(plateifus) - set(out["plateifu"]))
        if unknown:
            raise ValueError(
                f"plateifu(s) not in drpall: {', '.join(unknown[:10])}"
                + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            )
        drop(~out["plateifu"].isin(set(plateifus)), "not in the configured plateifu list")
    drop(out["sample"] == "other", "not a main-sample target (MNGTARG1 has none of bits 10-12)")
    drop(out["ifudesignsize"] <= 0, "not a galaxy IFU (ifudesignsize <= 0)")
    if "drp3qual" in drp:
        drop(
            (drp["drp3qual"].to_numpy(np.int64) >> DRP3QUAL_CRITICAL) & 1, "DRP cube flagged CRITICAL (DRP3QUAL bit 30)"
        )
    in_pipe3d = out["plateifu"].isin(set(pipe3d["plateifu"]))
    drop(~in_pipe3d, "no Pipe3D analysis (not in SDSS17Pipe3D)")
    if "qcflag" in pipe3d:
        bad = set(pipe3d.loc[pipe3d["qcflag"].fillna(0).astype(int) != 0, "plateifu"])
        drop(out["plateifu"].isin(bad), "Pipe3D quality flag QCFLAG != 0")
    if dapall is not None:
        done = dapall.loc[dapall["dapdone"], "plateifu"]
        if "dapqual" in dapall:
            critical = ((dapall["dapqual"].to_numpy(np.int64) >> DAPQUAL_CRITICAL) & 1).astype(bool)
            drop(
                out["plateifu"].isin(set(dapall.loc[dapall["dapdone"] & critical, "plateifu"])),
                "DAP output flagged CRITICAL (DAPQUAL bit 30)",
            )
        drop(~out["plateifu"].isin(set(done)), "no completed DAP analysis (dapall DAPDONE false)")

    # One observation per galaxy: the largest IFU, then the lowest plateifu, of those still kept.
    alive = out[reason == ""].sort_values(["mangaid", "ifudesignsize", "plateifu"], ascending=[True, False, True])
    first = alive.groupby("mangaid")["plateifu"].transform("first")
    repeat = alive.index[alive["plateifu"] != first]
    drop(
        out.index.isin(repeat),
        "repeat observation of MaNGA-ID "
        + out["mangaid"]
        + "; kept "
        + out.index.map(lambda i: first.get(i, "")).astype(str),
    )

    if limit is not None:
        alive = np.flatnonzero((reason == "").to_numpy())
        if len(alive) > limit:
            # a fixed random order: a larger limit keeps every galaxy of a smaller one (nested samples)
            chosen = set(np.random.default_rng(seed).permutation(alive)[:limit].tolist())
            drop([i not in chosen for i in range(len(out))], f"beyond sample_limit ({limit})")
    out["kept"] = (reason == "").to_numpy()
    out["reason"] = reason.to_numpy()
    return out


def selection_summary(selection: pd.DataFrame) -> str:
    """A short Markdown account: how many kept, how many dropped for each reason."""
    kept = selection[selection["kept"]]
    lines = [
        "# Sample selection",
        "",
        f"{len(selection)} observations in drpall; **{len(kept)} kept**.",
        "",
        "| kept by IFU size (fibres) | " + " | ".join(str(n) for n in sorted(kept["ifudesignsize"].unique())) + " |",
        "|---|" + "---|" * kept["ifudesignsize"].nunique(),
        "| galaxies | " + " | ".join(str(c) for c in kept["ifudesignsize"].value_counts().sort_index()) + " |",
        "",
        "| dropped because | observations |",
        "|---|---|",
    ]
    reasons = selection.loc[~selection["kept"], "reason"].str.replace(r"MaNGA-ID .*", "MaNGA-ID", regex=True)
    for why, n in reasons.value_counts().items():
        lines.append(f"| {why} | {n} |")
    return "\n".join(lines) + "\n"
