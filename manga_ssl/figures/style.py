"""The figures' common style: matplotlib without a screen, one rc style, PDF and PNG saved
atomically."""

from __future__ import annotations

from pathlib import Path

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "font.size": 9,
    "axes.labelsize": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save(fig, *paths) -> None:
    """Save ``fig`` to every path (format from the suffix), atomically, then close it."""
    from manga_ssl.core.files import atomic_output

    for path in paths:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), bbox_inches="tight")
    pyplot().close(fig)
