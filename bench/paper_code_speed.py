"""SimCLR training throughput of manga-ssl beside the paper's released code, same machine, same run.

    .venv/bin/python bench/paper_code_speed.py [--batch 1024] [--steps 2] [--rounds 2] [--threads 2]

The paper's code is written anew here from its published formulation (never copied): the
paper's encoder (convolutions 128-256-512-1024, kernels 5-3-3-3, ELU, 2x2 max pooling, global
average pooling) and head (512-128-64), trained by a ``tf.GradientTape`` step in a
``tf.function`` with Adam, on the NT-Xent loss written as SimCLR's TensorFlow code writes it:
a softmax cross-entropy over [logits_ab, logits_aa] whose diagonal is masked with a large
number. Its inputs are two pre-made batches of views: its augmentations ran in a ``tf.data``
pipeline beside the step, so leaving them out favours it. It runs in float32 with TensorFlow's
defaults (no op determinism), as released.

manga-ssl's step includes sampling the batch and augmenting both views on the device. Each
configuration trains in its own process (precision and op determinism are process-wide),
one warm-up step (compilation) then ``--steps`` timed steps; the configurations alternate in
``--rounds`` rounds, so a load that comes and goes touches all of them. The weights' digest
after training is printed: the same configuration must give the same digest in every round
(same seed, same weights).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PAPER_WIDTHS, PAPER_KERNELS, PAPER_HEAD = (128, 256, 512, 1024), (5, 3, 3, 3), (512, 128, 64)

# name -> (what it is, settings); "paper-code" is the baseline
CONFIGS = {
    "paper-code": ("the paper's code (float32, TensorFlow defaults, augmentations not timed)", {}),
    "ours-float32-deterministic": (
        "manga-ssl float32 with op determinism (the default before issue 14)",
        {"precision": "float32", "op_determinism": True},
    ),
    "ours-float32": ("manga-ssl float32", {"precision": "float32", "op_determinism": False}),
    "ours-bfloat16-deterministic": (
        "manga-ssl bfloat16 with op determinism",
        {"precision": "bfloat16", "op_determinism": True},
    ),
    "ours-bfloat16": (
        "manga-ssl bfloat16 (precision auto on a CPU with AVX512_BF16)",
        {"precision": "bfloat16", "op_determinism": False},
    ),
    "ours-bfloat16-xla": (
        "manga-ssl bfloat16, XLA (jit_compile)",
        {"precision": "bfloat16", "op_determinism": False, "jit_compile": True},
    ),
}


def digest(weights) -> str:
    return hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in weights)).hexdigest()[:12]


def synthetic(n, size=32, channels=5, seed=0):
    rng = np.random.default_rng(seed)
    maps = rng.random((n, size, size, channels), dtype=np.float32)
    return {
        "plateifu": np.array([f"{i}" for i in range(n)]),
        "channels": np.arange(channels).astype(str),
        "maps": maps,
        "sigma": np.full_like(maps, 0.1),
        "model_variation": maps[::-1].copy(),
    }


# --------------------------------------------------------------------------
# The paper's code, from its published formulation
# --------------------------------------------------------------------------


def paper_code_rate(batch, steps, seed=0):
    import tensorflow as tf
    from tensorflow.keras import layers

    tf.keras.utils.set_random_seed(seed)
    encoder = tf.keras.Sequential([tf.keras.Input((32, 32, 5))])
    for k, (filters, size) in enumerate(zip(PAPER_WIDTHS, PAPER_KERNELS)):
        if k:
            encoder.add(layers.MaxPooling2D(2))
        encoder.add(layers.Conv2D(filters, size, padding="same", activation="elu"))
    encoder.add(layers.GlobalAveragePooling2D())
    head = tf.keras.Sequential([tf.keras.Input((PAPER_WIDTHS[-1],))])
    for k, units in enumerate(PAPER_HEAD):
        head.add(layers.Dense(units, activation=None if k == len(PAPER_HEAD) - 1 else "elu"))
    optimizer = tf.keras.optimizers.Adam(1e-3)
    large_num, temperature = 1e9, 0.5

    def contrastive_loss(z):
        z = tf.math.l2_normalize(z, axis=1)
        a, b = tf.split(z, 2, axis=0)
        n = tf.shape(a)[0]
        labels = tf.one_hot(tf.range(n), 2 * n)
        masks = tf.one_hot(tf.range(n), n)
        logits_aa = tf.matmul(a, a, transpose_b=True) / temperature - masks * large_num
        logits_bb = tf.matmul(b, b, transpose_b=True) / temperature - masks * large_num
        logits_ab = tf.matmul(a, b, transpose_b=True) / temperature
        logits_ba = tf.matmul(b, a, transpose_b=True) / temperature
        loss_a = tf.nn.softmax_cross_entropy_with_logits(labels, tf.concat([logits_ab, logits_aa], 1))
        loss_b = tf.nn.softmax_cross_entropy_with_logits(labels, tf.concat([logits_ba, logits_bb], 1))
        return tf.reduce_mean(loss_a + loss_b) / 2

    variables = encoder.trainable_variables + head.trainable_variables

    @tf.function
    def train_step(view_a, view_b):
        with tf.GradientTape() as tape:
            loss = contrastive_loss(head(encoder(tf.concat([view_a, view_b], 0), training=True), training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    data = synthetic(2 * batch, seed=seed)["maps"]
    view_a, view_b = tf.constant(data[:batch]), tf.constant(data[batch:])
    float(train_step(view_a, view_b))  # compile
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = float(train_step(view_a, view_b))
    rate = steps * batch / (time.perf_counter() - t0)
    return rate, loss, digest(encoder.get_weights())


def ours_rate(batch, steps, settings, seed=0):
    import keras

    from manga_ssl.ssl.training import TrainingSettings, train_simclr

    settings = dict(settings)
    jit = settings.pop("jit_compile", False)
    if not settings.pop("op_determinism"):
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism = lambda: None  # the pipeline always asks for it
    if jit:  # the training compiles through keras.Model.compile; XLA is asked for there
        compile_ = keras.Model.compile
        keras.Model.compile = lambda self, *a, **k: compile_(self, *a, **{**k, "jit_compile": True})
    training = TrainingSettings(
        conv_filters=PAPER_WIDTHS,
        kernel_sizes=PAPER_KERNELS,
        projection_head=PAPER_HEAD,
        batch_size=batch,
        epochs=1 + steps,  # one step per epoch; the first compiles
        warmup_epochs=0,
        **settings,
    )
    encoder, _, history = train_simclr(synthetic(batch, seed=seed), training, seed=seed)
    rate = steps * batch / history["wall_time_s"].iloc[1:].sum()
    return rate, float(history["loss"].iloc[-1]), digest(encoder.get_weights())


def augmentation_rate(batch, steps=5, seed=0):
    """Both views of a batch, alone: the augmentations' share of a training step."""
    import tensorflow as tf

    from manga_ssl.ssl.augmentations import AugmentationSettings, SurveyAugmenter

    data = synthetic(batch, seed=seed)
    aug = SurveyAugmenter(data["maps"], data["sigma"], data["model_variation"], AugmentationSettings(), seed=seed)
    step = tf.function(lambda: aug(aug.sample(batch)))
    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        out = step()
    np.asarray(out[1][0, 0, 0])
    return steps * batch / (time.perf_counter() - t0), float("nan"), ""


