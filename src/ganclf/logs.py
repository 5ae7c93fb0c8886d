"""Where ganclf's messages go. Library code logs through loggers named "ganclf.<part>": ganclf.study (a study's
plan, its line per cell and its heartbeat), ganclf.quality (the feature network's notice); ganclf.metrics carries
every epoch's record to its listeners and never reaches the console (runs.py).

The command line shows INFO and above on stdout as plain lines, WARNING and above with --quiet. The API does the
same when a call is not quiet, unless the application gave the "ganclf" logger a handler of its own; filter with
the loggers' levels, e.g. logging.getLogger("ganclf.study").setLevel(logging.WARNING).
"""
import logging
from contextlib import contextmanager

LOG = logging.getLogger("ganclf")


class Console(logging.Handler):
    """Each message as a line on sys.stdout as it is when the message comes (a notebook's, a redirected one)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), flush=True)
        except Exception:  # noqa: BLE001 (logging's convention: a broken stream must not stop the training)
            self.handleError(record)


def show_by_default() -> None:
    """ganclf's INFO messages on stdout from now on, unless the "ganclf" logger already has a handler."""
    if not LOG.handlers:
        _use(Console(logging.INFO))


@contextmanager
def console(quiet: bool = False):
    """The command line's output while a command runs: ganclf's messages on stdout, INFO and above (WARNING with
    quiet); the logger is left as it was afterwards."""
    handlers, level, propagate = LOG.handlers[:], LOG.level, LOG.propagate
    LOG.handlers = []
    _use(Console(logging.WARNING if quiet else logging.INFO))
    try:
        yield
    finally:
        LOG.handlers, LOG.propagate = handlers, propagate
        LOG.setLevel(level)  # setLevel, not assignment: it clears the loggers' cached levels


def _use(handler: logging.Handler) -> None:
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False  # the root logger's handlers would show every line a second time
