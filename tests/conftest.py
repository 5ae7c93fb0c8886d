import os
import signal
from pathlib import Path

import pytest

# The byte-exact MNIST copy that sits beside the repository (in a folder named mnist); tests never download.
MNIST_DIR = Path(os.environ.get("GANCLF_TEST_MNIST", Path(__file__).resolve().parents[2] / "shared/data/mnist"))


@pytest.fixture(autouse=True)
def offline_data(monkeypatch, tmp_path_factory):
    """Every test finds MNIST locally and has an empty private cache, so nothing is fetched by accident."""
    monkeypatch.setenv("GANCLF_DATA", str(MNIST_DIR.parent))  # a root with one folder per dataset
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


def benchmark_script(name: str):
    """benchmarks/<name>.py as a module (it imports its sibling common.py), for tests of what it writes."""
    import importlib.util
    import sys
    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mnist():
    from ganclf.data import load_dataset
    return load_dataset("mnist", MNIST_DIR, download_missing=False)


@pytest.fixture(autouse=True)
def keep_ctrl_c():
    """The CLI ignores further Ctrl-C once interrupted (so exit handlers finish); a test that interrupts it in this
    process must not leave pytest deaf to Ctrl-C."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def interrupt_in_second_epoch(monkeypatch, module, train) -> None:
    """Run train() with module._train_epoch raising KeyboardInterrupt as its second epoch starts (what Ctrl-C
    does mid-run), then put the epoch back, so the caller can resume and compare."""
    import pytest
    train_epoch = module._train_epoch

    def interrupted(st, *args):
        if st.epoch == 1:
            raise KeyboardInterrupt
        return train_epoch(st, *args)

    monkeypatch.setattr(module, "_train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train()
    monkeypatch.setattr(module, "_train_epoch", train_epoch)


@pytest.fixture(autouse=True, scope="session")
def torch_threads_as_the_command_line_sets_them():
    """The CLI, called in this process by many tests, sets torch's threads to the CPUs given (the affinity mask);
    torch's own default is the physical cores, which can differ (CI): start where the CLI would leave it."""
    from ganclf.threads import use_cpus
    use_cpus()


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """A test that changes torch's thread count must not change the numbers of the tests after it: a run's
    numbers depend on its thread count, and module fixtures compare runs trained in different tests."""
    import torch
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
