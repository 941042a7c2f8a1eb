"""The survey explorer: one self-contained HTML page per run (Bokeh, data embedded, no server).

The paper's promise of a tool to explore the survey: the UMAP of a chosen
representation, coloured by any catalogue column; hovering a galaxy shows its
plateifu, key parameters and its five input maps; a cluster filter; and a
search box that, given a plateifu, marks the galaxy and its k nearest
neighbours in the full representation space (not in the 2-D projection).

Weight at the survey's scale: the maps travel as one small lossless WebP strip
per galaxy (~1.7 kB), the neighbours as one int32 table per representation.
"""

from __future__ import annotations

import base64
import io
import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: Shown in the tooltip, in this order, when the catalogue has them.
KEY_PARAMETERS = {
    "log_mass": ("log M*", "0.00"),
    "log_sfr": ("log SFR", "0.00"),
    "sigma_cen": ("σ_cen [km/s]", "0"),
    "lambda_re": ("λ_Re", "0.00"),
    "ellipticity": ("ε", "0.00"),
    "age_lw_re": ("LW age_Re", "0.00"),
    "zh_lw_re": ("LW [Z/H]_Re", "0.00"),
    "t_type": ("T-Type", "0.0"),
    "z": ("z", "0.000"),
}
#: Levels per map in the thumbnails' shared 256-colour palette (5 maps x 50 levels + background).
LEVELS = 50


