"""Logging for workflow scripts: everything (including warnings) goes to the rule's log."""

from __future__ import annotations

import logging
import os
import sys


def log_to(path) -> logging.Logger:
    """Send logging, warnings and stderr of this process to ``path``."""
    handle = open(path, "a", buffering=1)
    sys.stderr.flush()
    os.dup2(handle.fileno(), 2)  # C-level output too (TensorFlow, XLA, numba)
    sys.stderr = handle
    logging.basicConfig(
        level=logging.INFO, stream=handle, force=True, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.captureWarnings(True)
    return logging.getLogger("manga_ssl")


def write_config(config: dict, path) -> None:
    """The validated configuration (defaults filled in) as YAML."""
    import yaml

    from manga_ssl.core.files import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(yaml.safe_dump(dict(config), sort_keys=False))


def collect_benchmarks(files, folder, path):
    """The run's ``benchmark:`` files in one table (rule, job, wall time, memory, CPU time).

    ``files`` are the benchmark files of the jobs the run's configuration makes; those
    not written (a job the run does not need) are skipped. Other files in ``folder``, left
    by jobs of an earlier configuration, are not read.
    """
    from pathlib import Path

    import pandas as pd

    from manga_ssl.core.files import write_csv

    folder = Path(folder)
    rows = []
    for tsv in sorted(Path(f) for f in files):
        if not tsv.exists():
            continue
        frame = pd.read_csv(tsv, sep="\t")
        job = tsv.relative_to(folder).with_suffix("")
        # <rule>/<job>.tsv, figures/<rule>.tsv or <rule>[-<wildcards>].tsv under the run's folder
        rule = job.parts[0] if len(job.parts) > 1 and job.parts[0] != "figures" else job.name.split("-")[0]
        for _, r in frame.iterrows():
            rows.append({"job": str(job), "rule": rule, **r.to_dict()})
    table = pd.DataFrame(rows)
    if len(table):
        table = table.drop(columns=["h:m:s"], errors="ignore").sort_values("s", ascending=False)
    write_csv(table, path)
    return table
