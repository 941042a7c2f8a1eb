"""SimCLR training throughput of manga-ssl beside the paper's released code, same machine, same run.

    .venv/bin/python bench/paper_code_speed.py [--batch 1024] [--steps 8] [--threads 2]

The paper's code is written anew here from its published formulation (never copied): the
paper's encoder (convolutions 128-256-512-1024, kernels 5-3-3-3, ELU, 2x2 max pooling, global
average pooling) and head (512-128-64), trained by a ``tf.GradientTape`` step in a
``tf.function`` with Adam, on the NT-Xent loss written as SimCLR's TensorFlow code writes it:
a softmax cross-entropy over [logits_ab, logits_aa] whose diagonal is masked with a large
number. Its inputs are two pre-made batches of views: its augmentations ran in a ``tf.data``
pipeline beside the step, so leaving them out favours it. It runs in float32, as released.

manga-ssl's step is the pipeline's: sampling the batch and augmenting both views on the
device, encoding, NT-Xent, update, one ``keras.Model.fit`` call per step.

The machines here are shared: the speed of a step drifts by a factor of two within a minute.
So every configuration is built in one process and their steps are alternated, paper code,
ours, ours, paper code, ...; the ratio to the paper's code is the median of the step-by-step
ratios, so the drift touches both sides of each. The process's CPU time per step is
reported too: the work a step costs, whatever the machine's drift did to the wall time.
It runs twice: without op determinism
(TensorFlow's default, the paper's code as released) and with it (what the pipeline asks for),
and prints the weights' digest of each configuration after its steps: equal digests with and
without op determinism mean the deterministic kernels changed nothing here.
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


def paper_code_step(batch, seed=0):
    """The paper's training step, ready to run: () -> loss."""
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
    return lambda: float(train_step(view_a, view_b)), lambda: digest(encoder.get_weights())


def ours_step(batch, precision, jit_compile=False, seed=0):
    """manga-ssl's training step as the pipeline runs it (sample, augment both views, encode,
    NT-Xent, update; one ``fit`` call per step): () -> loss."""
    from manga_ssl.ssl.training import TrainingSettings, build_simclr, make_optimizer, step_inputs

    settings = TrainingSettings(
        conv_filters=PAPER_WIDTHS,
        kernel_sizes=PAPER_KERNELS,
        projection_head=PAPER_HEAD,
        batch_size=batch,
        warmup_epochs=0,
        precision=precision,
    )
    model = build_simclr(synthetic(batch, seed=seed), settings, seed)
    model.compile(optimizer=make_optimizer(settings, 1), jit_compile=jit_compile)
    inputs = step_inputs(1)

    def step():
        return float(model.fit(**inputs, epochs=1, shuffle=False, verbose=0).history["loss"][-1])

    return step, lambda: digest(model.encoder.get_weights())


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
    return steps * batch / (time.perf_counter() - t0)


CONFIGS = {
    "paper-code": "the paper's code (float32; its augmentations not timed)",
    "ours-float32": "manga-ssl, float32",
    "ours-bfloat16": "manga-ssl, bfloat16 (precision auto on a CPU with AVX512_BF16)",
    "ours-bfloat16-xla": "manga-ssl, bfloat16, XLA (jit_compile)",
}


def worker(args):
    """One process: every configuration built, then their steps alternated ``--steps`` times."""
    from manga_ssl.ssl.device import configure_threads, set_determinism

    configure_threads(args.threads)
    if args.inter_op:  # before any op runs
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    if args.op_determinism:
        set_determinism(0)  # as the pipeline does; process-wide
    steps = {}
    for name in args.configs:
        if name == "paper-code":
            steps[name] = paper_code_step(args.batch)
        else:
            precision = "bfloat16" if "bfloat16" in name else "float32"
            steps[name] = ours_step(args.batch, precision, jit_compile=name.endswith("xla"))
        steps[name][0]()  # compile
    times = {name: [] for name in steps}
    cpu_times = {name: [] for name in steps}
    for r in range(args.steps):
        for name, (step, _) in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            times[name].append(time.perf_counter() - t0)
            cpu_times[name].append(time.process_time() - c0)
        print(f"# step {r + 1}: " + ", ".join(f"{n} {args.batch / t[-1]:.0f}" for n, t in times.items()), flush=True)
    out = {name: {"times": times[name], "cpu": cpu_times[name], "weights": steps[name][1]()} for name in steps}
    print(json.dumps({"op_determinism": args.op_determinism, "configs": out}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=8, help="timed steps of each configuration, alternated")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument(
        "--configs", nargs="+", default=["paper-code", "ours-float32", "ours-bfloat16"], choices=CONFIGS
    )
    parser.add_argument("--inter-op", type=int, default=0, help="TensorFlow inter-op threads (0: the pipeline's)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--op-determinism", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    from manga_ssl.ssl.device import BF16_CPU_FLAGS, cpu_flags, cpu_info

    flags = sorted(f for f in cpu_flags() if f.startswith(("avx512", "amx", "avx2", "fma")))
    print(
        f"# {cpu_info().get('model name', platform.machine())}, {args.threads} threads; flags: {' '.join(flags) or '?'}"
    )
    print(f"# bfloat16 arithmetic on this CPU ({'/'.join(BF16_CPU_FLAGS)}): {any(f in flags for f in BF16_CPU_FLAGS)}")
    print(
        f"# batch {args.batch}, paper widths {PAPER_WIDTHS}, head {PAPER_HEAD}, {args.steps} steps of each, alternated"
    )
    from manga_ssl.ssl.device import configure_threads

    configure_threads(args.threads)
    aug = augmentation_rate(args.batch)
    results = {}
    for determinism in (False, True):
        cmd = [sys.executable, __file__, "--worker", "--batch", str(args.batch), "--steps", str(args.steps)]
        cmd += ["--threads", str(args.threads), "--inter-op", str(args.inter_op), "--configs", *args.configs]
        cmd += ["--op-determinism"] if determinism else []
        print(f"# op determinism {'on (the pipeline)' if determinism else 'off (TensorFlow default)'}", flush=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
        lines = []
        for line in proc.stdout:
            print(line.rstrip(), flush=True) if line.startswith("# step") else lines.append(line)
        if proc.wait() or not lines:
            sys.exit(f"the worker failed (op determinism {determinism})")
        results[determinism] = json.loads(lines[-1])
    print(f"\naugmentations alone (both views, batch {args.batch}): {aug:.0f} galaxies/s\n")
    print(
        "| configuration | op determinism | galaxies/s (median step) | range of the steps "
        "| / paper code (median of the step-by-step ratios) | galaxies per CPU-second | / paper code | weights |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for determinism, result in results.items():
        configs = result["configs"]
        base = np.asarray(configs["paper-code"]["times"]) if "paper-code" in configs else None
        base_cpu = np.median(configs["paper-code"]["cpu"]) if "paper-code" in configs else np.nan
        for name, r in configs.items():
            t, cpu = np.asarray(r["times"]), np.median(r["cpu"])
            ratio = f"{np.median(base / t):.2f}" if base is not None else "n/a"
            rates = args.batch / t
            print(
                f"| {CONFIGS[name]} | {'on' if determinism else 'off'} | {args.batch / np.median(t):.1f} | "
                f"{rates.min():.0f}-{rates.max():.0f} | {ratio} | {args.batch / cpu:.1f} | {base_cpu / cpu:.2f} "
                f"| {r['weights']} |"
            )
    same = all(results[False]["configs"][n]["weights"] == results[True]["configs"][n]["weights"] for n in args.configs)
    print(f"\nthe same weights with and without op determinism, every configuration: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
