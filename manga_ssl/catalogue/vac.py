"""The run's value-added catalogue (VAC), as MaNGA's results travel: FITS with a data model.

``manga-ssl-<run>.fits`` (and the same table as Parquet): one row per galaxy, keyed by
plateifu and mangaid, with the parameters the analysis used, and for each representation
its UMAP coordinates, the cluster of each division studied or accepted with the fraction of
replicas that agree with it, and the nearest neighbours in the full representation space.
``manga-ssl-<run>-representations.fits``: the representation h of every SimCLR replica.
Every column has a unit (TUNITn) and a description (TCOMMn); the primary header says what
made the file. The data model is docs/catalogue-datamodel.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from astropy.io import fits

from manga_ssl.analysis import clustering
from manga_ssl.analysis.labels import labels_of
from manga_ssl.analysis.neighbours import nearest_neighbours
from manga_ssl.core.config import channel_set_seeds
from manga_ssl.core.files import atomic_output, write_parquet
from manga_ssl.core.names import Representation, kind_of
from manga_ssl.ssl.representations import read_representation

log = logging.getLogger(__name__)

#: HDU names, found by name, never by position.
CATALOGUE_HDU = "CATALOGUE"
PAPER = "Sarmiento et al. 2021, ApJ 921, 177"


@dataclass(frozen=True)
class Column:
    """One catalogue column: its name, FITS unit (TUNITn, '' for a pure number) and description (TCOMMn)."""

    name: str
    unit: str
    description: str


#: The preprocessing's catalogue (manga_ssl.preprocessing.maps.CATALOGUE_UNITS) in FITS terms:
#: units in the FITS standard's syntax, logarithms as log(unit), and what each column is.
SURVEY_COLUMNS = {
    "plateifu": ("", "MaNGA PLATE-IFU of the observation (the key of every run file)"),
    "mangaid": ("", "MaNGA target identifier"),
    "sample": ("", "MaNGA target sample from MNGTARG1: primary, secondary or color-enhanced"),
    "n_fibres": ("", "fibres in the IFU bundle (19, 37, 61, 91 or 127)"),
    "re_arcsec": ("arcsec", "effective radius, drpall NSA elliptical Petrosian"),
    "n_zero_pixels": ("", "pixels of the 32x32 V-band input without data (zero padding and masked spaxels)"),
    "position_angle": ("deg", "major-axis position angle, N through E (drpall NSA_ELPETRO_PHI, else Pipe3D PA - 90)"),
    "rotation_angle": ("deg", "rotation angle from the velocity map, N through E (receding side PA + 90)"),
    "coverage": ("", "IFU diameter over the effective radius, D_IFU / Re (both arcsec)"),
    "z": ("", "redshift (drpall)"),
    "psf_fwhm": ("arcsec", "r-band PSF FWHM (drpall RFWHM)"),
    "systemic_velocity": ("km/s", "median of the Pipe3D stellar velocity map, removed from the velocity input"),
    "re_kpc": ("kpc", "effective radius"),
    "lambda_re": ("", "spin parameter lambda_R within 1.5 Re, from the maps"),
    "sigma_cen": ("km/s", "flux-weighted stellar velocity dispersion in the central 2.5 arcsec, from the maps"),
    "age_lw_re": ("log(yr)", "light-weighted log age at Re (linear fit 0.5-2 Re of the age map)"),
    "grad_age_lw": ("", "light-weighted log-age gradient, dex per Re (fit over 0.5-2 Re)"),
    "zh_lw_re": ("", "light-weighted [Z/H] at Re, dex (fit over 0.5-2 Re)"),
    "grad_zh_lw": ("", "light-weighted [Z/H] gradient, dex per Re (fit over 0.5-2 Re)"),
    "log_mass": ("log(solMass)", "stellar mass, Pipe3D integrated catalogue"),
    "log_sfr": ("log(solMass/yr)", "star formation rate from H-alpha, Pipe3D integrated catalogue"),
    "ellipticity": ("", "1 - b/a (drpall NSA_ELPETRO_BA, else Pipe3D sqrt(1 - ellip^2))"),
    "t_type": ("", "morphological T-Type, MaNGA Deep Learning Morphology catalogue"),
}


def column_prefix(representation: str) -> str:
    """A representation's column prefix ('simclr-relative-all+footprint' -> 'simclr_relative_all_footprint'):
    FITS column names hold letters, digits and underscores only."""
    return representation.replace("-", "_").replace("+", "_")


def representation_columns(name: str, reference_seed, ks, n_neighbours: int) -> list[Column]:
    """The columns of one representation: UMAP, each division's cluster and consensus, neighbours."""
    rep = Representation.parse(name)
    p = column_prefix(name)
    replica = f"replica seed {reference_seed}" if rep.is_simclr else "its single fit"
    space = "L2-normalised h" if rep.is_simclr else "the baseline's features"
    names = "letters A, B, ..." if clustering.lettered(rep.normalisation) else "numbers 1, 2, ..."
    cols = [
        Column(f"{p}_umap_x", "", f"UMAP x of {name} ({replica}); visualisation only"),
        Column(f"{p}_umap_y", "", f"UMAP y of {name} ({replica}); visualisation only"),
    ]
    for k in ks:
        cols += [
            Column(
                f"{p}_k{k}_cluster",
                "",
                f"cluster of {name}'s k={k} division: consensus over the replicas of the first K-means seed, "
                f"named as the paper names them ({names})",
            ),
            Column(
                f"{p}_k{k}_consensus",
                "",
                f"fraction of {name}'s replicas whose k={k} cluster (matched to the reference replica) "
                "is the consensus",
            ),
        ]
    return cols + [
        Column(
            f"{p}_nn_plateifu", "", f"the {n_neighbours} nearest galaxies in {name} ({replica}, {space}), nearest first"
        ),
        Column(f"{p}_nn_distance", "", f"Euclidean distances to those neighbours in {space}, nearest first"),
    ]


