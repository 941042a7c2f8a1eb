"""Two replicas on 2 cores: one after the other with two threads each, or side by side with one
thread each (the demo's `simclr.threads_per_replica: 1` with `--resources gpu=2`;
docs/benchmarks.md). Each replica is the demo's relative five-map variant (its widths, batch,
augmentations and precision: `simclr.precision` as configured), trained in its own process,
without probes; the settings alternate over ``--rounds``, so that the
machine's drift touches both. The figure is the wall time for the pair.

    .venv/bin/python bench/replica_threads.py --run results/demo --epochs 6 --rounds 2
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def replica(run: Path, config: list[str], threads: int, seed: int, epochs: int) -> None:
    """One replica in this process (the child's side), trained as bench/precision_loss_curves.py
    trains its replicas, in the configured precision."""
    import numpy as np
    import yaml
    from precision_loss_curves import replica as train_replica  # bench/ is the script's folder

    simclr = {}
    for path in config:  # later files override earlier ones, as snakemake --configfile does
        simclr.update(yaml.safe_load(Path(path).read_text()).get("simclr", {}))
    simclr["epochs"] = epochs
    tensors = run / "tensors" / "relative.npz"
    with np.load(tensors) as npz:
        channels = [str(c) for c in npz["channels"]]
    train_replica(tensors, channels, simclr, simclr.get("precision", "auto"), seed, threads)


def pair(args, threads: int, side_by_side: bool) -> float:
    def child(seed):
        cmd = [sys.executable, __file__, "--worker", str(threads), str(seed), "--run", str(args.run)]
        cmd += ["--epochs", str(args.epochs), "--config", *args.config]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    start = time.perf_counter()
    if side_by_side:
        children = [child(0), child(1)]
        codes = [c.wait() for c in children]
    else:
        codes = [child(seed).wait() for seed in (0, 1)]
    if any(codes):
        raise SystemExit(f"a replica failed (exit codes {codes})")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, default=ROOT / "results" / "demo")
    configs = [str(ROOT / "config" / name) for name in ("config.yaml", "demo.yaml")]
    ap.add_argument("--config", nargs="+", default=configs)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--worker", nargs=2, type=int, help=argparse.SUPPRESS)  # threads seed
    args = ap.parse_args()
    if args.worker:
        replica(args.run, args.config, *args.worker, args.epochs)
        return
    settings = {"one after the other, 2 threads each": (2, False), "side by side, 1 thread each": (1, True)}
    times = {name: [] for name in settings}
    for r in range(args.rounds):
        for name, (threads, side_by_side) in settings.items():
            times[name].append(pair(args, threads, side_by_side))
            print(f"round {r + 1}: {name}: {times[name][-1]:.1f} s", flush=True)
    print(f"\n| two replicas of {args.epochs} epochs | wall time for the pair, each round |")
    print("|---|---|")
    for name, values in times.items():
        print(f"| {name} | {', '.join(f'{v:.1f} s' for v in values)} |")


if __name__ == "__main__":
    main()
