"""The paper's acceptance criterion (Section 4.2): Table 1's numbers per k, and the largest k
whose division is reproducible and not instrumental (the paper's rule and the conditional
one, beyond the paper)."""

from __future__ import annotations

import pandas as pd

from manga_ssl.analysis.bias import BIAS_COLUMNS, PERCENT_COLUMNS


def division_performance(agreement: pd.DataFrame, accuracy: pd.DataFrame) -> pd.DataFrame:
    """Table 1's rows: per k, agreement mean/std over K-means seeds and the bias numbers'
    mean/std over (replica, seed) pairs, accuracies in percent; ``*_n`` counts the runs
    behind each mean, those with a number (a std needs two; a division whose clusters are
    all too small to fit has none)."""
    agree = agreement.groupby("k")["agreement"].agg(["mean", "std", "count"])
    accuracy = accuracy.reindex(columns=list(dict.fromkeys(["k", *accuracy.columns, *BIAS_COLUMNS])))
    acc = accuracy.groupby("k")[BIAS_COLUMNS[:-1]].agg(["mean", "std", "count"])
    ks = agree.index.union(acc.index)
    table = pd.DataFrame(
        {
            "k": ks,
            "agreement": 100 * agree["mean"].reindex(ks).to_numpy(),
            "agreement_std": 100 * agree["std"].reindex(ks).to_numpy(),
            "agreement_n": agree["count"].reindex(ks).fillna(0).astype(int).to_numpy(),
        }
    )
    for col in BIAS_COLUMNS[:-1]:
        scale = 100 if col in PERCENT_COLUMNS else 1
        table[col] = scale * acc[(col, "mean")].reindex(ks).to_numpy()
        table[f"{col}_std"] = scale * acc[(col, "std")].reindex(ks).to_numpy()
        table[f"{col}_n"] = acc[(col, "count")].reindex(ks).fillna(0).astype(int).to_numpy()
    table["lr_pvalue_min"] = accuracy.groupby("k")["lr_pvalue_min"].median().reindex(ks).to_numpy()
    return table


def accepted_k(table: pd.DataFrame, min_agreement=85.0, max_nonphys=65.0) -> int | None:
    """The largest k whose division is reproducible and not instrumental (Section 4.2)."""
    ok = table[(table["agreement"] >= min_agreement) & (table["acc_max_nonphys"] <= max_nonphys)]
    return int(ok["k"].max()) if len(ok) else None


def accepted_k_conditional(table: pd.DataFrame, min_agreement=85.0, max_gain=5.0) -> int | None:
    """Beyond the paper: the largest reproducible k whose clusters the non-physical parameters
    predict at most ``max_gain`` (%) better than the physical ones alone (bias.conditional_fit)."""
    ok = table[(table["agreement"] >= min_agreement) & (table["acc_gain_nonphys"] <= max_gain)]
    return int(ok["k"].max()) if len(ok) else None


#: the acceptance rules: the paper's (Section 4.2) and, beyond the paper, the conditional one
RULE_TITLES = {"paper": "the paper's rule (Section 4.2)", "conditional": "the conditional rule (beyond the paper)"}


def rule_text(rule: str, min_agreement=85.0, max_nonphys=65.0, max_gain=5.0) -> str:
    """What a division must reach under ``rule``, in words."""
    limit = (
        f"Acc_max non-phys <= {max_nonphys:g}%"
        if rule == "paper"
        else f"ΔAcc non-phys given phys <= {max_gain:g} points"
    )
    return f"agreement >= {min_agreement:g}% and {limit}"


def largest_accepted_k(table: pd.DataFrame, rule: str, min_agreement=85.0, max_nonphys=65.0, max_gain=5.0):
    """The largest k accepted under ``rule`` ('paper' or 'conditional'), or None."""
    if rule == "paper":
        return accepted_k(table, min_agreement, max_nonphys)
    return accepted_k_conditional(table, min_agreement, max_gain)
