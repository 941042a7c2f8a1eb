"""The training loss (and online probe) curves of SimCLR replicas: drawn per replica by the
training rule and for every replica by the loss_curves rule."""

from __future__ import annotations

import re

import numpy as np

from manga_ssl.figures.style import pyplot


def _probed(history) -> bool:
    return "probe_r2_physical" in history and np.isfinite(np.asarray(history["probe_r2_physical"], float)).any()


def replica_group(label: str) -> str:
    """The variant a replica's label names ('relative all+footprint seed 2' -> 'relative all+footprint')."""
    return re.sub(r"\s*seed \d+$", "", label) or label


def loss_curves(histories: dict, title: str = ""):
    """Contrastive loss per epoch of one or several replicas (``{label: history frame}``);
    beside it, where the histories hold them, the online probes' R^2 (physical solid,
    instrumental dashed). One colour per variant (the label without its 'seed N'), so that
    the replicas of a variant read as one family; one legend entry per variant."""
    plt = pyplot()
    probes = any(_probed(h) for h in histories.values())
    groups = list(dict.fromkeys(replica_group(label) for label in histories))
    palette = plt.get_cmap("tab10" if len(groups) <= 10 else "tab20").colors
    colour = {g: palette[k % len(palette)] for k, g in enumerate(groups)}
    fig, axes = plt.subplots(1, 2 if probes else 1, figsize=(7.2 if probes else 3.6, 2.6), squeeze=False)
    ax = axes[0, 0]
    handles = {}
    for label, history in histories.items():
        group = replica_group(label)
        (line,) = ax.plot(history["epoch"], history["loss"], lw=1.2, color=colour[group])
        handles.setdefault(group, line)
        if probes and _probed(history):
            rows = np.isfinite(np.asarray(history["probe_r2_physical"], float))
            p = history[rows]
            axes[0, 1].plot(p["epoch"], p["probe_r2_physical"], "-o", ms=2, lw=1, color=colour[group])
            axes[0, 1].plot(p["epoch"], p["probe_r2_instrumental"], "--s", ms=2, lw=1, color=colour[group])
    if probes:
        pr = axes[0, 1]
        pr.set_xlabel("epoch")
        pr.set_ylabel("online probe R$^2$ of h")
        kinds = [pr.plot([], [], "k-o", ms=2)[0], pr.plot([], [], "k--s", ms=2)[0]]
        pr.legend(kinds, ["physical", "instrumental"], frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    ax.set_xlabel("epoch")
    ax.set_ylabel("NT-Xent loss (eq. 1)")
    if title:
        ax.set_title(title)
    if 1 < len(handles) <= 20:  # one legend of the variants below the panels, clear of the curves
        rows = (len(handles) + 2) // 3
        fig.set_size_inches(fig.get_size_inches()[0], 2.6 + 0.2 * rows)
        fig.legend(list(handles.values()), list(handles), loc="lower center", ncols=3, frameon=False, fontsize="small")
        fig.subplots_adjust(bottom=0.16 + 0.06 * rows, wspace=0.3)
    finite = np.concatenate([np.asarray(h["loss"], float) for h in histories.values()])
    if finite.size:
        ax.set_ylim(finite.min() - 0.02 * np.ptp(finite) - 1e-3, finite.max() + 0.05 * np.ptp(finite) + 1e-3)
    return fig