def worker(name, batch, steps, threads):
    from manga_ssl.ssl.device import configure_threads

    configure_threads(threads)
    t0 = time.perf_counter()
    if name == "paper-code":
        rate, loss, weights = paper_code_rate(batch, steps)
    elif name == "augmentations":
        rate, loss, weights = augmentation_rate(batch)
    else:
        rate, loss, weights = ours_rate(batch, steps, CONFIGS[name][1])
    total = time.perf_counter() - t0
    print(json.dumps({"config": name, "rate": rate, "loss": loss, "weights": weights, "process_s": total}))


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per configuration and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=[*CONFIGS, "augmentations"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.batch, args.steps, args.threads)

    from manga_ssl.ssl.device import BF16_CPU_FLAGS, cpu_flags

    flags = sorted(f for f in cpu_flags() if f.startswith(("avx512", "amx", "avx2", "fma")))
    print(f"# {cpu_name()}, {args.threads} threads; flags: {' '.join(flags) or '?'}")
    print(f"# bfloat16 arithmetic on this CPU ({'/'.join(BF16_CPU_FLAGS)}): {any(f in flags for f in BF16_CPU_FLAGS)}")
    print(
        f"# batch {args.batch}, paper widths {PAPER_WIDTHS}, head {PAPER_HEAD}, "
        f"{args.steps} timed steps x {args.rounds} rounds"
    )
    runs = {name: [] for name in [*args.configs, "augmentations"]}
    for r in range(args.rounds):
        for name in runs:
            if name == "augmentations" and r:
                continue
            cmd = [sys.executable, __file__, "--worker", name, "--batch", str(args.batch)]
            cmd += ["--steps", str(args.steps), "--threads", str(args.threads)]
            out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
            if out.returncode or not lines:
                sys.exit(f"{name} failed:\n{out.stderr[-3000:]}")
            result = json.loads(lines[-1])
            runs[name].append(result)
            print(
                f"round {r + 1} {name}: {result['rate']:.1f} galaxies/s, loss {result['loss']:.4f}, "
                f"weights {result['weights']}",
                flush=True,
            )
    base = np.median([x["rate"] for x in runs.get("paper-code", [])]) if "paper-code" in runs else float("nan")
    print("\n| configuration | galaxies/s (median of rounds) | rounds | / paper code | same weights every round |")
    print("|---|---|---|---|---|")
    for name, results in runs.items():
        rates = [x["rate"] for x in results]
        what = CONFIGS[name][0] if name in CONFIGS else "augmentations alone (both views, manga-ssl)"
        same = "n/a" if name == "augmentations" else ("yes" if len({x["weights"] for x in results}) == 1 else "NO")
        spread = ", ".join(f"{x:.1f}" for x in rates)
        print(f"| {what} | {np.median(rates):.1f} | {spread} | {np.median(rates) / base:.2f} | {same} |")


if __name__ == "__main__":
    main()
