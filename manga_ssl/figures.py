"""Figures, one function per figure, in one style; each saves PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STYLE = {
    "figure.dpi": 110, "savefig.dpi": 200, "font.size": 9, "axes.labelsize": 9, "axes.titlesize": 9,
    "legend.fontsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
    "axes.spines.right": False,
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)
    return plt


def save(fig, *paths) -> None:
    """Save ``fig`` to every path (format from the suffix), atomically, then close it."""
    from .io import atomic_output

    for path in paths:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), bbox_inches="tight")
    _pyplot().close(fig)


def loss_curves(histories: dict, title: str = ""):
    """Contrastive loss per epoch of one or several replicas (``{label: history frame}``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.6, 2.6))
    for label, history in histories.items():
        ax.plot(history["epoch"], history["loss"], lw=1.2, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("NT-Xent loss (eq. 1)")
    if title:
        ax.set_title(title)
    if 1 < len(histories) <= 12:
        ax.legend(frameon=False, ncols=2)
    finite = np.concatenate([np.asarray(h["loss"], float) for h in histories.values()])
    if finite.size:
        ax.set_ylim(finite.min() - 0.02 * np.ptp(finite) - 1e-3, finite.max() + 0.05 * np.ptp(finite) + 1e-3)
    return fig
