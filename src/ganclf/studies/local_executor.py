"""The local executor (the default): a study's shared GANs and cells side by side in worker processes of this
machine, each worker training with cpus_per_cell torch threads (default one), as many workers as fit the CPUs
this process was given.

- Standard library only: a `concurrent.futures.ProcessPoolExecutor` of 'spawn'ed workers, so no worker inherits
  torch's threads or locks from this process. Each worker calls `use_cpus` once: two one-thread cells on 2 cores
  finish 1.2x sooner than one two-thread cell after the other, and one thread per cell is what makes every
  executor give the same numbers for the same cell.
- Units run in OUT itself (workers share this disk), through the same run_gan/run_cell as the other executors.
  Units go in plan order (seed by seed): the first waiting cell that is ready, or the shared GAN of the first
  cell whose GAN has not started; a cell waiting for a running GAN lets the next one go. A study stopped part way
  (a long declared study runs over several sittings) then holds whole seeds, whose pairs can already be read.
- Progress: the 'ganclf.metrics' records of the workers come back through a queue to this process's
  `Progress`, so the heartbeat names the latest epoch as it does for the sequential executor.
- Failures: a unit that raises is reported as its cell's error (a failed GAN fails the cells that need it) and
  the others go on; a worker that dies (killed, out of memory) takes its pool down, so the units it held are
  run again in a new pool, up to `retries` times. Ctrl-C stops the workers; what finished is in OUT, and an
  interrupted GAN or cell resumes from its checkpoint when the same command runs again.
"""
import logging
import logging.handlers
import multiprocessing
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..config import ConfigError
from ..runs import METRICS_LOG
from ..threads import cpus_given, use_cpus
from .plan import Cell, StudyConfig, plan
from .run import Progress, count, failure, finished, gan_folder, gans_to_train, run_cell, run_gan


