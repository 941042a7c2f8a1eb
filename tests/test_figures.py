"""Figure functions on small inputs: the panels, labels and legend entries they must hold."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from manga_ssl.figures import plots as figures
from manga_ssl.figures.loss import loss_curves
from manga_ssl.figures.style import save

rng = np.random.default_rng(0)
N = 120
CHANNELS = ["v_band_flux", "lw_log_age", "lw_metallicity", "stellar_velocity", "velocity_dispersion"]


@pytest.fixture(scope="module")
def catalogue():
    cat = pd.DataFrame({"plateifu": [f"8000-{i}" for i in range(N)]})
    for col in (
        list(figures.INSTRUMENTAL_LABELS)
        + list(figures.PHYSICAL_LABELS)
        + ["log_mass", "log_sfr", "ellipticity", "t_type"]
    ):
        cat[col] = rng.normal(size=N)
    cat["sigma_cen"] = rng.uniform(50, 250, N)
    return cat


def umap_frame(cat):
    return pd.DataFrame({"plateifu": cat["plateifu"], "umap_x": rng.normal(size=N), "umap_y": rng.normal(size=N)})


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def test_fig2_has_fourteen_panels_per_representation(catalogue):
    a, b = umap_frame(catalogue), umap_frame(catalogue)
    fig = figures.umap_grid(
        [
            ("a", a, figures.INSTRUMENTAL_LABELS),
            ("b", b, figures.INSTRUMENTAL_LABELS),
            ("a", a, figures.PHYSICAL_LABELS),
            ("b", b, figures.PHYSICAL_LABELS),
        ],
        catalogue,
    )
    labels = texts(fig)
    for name in ("a1", "a7", "a8", "a14", "b1", "b14"):
        assert name in labels
    colourbars = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert "N fibres" in colourbars and r"$\lambda_{R_e}$" in colourbars


def test_fig3_planes_with_cluster_means(catalogue):
    labels = rng.integers(0, 3, N)
    two = rng.integers(0, 2, N)
    fig = figures.physical_planes(
        catalogue,
        {"SimCLR": (catalogue["plateifu"], labels, 3, False), "individual": (catalogue["plateifu"], two, 2, True)},
    )
    axes = fig.axes
    assert len(axes) == 8
    assert [ax.get_xlabel() for ax in axes[:4]][1] == r"$\epsilon$"
    legend = [t.get_text() for t in axes[3].get_legend().get_texts()]
    assert legend == ["cluster 1", "cluster 2", "cluster 3"]
    assert [t.get_text() for t in axes[7].get_legend().get_texts()] == ["cluster A", "cluster B"]


def test_fig4_ttype_histograms(catalogue):
    labels = rng.integers(0, 3, N)
    fig = figures.ttype_histograms(catalogue, {"p": [(catalogue["plateifu"], labels, 3, False, "-", "")]})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["all galaxies", "cluster 1", "cluster 2", "cluster 3"]
    assert fig.axes[0].get_xlabel() == "T-Type"


def test_fig1_and_fig6_show_every_map():
    maps = rng.random((32, 32, 5)).astype(np.float32)
    fig = figures.augmentation_examples(maps, np.full_like(maps, 0.1), maps[::-1].copy(), CHANNELS, "8000-1")
    assert len(fig.axes) == 30
    titles = [ax.get_title() for ax in fig.axes[:6]]
    assert titles == ["original", "model variation", "rotation", "resize", "noise", "blur"]
    assert fig.axes[0].get_ylabel() == "V band" and fig.axes[24].get_ylabel() == "dispersion"
    stack = rng.random((10, 32, 32, 5))
    fig6 = figures.centroid_examples(stack, CHANNELS, {"cluster A": [("p1", 0), ("p2", 3)], "cluster B": [("p3", 5)]})
    assert len(fig6.axes) == 2 * 5 * 2
    assert "cluster A: p1" in [ax.get_title() for ax in fig6.axes]


def test_fig7_overlap_matrix_annotations():
    m = np.array([[80.0, 20.0], [30.0, 70.0], [65.0, 35.0]])
    fig = figures.overlap_matrix_figure(m, np.ones_like(m), ["1", "2", "3"], ["A", "B"], "relative", "individual")
    assert "80±1%" in texts(fig) and fig.axes[0].get_xlabel() == "individual"


def test_division_performance_figure_tells_every_row_apart():
    rows = [
        "simclr-relative-all",
        "simclr-individual-all",
        "simclr-relative-no_vband",
        "simclr-relative-all+footprint",
        "pca1024-relative",
        "pca10-relative",
        "summary-relative",
        *[f"simclr-relative-extra{i}" for i in range(3)],
        "truth (mock)",
    ]
    n = len(rows)
    t = pd.DataFrame(
        {
            "representation": np.repeat(rows, 3),
            "k": [2, 3, 4] * n,
            "agreement": [90, 93, 60] * (n - 1) + [np.nan] * 3,
            "acc_max_nonphys": [60, 61, 70] * n,
            "acc_gain_nonphys": [1, 2, 9] * n,
            "acc_mean_phys": [90, 88, 85] * n,
        }
    )
    for col in ("agreement", "acc_max_nonphys", "acc_gain_nonphys", "acc_mean_phys"):
        t[f"{col}_std"] = 1.0
    fig = figures.division_performance_figure(t, max_gain=5.0)
    assert len(fig.axes) == 4
    # the legend is the figure's, below the panels, so that it covers no curve
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [x.get_text() for x in legend.get_texts()] == rows
    # no two rows share colour, marker and line style (there are more rows than base colours)
    lines = [c.lines[0] for c in fig.axes[1].containers]
    looks = {(to_hex(ln.get_color()), ln.get_marker(), ln.get_linestyle()) for ln in lines}
    assert len(looks) == n
    # the truth has no agreement score, and the conditional rule's threshold is drawn
    assert len(fig.axes[0].containers) == n - 1
    assert 5.0 in [ln.get_ydata()[0] for ln in fig.axes[2].lines if ln.get_linestyle() == ":"]
    # a Table 1 without the conditional column (the paper's alone) draws three panels
    assert len(figures.division_performance_figure(t.drop(columns=["acc_gain_nonphys"])).axes) == 3


def test_save_writes_pdf_and_png(tmp_path):
    fig = loss_curves({"seed 0": pd.DataFrame({"epoch": [1, 2], "loss": [6.0, 5.5]})})
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_fig9_has_the_ttype_panel_beside_the_cluster_properties(catalogue):
    for col in ("sigma_cen", "lambda_re", "age_lw_re", "zh_lw_re"):
        catalogue[col] = rng.normal(size=N)
    ids = catalogue["plateifu"]
    fig = figures.cluster_properties(
        catalogue,
        {
            "five maps": (ids, rng.integers(0, 3, N), 3, False),
            "V band + kinematics": (ids, rng.integers(0, 3, N), 3, False),
        },
    )
    assert len(fig.axes) == 1 + 6
    ttype = fig.axes[0]
    assert ttype.get_xlabel() == "T-Type"
    legend = [t.get_text() for t in ttype.get_legend().get_texts()]
    assert legend[0] == "all galaxies" and "cluster 1 (five maps)" in legend
    assert "cluster 3 (V band + kinematics)" in legend
    # the five-map histograms dotted, the other division's solid (as in the paper)
    styles = {p.get_label(): p.get_linestyle() for p in ttype.patches}  # (offset, dash pattern)
    assert styles["cluster 1 (five maps)"][1] is not None  # dotted
    assert styles["cluster 1 (V band + kinematics)"][1] is None  # solid
    assert [ax.get_xticklabels()[0].get_text() for ax in fig.axes[1:]] == ["1"] * 6


def test_loss_curves_colour_each_variant_and_name_it_once():
    """The replicas of a variant share one colour, the variants differ, and the legend names
    each variant once (21 replicas would otherwise repeat the colour cycle unnamed)."""
    from matplotlib.colors import to_hex

    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [6.0, 5.5, 5.2]})
    labels = [f"{v} seed {s}" for v in ("relative all", "relative all+footprint") for s in range(3)]
    fig = loss_curves({label: history.assign(loss=history["loss"] + k) for k, label in enumerate(labels)})
    colours = [to_hex(line.get_color()) for line in fig.axes[0].lines]
    assert len(set(colours[:3])) == 1 and len(set(colours[3:])) == 1 and colours[0] != colours[3]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["relative all", "relative all+footprint"]


def test_epochs_trained_names_the_variants_that_trained_longer():
    """The loss curves' caption: the demo trains further_away for 60 epochs, the rest for 30."""
    from manga_ssl.figures.paper import epochs_trained

    def history(n):
        return pd.DataFrame({"epoch": np.arange(1, n + 1), "loss": np.linspace(6, 5, n)})

    same = {f"{v} all seed {s}": history(30) for v in ("relative", "individual") for s in range(3)}
    assert epochs_trained(same) == "30 epochs"
    mixed = same | {f"individual all+further_away seed {s}": history(60) for s in range(3)}
    assert epochs_trained(mixed) == "30 epochs; individual all+further_away: 60 epochs"
    # a variant whose replicas differ is named with each count
    mixed["relative all seed 2"] = history(25)
    assert epochs_trained(mixed) == "30 epochs; relative all: 25, 30 epochs; individual all+further_away: 60 epochs"
