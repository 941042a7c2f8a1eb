"""TensorFlow's oneDNN kernels against its fallback ones, for the demo's replica training on
the CPU (docs/benchmarks.md, "oneDNN on every CPU").

TensorFlow turns oneDNN on by default only on CPUs with AVX512_VNNI, AVX_VNNI, AVX512_BF16 or
AMX (tensorflow/core/util/port.cc, ``DefaultOneDnnPolicy``); on an AVX2-only CPU it trains
with its fallback kernels, which its CPU wheels build without AVX2 or FMA. The workflow sets
``TF_ENABLE_ONEDNN_OPTS=1`` for every job (workflow/rules/common.smk), so oneDNN runs there on
any CPU. On a CPU with more
than AVX2, ``ONEDNN_MAX_CPU_ISA=AVX2`` makes oneDNN use only what an AVX2-only CPU has, which
stands in for one. Each setting trains one replica of the demo's relative five-map variant
(its widths, batch, augmentations; float32, one thread) for ``--epochs`` epochs in its own
process; the settings alternate over ``--rounds`` so that the machine's drift touches each.
The figure is the median epoch time after the first (which builds the graph).

    .venv/bin/python bench/onednn_cpu.py --tensors results/demo/tensors/relative.npz --epochs 4 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "fallback kernels (TensorFlow's default on AVX2-only CPUs)": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "oneDNN limited to AVX2 (an AVX2-only CPU with manga-ssl)": {
        "TF_ENABLE_ONEDNN_OPTS": "1",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
    },
    "oneDNN, all of this CPU": {"TF_ENABLE_ONEDNN_OPTS": "1"},
}

CHILD = """
import json, sys, time
import keras, yaml
from manga_ssl.preprocessing.maps import CHANNELS
from manga_ssl.ssl.device import configure_threads
from manga_ssl.ssl.tensors import load_tensors
from manga_ssl.ssl.training import TrainingSettings, train_simclr

configure_threads(1)
cfg = yaml.safe_load(open(sys.argv[1]))["simclr"]
cfg = {k: v for k, v in cfg.items() if k not in ("methods", "variants", "seeds")}
cfg.update(epochs=int(sys.argv[3]), precision="float32", probe_every=0, warmup_epochs=1)
times = []


class EpochTimes(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        times.append(time.perf_counter() - self.start)


train_simclr(load_tensors(sys.argv[2], list(CHANNELS)), TrainingSettings.from_config(cfg), 0, callbacks=[EpochTimes()])
print(json.dumps(times))
"""


def epoch_times(env: dict, tensors: Path, epochs: int) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "config/demo.yaml"), str(tensors), str(epochs)],
        env={
            **{k: v for k, v in os.environ.items() if k not in ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA")},
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tensors", type=Path, default=ROOT / "results/demo/tensors/relative.npz")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    steady = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, env in SETTINGS.items():
            steady[name] += epoch_times(env, args.tensors, args.epochs)[1:]
    base = np.median(steady[next(iter(SETTINGS))])
    for name, times in steady.items():
        median = np.median(times)
        spread = f"{len(times)} epochs, {min(times):.2f}-{max(times):.2f}"
        print(f"{name}: {median:.2f} s per epoch ({spread}), {base / median:.2f}x")


if __name__ == "__main__":
    main()
