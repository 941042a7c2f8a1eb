"""Tables as CSV (numbers), Markdown and LaTeX (``mean ± std`` as the paper prints them)."""

from __future__ import annotations

import math

import pandas as pd

from .io import atomic_output


def pm(mean, std, digits=None) -> str:
    """'93.63 ± 0.03': the mean rounded to the uncertainty's first significant digit."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    if std is None or not math.isfinite(std) or std == 0:
        return f"{mean:.{digits if digits is not None else 2}f}"
    d = digits if digits is not None else max(0, -int(math.floor(math.log10(abs(std)))))
    return f"{mean:.{d}f} ± {std:.{d}f}"


def write_table(numbers: pd.DataFrame, shown: pd.DataFrame, stem, caption: str) -> None:
    """``stem``.csv (numbers), ``stem``.md and ``stem``.tex (the formatted ``shown`` frame)."""
    with atomic_output(f"{stem}.csv") as tmp:
        numbers.to_csv(tmp, index=False)
    with atomic_output(f"{stem}.md") as tmp:
        tmp.write_text(f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    latex = shown.to_latex(index=False, caption=caption, escape=True).replace("±", r"$\pm$")
    with atomic_output(f"{stem}.tex") as tmp:
        tmp.write_text(latex)