def thumbnail_palette(channels) -> list[int]:
    """Flat RGB palette: LEVELS colours per map in the figures' colour maps, then the background."""
    import matplotlib

    from manga_ssl.figures.plots import CMAPS

    palette = []
    for channel in channels:
        cmap = matplotlib.colormaps[CMAPS.get(str(channel), "magma")]
        palette += [round(255 * v) for i in range(LEVELS) for v in cmap(i / (LEVELS - 1))[:3]]
    background = [38, 38, 38]  # the figures' 0.15 grey for pixels without data
    return palette + background * (256 - len(palette) // 3)


def thumbnails(maps: np.ndarray, channels, gap: int = 2) -> list[str]:
    """One lossless WebP data URI per galaxy: its maps (N, S, S, C) in [0, 1] side by side,
    north up, each on its figure colour map quantised to LEVELS colours (~1.7 kB each, 40%
    less than a palette PNG)."""
    from PIL import Image

    n, size, _, n_maps = maps.shape
    if n_maps * LEVELS > 255:
        raise ValueError(f"at most {255 // LEVELS} maps fit the thumbnail palette, got {n_maps}")
    palette = np.array(thumbnail_palette(channels), dtype=np.uint8).reshape(256, 3)
    width = n_maps * size + (n_maps - 1) * gap
    out = []
    for galaxy in maps:
        strip = np.full((size, width), 255, dtype=np.uint8)
        for j in range(n_maps):
            image = galaxy[::-1, :, j]  # row 0 is south in the tensors (figures use origin="lower")
            level = np.clip(np.round(np.nan_to_num(image) * (LEVELS - 1)), 0, LEVELS - 1).astype(np.uint8)
            strip[:, j * (size + gap) : j * (size + gap) + size] = np.where(image != 0, level + j * LEVELS, 255)
        buffer = io.BytesIO()
        Image.fromarray(palette[strip], mode="RGB").save(buffer, format="WEBP", lossless=True, method=6)
        out.append("data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return out


def colour_columns(catalogue: pd.DataFrame) -> list[str]:
    """Numeric catalogue columns with at least two distinct finite values."""
    return [
        col
        for col in catalogue.columns
        if catalogue[col].dtype.kind in "biuf" and catalogue[col].dropna().nunique() > 1
    ]


def _range(values: np.ndarray) -> list[float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return [0.0, 1.0]
    lo, hi = np.percentile(finite, [2, 98])
    return [float(lo), float(hi if hi > lo else lo + 1)]


#: Redraws the page from the widgets' state: representation, colour, cluster filter, search.
SHOW = """
const d = source.data;
const r = rep_select.options.indexOf(rep_select.value);
d.x = d['x_' + r]; d.y = d['y_' + r]; d.cluster = d['cluster_' + r];
const col = colour_select.value;
d.c = col === 'cluster' ? d.cluster : d[col];
if (col === 'cluster') {
    mapper.palette = cluster_palette; mapper.low = 0.5; mapper.high = cluster_palette.length + 0.5;
} else {
    mapper.palette = continuous_palette; mapper.low = ranges[col][0]; mapper.high = ranges[col][1];
}
colour_bar.title = titles[col];
const active = new Set(cluster_filter.active.map(i => i + 1));
view.filter.booleans = Array.from(d.cluster, c => active.has(c));
source.change.emit();
// the neighbour search follows the representation shown
const q = search.value.trim();
const i = q ? d.plateifu.indexOf(q) : -1;
const nb = {x: [], y: [], plateifu: [], rank: []};
const me = {x: [], y: [], plateifu: []};
if (i >= 0) {
    const table = neighbours.data['rep_' + r];
    let rank = 0;
    for (let j = i * k; j < (i + 1) * k; j++) {
        const g = table[j];
        if (g === i) continue;
        rank += 1;
        nb.x.push(d.x[g]); nb.y.push(d.y[g]); nb.plateifu.push(d.plateifu[g]); nb.rank.push(rank);
    }
    me.x.push(d.x[i]); me.y.push(d.y[i]); me.plateifu.push(q);
    status.text = `<b>${q}</b> and its ${nb.x.length} nearest neighbours in the ${rep_select.value} ` +
                  `representation: ${nb.plateifu.join(', ')}`;
} else {
    status.text = q ? `<b>${q}</b> is not in this survey sample.` :
        'Type a plateifu and press Enter to mark its nearest neighbours in the full representation space.';
}
highlight.data = nb;
query.data = me;
"""


def explorer_page(
    out_html,
    plateifu,
    catalogue: pd.DataFrame,
    representations: dict,
    thumbs: list[str],
    channels,
    title: str,
    default_colour: str = "log_sigma_cen",
) -> dict:
    """Write the page; returns {"galaxies", "representations", "bytes"}.

    ``representations``: {name: {"xy": (N, 2) UMAP, "cluster": (N,) labels 1..k,
    "neighbours": (N, k) indices, nearest first, the galaxy itself included}},
    all in ``plateifu`` order; ``catalogue`` in the same order.
    """
    from bokeh.embed import file_html
    from bokeh.layouts import column, row
    from bokeh.models import (
        BooleanFilter,
        CDSView,
        CheckboxGroup,
        ColorBar,
        ColumnDataSource,
        CustomJS,
        Div,
        HoverTool,
        LinearColorMapper,
        Select,
        TextInput,
    )
    from bokeh.palettes import Category10, Viridis256
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    from manga_ssl.core.files import atomic_output

    n = len(plateifu)
    names = list(representations)
    if not names:
        raise ValueError("the explorer needs at least one representation")
    for name, rep in representations.items():
        if len(rep["xy"]) != n or len(rep["cluster"]) != n or len(rep["neighbours"]) != n:
            raise ValueError(f"representation {name}: {len(rep['xy'])} UMAP rows for {n} galaxies")
    k = min(rep["neighbours"].shape[1] for rep in representations.values())
    if len(catalogue) != n or len(thumbs) != n:
        raise ValueError(
            f"catalogue ({len(catalogue)} rows) and thumbnails ({len(thumbs)}) must match the {n} galaxies"
        )
    columns = colour_columns(catalogue)
    if default_colour != "cluster" and default_colour not in columns:
        raise ValueError(
            f"explorer colour '{default_colour}' is not a numeric catalogue column "
            f"(choose 'cluster' or one of: {', '.join(columns)})"
        )
    data = {"plateifu": [str(p) for p in plateifu], "thumb": list(thumbs)}
    for col in columns:
        data[col] = catalogue[col].to_numpy(dtype=np.float32)
    for i, name in enumerate(names):
        rep = representations[name]
        data[f"x_{i}"] = np.asarray(rep["xy"][:, 0], dtype=np.float32)
        data[f"y_{i}"] = np.asarray(rep["xy"][:, 1], dtype=np.float32)
        data[f"cluster_{i}"] = np.asarray(rep["cluster"], dtype=np.int32)
    data.update(x=data["x_0"], y=data["y_0"], cluster=data["cluster_0"])
    default = default_colour
    data["c"] = data["cluster"] if default == "cluster" else data[default]
    source = ColumnDataSource(data, name="galaxies")
    neighbours = ColumnDataSource(
        {
            f"rep_{i}": np.ascontiguousarray(representations[name]["neighbours"][:, :k], dtype=np.int32).ravel()
            for i, name in enumerate(names)
        },
        name="neighbours",
    )
    n_clusters = int(max(np.max(rep["cluster"]) for rep in representations.values()))
    cluster_palette = (
        list(Category10[10][:n_clusters])
        if n_clusters <= 10
        else list(Viridis256[:: max(1, 256 // n_clusters)])[:n_clusters]
    )
    ranges = {col: _range(data[col]) for col in columns}
    titles = {col: col for col in columns} | {"cluster": "cluster"}
    mapper = LinearColorMapper(
        palette=Viridis256 if default != "cluster" else cluster_palette,
        low=ranges[default][0] if default != "cluster" else 0.5,
        high=ranges[default][1] if default != "cluster" else n_clusters + 0.5,
        nan_color="lightgrey",
        name="mapper",
    )

    plot = figure(
        title=title,
        width=820,
        height=680,
        tools="pan,wheel_zoom,box_zoom,reset,save",
        active_scroll="wheel_zoom",
        output_backend="webgl",
        name="umap",
    )
    plot.xaxis.axis_label, plot.yaxis.axis_label = "UMAP 1", "UMAP 2"
    view = CDSView(filter=BooleanFilter(booleans=[True] * n))
    points = plot.scatter(
        "x",
        "y",
        source=source,
        view=view,
        size=4,
        line_color=None,
        fill_color={"field": "c", "transform": mapper},
        fill_alpha=0.8,
        name="points",
    )
    highlight = ColumnDataSource({"x": [], "y": [], "plateifu": [], "rank": []}, name="highlight")
    query = ColumnDataSource({"x": [], "y": [], "plateifu": []}, name="query")
    plot.scatter(
        "x", "y", source=highlight, size=11, fill_color=None, line_color="black", line_width=2, name="neighbours_marker"
    )
    plot.scatter(
        "x", "y", source=query, marker="star", size=20, fill_color="red", line_color="black", name="query_marker"
    )
    colour_bar = ColorBar(color_mapper=mapper, title=titles[default], width=12, name="colour_bar")
    plot.add_layout(colour_bar, "right")
    rows = "".join(
        f"<div>{label}: @{{{col}}}{{{fmt}}}</div>" for col, (label, fmt) in KEY_PARAMETERS.items() if col in columns
    )
    plot.add_tools(
        HoverTool(
            renderers=[points],
            tooltips=f"""
        <div class="galaxy-tooltip" style="width: 340px">
          <div style="font-weight: bold">@plateifu &nbsp; cluster @cluster</div>
          {rows}
          <img src="@thumb" alt="maps of @plateifu" width="{6 * 34}" height="36"
               style="image-rendering: pixelated; width: 330px; height: auto; margin-top: 4px"></img>
        </div>""",
        )
    )

    rep_select = Select(title="Representation", value=names[0], options=names, name="representation")
    colour_select = Select(title="Colour by", value=default, options=["cluster"] + columns, name="colour")
    cluster_filter = CheckboxGroup(
        labels=[f"cluster {c}" for c in range(1, n_clusters + 1)], active=list(range(n_clusters)), name="cluster_filter"
    )
    search = TextInput(title="Find a galaxy (plateifu) and its neighbours", placeholder=str(plateifu[0]), name="search")
    status = Div(
        text="Type a plateifu and press Enter to mark its nearest neighbours in the full representation space.",
        width=320,
        name="status",
    )
    show = CustomJS(
        args=dict(
            source=source,
            view=view,
            neighbours=neighbours,
            highlight=highlight,
            query=query,
            mapper=mapper,
            colour_bar=colour_bar,
            rep_select=rep_select,
            colour_select=colour_select,
            cluster_filter=cluster_filter,
            search=search,
            status=status,
            k=k,
            ranges=ranges,
            titles=titles,
            cluster_palette=cluster_palette,
            continuous_palette=list(Viridis256),
        ),
        code=SHOW,
    )
    for widget, attr in (
        (rep_select, "value"),
        (colour_select, "value"),
        (search, "value"),
        (cluster_filter, "active"),
    ):
        widget.js_on_change(attr, show)
    legend = Div(
        text=f"<p>{n} galaxies. Hover a point for its parameters and its input maps. "
        f"Maps, left to right: {', '.join(str(c) for c in channels)}.</p>",
        width=320,
    )
    layout = row(plot, column(rep_select, colour_select, cluster_filter, search, status, legend))
    html = file_html(layout, resources=INLINE, title=title)
    with atomic_output(out_html) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(html)
    return {"galaxies": n, "representations": names, "neighbours": k - 1, "bytes": len(html.encode("utf-8"))}


def build_explorer(
    out_html,
    umaps: dict,
    labels: dict,
    tables: dict,
    k_values: dict,
    catalogue_path,
    tensors_path,
    title: str,
    n_neighbours: int = 10,
    default_colour: str = "log_sigma_cen",
) -> dict:
    """The page from the run's files, per representation name: its UMAP table, K-means
    labels (the consensus of the first K-means seed at ``k_values[name]``) and reference
    replica table (for the neighbours)."""
    from manga_ssl.analysis.bias import derived_columns
    from manga_ssl.analysis.clustering import prepare
    from manga_ssl.analysis.labels import consensus_division
    from manga_ssl.analysis.neighbours import nearest_neighbours
    from manga_ssl.core.names import kind_of
    from manga_ssl.ssl.representations import read_representation

    names = list(umaps)
    plateifu = pd.read_parquet(umaps[names[0]])["plateifu"].astype(str).to_numpy()
    if not pd.Index(plateifu).is_unique:
        raise ValueError(f"{umaps[names[0]]}: a plateifu appears twice")

    def rows_of(ids, what):
        order = pd.Index(np.asarray(ids).astype(str)).get_indexer(plateifu)
        if (order < 0).any():
            raise ValueError(
                f"{what} lacks {int((order < 0).sum())} galaxies of the UMAP, e.g. "
                f"{plateifu[np.flatnonzero(order < 0)[0]]}"
            )
        return order

    representations = {}
    for name in names:
        umap = pd.read_parquet(umaps[name])
        xy = umap[["umap_x", "umap_y"]].to_numpy()[rows_of(umap["plateifu"], umaps[name])]
        ids, clusters = consensus_division(labels[name], k_values[name])
        ref_ids, features, _ = read_representation(tables[name])
        x = prepare(features, kind_of(name))[rows_of(ref_ids, tables[name])]
        representations[name] = {
            "xy": xy,
            "cluster": clusters[rows_of(ids, labels[name])].astype(int) + 1,
            "neighbours": nearest_neighbours(x, n_neighbours + 1)[0],
        }
    catalogue = derived_columns(pd.read_parquet(catalogue_path))
    catalogue = catalogue.iloc[rows_of(catalogue["plateifu"], catalogue_path)].reset_index(drop=True)
    with np.load(tensors_path, allow_pickle=False) as npz:
        maps = npz["maps"][rows_of(npz["plateifu"], tensors_path)]
        channels = [str(c) for c in npz["channels"]]
    summary = explorer_page(
        out_html, plateifu, catalogue, representations, thumbnails(maps, channels), channels, title, default_colour
    )
    log.info(
        "explorer page %s: %d galaxies, representations %s, %.1f MB",
        out_html,
        summary["galaxies"],
        ", ".join(summary["representations"]),
        summary["bytes"] / 1e6,
    )
    return summary
