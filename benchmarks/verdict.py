"""A declared verdict study end to end, accumulating across sittings: its paired intervals, Holm-adjusted over the
declared family, written with the declaration's git blob hash and commit, configuration and provenance.

    python benchmarks/verdict.py --plan plans/verdict-100-realistic.toml     # run (or continue) the study
    python benchmarks/verdict.py --plan plans/verdict-100-realistic.toml --save-only   # file what has finished

The study runs into benchmarks/runs/<plan>/ (git-ignored). Each finished cell's and shared GAN's small JSON files
(config, split, results) are mirrored, within a minute of its finishing, into benchmarks/results/<plan>/, which is
committed, and restored from there before the study starts, so a later sitting on a fresh clone skips every cell an
earlier one finished. Until every cell has run, the results file covers the finished seeds only (pairs are formed
over the seeds both arms have). Each sitting names its machine with --machine-note; the results file keeps every
sitting's note and counts the cells each CPU model ran (each cell's row names its CPU and threads).
"""
import argparse
import json
import shutil
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from common import DATA_ROOT, RESULTS, RUNS, print_table, write_results

from ganclf.studies import study, summarise, verdicts
from ganclf.studies.declared import load_plan
from ganclf.studies.plan import plan
from ganclf.studies.run import finished, gan_folder

LEDGER_FILES = ("config.json", "split.json", "results.json")


def mirror(source: Path, target: Path, hold: set = frozenset()) -> int:
    """Copy the study's declaration record (study.json) and the ledger files of every finished unit (a folder
    holding results.json) under source to target, except the units in `hold`; returns how many units were new
    there. A shared GAN's split (its whole pool) is left out: a finished GAN is only read back, never retrained."""
    copied = 0
    if (source / "study.json").exists() and not (target / "study.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "study.json", target / "study.json")
    for results in sorted(source.rglob("results.json")):
        unit = results.parent
        sub_run = unit.parent != source and (unit.parent / "results.json").exists()
        if unit == source or sub_run or unit.relative_to(source).as_posix() in hold:
            continue  # the study's own results, a sub-run (augment's mixes) of a finished cell, or held back
        folder = target / unit.relative_to(source)
        for name in LEDGER_FILES:
            if name == "split.json" and unit.relative_to(source).parts[0] == "gans":
                continue
            if (unit / name).exists() and not (folder / name).exists():
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy2(unit / name, folder / name)
                copied += name == "results.json"
    return copied


def gans_in_use(cells: list, root: Path) -> set:
    """The shared GANs that an unfinished cell still needs: filed without their weights, a later sitting could not
    train that cell, so they are filed once all their cells are."""
    return {gan_folder(c.gan) for c in cells if c.gan and not finished(root, c.folder)}


def file_finished(out: Path, ledger: Path, cells: list) -> None:
    filed = mirror(out, ledger, gans_in_use(cells, out))
    if filed:
        print(f"filed {filed} newly finished units in {ledger}", flush=True)


@contextmanager
def filing(out: Path, ledger: Path, cells: list, every_s: float = 60):
    """Files each finished unit in the ledger within a minute of its finishing, while the study runs, so that work
    is in the working tree (to commit, or for a later checkout to recover) even if this sitting is cut off."""
    stop = threading.Event()

    def keep_filing():
        while not stop.wait(every_s):
            try:
                file_finished(out, ledger, cells)
            except OSError as error:  # a full disk, say: the study goes on, and the next pass tries again
                print(f"filing failed, will retry: {error}", flush=True)

    thread = threading.Thread(target=keep_filing, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True, help="a committed study declaration (plans/*.toml)")
    parser.add_argument("--executor", default="local")
    parser.add_argument("--cpus-per-cell", type=float)
    parser.add_argument("--save-only", action="store_true", help="only file the finished cells in the ledger and "
                        "write the intervals they give so far, training nothing")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--machine-note", action="append", default=[],
                        help="the machine of this sitting and whether other jobs shared it (repeatable)")
    args = parser.parse_args()
    name = Path(args.plan).stem
    cfg, declaration = load_plan(args.plan, allow_uncommitted=True)
    cells = plan(cfg)[1]
    out, ledger = RUNS / name, RESULTS / name
    if not args.save_only:
        print(f"restored {mirror(ledger, out)} finished units from {ledger}")
    try:
        if not args.save_only:
            with filing(out, ledger, cells):
                study(out=out, plan=args.plan, data_dir=DATA_ROOT, quiet=args.quiet, executor=args.executor,
                      cpus_per_cell=args.cpus_per_cell)
    finally:  # Ctrl-C included: what finished is filed
        file_finished(out, ledger, cells)
    write_verdict(args, name, ledger, cfg, declaration, cells)


