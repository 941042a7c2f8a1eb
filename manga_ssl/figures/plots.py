"""Figures, one function per figure, in one style; each saves PDF and PNG."""

from __future__ import annotations

import numpy as np

from manga_ssl.analysis.clustering import cluster_name
from manga_ssl.core.names import Representation
from manga_ssl.figures.style import pyplot

# --------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------

#: Fig. 2 colour labels (catalogue column -> label), instrumental then physical.
INSTRUMENTAL_LABELS = {
    "n_fibres": "N fibres",
    "re_arcsec": r"$R_e$ [arcsec]",
    "n_zero_pixels": "N zero pixels",
    "position_angle": "PA [deg]",
    "rotation_angle": "RA [deg]",
    "coverage": r"$D_{IFU}/R_e$",
    "z": "z",
}
PHYSICAL_LABELS = {
    "re_kpc": r"$R_e$ [kpc]",
    "lambda_re": r"$\lambda_{R_e}$",
    "sigma_cen": r"$\sigma_{cen}$ [km/s]",
    "age_lw_re": r"LW log age$_{R_e}$ [yr]",
    "zh_lw_re": r"LW [Z/H]$_{R_e}$",
    "grad_age_lw": r"$\nabla$ age$_{R_e}$",
    "grad_zh_lw": r"$\nabla$[Z/H]$_{R_e}$",
}
CHANNEL_LABELS = {
    "v_band_flux": "V band",
    "lw_log_age": "LW age",
    "lw_metallicity": "LW [Z/H]",
    "stellar_velocity": "velocity",
    "velocity_dispersion": "dispersion",
}
CLUSTER_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
CMAPS = {"stellar_velocity": "RdBu_r"}


def show_map(ax, image, channel):
    """One normalised map; zero (masked or padded) pixels in dark grey, outside the colour scale."""
    import matplotlib

    cmap = matplotlib.colormaps[CMAPS.get(str(channel), "magma")].with_extremes(bad="0.15")
    ax.imshow(np.ma.masked_equal(np.asarray(image, float), 0.0), origin="lower", cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])


def _scatter_coloured(ax, x, y, values, label, cmap="viridis", size=3):
    plt = pyplot()
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    lo, hi = np.nanpercentile(v[ok], [2, 98]) if ok.any() else (0, 1)
    order = np.argsort(np.where(ok, v, -np.inf))
    sc = ax.scatter(
        np.asarray(x)[order],
        np.asarray(y)[order],
        c=v[order],
        s=size,
        cmap=cmap,
        vmin=lo,
        vmax=hi,
        linewidths=0,
        rasterized=True,
    )
    cb = plt.colorbar(sc, ax=ax, fraction=0.046, pad=0.02)
    cb.set_label(label, fontsize=7)
    cb.ax.tick_params(labelsize=6)
    ax.set_xticks([]), ax.set_yticks([])


# --------------------------------------------------------------------------
# Figure 1: the input maps and each augmentation's effect
# --------------------------------------------------------------------------


def augmentation_examples(maps, sigma, model_variation, channels, plateifu, seed=0):
    """Fig. 1: rows = the five maps; columns = original, model variation, rotation, resize,
    noise, blur (each augmentation alone, applied with probability one)."""
    import keras

    from manga_ssl.ssl.augmentations import AugmentationSettings, augment_view

    plt = pyplot()
    off = dict(p_model_variation=0.0, p_noise=0.0, p_resize=0.0, p_blur=0.0, flip_rotate=False)
    steps = {
        "original": None,
        "model variation": dict(p_model_variation=1.0),
        "rotation": dict(flip_rotate=True),
        "resize": dict(p_resize=1.0, resize_range=(0.78, 0.8)),  # a visible reduction
        "noise": dict(p_noise=1.0),
        "blur": dict(p_blur=1.0),
    }
    x, s, mv = (np.asarray(a, np.float32)[None] for a in (maps, sigma, model_variation))
    columns = []
    for k, (name, change) in enumerate(steps.items()):
        if change is None:
            columns.append(x[0])
            continue
        settings = AugmentationSettings(**{**off, **change})
        # a seed per column, so that the rotation column shows a rotation
        gen = keras.random.SeedGenerator(seed + 17 * k + 1)
        view = np.asarray(keras.ops.convert_to_numpy(augment_view(x, s, mv, settings, gen)))[0]
        if name == "rotation" and np.allclose(view, x[0]):
            view = np.rot90(x[0], 1, axes=(0, 1))
        columns.append(view)
    n_c = len(channels)
    fig, axes = plt.subplots(n_c, len(steps), figsize=(1.15 * len(steps), 1.15 * n_c))
    for i, ch in enumerate(channels):
        for j, (name, img) in enumerate(zip(steps, columns)):
            ax = axes[i, j]
            show_map(ax, img[..., i], ch)
            if i == 0:
                ax.set_title(name, fontsize=7)
            if j == 0:
                ax.set_ylabel(CHANNEL_LABELS.get(str(ch), str(ch)), fontsize=7)
    fig.suptitle(f"{plateifu}: input maps (normalised) and the augmentations", fontsize=8)
    fig.subplots_adjust(wspace=0.05, hspace=0.05)
    return fig


