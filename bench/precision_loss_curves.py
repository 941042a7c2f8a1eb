"""The demo's SimCLR replicas trained in float32 and in bfloat16: loss curves, their spread
between seeds, time per replica and whether each precision is deterministic (docs/benchmarks.md).

    .venv/bin/python bench/precision_loss_curves.py --run results/demo --config config/demo.yaml \
        --out docs/figures/precision-loss-curves.png

Trains the config's ``simclr`` settings on the run's relative-norm tensors (all five maps),
each seed in each precision, in one process per replica (precision and threads are
process-wide), and each replica of the first seed twice to check that the same seed gives the
same weights. Prints a Markdown table and draws the mean curve of each precision with the
band of its seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from paper_code_speed import digest  # bench/ is the script's folder


def replica(tensors, channels, simclr, precision, seed, threads):
    from manga_ssl.ssl.device import configure_threads

    configure_threads(threads)
    from manga_ssl.ssl.tensors import load_tensors
    from manga_ssl.ssl.training import TrainingSettings, train_simclr

    settings = TrainingSettings.from_config({**simclr, "precision": precision, "probe_every": 0})
    encoder, _, history = train_simclr(load_tensors(tensors, channels), settings, seed)
    print(
        json.dumps(
            {
                "loss": history["loss"].tolist(),
                "time_s": float(history["wall_time_s"].sum()),
                "w": digest(encoder.get_weights()),
            }
        )
    )


def plot(curves, seeds, out):
    """Left: the mean curve of each precision and the band of its seeds; right: bfloat16 minus
    float32 for each seed, beside the standard deviation between seeds."""
    from manga_ssl.figures.style import pyplot

    plt = pyplot()
    fig, (ax, diff) = plt.subplots(1, 2, figsize=(7.6, 2.8))
    epochs = np.arange(1, curves["float32"].shape[1] + 1)
    for p, colour, style in (("bfloat16", "C3", "-"), ("float32", "C0", "--")):
        c = curves[p]
        ax.fill_between(epochs, c.min(0), c.max(0), color=colour, alpha=0.2, lw=0)
        ax.plot(epochs, c.mean(0), style, color=colour, lw=1.4, label=f"{p}: mean, band over {len(seeds)} seeds")
    ax.set_xlabel("epoch")
    ax.set_ylabel("NT-Xent loss (eq. 1)")
    ax.legend(frameon=False, fontsize="small")
    sd = curves["float32"].std(0, ddof=1)
    diff.fill_between(epochs, -sd, sd, color="0.8", lw=0, label="± std between seeds (float32)")
    for k, seed in enumerate(seeds):
        diff.plot(epochs, curves["bfloat16"][k] - curves["float32"][k], lw=1.2, label=f"seed {seed}")
    diff.axhline(0, color="k", lw=0.6)
    diff.set_xlabel("epoch")
    diff.set_ylabel("loss, bfloat16 - float32")
    diff.legend(frameon=False, fontsize="small", ncols=2)
    fig.suptitle("demo (relative norm, 1000 galaxies): float32 vs bfloat16 training", fontsize="medium")
    fig.tight_layout()
    fig.savefig(out, dpi=150)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="results/demo")
    ap.add_argument("--config", default="config/demo.yaml")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", default="docs/figures/precision-loss-curves.png")
    ap.add_argument("--replot", action="store_true", help="redraw the figure from the JSON beside --out")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # precision seed channels-json
    args = ap.parse_args()

    config = yaml.safe_load(Path(args.config).read_text())
    simclr = {k: v for k, v in config["simclr"].items() if k not in ("variants", "methods", "seeds")}
    variant = {"normalisation": "relative", "channels": "all"}
    tensors = Path(args.run) / "tensors" / "relative.npz"
    with np.load(tensors) as npz:
        channels = [str(c) for c in npz["channels"]]
    if args.worker:
        precision, seed, _ = args.worker
        return replica(tensors, channels, simclr, precision, int(seed), args.threads)

    seeds = config["simclr"]["seeds"]
    if args.replot:
        frame = pd.read_json(Path(args.out).with_suffix(".json"), orient="records")
        first = frame[frame["repeat"] == 0]
        curves = {p: np.array(g.sort_values("seed")["loss"].tolist()) for p, g in first.groupby("precision")}
        return plot(curves, seeds, args.out)
    runs = []
    for seed in seeds:
        for precision in ("float32", "bfloat16"):
            for repeat in range(2 if seed == seeds[0] else 1):
                cmd = [sys.executable, __file__, "--run", args.run, "--config", args.config]
                cmd += ["--threads", str(args.threads), "--worker", precision, str(seed), "-"]
                out = subprocess.run(
                    cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
                )
                lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
                if out.returncode or not lines:
                    sys.exit(f"{precision} seed {seed} failed:\n{out.stderr[-3000:]}")
                result = json.loads(lines[-1])
                runs.append({"precision": precision, "seed": seed, "repeat": repeat, **result})
                print(
                    f"{precision} seed {seed}: final loss {result['loss'][-1]:.4f}, {result['time_s']:.1f} s, "
                    f"weights {result['w']}",
                    flush=True,
                )
    frame = pd.DataFrame(runs)
    first = frame[frame["repeat"] == 0]
    curves = {p: np.array(g.sort_values("seed")["loss"].tolist()) for p, g in first.groupby("precision")}
    gap = np.abs(curves["bfloat16"].mean(0) - curves["float32"].mean(0))
    spread = np.maximum(curves["bfloat16"].std(0, ddof=1), curves["float32"].std(0, ddof=1))
    print(
        f"\n{variant['normalisation']}/{variant['channels']}, {len(seeds)} seeds, {simclr['epochs']} epochs, "
        f"widths {simclr['conv_filters']}, batch {simclr['batch_size']}"
    )
    print("\n| precision | final loss per seed | time per replica (s, median) | same seed, same weights |")
    print("|---|---|---|---|")
    for p, g in frame.groupby("precision"):
        finals = ", ".join(f"{x[-1]:.3f}" for x in g[g["repeat"] == 0].sort_values("seed")["loss"])
        same = g[g["seed"] == seeds[0]]["w"].nunique() == 1
        print(f"| {p} | {finals} | {g['time_s'].median():.1f} | {'yes' if same else 'NO'} |")
    inside = float(np.mean(gap <= spread))
    print(
        f"\nmean curves: largest gap {gap.max():.4f} (epoch {gap.argmax() + 1}); largest spread between seeds "
        f"{spread.max():.4f}; gap within the spread at {100 * inside:.0f}% of the epochs; final-epoch gap "
        f"{gap[-1]:.4f} vs spread {spread[-1]:.4f}"
    )

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    frame.to_json(Path(args.out).with_suffix(".json"), orient="records")
    plot(curves, seeds, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