def run_local(cfg: StudyConfig, root, data_dir=None, quiet: bool = False, cpus_per_cell: float | None = None,
              workers: int | None = None, retries: int = 2) -> tuple[list[dict], list[dict]]:
    """Run the study's unfinished units in `workers` processes (default: the CPUs given // cpus_per_cell);
    (rows in plan order, failed cells)."""
    cpus = cpus_per_cell or 1
    workers = workers or max(1, int(cpus_given() // max(cpus, 1)))
    return _Study(cfg, Path(root), data_dir, quiet, cpus, workers, retries).run()


class _Study:
    """One run of the executor: what waits, what runs, and the rows and failures so far."""

    def __init__(self, cfg, root: Path, data_dir, quiet: bool, cpus: float, workers: int, retries: int):
        self.root, self.data_dir, self.cpus, self.workers, self.retries = root, data_dir, cpus, workers, retries
        jobs, self.cells = plan(cfg)
        self.jobs = {job.name: job for job in jobs}
        self.progress = Progress(self.cells, root, quiet)
        self.gans = gans_to_train(self.progress.to_run, root, self.jobs)  # waiting to start, in plan order
        self.waiting = [i for i, cell in enumerate(self.cells) if not finished(root, cell.folder)]
        self.running: dict = {}  # future -> ("gan", name) or ("cell", index in plan order)
        self.gan_errors: dict[str, str] = {}
        self.tries: dict = {}  # unit -> times a broken pool lost it
        self.rows: dict[int, dict] = {}
        self.failed: list[dict] = []

    def run(self) -> tuple[list[dict], list[dict]]:
        self.progress.announce([self.jobs[name] for name in self.gans], self.workers, self.cpus)
        for i, cell in enumerate(self.cells):
            if i not in self.waiting:  # finished already: read back here
                self.rows[i] = run_cell(cell, self.root, self.data_dir)
                self.progress.done(cell, self.rows[i], 0.0)
        metrics = multiprocessing.get_context("spawn").Queue()
        listener = logging.handlers.QueueListener(metrics, self.progress)
        listener.start()
        try:
            while self.gans or self.waiting or self.running:
                self._run_pool(metrics)
        finally:
            listener.stop()
            self.progress.close()
        return [self.rows[i] for i in sorted(self.rows)], self.failed

    def _run_pool(self, metrics) -> None:
        """Run units in one pool until none is left, or until the pool breaks (its lost units wait again)."""
        self.progress.working_on(f"starting {count(self.workers, 'worker process', 'es')}")  # torch loads: seconds
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.cpus, metrics))
        try:
            _check_start(pool)
            while True:
                self._submit(pool)
                if not self.running:
                    break
                self.progress.working_on(self._outstanding())
                done, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    raise BrokenProcessPool
                for future in done:
                    self._collect(future)
        except BrokenProcessPool:  # a worker died: the pool is unusable and its other workers are stopped
            self._requeue_lost()
        except BaseException:  # Ctrl-C, or a bug here: stop the workers; what finished is in OUT already
            _terminate(pool)
            raise
        finally:
            pool.shutdown(cancel_futures=True)

    def _submit(self, pool) -> None:
        """Keep every worker busy, in plan order: the first waiting cell that is ready, or the shared GAN of the
        first waiting cell whose GAN has not started; a cell waiting for a running GAN lets the next one go."""
        while len(self.running) < self.workers:
            unit = next(self._next_units(), None)
            if unit is None:
                return
            kind, key = unit
            if kind == "gan":
                self.gans.remove(key)
                self.running[pool.submit(run_gan, self.jobs[key], self.root, self.data_dir)] = ("gan", key)
            else:
                self.waiting.remove(key)
                self.running[pool.submit(run_cell, self.cells[key], self.root, self.data_dir)] = ("cell", key)

    def _next_units(self):
        for i in list(self.waiting):
            cell = self.cells[i]
            if cell.gan in self.gan_errors:
                self.waiting.remove(i)
                self._fail(i, f"its shared GAN failed ({self.gan_errors[cell.gan]})")
            elif cell.gan in self.gans:
                yield "gan", cell.gan
            elif self._ready(cell):
                yield "cell", i

    def _ready(self, cell: Cell) -> bool:
        """Its shared GAN, if any, has finished (or failed)."""
        return not cell.gan or cell.gan in self.gan_errors or (
            cell.gan not in self.gans and ("gan", cell.gan) not in self.running.values())

    def _collect(self, future) -> None:
        kind, key = self.running.pop(future)
        error = future.exception()
        if kind == "gan":
            if error:
                self.gan_errors[key] = _describe(error)
            else:
                self.progress.gan_done(key)
        elif error:
            self._fail(key, _describe(error))
        else:
            self.rows[key] = future.result()
            self.progress.done(self.cells[key], self.rows[key], self.rows[key]["wall_time_s"])

    def _requeue_lost(self) -> None:
        """The units a broken pool lost run again in the next pool; one lost too often is reported failed."""
        for future, (kind, key) in list(self.running.items()):
            if future.done() and not isinstance(future.exception(), BrokenProcessPool):
                self._collect(future)  # it finished before the pool broke
                continue
            del self.running[future]
            self.tries[kind, key] = self.tries.get((kind, key), 0) + 1
            error = "BrokenProcessPool: its worker process died (killed, or out of memory?)"
            if self.tries[kind, key] > self.retries:
                if kind == "gan":
                    self.gan_errors[key] = error
                else:
                    self._fail(key, error)
            elif kind == "gan":
                self.gans.insert(0, key)
            else:
                self.waiting.append(key)

    def _fail(self, i: int, error: str) -> None:
        self.failed.append(failure(self.cells[i], error))
        self.progress.failed(self.cells[i], error)

    def _outstanding(self) -> str:
        units = [gan_folder(key) if kind == "gan" else self.cells[key].folder.removeprefix("cells/")
                 for kind, key in self.running.values()]
        waiting = len(self.gans) + len(self.waiting)
        return ", ".join(units) + (f" ({count(waiting, 'unit')} waiting)" if waiting else "")


def _start_worker(cpus: float, metrics) -> None:
    """Each worker: its torch threads, its epochs' records sent to the study's progress, and no Ctrl-C of its own
    (the terminal sends it to the whole process group; the study stops its workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    use_cpus(cpus)
    METRICS_LOG.addHandler(logging.handlers.QueueHandler(metrics))


def _check_start(pool: ProcessPoolExecutor) -> None:
    """A worker starts, or the reason it cannot: spawn imports the main script again in every worker, so a script
    that calls study() outside `if __name__ == "__main__":` starts it again there (multiprocessing refuses)."""
    try:
        pool.submit(int).result()
    except BrokenProcessPool:
        raise ConfigError("the local executor's worker processes could not start; a script that runs a study must "
                          "call it under `if __name__ == '__main__':` (Python's multiprocessing runs the script "
                          "again in each worker), or use the sequential executor") from None


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now, mid-unit: an interrupted run keeps its last checkpoint and resumes from it."""
    if hasattr(pool, "terminate_workers"):  # Python 3.14
        pool.terminate_workers()
        return
    for process in list((pool._processes or {}).values()):
        process.terminate()


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"
