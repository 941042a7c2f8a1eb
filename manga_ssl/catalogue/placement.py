"""Place galaxies that were not part of a run in its trained representations.

Each galaxy's Pipe3D cube is preprocessed with the run's own settings (image size and S/N
cut from the catalogue's header; the relative normalisation's scale from the run's tensors,
never from the new galaxies), embedded with every trained replica, and placed: its nearest
galaxies of the run (L2-normalised h, as the clustering sees it) and, in each replica, the
cluster of the division studied whose centroid is nearest (K-means's own assignment rule),
with how many replicas agree. The five input maps come from the Pipe3D cube alone; the DAP
MAPS, FIREFLY and r-band products feed only the training's model-variation augmentation.
A file that cannot be used is listed with its problem; the other galaxies go on.

    manga-ssl-place results/demo new/manga-*.Pipe3D.cube.fits.gz -o placed.fits
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits

from manga_ssl.analysis import clustering
from manga_ssl.analysis.labels import labels_of
from manga_ssl.analysis.neighbours import nearest_among
from manga_ssl.catalogue.run import Run
from manga_ssl.catalogue.vac import Column, package_version, table_hdu, write_fits
from manga_ssl.core.names import Representation
from manga_ssl.preprocessing.maps import CHANNELS, GalaxyRejected, input_maps, normalise
from manga_ssl.survey import formats
from manga_ssl.survey.ifu import fibres_from_ifudesign

log = logging.getLogger(__name__)

_NO_AUGMENTED_VIEWS = (
    "its copies draw on the model-variation maps (DAP, FIREFLY, r band), which placement, "
    "reading the Pipe3D cube alone, does not have"
)
_CUBE_NAME = re.compile(r"manga-(\d+)-(\d+)\.Pipe3D\.cube\.fits(\.gz)?")


def read_galaxy(cube, size: int = 32, sn_min: float = 3.0) -> tuple[str, np.ndarray, np.ndarray]:
    """(plateifu, maps (S, S, 5), valid) of one Pipe3D cube, before normalisation; raises
    GalaxyRejected naming the file. The file name gives the plateifu, whose IFU design gives
    the bundle's footprint, as on the SAS (manga-<plate>-<ifudesign>.Pipe3D.cube.fits.gz)."""
    name = _CUBE_NAME.fullmatch(Path(cube).name)
    if not name:
        raise GalaxyRejected(cube, "not a Pipe3D cube name (manga-<plate>-<ifudesign>.Pipe3D.cube.fits[.gz])")
    try:
        n_fibres = fibres_from_ifudesign(int(name[2]))
        (maps, _, valid), _ = input_maps(formats.read_pipe3d_cube(cube), n_fibres, size, sn_min)
    except formats.SurveyFileError as exc:
        raise GalaxyRejected(exc.path, (f"[{exc.extension}] " if exc.extension else "") + exc.problem) from None
    except (GalaxyRejected, ValueError) as exc:
        raise GalaxyRejected(cube, getattr(exc, "reason", str(exc))) from None
    return f"{name[1]}-{name[2]}", maps, valid