def consensus_and_fraction(labels_path, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plateifu, consensus label, fraction of replicas agreeing) of a representation's k-division,
    K-means seed the first: the consensus the workflow's tables and figures use."""
    labels = pd.read_parquet(labels_path)
    if not (labels["k"] == k).any():
        raise ValueError(f"{labels_path}: no K-means division with k = {k}")
    seed = int(labels.loc[labels["k"] == k, "kmeans_seed"].min())
    table = labels_of(labels, k, kmeans_seed=seed).pivot(index="plateifu", columns="replica", values="label")
    runs = table.to_numpy().T
    _, consensus = clustering.agreement_score(runs)
    return table.index.astype(str).to_numpy(), consensus, (runs == consensus).mean(axis=0)


def divisions_of(name: str, studied: dict, accepted: dict) -> list[int]:
    """The divisions a representation's columns show: its normalisation's division studied and,
    for SimCLR, the largest k accepted under the run's rule (usually the same k)."""
    ks = {int(studied[Representation.parse(name).normalisation]["k"])}
    if accepted.get(name) is not None:
        ks.add(int(accepted[name]))
    return sorted(ks)


def catalogue_table(
    survey: pd.DataFrame,
    umaps: dict,
    labels: dict,
    reference_tables: dict,
    studied: dict,
    accepted: dict,
    n_neighbours: int,
) -> tuple[list[Column], dict]:
    """(columns, {name: array}) of the VAC, one row per galaxy of ``survey`` (the
    preprocessing's catalogue). ``umaps``, ``labels``, ``reference_tables``: {representation:
    path}; ``studied``: divisions.json; ``accepted``: {representation: largest accepted k or None}."""
    missing = set(survey.columns) ^ set(SURVEY_COLUMNS)
    if missing:
        raise ValueError(f"catalogue columns without a data model entry, or gone: {sorted(missing)}")
    prefixes = [column_prefix(n) for n in umaps]
    if len(set(prefixes)) != len(prefixes):
        raise ValueError(f"representation names that give the same column prefix: {sorted(umaps)}")
    plateifu = survey["plateifu"].astype(str).to_numpy()
    columns = [Column(c, *SURVEY_COLUMNS[c]) for c in survey.columns]
    data = {c: survey[c].to_numpy() for c in survey.columns}
    for name in umaps:
        ids, features, meta = read_representation(reference_tables[name])
        ks = divisions_of(name, studied, accepted)
        cols = iter(representation_columns(name, meta.get("seed", "-"), ks, n_neighbours))
        umap = pd.read_parquet(umaps[name])
        rows = _positions(pd.Index(umap["plateifu"].astype(str)), plateifu, umaps[name])
        for axis in ("umap_x", "umap_y"):
            col = next(cols)
            columns.append(col)
            data[col.name] = umap[axis].to_numpy(np.float32)[rows]
        letters = clustering.lettered(Representation.parse(name).normalisation)
        for k in ks:
            ids_k, consensus, fraction = consensus_and_fraction(labels[name], k)
            order = _positions(pd.Index(ids_k), plateifu, labels[name])
            cluster, agree = next(cols), next(cols)
            columns += [cluster, agree]
            data[cluster.name] = np.array([clustering.cluster_name(int(c), letters) for c in consensus[order]])
            data[agree.name] = fraction[order].astype(np.float32)
        n = min(n_neighbours, len(ids) - 1)
        idx, dist = nearest_neighbours(clustering.prepare(features, kind_of(name)), n + 1)
        rows = _positions(pd.Index(ids), plateifu, reference_tables[name])
        nn_ids, nn_dist = next(cols), next(cols)
        columns += [nn_ids, nn_dist]
        data[nn_ids.name], data[nn_dist.name] = ids[idx[rows, 1:]], dist[rows, 1:]  # column 0: the galaxy itself
    return columns, data