def write_verdict(args, name: str, ledger: Path, cfg, declaration: dict, cells: list) -> None:
    """The intervals the filed cells give (all of them once the study is complete), Holm-adjusted over the declared
    family, in benchmarks/results/<plan>.json."""
    rows = [cell_row(cell, json.loads((ledger / cell.folder / "results.json").read_text())) for cell in cells
            if (ledger / cell.folder / "results.json").exists()]
    if not rows:
        return
    keys = ("dataset", "validation", "labels", "method", "control", "n", "seeds", "mean", "ci_low", "ci_high",
            "verdict", "p_value", "primary", "holm_p", "holm_verdict", "family_size", "labels_used")
    verdict = [{k: v.get(k) for k in keys} for v in verdicts(rows, cfg.pairs(), cfg.primary(), cfg.family_size())]
    print_table(verdict, ["dataset", "method", "control", "n", "mean", "ci_low", "ci_high", "verdict", "holm_verdict"])
    summary = {"command": f"python benchmarks/verdict.py --plan {args.plan}", "declaration": declaration,
               "cells_finished": len(rows), "cells_declared": len(cells), "complete": len(rows) == len(cells),
               "verdict": verdict, "accuracy": summarise(rows), "threads_per_cell": args.cpus_per_cell or 1,
               "cells_per_cpu": dict(Counter(row["cpu"] for row in rows)),
               "pairs_across_cpus": pairs_across_cpus(rows, cfg.primary()),
               "machine_notes": sitting_notes(name, args.machine_note)}
    print("written to", write_results(name.replace("-", "_"), rows, summary))


def pairs_across_cpus(rows: list[dict], pairs: list) -> list[str]:
    """The family's paired seeds whose two arms ran on different CPU models (sittings on different machines): such
    a pair carries the CPUs' rounding differences too (benchmarks/rerun_cells.py measures them)."""
    cpu = {(r["dataset"], r["validation"], r["labels"], r["seed"], r["method"]): r["cpu"] for r in rows}
    across = []
    for (dataset, validation, labels, seed, method), method_cpu in cpu.items():
        for control in (c for m, c in pairs if m == method):
            control_cpu = cpu.get((dataset, validation, labels, seed, control))
            if control_cpu and control_cpu != method_cpu:
                across.append(f"{dataset} seed {seed}: {method} on {method_cpu}, {control} on {control_cpu}")
    return across


def sitting_notes(name: str, new: list[str]) -> list[str]:
    """The machine notes of the sittings so far: those an earlier write of this results file kept, and new ones."""
    path = RESULTS / f"{name.replace('-', '_')}.json"
    summary = json.loads(path.read_text())["summary"] if path.exists() else {}
    notes = summary.get("machine_notes") or [n for n in [summary.get("machine_note")] if n]
    return notes + [note for note in new if note not in notes]


def cell_row(cell, results: dict) -> dict:
    return {"dataset": cell.dataset, "validation": cell.validation, "method": cell.method, "labels": cell.labels,
            "seed": cell.seed, **{k: results.get(k) for k in ("n_labelled", "n_validation", "labels_used",
                                                               "val_accuracy", "test_accuracy", "wall_time_s",
                                                               "optimizer_steps", "real_images_seen")},
            "cpu": results["provenance"]["cpu"], "threads": results["provenance"]["threads"]}


if __name__ == "__main__":
    main()
