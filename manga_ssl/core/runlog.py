"""Logging for workflow scripts: everything (including warnings) goes to the rule's log."""

from __future__ import annotations

import logging
import os
import sys


def log_to(path) -> logging.Logger:
    """Send logging, warnings and stderr of this process to ``path``.

    A workflow script calls it before importing anything else: TensorFlow writes to stderr
    as it is imported (its C++ lines come before absl's logging is set up, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says), and those lines belong in the rule's log, not on the
    console among Snakemake's."""
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