# --------------------------------------------------------------------------
# Figures 2 and 5: UMAPs coloured by parameters
# --------------------------------------------------------------------------


def umap_grid(columns, catalogue, title: str = ""):
    """Columns of UMAP panels: ``columns`` = [(tag, umap frame, {column: label}), ...]; one
    row per parameter, panels named tag + row number as in the paper.

    Fig. 2: a (PCA) and b (SimCLR), instrumental then physical parameters; Fig. 5: R
    (relative) and I (individual normalisation), physical parameters.
    """
    plt = pyplot()
    cat = catalogue.set_index("plateifu")
    n_rows = max(len(params) for _, _, params in columns)
    fig, axes = plt.subplots(n_rows, len(columns), figsize=(2.3 * len(columns), 1.9 * n_rows), squeeze=False)
    offsets = {}
    for j, (tag, proj, params) in enumerate(columns):
        values = cat.reindex(proj["plateifu"].astype(str))
        start = offsets.get(tag, 0)
        for i, (col, label) in enumerate(params.items()):
            ax = axes[i, j]
            _scatter_coloured(
                ax, proj["umap_x"], proj["umap_y"], values[col], label, cmap="twilight" if "angle" in col else "viridis"
            )
            ax.text(0.97, 0.95, f"{tag}{start + i + 1}", transform=ax.transAxes, ha="right", va="top", fontsize=7)
            if i == 0:
                ax.set_title(proj.attrs.get("name", tag), fontsize=7)
        offsets[tag] = start + len(params)
        for i in range(len(params), n_rows):
            axes[i, j].axis("off")
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Figures 3, 4, 8, 9: clusters in physical planes and T-Type
# --------------------------------------------------------------------------

PLANES = (
    ("log_mass", "log_sfr", r"log $M_*$ [M$_\odot$]", r"log SFR [M$_\odot$/yr]"),
    ("ellipticity", "lambda_re", r"$\epsilon$", r"$\lambda_{R_e}$"),
    ("log_mass", "zh_lw_re", r"log $M_*$ [M$_\odot$]", r"LW [Z/H]$_{R_e}$"),
    ("log_sigma_cen", "age_lw_re", r"log $\sigma_{cen}$ [km/s]", r"LW log age$_{R_e}$ [yr]"),
)


def physical_planes(catalogue, rows: dict):
    """Fig. 3: rows = divisions ({title: (plateifu, labels, k, letters)}); columns = the
    four planes; cluster means with their standard deviations as error bars."""
    plt = pyplot()
    cat = catalogue.copy()
    cat["log_sigma_cen"] = np.log10(cat["sigma_cen"].where(cat["sigma_cen"] > 0))
    cat = cat.set_index("plateifu")
    fig, axes = plt.subplots(len(rows), 4, figsize=(9.5, 2.4 * len(rows)), squeeze=False)
    for i, (title, (ids, labels, k, letters)) in enumerate(rows.items()):
        sub = cat.reindex(np.asarray(ids).astype(str))
        for j, (xc, yc, xl, yl) in enumerate(PLANES):
            ax = axes[i, j]
            for c in range(k):
                m = labels == c
                colour = CLUSTER_COLOURS[c % len(CLUSTER_COLOURS)]
                ax.scatter(sub[xc][m], sub[yc][m], s=2, c=colour, alpha=0.35, linewidths=0, rasterized=True)
                ax.errorbar(
                    np.nanmean(sub[xc][m]),
                    np.nanmean(sub[yc][m]),
                    xerr=np.nanstd(sub[xc][m]),
                    yerr=np.nanstd(sub[yc][m]),
                    fmt="o",
                    ms=5,
                    color=colour,
                    mec="k",
                    mew=0.6,
                    elinewidth=1.2,
                    capsize=2,
                    label=f"cluster {cluster_name(c, letters)}",
                )
            ax.set_xlabel(xl), ax.set_ylabel(yl)
            if j == 0:
                ax.set_title(title, loc="left", fontsize=8)
            if j == 3:
                ax.legend(fontsize=6, frameon=False, markerscale=0.8)
    fig.tight_layout()
    return fig


