"""The run's table of its jobs' benchmarks (manga_ssl.core.benchmarks, the run_summary rule)."""

from pathlib import Path

import pandas as pd

from manga_ssl.core.benchmarks import collect_benchmarks
from manga_ssl.core.code_inputs import modules_used_by

ROOT = Path(__file__).resolve().parents[1]
HEADER = "s\th:m:s\tmax_rss\tcpu_time\n"


def test_table_holds_the_listed_jobs_under_their_rules(tmp_path):
    folder = tmp_path / "benchmarks/run"
    (folder / "train_simclr").mkdir(parents=True)
    files = {
        folder / "normalise_relative.tsv": ("normalise", "3.5\t0:00:03\t100.0\t3.0\n"),
        folder / "train_simclr/relative-all-seed0.tsv": ("train_simclr", "55.25\t0:00:55\t900.0\t104.0\n"),
        # an earlier configuration's replica, not in the run's list
        folder / "train_simclr/relative-all-seed7.tsv": (None, "60.0\t0:01:00\t900.0\t110.0\n"),
    }
    for tsv, (_, row) in files.items():
        tsv.write_text(HEADER + row)
    rules = {str(tsv): rule for tsv, (rule, _) in files.items() if rule}
    rules[str(folder / "kmeans/simclr-relative-all.tsv")] = "kmeans"  # a job not run: skipped

    table = collect_benchmarks(rules, folder, tmp_path / "benchmarks.csv")

    assert table.to_dict("records") == [
        {
            "job": "train_simclr/relative-all-seed0",
            "rule": "train_simclr",
            "s": 55.25,
            "max_rss": 900.0,
            "cpu_time": 104.0,
        },
        {"job": "normalise_relative", "rule": "normalise", "s": 3.5, "max_rss": 100.0, "cpu_time": 3.0},
    ]
    assert pd.read_csv(tmp_path / "benchmarks.csv").equals(table.reset_index(drop=True))


def test_only_the_summary_reruns_when_the_table_changes():
    # a rule's code inputs are the modules its script imports: the table's module is the
    # summary's alone, so a change to it does not rerun the jobs that write the benchmarks
    scripts = sorted((ROOT / "workflow/scripts").glob("*.py"))
    using = {
        s.stem
        for s in scripts
        if str(ROOT / "manga_ssl/core/benchmarks.py") in modules_used_by(str(s), str(ROOT / "manga_ssl"))
    }
    assert len(scripts) >= 40 and using == {"run_summary"}
