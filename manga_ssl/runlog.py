"""Logging for workflow scripts: everything (including warnings) goes to the rule's log."""

from __future__ import annotations

import logging
import sys


def log_to(path) -> logging.Logger:
    """Send logging, warnings and stderr of this process to ``path``."""
    handle = open(path, "a", buffering=1)
    sys.stderr = handle
    logging.basicConfig(
        level=logging.INFO, stream=handle, force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    return logging.getLogger("manga_ssl")