#: T-Type histogram bins, one per integer type from -4 to 10.
TTYPE_BINS = np.arange(-4, 10.5, 1.0)


def ttype_histograms(catalogue, panels: dict, bins=TTYPE_BINS):
    """Fig. 4 (one panel) and Fig. 8 (two): T-Type of all galaxies (grey) and per cluster.

    ``panels``: {title: [(plateifu, labels, k, letters, linestyle, label suffix), ...]}.
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 2.7), squeeze=False)
    for ax, (title, divisions) in zip(axes[0], panels.items()):
        _ttype_panel(ax, catalogue, divisions, title, bins)
    fig.tight_layout()
    return fig


def _ttype_panel(ax, catalogue, divisions, title, bins=TTYPE_BINS):
    cat = catalogue.set_index("plateifu")
    ax.hist(catalogue["t_type"].dropna(), bins=bins, color="0.8", label="all galaxies")
    for ids, labels, k, letters, style, suffix in divisions:
        t = cat["t_type"].reindex(np.asarray(ids).astype(str)).to_numpy()
        for c in range(k):
            ax.hist(
                t[(labels == c) & np.isfinite(t)],
                bins=bins,
                histtype="step",
                lw=1.4,
                ls=style,
                color=CLUSTER_COLOURS[c % len(CLUSTER_COLOURS)],
                label=f"cluster {cluster_name(c, letters)}{suffix}",
            )
    ax.set_xlabel("T-Type"), ax.set_ylabel("galaxies"), ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, frameon=False)


FIG9_STYLES = ((":", "o"), ("-", "*"), ("--", "^"), ("-.", "D"))  # (histogram line, marker) per division


def cluster_properties(
    catalogue, divisions: dict, columns=("log_mass", "log_sfr", "sigma_cen", "lambda_re", "age_lw_re", "zh_lw_re")
):
    """Fig. 9: left, T-Type per cluster (the five-map division dotted, the others solid or
    dashed, as Fig. 8); right, small panels of the mean ± std of integrated properties per
    cluster, circles for the five maps and other markers for the other divisions
    ({label: (plateifu, labels, k, letters)}, the five-map reference first)."""
    plt = pyplot()
    cat = catalogue.set_index("plateifu")
    n_rows = 2
    n_cols = -(-len(columns) // n_rows)
    fig = plt.figure(figsize=(3.6 + 1.9 * n_cols, 4.6))
    grid = fig.add_gridspec(n_rows, 1 + n_cols, width_ratios=[2.2] + [1] * n_cols)
    _ttype_panel(
        fig.add_subplot(grid[:, 0]),
        catalogue,
        [
            (ids, labels, k, letters, FIG9_STYLES[d % 4][0], f" ({label})")
            for d, (label, (ids, labels, k, letters)) in enumerate(divisions.items())
        ],
        "T-Type",
    )
    axes = [fig.add_subplot(grid[i // n_cols, 1 + i % n_cols]) for i in range(len(columns))]
    width = 0.8 / max(len(divisions), 1)
    for d, (label, (ids, labels, k, letters)) in enumerate(divisions.items()):
        sub = cat.reindex(np.asarray(ids).astype(str))
        for ax, col in zip(axes, columns):
            for c in range(k):
                v = sub[col].to_numpy(float)[labels == c]
                ax.errorbar(
                    c + (d - (len(divisions) - 1) / 2) * width,
                    np.nanmean(v),
                    yerr=np.nanstd(v),
                    fmt=FIG9_STYLES[d % 4][1],
                    color=CLUSTER_COLOURS[c % len(CLUSTER_COLOURS)],
                    ms=4,
                    capsize=2,
                    mfc="none" if d else None,
                    label=label if c == 0 else None,
                )
            ax.set_xticks(range(k), [cluster_name(c, letters) for c in range(k)])
            ax.set_title(
                PHYSICAL_LABELS.get(col, {"log_mass": r"log $M_*$", "log_sfr": "log SFR"}.get(col, col)), fontsize=7
            )
            ax.set_xlabel("cluster", fontsize=7)
    axes[0].legend(fontsize=5, frameon=False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------
# Figure 6: galaxies nearest the centroids; Figure 7: overlap matrix
# --------------------------------------------------------------------------


def centroid_examples(maps, channels, examples: dict):
    """Fig. 6: for each cluster ({name: [(plateifu, index into maps), ...]}), its galaxies
    nearest the centroid (columns) and their maps (rows)."""
    plt = pyplot()
    n_c = len(channels)
    n_g = max(len(v) for v in examples.values())
    fig, axes = plt.subplots(n_c * len(examples), n_g, figsize=(1.2 * n_g, 1.2 * n_c * len(examples)), squeeze=False)
    for b, (name, galaxies) in enumerate(examples.items()):
        for j in range(n_g):
            for i, ch in enumerate(channels):
                ax = axes[b * n_c + i, j]
                ax.set_xticks([]), ax.set_yticks([])
                if j >= len(galaxies):
                    ax.axis("off")
                    continue
                pid, idx = galaxies[j]
                show_map(ax, maps[idx, ..., i], ch)
                if i == 0:
                    ax.set_title(f"{name}: {pid}", fontsize=6)
                if j == 0:
                    ax.set_ylabel(CHANNEL_LABELS.get(str(ch), str(ch)), fontsize=6)
    fig.subplots_adjust(wspace=0.04, hspace=0.08)
    return fig


def overlap_matrix_figure(matrix: np.ndarray, std: np.ndarray, row_names, col_names, row_title, col_title):
    """Fig. 7: percentages of each row cluster in each column cluster."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(col_names), 0.9 + 0.7 * len(row_names)))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=100)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j,
                i,
                f"{matrix[i, j]:.0f}±{std[i, j]:.0f}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if matrix[i, j] > 60 else "black",
            )
    ax.set_xticks(range(len(col_names)), col_names), ax.set_yticks(range(len(row_names)), row_names)
    ax.set_xlabel(col_title), ax.set_ylabel(row_title)
    ax.spines[:].set_visible(False)
    return fig