def _positions(index: pd.Index, plateifu, path) -> np.ndarray:
    order = index.get_indexer(plateifu)
    if (order < 0).any():
        raise ValueError(f"{path}: galaxies of the catalogue missing, e.g. {', '.join(plateifu[order < 0][:5])}")
    return order


# --------------------------------------------------------------------------
# FITS with units and descriptions
# --------------------------------------------------------------------------


def _fits_column(col: Column, values: np.ndarray) -> fits.Column:
    values = np.asarray(values)
    shape = values.shape[1:]
    repeat = int(np.prod(shape)) if shape else 1
    if values.dtype.kind in "OUS":
        values = values.astype(str)
        width = max(1, max((len(v) for v in values.ravel()), default=1))
        dim = f"({width},{','.join(str(s) for s in reversed(shape))})" if shape else None
        return fits.Column(col.name, f"{width * repeat}A", unit=col.unit or None, array=values, dim=dim)
    code = {"b": "L", "i": "K", "u": "K", "f": "E" if values.dtype.itemsize <= 4 else "D"}[values.dtype.kind]
    if values.dtype.kind == "i" and values.dtype.itemsize <= 4:
        code = "J"
    dim = f"({','.join(str(s) for s in reversed(shape))})" if len(shape) > 1 else None
    return fits.Column(col.name, f"{repeat if shape else ''}{code}", unit=col.unit or None, array=values, dim=dim)


def table_hdu(extname: str, columns: list[Column], data: dict, cards=()) -> fits.BinTableHDU:
    """A binary table named ``extname``: every column with TUNITn (when it has a unit) and TCOMMn."""
    hdu = fits.BinTableHDU.from_columns([_fits_column(c, data[c.name]) for c in columns], name=extname)
    for i, col in enumerate(columns, 1):
        hdu.header[f"TCOMM{i}"] = col.description
    for key, value, comment in cards:
        if comment and not comment_fits(key, value, comment):
            # a long list of names leaves no room for its comment: the comment goes on its own
            # card rather than being cut short
            hdu.header.append((key, value), bottom=True)
            hdu.header.append(("COMMENT", f"{key}: {comment}"), bottom=True)
        else:
            hdu.header.append((key, value, comment), bottom=True)
    return hdu


def comment_fits(key: str, value, comment: str) -> bool:
    """Whether ``key = value / comment`` fits on one 80-character FITS card."""
    image = fits.Card(key, value).image
    return len(image) == 80 and max(len(image.rstrip()), 30) + 3 + len(comment) <= 80


