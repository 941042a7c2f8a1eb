"""The run's table of its jobs' Snakemake benchmarks (the report's "Run" category).

Its own module, apart from the logging every script imports, so that a change to the
table reruns the summary alone, not every job whose code inputs include the logging.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from manga_ssl.core.files import write_csv


def collect_benchmarks(rules: dict, folder, path) -> pd.DataFrame:
    """The run's ``benchmark:`` files in one table (job, rule, wall time, memory, CPU time),
    slowest first.

    ``rules`` maps the benchmark file of each job the run's configuration makes to the
    rule that writes it; files not written (a job the run does not need) are skipped.
    Other files in ``folder``, left by jobs of an earlier configuration, are not read.
    """
    folder = Path(folder)
    rows = []
    for name, rule in sorted(rules.items()):
        tsv = Path(name)
        if not tsv.exists():
            continue
        frame = pd.read_csv(tsv, sep="\t")
        job = str(tsv.relative_to(folder).with_suffix(""))
        rows += [{"job": job, "rule": rule, **r} for r in frame.to_dict("records")]
    table = pd.DataFrame(rows)
    if len(table):
        table = table.drop(columns=["h:m:s"], errors="ignore").sort_values("s", ascending=False)
    write_csv(table, path)
    return table
