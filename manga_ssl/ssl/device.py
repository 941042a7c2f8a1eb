"""What the training runs on: the CPU threads a job may use, the devices Keras sees, the
numerical precision of the encoder and the determinism of its kernels (docs/benchmarks.md).

``simclr.precision: auto`` trains the convolutions in bfloat16 (float32 weights, float32 loss)
where the hardware has bfloat16 arithmetic: any GPU that Keras sees, or, under TensorFlow,
a CPU with AVX512_BF16 or AMX (oneDNN uses them); float32 elsewhere, where bfloat16 would be
emulated and slower.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PRECISIONS = ("auto", "float32", "bfloat16")
# Keras dtype policies: "mixed" keeps the weights (and the optimiser) in float32
DTYPE_POLICY = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def configure_threads(threads: int) -> None:
    """Use the cores Snakemake gave the job (TensorFlow otherwise takes them all)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(min(2, int(threads)))
        except RuntimeError:  # already initialised in this process
            pass


def devices() -> str:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return ", ".join(d.device_type + ":" + d.name.split(":")[-1] for d in tf.config.list_logical_devices())
    if keras.backend.backend() == "jax":
        import jax

        return ", ".join(str(d) for d in jax.devices())
    return "?"


def has_accelerator() -> bool:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU"))
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_backend() != "cpu"
    return False


@cache
def cpu_info(cpuinfo: str = "/proc/cpuinfo") -> dict:
    """The fields of the first CPU in /proc/cpuinfo (empty where it is absent)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return {}
    info = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset:
    """The instruction-set flags of the first CPU (empty where /proc/cpuinfo is absent)."""
    return frozenset(cpu_info(cpuinfo).get("flags", "").split())


def cpu_has_bf16(flags=None) -> bool:
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in BF16_CPU_FLAGS)


def onednn_enabled() -> bool | None:
    """Whether TensorFlow runs its oneDNN kernels in this process (None: not TensorFlow, or a
    TensorFlow that does not say). The workflow turns them on for every job
    (``TF_ENABLE_ONEDNN_OPTS``, workflow/rules/common.smk); TensorFlow's own default does only
    on CPUs with VNNI, bfloat16 or AMX instructions."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def resolve_precision(setting: str = "auto") -> str:
    """``simclr.precision`` -> 'float32' or 'bfloat16' on this machine (see the module's doc).

    An explicit 'bfloat16' on a CPU without bfloat16 arithmetic, where oneDNN runs, is an
    error: oneDNN has no bfloat16 convolution there (TensorFlow's fallback kernels emulate
    one, slowly, with ``TF_ENABLE_ONEDNN_OPTS=0``)."""
    if setting not in PRECISIONS:
        raise ValueError(f"unknown simclr.precision '{setting}' (use {', '.join(PRECISIONS)})")
    if setting == "bfloat16" and not has_accelerator() and not cpu_has_bf16() and onednn_enabled():
        raise ValueError(
            f"simclr.precision 'bfloat16' on a CPU without bfloat16 arithmetic "
            f"({cpu_info().get('model name', 'unknown CPU')}: no {' or '.join(BF16_CPU_FLAGS)}): TensorFlow's "
            "oneDNN kernels have no bfloat16 convolution there; use 'auto' or 'float32' (or "
            "TF_ENABLE_ONEDNN_OPTS=0 to emulate bfloat16, slowly)"
        )
    if setting != "auto":
        return setting
    import keras

    if has_accelerator():
        return "bfloat16"
    # on the CPU only TensorFlow's oneDNN kernels are known to use the bfloat16 instructions
    on_cpu = keras.backend.backend() == "tensorflow" and cpu_has_bf16()
    return "bfloat16" if on_cpu else "float32"


def set_determinism(seed: int) -> None:
    """Same seed, same weights: seed every generator, deterministic kernels on TensorFlow
    (needed on GPUs; on the CPU they cost nothing measurable, docs/benchmarks.md)."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
