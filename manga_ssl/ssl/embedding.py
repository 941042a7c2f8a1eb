"""The representation h of every galaxy under a trained encoder (paper Section 4.1), written
as a table; kept apart from the training so that editing one never reruns the other."""

from __future__ import annotations

import logging

from manga_ssl.ssl.augmentations import AugmentationSettings
from manga_ssl.ssl.device import configure_threads
from manga_ssl.ssl.erasure import apply_erasure, erasure, instrument_concept
from manga_ssl.ssl.model import embed
from manga_ssl.ssl.tensors import in_tensor_order, load_tensors

log = logging.getLogger(__name__)


def embed_replicas(
    encoder_paths,
    tensors_path,
    channels,
    outputs,
    seeds,
    threads: int = 1,
    dihedral_average: bool = False,
    central_aperture: float = 0.0,
    augmented_views: int = 0,
    augmentations=None,
    erase_instrument=(),
    erase_given=(),
    erase_categorical=(),
    erase_interactions: bool = False,
    catalogue_path=None,
) -> None:
    """The embed_simclr rule: for each replica of a variant, the representation h of every
    galaxy, as a Parquet table (``dihedral_average``, ``central_aperture``,
    ``augmented_views``: see ``model.embed``; ``augmentations``: the method's
    simclr.augmentations, which the augmented views are drawn with, from each replica's seed).
    The replicas share one job, since loading TensorFlow takes longer than embedding a survey
    of a thousand galaxies.

    Beyond the paper, ``erase_instrument`` (catalogue columns, read from ``catalogue_path``),
    ``erase_given``, ``erase_categorical`` and ``erase_interactions``: each replica's h with
    the instrument erased linearly (:func:`manga_ssl.ssl.erasure.instrument_concept`)."""
    import keras

    from manga_ssl.ssl.representations import write_representation

    if not len(encoder_paths) == len(outputs) == len(seeds):
        raise ValueError(
            f"embed_replicas: {len(encoder_paths)} encoders, {len(outputs)} outputs and "
            f"{len(seeds)} seeds; one of each per replica"
        )
    configure_threads(threads)
    tensors = load_tensors(tensors_path, channels)
    settings = AugmentationSettings.from_config(augmentations or {}) if augmented_views > 0 else None
    concept = None
    if erase_instrument:
        if catalogue_path is None:
            raise ValueError(f"simclr.erase_instrument is {list(erase_instrument)}: h needs the catalogue")
        import pandas as pd

        catalogue = in_tensor_order(pd.read_parquet(catalogue_path), tensors)
        concept = instrument_concept(
            catalogue, erase_instrument, erase_given, str(catalogue_path), erase_categorical, erase_interactions
        )
        log.info(
            "erasing %s%s%s%s from h: %d terms",
            list(erase_instrument),
            f" ({list(erase_categorical)} as categories)" if erase_categorical else "",
            ", and each times each physical column" if erase_interactions else "",
            f" (their residuals given {list(erase_given)})" if erase_given else "",
            concept.shape[1],
        )
    for encoder_path, output, seed in zip(encoder_paths, outputs, seeds):
        encoder = keras.models.load_model(encoder_path, compile=False)
        h = embed(
            encoder,
            tensors["maps"],
            dihedral_average=dihedral_average,
            central_aperture=central_aperture,
            augmented_views=augmented_views,
            augmentations=settings,
            sigma=tensors["sigma"],
            model_variation=tensors["model_variation"],
            seed=seed,
        )
        erased = {}
        if concept is not None:
            try:
                mean, basis = erasure(h, concept)
            except ValueError as err:
                raise ValueError(f"{output} (the encoder {encoder_path}): {err}") from err
            h = apply_erasure(h, mean, basis)
            # kept with h, so that galaxies placed later are erased the same way
            erased = {"erasure": {"mean": mean.tolist(), "basis": basis.tolist()}}
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
                "seed": int(seed),
                "encoder": str(encoder_path),
                "dihedral_average": bool(dihedral_average),
                "central_aperture": float(central_aperture),
                "augmented_views": int(augmented_views),
                "erase_instrument": [str(c) for c in erase_instrument],
                "erase_given": [str(c) for c in erase_given],
                "erase_categorical": [str(c) for c in erase_categorical],
                "erase_interactions": bool(erase_interactions),
                **erased,
            },
        )
        log.info(
            "seed %d: h of %d galaxies, %d dimensions%s%s%s%s",
            seed,
            *h.shape,
            ", averaged over rotations and flips" if dihedral_average else "",
            f", averaged over {augmented_views} augmented copies" if augmented_views > 0 else "",
            f", through a central aperture of radius {central_aperture:g} pixels" if central_aperture > 0 else "",
            ", the instrument erased" if concept is not None else "",
        )
