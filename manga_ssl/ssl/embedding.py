"""The representation h of every galaxy under a trained encoder (paper Section 4.1), written
as a table; kept apart from the training so that editing one never reruns the other."""

from __future__ import annotations

import logging

from manga_ssl.ssl.device import configure_threads
from manga_ssl.ssl.model import embed
from manga_ssl.ssl.tensors import load_tensors

log = logging.getLogger(__name__)


def embed_and_save(
    encoder_path,
    tensors_path,
    channels,
    output,
    seed: int,
    threads: int = 1,
    dihedral_average: bool = False,
    central_aperture: float = 0.0,
) -> None:
    """The embed_simclr rule: the representation h of every galaxy, as a Parquet table
    (``dihedral_average``, ``central_aperture``: see ``model.embed``)."""
    import keras

    from manga_ssl.ssl.representations import write_representation

    configure_threads(threads)
    tensors = load_tensors(tensors_path, channels)
    encoder = keras.models.load_model(encoder_path, compile=False)
    h = embed(encoder, tensors["maps"], dihedral_average=dihedral_average, central_aperture=central_aperture)
    write_representation(
        output,
        tensors["plateifu"],
        h,
        "h",
        {
            "kind": "simclr",
            "representation": "h (encoder output before the projection head; not z)",
            "normalisation": str(tensors["normalisation"]),
            "channels": [str(c) for c in channels],
            "seed": seed,
            "encoder": str(encoder_path),
            "dihedral_average": bool(dihedral_average),
            "central_aperture": float(central_aperture),
        },
    )
    log.info(
        "h of %d galaxies, %d dimensions%s%s",
        *h.shape,
        ", averaged over rotations and flips" if dihedral_average else "",
        f", through a central aperture of radius {central_aperture:g} pixels" if central_aperture > 0 else "",
    )
