"""``python -m minicnn bench``: per-layer and per-model speed, beside the GEMM ceiling and PyTorch.

python -m minicnn bench                          # every layer and model, every tier
python -m minicnn bench --quick                  # a few cases, fewer repeats
python -m minicnn bench --compare torch --threads 2 --out benchmarks/results/ --name my-fair
python -m minicnn bench --layers conv3x3_64 --models resnet20 --kernels numpy,numba
python -m minicnn bench --device cuda --models resnet20 --batch-size 256 --layers none

(``python -m minicnn.bench`` is the same command.) Every option is checked before
any case runs: a bad one is refused in one line, ``python -m minicnn bench:
error: ...``, with exit status 2, and so is an ``--out`` that cannot be written
or that already holds ``<name>.json`` or ``<name>.png`` (``--overwrite``
replaces them). A failure while running is one line with exit status 1;
``--debug`` shows the traceback instead, with the same exit status.
"""

import os
import sys

from .. import backend, interrupts
from ..atomic_write import name_problem
from ..cli_common import (
    OneLineParser,
    UsageError,
    check_device,
    check_out_folder,
    error_said,
    help_texts,
    link_note,
    one_line,
    one_line_warnings,
    positive_int,
    printable,
)
from ..cli_names import did_you_mean
from ..closed_pipe import quiet_when_closed
from ..safepickle import shown
from . import cases, fair, report, runner

PROG = "python -m minicnn bench"
TIERS = backend.KERNEL_TIERS  # the tiers train --kernels takes too
MODES = ["forward", "forward_backward", "train", "infer"]


def _csv(text):
    return [s for s in text.split(",") if s]


def parser(prog=PROG):
    p = OneLineParser(prog=prog, **help_texts(__doc__))
    p.add_argument("--quick", action="store_true", help="few cases and repeats (a smoke run)")
    p.add_argument(
        "--layers", help=f"comma list or 'none'; from {', '.join(c['name'] for c in cases.LAYERS)}"
    )
    p.add_argument("--models", help=f"comma list or 'none'; from {', '.join(cases.MODELS)}")
    p.add_argument("--device", default="auto", help="cpu, cuda, or auto (cpu, and cuda when CuPy sees a GPU)")
    p.add_argument(
        "--dtype",
        default="float32",
        choices=["float32", "float64"],
        help="the arrays' dtype (default float32)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        default=None,
        help="batch of every model (default: each its own)",
    )
    p.add_argument(
        "--batches",
        type=positive_int,
        metavar="N",
        default=cases.BATCHES,
        help=f"different batches a model's step takes in turn (default {cases.BATCHES}; 1 repeats one "
        "batch, which lets the CPU learn data-dependent branches)",
    )
    p.add_argument(
        "--compare",
        choices=["torch", "none"],
        default="none",
        help="time PyTorch on the same cases, each library in a process of its own, "
        "in alternating rounds (needs the compare extra)",
    )
    p.add_argument(
        "--kernels",
        "--tiers",
        dest="tiers",
        default=None,
        help=f"kernel tiers on CPU, a comma list of {', '.join(TIERS)} (default: "
        "reference, numpy, numba, auto as available, without reference under --quick, or auto alone "
        "with --compare; auto is train's default; reference runs only on shrunken cases)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        default=None,
        help="with --compare: threads of both libraries (BLAS, OpenMP, Numba, "
        "torch.set_num_threads; default: every core)",
    )
    p.add_argument(
        "--rounds",
        type=positive_int,
        metavar="N",
        default=None,
        help="with --compare: alternating rounds per pair of processes (default 5, quick 3)",
    )
    p.add_argument(
        "--pairs",
        type=positive_int,
        metavar="N",
        default=None,
        help="with --compare: pairs of fresh processes per case, their rounds pooled (default 4: "
        "an even number, so that each side is started first in half of them; quick 1)",
    )
    p.add_argument(
        "--modes",
        default=None,
        help="with --compare: a comma list of forward,forward_backward (layers) and "
        "train,infer (models); default all",
    )
    p.add_argument(
        "--repeats",
        type=positive_int,
        metavar="N",
        default=None,
        help="timed calls per case (at most), or per round with --compare (default 7, quick 3; "
        "with --compare 5, quick 3)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument(
        "--cuda-graph",
        action="store_true",
        help="on cuda, time minicnn's training steps as replays of a CUDA graph recorded once "
        "(PyTorch's stay eager)",
    )
    p.add_argument("--out", default=None, help="folder for <name>.json and <name>.png")
    p.add_argument("--name", default=None, help="file stem under --out (default: the device list)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace <name>.json and <name>.png already in --out"
    )
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    return p