# --------------------------------------------------------------------------
# Table 1 as a figure
# --------------------------------------------------------------------------


#: Table 1's columns drawn against k, with their axis labels
DIVISION_PANELS = {
    "agreement": "agreement score [%]",
    "acc_max_nonphys": r"Acc$_{max}$ non-phys [%]",
    "acc_gain_nonphys": r"$\Delta$Acc non-phys given phys [points]",
    "acc_mean_phys": r"Acc$_{mean}$ phys [%]",
}
#: one colour per SimCLR variant or baseline; ten before they repeat
REPRESENTATION_COLOURS = [*CLUSTER_COLOURS, "#bcbd22", "#7f7f7f"]
REPRESENTATION_MARKERS = {"simclr": "o", "pca1024": "s", "pca10": "D", "summary": "^"}


def representation_styles(names) -> dict[str, dict]:
    """A line style per Table 1 row that tells the rows apart: the colour follows the SimCLR
    variant (channels and method) or the baseline, the line the normalisation (individual
    dashed), the marker the kind; the mock's truth is black stars."""
    families: list[tuple] = []
    styles = {}
    for name in names:
        try:
            rep = Representation.parse(name)
        except ValueError:  # Table 1's truth rows
            styles[name] = dict(color="k", marker="*", ms=6, ls=":")
            continue
        family = (rep.kind, rep.channels, rep.method)
        if family not in families:
            families.append(family)
        styles[name] = dict(
            color=REPRESENTATION_COLOURS[families.index(family) % len(REPRESENTATION_COLOURS)],
            marker=REPRESENTATION_MARKERS.get(rep.kind, "o"),
            ms=3.5,
            ls="-" if rep.normalisation == "relative" else "--",
        )
    return styles


def division_performance_figure(table1, min_agreement=85.0, max_nonphys=65.0, max_gain=5.0):
    """Agreement score and bias accuracies against k for every representation (Table 1), one
    panel per column present, with the acceptance thresholds dotted; the legend sits below the
    panels so that it never covers a curve."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    panels = {col: label for col, label in DIVISION_PANELS.items() if col in table1}
    fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels), 2.8), sharex=True, squeeze=False)
    axes = dict(zip(panels, axes[0]))
    rows = list(dict.fromkeys(table1["representation"]))
    styles = representation_styles(rows)
    handles = {}
    for name, t in table1.groupby("representation", sort=False):
        for col, ax in axes.items():
            if t[col].notna().any():
                handles[name] = ax.errorbar(t["k"], t[col], yerr=t[f"{col}_std"], lw=1, capsize=2, **styles[name])
    thresholds = {"agreement": min_agreement, "acc_max_nonphys": max_nonphys, "acc_gain_nonphys": max_gain}
    for col, ax in axes.items():
        if col in thresholds:
            ax.axhline(thresholds[col], color="k", ls=":", lw=0.8)
        ax.set_xlabel("number of clusters k"), ax.set_ylabel(panels[col])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.legend(
        [handles[n] for n in rows if n in handles],
        [n for n in rows if n in handles],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(4, len(handles)),
        fontsize=7,
        frameon=False,
    )
    return fig
