"""Execute every course notebook in place, keeping its outputs.

    python notebooks/run_all.py                 # full mode: the results the text describes
    python notebooks/run_all.py --fast          # MINICNN_FAST=1: small data, a smoke run
    python notebooks/run_all.py 03 06           # only the notebooks whose names contain these

Each notebook runs in its own kernel (``python3``, from ipykernel) with the
notebooks folder as working directory and the repository root on PYTHONPATH,
so a clone runs without ``pip install``. A failing cell stops that notebook
and is reported; the others still run. The exit status is the number of
notebooks that failed.

The "Your turn" cells run with the reference solutions filled in: each cell
tagged ``exercise-stub`` runs ``from solutions import NAME`` (tests/exercises/solutions.py,
on the kernel's PYTHONPATH) instead of its stub, so the check cells pass and the cells after them run.
A saved notebook keeps the stubs' source, and its "Your turn" cells are
stored without outputs (a "passed" under a stub would mislead a reader).
"""
import argparse
import os
import pathlib
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
SOLUTIONS = ROOT / "tests" / "exercises"  # solutions.py: not part of the installed package


def notebooks(patterns=()):
    """The course notebooks in order, those matching any of ``patterns`` if given."""
    found = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if patterns:
        found = [p for p in found if any(s in p.name for s in patterns)]
    return found


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def fill_in_solutions(nb):
    """Point every exercise stub at its reference solution; returns {cell index: the stub's source}."""
    stubs = {}
    for i, cell in enumerate(nb.cells):
        if "exercise-stub" in _tags(cell):
            stubs[i] = cell.source
            cell.source = f"from solutions import {cell.metadata['exercise']}"
    return stubs


def for_saving(nb, stubs):
    """A copy of the executed notebook with the stubs' source back and no outputs in "Your turn" cells."""
    import copy
    saved = copy.deepcopy(nb)
    for i, source in stubs.items():
        saved.cells[i].source = source
    for cell in saved.cells:
        if "your-turn" in _tags(cell) and cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    return saved


def kernel_manager(sockets):
    """The kernel's manager, talking to it over local sockets in the folder ``sockets`` (zmq's
    ipc transport) where the system has them: over tcp, which any process on the machine can
    reach, ipykernel warns that code and outputs travel unencrypted. Elsewhere (Windows) tcp,
    Jupyter's default."""
    import zmq
    from jupyter_client import KernelManager

    if os.name == "posix" and zmq.has("ipc"):
        # NOTE: an absolute path: the kernel runs in the notebooks folder, this process need not
        return KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
    return KernelManager(kernel_name="python3")


def execute(path, fast, timeout=1800, save=True):
    """Run one notebook top to bottom, the exercises solved; returns the executed NotebookNode."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    stubs = fill_in_solutions(nb)
    env = {"MINICNN_FAST": "1" if fast else "0",
           "PYTHONPATH": os.pathsep.join(
               filter(None, [str(ROOT), str(SOLUTIONS), os.environ.get("PYTHONPATH")]))}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)            # the kernel process inherits this environment
    try:
        with tempfile.TemporaryDirectory(prefix="minicnn-kernel-") as sockets:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    km=kernel_manager(sockets),
                                    resources={"metadata": {"path": str(HERE)}})
            client.execute(cleanup_kc=True)  # a manager given to it, nbclient leaves running else
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if save:
            nbformat.write(for_saving(nb, stubs), path)
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only notebooks whose names contain these")
    parser.add_argument("--fast", action="store_true", help="set MINICNN_FAST=1 (small data)")
    parser.add_argument("--no-save", action="store_true", help="do not write the outputs back")
    args = parser.parse_args(argv)
    failed = 0
    for path in notebooks(args.only):
        began = time.perf_counter()
        try:
            execute(path, args.fast, save=not args.no_save)
            status = "ok"
        except Exception as e:              # report and go on with the next notebook
            failed += 1
            reason = f"{getattr(e, 'ename', type(e).__name__)}: {getattr(e, 'evalue', e)}"
            status = f"FAILED: {reason[:300]}"
        print(f"{path.name:45s} {time.perf_counter() - began:7.1f} s  {status}", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
