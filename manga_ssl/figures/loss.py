"""The training loss (and online probe) curves of SimCLR replicas: drawn per replica by the
training rule and for every replica by the loss_curves rule."""

from __future__ import annotations

import numpy as np

from manga_ssl.figures.style import pyplot


def _probed(history) -> bool:
    return "probe_r2_physical" in history and np.isfinite(np.asarray(history["probe_r2_physical"], float)).any()


def loss_curves(histories: dict, title: str = ""):
    """Contrastive loss per epoch of one or several replicas (``{label: history frame}``);
    beside it, where the histories hold them, the online probes' R^2 (physical solid,
    instrumental dashed) in the same colour per replica."""
    plt = pyplot()
    probes = any(_probed(h) for h in histories.values())
    fig, axes = plt.subplots(1, 2 if probes else 1, figsize=(7.2 if probes else 3.6, 2.6), squeeze=False)
    ax = axes[0, 0]
    for label, history in histories.items():
        (line,) = ax.plot(history["epoch"], history["loss"], lw=1.2, label=label)
        if probes and _probed(history):
            rows = np.isfinite(np.asarray(history["probe_r2_physical"], float))
            p = history[rows]
            axes[0, 1].plot(p["epoch"], p["probe_r2_physical"], "-o", ms=2, lw=1, color=line.get_color())
            axes[0, 1].plot(p["epoch"], p["probe_r2_instrumental"], "--s", ms=2, lw=1, color=line.get_color())
    if probes:
        pr = axes[0, 1]
        pr.set_xlabel("epoch")
        pr.set_ylabel("online probe R$^2$ of h")
        pr.plot([], [], "k-o", ms=2, label="physical")
        pr.plot([], [], "k--s", ms=2, label="instrumental")
        pr.legend(frameon=False)
    ax.set_xlabel("epoch")
    ax.set_ylabel("NT-Xent loss (eq. 1)")
    if title:
        ax.set_title(title)
    if 1 < len(histories) <= 12:
        if probes:  # one legend of the replicas below both panels, clear of the curves
            fig.set_size_inches(7.2, 2.6 + 0.2 * ((len(histories) + 2) // 3))
            fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncols=3, frameon=False, fontsize="small")
            fig.subplots_adjust(bottom=0.22 + 0.06 * ((len(histories) + 2) // 3), wspace=0.3)
        else:
            ax.legend(frameon=False, ncols=2)
    finite = np.concatenate([np.asarray(h["loss"], float) for h in histories.values()])
    if finite.size:
        ax.set_ylim(finite.min() - 0.02 * np.ptp(finite) - 1e-3, finite.max() + 0.05 * np.ptp(finite) + 1e-3)
    return fig