def write_fits(path, primary: fits.Header, hdus) -> None:
    """Primary header and tables, written under a temporary name and renamed into place."""
    with atomic_output(path) as tmp:
        fits.HDUList([fits.PrimaryHDU(header=primary), *hdus]).writeto(tmp, checksum=True)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("manga-ssl")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "uninstalled"


def config_digest(config: dict) -> str:
    """SHA-256 of the validated configuration (defaults filled in), keys sorted."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def primary_header(config: dict, studied: dict, representations: dict, what: str) -> fits.Header:
    """What made the file: package version, configuration digest, dataset, the method's key
    settings, the divisions studied, and each representation's column prefix and reference seed.
    ``representations``: {name: reference replica seed}."""
    pre, simclr, analysis = config["preprocessing"], config["simclr"], config["analysis"]
    h = fits.Header()
    cards = [
        ("ORIGIN", "manga-ssl", "software that wrote this file"),
        ("PKGVERS", package_version(), "manga-ssl package version"),
        ("DATE", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "UTC time the file was written"),
        ("FILECONT", what, ""),
        ("PAPER", PAPER, "the method reproduced"),
        ("RUNNAME", config["run_name"], "run name (results/<run>/)"),
        ("DATASET", config["dataset"], "mock (embedded) or manga-dr17"),
        ("CFGDIGST", config_digest(config), ""),
        ("IMSIZE", int(pre["image_size"]), "input map side, pixels (2x2-binned spaxels)"),
        ("SNMIN", float(pre["sn_min"]), "S/N cut of the median-intensity map"),
        ("RELPCTLO", float(pre["relative_percentiles"][0]), "relative norm: lower percentile of the sample"),
        ("RELPCTHI", float(pre["relative_percentiles"][1]), "relative norm: upper percentile of the sample"),
        ("ENCODER", ",".join(map(str, simclr["conv_filters"])), "encoder convolution filters; h has the last"),
        ("KERNELS", ",".join(map(str, simclr["kernel_sizes"])), "encoder kernel sizes"),
        ("PROJHEAD", ",".join(map(str, simclr["projection_head"])), "projection head units (z, dropped)"),
        ("TEMPERAT", float(simclr["temperature"]), "NT-Xent temperature"),
        ("BATCH", int(simclr["batch_size"]), "SimCLR batch size"),
        ("EPOCHS", int(simclr["epochs"]), "SimCLR epochs"),
        ("SEEDS", ",".join(map(str, simclr["seeds"])), "seeds of the SimCLR replicas"),
        ("CSREPL", len(channel_set_seeds(simclr["seeds"], simclr["channel_set_replicas"])), "channel set replicas"),
        ("KSEEDS", ",".join(map(str, analysis["kmeans_seeds"])), "K-means seeds; the first gives the clusters"),
        ("KNINIT", int(analysis["kmeans_n_init"]), "k-means++ starts per seed, the best kept"),
        ("AGREEFR", float(analysis["agreement_fraction"]), "agreement: fraction of replicas that agree"),
        ("KRULE", analysis["k_rule"], "acceptance rule of the divisions"),
        ("UMAPSEED", int(analysis["umap_seed"]), "UMAP seed"),
        ("UMAPNN", int(analysis["umap_n_neighbors"]), "UMAP n_neighbors"),
        ("UMAPMD", float(analysis["umap_min_dist"]), "UMAP min_dist"),
        ("NNEIGH", int(config["catalogue"]["neighbours"]), "nearest neighbours per representation"),
    ]
    for key, value, comment in cards:
        h[key] = (value, comment)
    for norm, d in studied.items():
        tag = norm[:3].upper()
        h[f"K{tag}"] = (int(d["k"]), f"division studied, {norm} norm")
        h[f"K{tag}HOW"] = (d["how"], "accepted, fallback or configured")
    for i, (name, seed) in enumerate(representations.items(), 1):
        h[f"REPR{i}"] = (name, "representation")
        h[f"RPFX{i}"] = (column_prefix(name), "its column prefix")
        h[f"RSEED{i}"] = (int(seed), "its reference replica seed (UMAP, neighbours)")
    h["NREPR"] = (len(representations), "representations in this file")
    return h


# --------------------------------------------------------------------------
# Rule-level steps: files in, files out
# --------------------------------------------------------------------------


def write_catalogue(
    survey_path,
    umaps: dict,
    labels: dict,
    reference_tables: dict,
    divisions_path,
    accepted_path,
    config: dict,
    fits_out,
    parquet_out,
) -> None:
    """The catalogue rule: the VAC as FITS (HDU CATALOGUE) and the same table as Parquet."""
    with open(divisions_path) as fh:
        studied = json.load(fh)
    with open(accepted_path) as fh:
        accepted = json.load(fh)[config["analysis"]["k_rule"]]
    survey = pd.read_parquet(survey_path)
    n = config["catalogue"]["neighbours"]
    columns, data = catalogue_table(survey, umaps, labels, reference_tables, studied, accepted, n)
    seeds = {name: read_representation(reference_tables[name])[2].get("seed", 0) for name in umaps}
    header = primary_header(config, studied, seeds, "value-added catalogue: one row per galaxy of the run")
    header["NGALAXY"] = (len(survey), "galaxies (rows)")
    write_fits(fits_out, header, [table_hdu(CATALOGUE_HDU, columns, data)])
    frame = pd.DataFrame({c.name: list(data[c.name]) if data[c.name].ndim > 1 else data[c.name] for c in columns})
    write_parquet(
        frame,
        parquet_out,
        {c.name: c.unit for c in columns},
        metadata={
            "descriptions": json.dumps({c.name: c.description for c in columns}),
            "header": json.dumps({k: header[k] for k in header}),
        },
    )
    log.info("catalogue: %d galaxies, %d columns, %d representations", len(survey), len(columns), len(umaps))


#: How h was computed from the encoders (``model.embed``'s keywords), as each replica HDU
#: records it: keyword -> (card, type, comment). The type's empty value (False, 0.0) is the
#: paper's plain h, which runs written before the cards existed computed.
EMBEDDING_CARDS = {
    "dihedral_average": ("DIHEDRAL", bool, "h averaged over 8 rotations and flips"),
    "central_aperture": ("APERTURE", float, "[pix] radius h saw the maps within; 0: all"),
    "augmented_views": ("AUGVIEWS", int, "h averaged over augmented copies; 0: none"),
}


def replica_hdu_name(name: str, seed) -> str:
    return f"{name}-seed{seed}".upper()


def write_representations(tables: dict, config: dict, out) -> None:
    """The catalogue_representations rule: ``tables`` {SimCLR representation: its replicas'
    tables}; one HDU per replica (EXTNAME <REPRESENTATION>-SEED<s>), columns PLATEIFU and H
    (the 1024-d representation in the paper)."""
    hdus, seeds = [], {}
    for name, paths in tables.items():
        for path in paths:
            plateifu, h, meta = read_representation(path)
            seeds.setdefault(name, meta["seed"])
            cards = [
                ("REPRNAME", name, "representation"),
                ("SEED", int(meta["seed"]), "replica (training seed)"),
                ("NORM", meta["normalisation"], "input normalisation"),
                ("CHANNELS", ",".join(meta["channels"]), ""),  # the input maps, in order
                *((card, kind(meta.get(key, kind())), note) for key, (card, kind, note) in EMBEDDING_CARDS.items()),
                ("ERASED", ",".join(meta.get("erase_instrument", [])), "catalogue columns erased from h; '': none"),
                ("ERASEGIV", ",".join(meta.get("erase_given", [])), "physical columns the erasure was given"),
                ("ERASECAT", ",".join(meta.get("erase_categorical", [])), "erased as categories, one per value"),
                ("ERASEINT", bool(meta.get("erase_interactions", False)), "also erased times the given physics"),
            ]
            columns = [
                Column("plateifu", "", "MaNGA PLATE-IFU"),
                Column("h", "", f"representation h ({h.shape[1]}-d encoder output before the projection head; not z)"),
            ]
            data = {"plateifu": plateifu, "h": h}
            hdus.append(table_hdu(replica_hdu_name(name, meta["seed"]), columns, data, cards))
    header = primary_header(config, {}, seeds, "the representation h of every galaxy under every SimCLR replica")
    write_fits(out, header, hdus)
    log.info("representations: %d replica HDUs", len(hdus))