def _names(arg, known, default, what, flag=None):
    """The names in the comma list ``arg`` (None: ``default``); with ``flag``, a list that
    names none is refused, where without one it times nothing of this kind ('none')."""
    if arg is None:
        return list(default)
    names = [] if arg == "none" else _csv(arg)
    if not names and flag:
        raise UsageError(f"{flag} {arg!r} names no {what}; give a comma list of {', '.join(known)}")
    unknown = [n + did_you_mean(n, known) for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def options(argv, prog=PROG):
    """Command line -> the options dict that runner.run takes, every option checked."""
    return from_args(parser(prog).parse_args(argv))


def from_args(a):
    """Parsed arguments -> the options dict; UsageError (one line) for anything that would fail
    later, before any case runs."""
    layer_names = [c["name"] for c in cases.LAYERS]
    quick = a.quick
    opts = {
        "layers": _names(
            a.layers, layer_names, ["conv3x3_64", "maxpool3x3s2", "relu"] if quick else layer_names, "layers"
        ),
        "models": _names(
            a.models, list(cases.MODELS), cases.QUICK_MODELS if quick else cases.MODELS, "models"
        ),
        "dtype": a.dtype,
        "batch_size": a.batch_size,
        "batches": a.batches,
        "compare": a.compare,
        "warmup": 1,
        "repeats": a.repeats or (3 if quick else 7),
        "budget": 0.5 if quick else 1.5,
        "memory": not a.no_memory and not quick,
    }
    if a.device == "auto":
        opts["devices"] = ["cpu"] + (["cuda"] if backend.cuda_available() else [])
    elif a.device in ("cpu", "cuda"):
        check_device(a.device)
        opts["devices"] = [a.device]
    else:
        raise UsageError(f"--device must be cpu, cuda or auto, got {a.device!r}")
    if a.cuda_graph and "cuda" not in opts["devices"]:
        raise UsageError(f"--cuda-graph records steps on the GPU: add --device cuda (got {a.device})")
    opts["cuda_graph"] = a.cuda_graph
    # auto too: the tier train and eval run by default, next to the tiers it chooses among
    tiers = ["numpy"] + (["numba"] if backend.numba_available() else []) + ["auto"]
    if not quick:
        tiers = ["reference"] + tiers
    if a.compare == "torch":
        tiers = ["auto"]
    opts["tiers"] = _names(a.tiers, TIERS, tiers, "tiers", flag="--kernels")
    opts["modes"] = _names(a.modes, MODES, MODES, "modes", flag="--modes")
    if a.cuda_graph:
        check_graph_models(opts)
    if a.name is not None and (not a.name or os.path.basename(a.name) != a.name):
        raise UsageError(f"--name must be a file name without a folder, got {a.name!r}")
    if a.out is None and (a.name is not None or a.overwrite):
        given = " and ".join(
            f for f, v in (("--name", a.name is not None), ("--overwrite", a.overwrite)) if v
        )
        raise UsageError(f"{given}: for the files written under --out; add --out FOLDER, or leave it out")
    if a.modes is not None and a.compare != "torch":
        raise UsageError("--modes applies to --compare torch; add it, or leave --modes out")
    if not opts["layers"] and not opts["models"] and not opts["memory"]:  # the memory run is ResNet-20's
        raise UsageError("--layers and --models name nothing to time, and no memory run is asked for")
    if a.compare != "torch" and (a.threads or a.rounds or a.pairs):  # without --compare: one process
        flags = (("--threads", a.threads), ("--rounds", a.rounds), ("--pairs", a.pairs))
        given = [f for f, v in flags if v]
        verb = "applies" if len(given) == 1 else "apply"
        raise UsageError(f"{' and '.join(given)} {verb} to --compare torch; add it, or leave them out")
    opts["threads"] = a.threads or os.cpu_count() or 1
    opts["rounds"] = a.rounds or (3 if quick else 5)
    # an even number of pairs: the side started first alternates (fair.compare_case)
    opts["pairs"] = a.pairs or (1 if quick else 4)
    if a.compare == "torch" and a.repeats is None:
        opts["repeats"] = 3 if quick else 5
    opts["out"], opts["name"] = a.out, a.name or "-".join(opts["devices"])
    opts["overwrite"] = a.overwrite
    check_outputs(opts)
    if opts["out"]:  # <name>.png is drawn after every case has run
        from ..run_outputs import check_plotting

        try:
            check_plotting()
        except ValueError as err:
            raise UsageError(str(err)) from None
    # a missing extra is a failure of this machine, not of the arguments: status 1
    if "numba" in opts["tiers"] and not backend.numba_available():
        raise RuntimeError('tier numba needs Numba: pip install -e ".[numba]"')
    if a.compare == "torch" and not fair.torch_installed():
        raise RuntimeError(fair.MISSING_TORCH.removeprefix("minicnn.bench: "))
    check_batch_fits(opts)
    return opts


def check_graph_models(opts):
    """--cuda-graph has training steps to record, and none that draws random numbers on the
    host (a graph would replay one draw): else a UsageError naming them."""
    from . import graph

    trained = [m for m in opts["models"] if "train" in cases.MODELS[m][3]]
    if "train" not in opts["modes"] or not trained:
        raise UsageError("--cuda-graph records training steps: ask for a model's train mode")
    drawing = [m for m in trained if graph.random_layers(cases.MODELS[m][0]())]
    if drawing:
        raise UsageError(
            f"--cuda-graph: {', '.join(drawing)} draw random numbers each step (dropout), which a "
            "graph would replay unchanged; leave them out of --models"
        )


def check_outputs(opts):
    """--out is a folder this process can write into, and holds no result of this --name
    unless --overwrite asks to replace it."""
    out = opts["out"]
    if out is None:
        return
    check_out_folder(out)
    for path in report.paths(out, opts["name"]):
        problem = name_problem(path)
        if problem:
            raise UsageError(
                f"--name {shown(opts['name'], 40)}: the {os.path.splitext(path)[1]} file cannot be made: "
                f"{problem}; choose another --name"
            )
    there = [p for p in report.paths(out, opts["name"]) if os.path.lexists(p)]
    # NOTE: a broken link is replaced itself, as a file is; a folder or a FIFO is not ours to replace
    odd = [p for p in there if os.path.exists(p) and not os.path.isfile(p)]
    if odd:
        raise UsageError(f"--out {out}: {odd[0]} is there and is not a regular file; choose another --name")
    if there and not opts["overwrite"]:
        raise UsageError(
            f"--out {out}: {' and '.join(os.path.basename(p) + link_note(p) for p in there)} already there; "
            "add --overwrite to replace them, or choose another --name"
        )


def check_batch_fits(opts):
    """Refuse a --batch-size whose activations alone would not fit in the memory available
    (memory_fit.check_fits: a floor, a training step needs more), before any case runs."""
    batch = opts["batch_size"]
    if batch is None:
        return
    from ..memory_fit import check_fits

    runs = [(name, device) for name in opts["models"] for device in opts["devices"]]
    if opts["memory"] and "cpu" in opts["devices"]:
        runs.append(("resnet20", "cpu"))  # the peak-memory child runs resnet20 at this batch
    built = {}
    for name, device in runs:
        if name not in built:
            builder, chw, _, _ = cases.MODELS[name]
            built[name] = (builder().to(dtype=opts["dtype"]), chw)
        model, chw = built[name]
        try:
            check_fits(model, chw, batch, device)
        except MemoryError as err:
            raise UsageError(f"--batch-size {batch} is too large for {name} on {device}: {err}") from None


def bench(opts):
    """Run, print the table, write the files; the exit status."""
    result = runner.run(opts)
    print(report.text(result), flush=True)
    if opts["out"]:
        check_outputs(opts)  # NOTE: another run may have written them meanwhile
        try:  # and may still, until the last rename: write refuses to replace them then
            paths = report.write(result, opts["out"], opts["name"], opts["overwrite"])
        except FileExistsError:
            check_outputs(opts)  # names them and says to add --overwrite
            raise
        print("wrote " + ", ".join(printable(p) for p in paths if p))
    rows = result.get("layers", []) + result.get("models", [])
    failed = [r for r in rows if r.get("error")]
    if failed:  # the others are printed and recorded; a script still learns that some are missing
        raise RuntimeError(f"{len(failed)} of {len(rows)} cases failed (their rows above say why)")
    return 0


def main(argv=None, prog=PROG):
    """The command: one line and status 2 for bad arguments, 1 for a failure while running,
    130 for Ctrl-C; the traceback only with --debug."""
    from ..kernels import malloc

    malloc.keep_freed_memory()  # a command's process is minicnn's own (kernels/malloc.py)
    argv = sys.argv[1:] if argv is None else list(argv)
    with quiet_when_closed():  # `| head`: what the reader no longer takes is dropped, the work goes on
        return _main(argv, prog)


def _main(argv, prog):
    try:
        args = parser(prog).parse_args(argv)
    except SystemExit as done:  # --help, or a bad argument (already said in one line)
        return done.code
    from ..kernels.threads import check_environment

    try:  # a thread variable's own error, before every case fails on it
        check_environment()
    except ValueError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    interrupts.command_started()  # from here a Ctrl-C is the command's to report
    fair.end_workers_on_sigterm(prog)
    try:
        if args.debug:  # Python's own warnings, with their file and line
            return bench(from_args(args))
        with one_line_warnings(prog):
            return bench(from_args(args))
    except KeyboardInterrupt:
        code, message = 130, "interrupted"
    except UsageError as err:
        code, message = 2, error_said(args.debug, f"error: {one_line(err)}")
    except Exception as err:  # noqa: BLE001 -- the CLI's boundary: one line, no traceback
        code, message = 1, error_said(args.debug, f"error: {one_line(err)}")
    if message:
        print(f"{prog}: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(prog="python -m minicnn.bench"))
