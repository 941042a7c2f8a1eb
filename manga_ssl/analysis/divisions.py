"""The division each normalisation's analysis studies (paper Section 5: Table 2, Figs 3-9).

The paper studies the largest k that passes its acceptance criterion (Section 4.2): k = 3
for the relative norm, k = 2 for the individual norm. ``analysis.k_chosen: auto`` does the
same on the run's own Table 1 numbers; where no k passes, the run studies the configured
fallback and says so in every caption that depends on it. An integer in ``k_chosen``
overrides the criterion.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import pandas as pd

from manga_ssl.analysis.acceptance import RULE_TITLES, division_performance, largest_accepted_k, rule_text
from manga_ssl.core.files import atomic_output
from manga_ssl.core.names import Representation


@dataclass(frozen=True)
class Division:
    """The k studied for one normalisation, and why."""

    normalisation: str
    k: int
    how: str  # "accepted", "fallback" or "configured"
    representation: str
    note: str


def choose(
    normalisation: str,
    setting,
    fallback: int,
    table: pd.DataFrame | None,
    rule: str,
    min_agreement: float,
    max_nonphys: float,
    max_gain: float,
) -> Division:
    """``setting``: an integer (configured) or 'auto'; ``table``: the representation's
    division performance (:func:`analysis.division_performance`), None when not trained."""
    representation = str(Representation("simclr", normalisation))
    if setting != "auto":
        return Division(
            normalisation,
            int(setting),
            "configured",
            representation,
            f"The {normalisation} norm's division k = {int(setting)} is set in the configuration (analysis.k_chosen).",
        )
    described = f"{RULE_TITLES[rule]} ({rule_text(rule, min_agreement, max_nonphys, max_gain)})"
    k = None if table is None else largest_accepted_k(table, rule, min_agreement, max_nonphys, max_gain)
    if k is not None:
        return Division(
            normalisation,
            k,
            "accepted",
            representation,
            f"The {normalisation} norm's division k = {k} is the largest k of {representation} "
            f"accepted by {described}.",
        )
    why = "no k passes" if table is not None else f"{representation} is not trained in this run, so no k passes"
    return Division(
        normalisation,
        int(fallback),
        "fallback",
        representation,
        f"FALLBACK: {why} {described} for the {normalisation} norm; this run studies the "
        f"configured fallback k = {int(fallback)} (analysis.k_fallback), which the criterion "
        "did not accept.",
    )


def choose_divisions(
    performance: dict,
    settings: dict,
    fallbacks: dict,
    rule: str,
    out_json,
    min_agreement=85.0,
    max_nonphys=65.0,
    max_gain=5.0,
) -> dict:
    """The choose_divisions rule. ``performance``: {normalisation: (agreement csv, accuracy
    csv) of simclr-<norm>-all}, a normalisation left out when that representation is not
    trained; ``settings`` and ``fallbacks``: per normalisation. Writes and returns
    {normalisation: Division as a dict}."""
    out = {}
    for norm in settings:
        table = None
        if norm in performance:
            agreement, accuracy = performance[norm]
            table = division_performance(pd.read_csv(agreement), pd.read_csv(accuracy))
        division = choose(norm, settings[norm], fallbacks[norm], table, rule, min_agreement, max_nonphys, max_gain)
        out[norm] = asdict(division)
    with atomic_output(out_json) as tmp:
        tmp.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def read_divisions(path) -> dict[str, Division]:
    with open(path) as fh:
        return {norm: Division(**d) for norm, d in json.load(fh).items()}


def with_division_studied(k_values, divisions_path, name: str) -> list[int]:
    """The k to cluster a representation at: its configured ``k_values`` and the division
    its normalisation studies (the appendix's channel sets: that one only; the baselines:
    also that one, so that Fig. 3 and the explorer can show them at the same k)."""
    studied = read_divisions(divisions_path)[Representation.parse(name).normalisation].k
    return sorted(set(k_values or []) | {studied})


def summary(divisions: dict[str, Division]) -> str:
    """One sentence per normalisation, for captions."""
    return " ".join(d.note for d in divisions.values())