def network_inputs(run: Run, name: str, maps: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The inputs of a representation's encoders: its normalisation (the relative one with the
    run's scale) and its channel set."""
    rep = Representation.parse(name)
    scale = run.relative_scale() if rep.normalisation == "relative" else None
    x, _ = normalise(maps, valid, rep.normalisation, scale)
    return np.ascontiguousarray(x[..., [CHANNELS.index(c) for c in run.channels(name)]])


def replica_clusters(run: Run, name: str, k: int) -> dict[int, pd.Series]:
    """{replica seed: labels by plateifu} of the k-division, first K-means seed, matched to the
    reference replica as the workflow wrote them."""
    labels = pd.read_parquet(run.labels_path(name))
    sub = labels_of(labels, k, kmeans_seed=int(labels.loc[labels["k"] == k, "kmeans_seed"].min()))
    return {int(r): g.set_index(g["plateifu"].astype(str))["label"] for r, g in sub.groupby("replica")}


def place(run: Run, cubes, names=None, n_neighbours=None):
    """Place the galaxies of ``cubes`` in ``names`` (default: every SimCLR representation of
    the run). Returns (placed, replicas, rejected) DataFrames: one row per galaxy and
    representation (consensus cluster and the reference replica's neighbours), one per galaxy,
    representation and replica, and one per file that could not be used."""
    import keras

    from manga_ssl.ssl.erasure import apply_erasure
    from manga_ssl.ssl.model import embed

    size, sn_min = int(run.header["IMSIZE"]), float(run.header["SNMIN"])
    n = int(n_neighbours or run.header["NNEIGH"])
    galaxies, rejected = [], []
    for cube in cubes:
        try:
            galaxies.append((str(cube), *read_galaxy(cube, size, sn_min)))
        except GalaxyRejected as exc:
            log.warning("rejected %s: %s", exc.file, exc.reason)
            rejected.append({"file": exc.file, "reason": exc.reason})
    if names is None:
        names = [r for r in run.representation_names if Representation.parse(r).is_simclr]
        for name in [r for r in names if run.embedding_settings(r)["augmented_views"] > 0]:
            log.warning("%s: not placed (h averaged over augmented copies; %s)", name, _NO_AUGMENTED_VIEWS)
            names.remove(name)
    placed, per_replica = [], []
    if galaxies:
        files, plateifu, maps, valid = (list(v) for v in zip(*galaxies))
        maps, valid = np.stack(maps), np.stack(valid)
        for name in names:
            if not Representation.parse(name).is_simclr:
                raise ValueError(f"{name}: only SimCLR representations have encoders to place galaxies with")
            embedding = run.embedding_settings(name)  # h of the queries as the run's was made
            if embedding["augmented_views"] > 0:
                raise ValueError(
                    f"{name}: h is the mean over {embedding['augmented_views']} augmented copies; {_NO_AUGMENTED_VIEWS}"
                )
            x, k = network_inputs(run, name, maps, valid), run.division_studied(name)
            letters = clustering.lettered(Representation.parse(name).normalisation)
            clusters, seeds = replica_clusters(run, name, k), run.seeds(name)
            found = {}  # seed -> (cluster of nearest centroid, neighbour ids, distances) per galaxy
            for seed in seeds:
                encoder = keras.models.load_model(run.encoder_path(name, seed), compile=False)
                ids, h = run.representation(name, seed)
                points = clustering.prepare(h, "simclr")
                h_queries = embed(encoder, x, **embedding)
                if (erased := run.erasure(name, seed)) is not None:  # the survey's own erasure
                    h_queries = apply_erasure(h_queries, *erased)
                queries = clustering.prepare(h_queries, "simclr")
                idx, dist = nearest_among(queries, points, n)
                centres = clustering.centroids(points, clusters[seed].reindex(ids).to_numpy(np.int64), k)
                found[seed] = (nearest_among(queries, centres, 1)[0][:, 0], ids[idx], dist)
                for g, pifu in enumerate(plateifu):
                    per_replica.append(
                        {
                            "plateifu": pifu,
                            "representation": name,
                            "seed": seed,
                            "k": k,
                            "cluster": clustering.cluster_name(int(found[seed][0][g]), letters),
                            "nn_plateifu": found[seed][1][g],
                            "nn_distance": found[seed][2][g],
                        }
                    )
            # the consensus as the workflow takes it (clustering.agreement_score: ties to the lower label)
            votes = np.stack([found[seed][0] for seed in seeds])
            _, consensus = clustering.agreement_score(votes)
            _, ref_ids, ref_dist = found[run.reference_seeds[name]]
            for g, pifu in enumerate(plateifu):
                cluster, agree = (
                    clustering.cluster_name(int(consensus[g]), letters),
                    int((votes[:, g] == consensus[g]).sum()),
                )
                placed.append(
                    {
                        "plateifu": pifu,
                        "file": files[g],
                        "representation": name,
                        "k": k,
                        "cluster": cluster,
                        "n_agree": agree,
                        "n_replicas": len(seeds),
                        "nn_plateifu": ref_ids[g],
                        "nn_distance": ref_dist[g],
                    }
                )
                log.info("%s in %s: cluster %s (%d of %d replicas)", pifu, name, cluster, agree, len(seeds))
    return (
        pd.DataFrame(placed, columns=list(PLACED_COLUMNS)),
        pd.DataFrame(per_replica, columns=list(REPLICA_COLUMNS)),
        pd.DataFrame(rejected, columns=list(REJECTED_COLUMNS)),
    )


_NN = "nearest galaxies of the run ({}), nearest first"
_NN_D = "Euclidean distances to them in the L2-normalised h, nearest first"
PLACED_COLUMNS = {
    "plateifu": "MaNGA PLATE-IFU of the placed galaxy (from its file name)",
    "file": "the Pipe3D cube read",
    "representation": "the run's representation it is placed in",
    "k": "the division studied (the run's divisions.json)",
    "cluster": "the cluster most replicas place it in, named as in the paper",
    "n_agree": "replicas that place it in that cluster",
    "n_replicas": "replicas of the representation",
    "nn_plateifu": _NN.format("reference replica"),
    "nn_distance": _NN_D,
}
REPLICA_COLUMNS = {
    "plateifu": PLACED_COLUMNS["plateifu"],
    "representation": PLACED_COLUMNS["representation"],
    "seed": "the replica (training seed)",
    "k": PLACED_COLUMNS["k"],
    "cluster": "the cluster of nearest centroid in this replica, named as in the paper",
    "nn_plateifu": _NN.format("this replica"),
    "nn_distance": _NN_D,
}
REJECTED_COLUMNS = {"file": "a file that could not be used", "reason": "why"}


def _hdu(extname, frame: pd.DataFrame, described: dict) -> fits.BinTableHDU:
    data = {
        c: np.stack(frame[c].to_numpy()) if len(frame) and c.startswith("nn_") else frame[c].to_numpy()
        for c in described
    }
    if not len(frame):  # an empty table still has typed columns
        data = {c: np.zeros(0, dtype=np.float32 if c == "nn_distance" else str) for c in described}
    return table_hdu(extname, [Column(c, "", d) for c, d in described.items()], data)


def write_placement(path, run: Run, placed, replicas, rejected) -> None:
    """HDUs PLACED, REPLICAS and REJECTED, with the run's provenance in the primary header."""
    header = fits.Header()
    for key, value, comment in (
        ("ORIGIN", "manga-ssl", "software that wrote this file"),
        ("PKGVERS", package_version(), "manga-ssl package version"),
        ("FILECONT", "new galaxies placed in a run's representations", ""),
        ("RUNNAME", run.name, "the run"),
        ("CATALOG", run.fits_path.name, "the run's catalogue"),
        ("CFGDIGST", run.header["CFGDIGST"], ""),
        ("IMSIZE", run.header["IMSIZE"], "side of the input maps (the run's)"),
        ("SNMIN", run.header["SNMIN"], "S/N cut (the run's)"),
    ):
        header[key] = (value, comment)
    write_fits(
        path,
        header,
        [
            _hdu("PLACED", placed, PLACED_COLUMNS),
            _hdu("REPLICAS", replicas, REPLICA_COLUMNS),
            _hdu("REJECTED", rejected, REJECTED_COLUMNS),
        ],
    )


def main(argv=None) -> int:
    """The manga-ssl-place command. Exit status 0 when at least one galaxy was placed."""
    parser = argparse.ArgumentParser(prog="manga-ssl-place", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the run's results folder, results/<run>")
    parser.add_argument("cubes", nargs="+", help="Pipe3D cubes, manga-<plateifu>.Pipe3D.cube.fits[.gz]")
    parser.add_argument("-o", "--output", required=True, help="FITS file to write (HDUs PLACED, REPLICAS, REJECTED)")
    parser.add_argument(
        "-r", "--representation", action="append", help="a SimCLR representation (repeatable; default all)"
    )
    parser.add_argument("-n", "--neighbours", type=int, help="nearest neighbours per galaxy (default: the catalogue's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    run = Run(args.run)
    try:
        placed, replicas, rejected = place(run, args.cubes, args.representation, args.neighbours)
    except ValueError as exc:  # a representation that cannot place galaxies, named with the reason
        print(f"manga-ssl-place: {exc}", file=sys.stderr)
        return 2
    write_placement(args.output, run, placed, replicas, rejected)
    for row in placed.itertuples():
        print(
            f"{row.plateifu}\t{row.representation}\tcluster {row.cluster} ({row.n_agree}/{row.n_replicas} replicas)"
            f"\tnearest {row.nn_plateifu[0]} ({row.nn_distance[0]:.3f})"
        )
    for row in rejected.itertuples():
        print(f"rejected\t{row.file}: {row.reason}")
    return 0 if len(placed) else 1


if __name__ == "__main__":
    sys.exit(main())
