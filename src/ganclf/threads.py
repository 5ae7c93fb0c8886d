"""How many threads torch trains with: the CPUs this process was given, decided in one place.

Cells side by side (Ray tasks of one CPU each, or several studies) must not each start a thread per core, or they
slow each other down. torch reads OMP_NUM_THREADS or the affinity mask once, when it starts; a Ray worker outlives
its task (the next may have another num_cpus) and GANCLF_THREADS is ganclf's own, so every training process calls
`use_cpus`: the command line with the CPUs this process may run on, a study's cell (whichever the executor) with
its cpus_per_cell, default 1, a Ray task with the CPUs it was scheduled with.
"""
import os
from contextlib import contextmanager

ENVIRONMENT = ("GANCLF_THREADS", "OMP_NUM_THREADS")  # first one set wins


def cpus_given() -> int:
    """GANCLF_THREADS, else OMP_NUM_THREADS, else the cores this process may run on (its affinity mask, which
    a container, taskset or a batch scheduler narrows), else the machine's."""
    for name in ENVIRONMENT:
        value = _positive(os.environ.get(name, ""))
        if value:
            return value
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows: no affinity masks
        return os.cpu_count() or 1


def use_cpus(n: float | None = None) -> int:
    """Set torch's intra-op thread count to n (a Ray task's num_cpus, at least 1) or to cpus_given()."""
    import torch
    threads = max(1, int(n)) if n is not None else cpus_given()
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


@contextmanager
def cpus_for(n: float | None = None):
    """use_cpus(n) for a with-block, then torch's thread count as it was: a study run inside a Python session
    leaves that session's later training as it found it."""
    import torch
    before = torch.get_num_threads()
    try:
        yield use_cpus(n)
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def _positive(text: str) -> int | None:
    """OMP_NUM_THREADS may list one count per nesting level ("4,2"): the first is this process's."""
    try:
        value = int(text.split(",")[0])
    except ValueError:
        return None
    return value if value > 0 else None
