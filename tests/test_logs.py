"""ganclf's messages go through named loggers; the command line shows them as plain lines on stdout."""
import logging

import pytest

from ganclf import logs
from ganclf.runs import Run
from ganclf.studies import Cell
from ganclf.studies.run import Progress


@pytest.fixture
def fresh():
    """The 'ganclf' logger as an application finds it (no handlers, propagating) for the test, as it was
    afterwards (a loud study earlier in this process showed itself by default)."""
    handlers, level, propagate = logs.LOG.handlers[:], logs.LOG.level, logs.LOG.propagate
    logs.LOG.handlers, logs.LOG.propagate = [], True
    yield logs.LOG
    logs.LOG.handlers, logs.LOG.propagate = handlers, propagate
    logs.LOG.setLevel(level)


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_the_console_shows_info_lines_plainly_warnings_when_quiet_and_never_epochs(fresh, tmp_path, capsys):
    study = logging.getLogger("ganclf.study")
    with logs.console():
        study.info("[1/2] mnist/cnn/seed0@100: test 0.9000")
        Run(tmp_path / "r", {}, new=True).log({"epoch": 1, "train_loss": 0.5})
    assert capsys.readouterr().out == "[1/2] mnist/cnn/seed0@100: test 0.9000\n"
    with logs.console(quiet=True):
        study.info("hidden")
        study.warning("shown")
    assert capsys.readouterr().out == "shown\n"
    assert fresh.handlers == [] and fresh.propagate  # left as it was


def test_study_progress_is_logged_to_ganclf_study(fresh, tmp_path, capsys):
    listener = Collect()
    fresh.addHandler(listener)  # the application's own handler and level: ganclf adds no console beside it
    fresh.setLevel(logging.INFO)
    progress = Progress([Cell("cnn", "mnist", "100", 0, {})], tmp_path, quiet=False)
    progress.announce([], 1, 2)
    progress.close()
    assert [r.name for r in listener.records] == ["ganclf.study"]
    assert listener.records[0].getMessage().startswith("study: 1 of 1 cells to run")
    assert fresh.handlers == [listener] and capsys.readouterr().out == ""


def test_a_quiet_study_says_nothing_and_a_loud_one_shows_itself_by_default(fresh, tmp_path, capsys):
    Progress([Cell("cnn", "mnist", "100", 0, {})], tmp_path, quiet=True).announce([], 1, 2)
    assert capsys.readouterr().out == "" and fresh.handlers == []
    progress = Progress([Cell("cnn", "mnist", "100", 0, {})], tmp_path, quiet=False)
    progress.announce([], 1, 2)
    progress.close()
    assert capsys.readouterr().out.startswith("study: 1 of 1 cells to run")


def test_time_left_weighs_what_is_left_by_its_typical_time(tmp_path, monkeypatch):
    """One short cell run does not stand for a long one left: what is left counts its typical seconds, at the pace
    kept so far; before anything ran, at the estimate's pace."""
    short, long = Cell("cnn", "mnist", "100", 0, {}), Cell("ssl-gan", "mnist", "100", 0, {})
    typical = {short.folder: 10.0, long.folder: 1000.0}
    monkeypatch.setattr("ganclf.studies.run.typical_seconds", lambda unit: typical[unit.folder])
    progress = Progress([short, long], tmp_path, quiet=True)
    progress.announce([], 2, 1)
    assert progress._left() == pytest.approx(1010 * 1.33 / 2)
    progress.start -= 20  # the short cell took twice its typical time
    progress.done(short, {"test_accuracy": 0.9, "cached": False}, 20.0)
    assert progress._left() == pytest.approx(1000 * 2, rel=0.01)
    progress.close()
