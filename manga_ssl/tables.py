"""Tables as CSV (numbers), Markdown and LaTeX (``mean ± std`` as the paper prints them)."""

from __future__ import annotations

import math

import pandas as pd

from .files import atomic_output


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
