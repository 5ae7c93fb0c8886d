"""Optional TensorBoard scalars mirroring metrics.jsonl: each epoch's line of a run also becomes one scalar per
number, at step = its epoch, in the run's tensorboard/ folder (`tensorboard --logdir OUT`).

Asked for with --tensorboard, run(..., tensorboard=True) or GANCLF_TENSORBOARD=1 (every run the process makes, a
study's cells too). The writer listens to the 'ganclf.metrics' log that Run.log feeds, so every method and every
sub-run (augment's mixes) is covered without touching their code. torch's SummaryWriter is imported only when
asked for: it loads the tensorboard package (pip install 'ganclf[tensorboard]').
"""
import logging
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path

from .config import ConfigError
from .runs import METRICS_LOG

ENVIRONMENT = "GANCLF_TENSORBOARD"
FOLDER = "tensorboard"


def wanted(asked: bool = False) -> bool:
    """Asked for by the caller, or by GANCLF_TENSORBOARD (anything but empty, 0, false or no)."""
    return bool(asked) or os.environ.get(ENVIRONMENT, "").strip().lower() not in ("", "0", "false", "no")


def summary_writer():
    """torch's SummaryWriter class, or a one-line error naming the package to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError("TensorBoard scalars need the tensorboard package: pip install 'ganclf[tensorboard]'") \
            from None
    return SummaryWriter


class Scalars(logging.Handler):
    """One writer per run directory, opened at the run's first epoch line of this process."""

    def __init__(self):
        super().__init__()
        self.writer_class, self.writers = summary_writer(), {}

    def emit(self, record: logging.LogRecord) -> None:
        run, metrics = getattr(record, "run", None), getattr(record, "metrics", {})
        epoch = metrics.get("epoch")
        if run is None or not isinstance(epoch, int):
            return  # not an epoch's line (augment's count of generated images)
        try:
            self._write(run, epoch, metrics)
        except Exception:  # noqa: BLE001 (logging's convention: a failing writer must not stop the training)
            self.handleError(record)

    def _write(self, run: str, epoch: int, metrics: dict) -> None:
        if run not in self.writers:
            # purge_step: a run that starts over (or resumes) hides the events of the epochs it trains again
            self.writers[run] = self.writer_class(str(Path(run) / FOLDER), purge_step=epoch)
        for key, value in metrics.items():
            if key != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writers[run].add_scalar(key, value, epoch)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        super().close()


@contextmanager
def _listening():
    handler = Scalars()
    METRICS_LOG.addHandler(handler)
    try:
        yield
    finally:
        METRICS_LOG.removeHandler(handler)
        handler.close()


def scalars(enabled: bool):
    """A context in which every run's epoch lines are also written as TensorBoard scalars, when enabled."""
    return _listening() if enabled else nullcontext()
