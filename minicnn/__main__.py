"""The command line: ``python -m minicnn {train,eval,summary,convert-weights,bench,check}``.

    python -m minicnn train lenet5                  # LeNet-5 on the bundled MNIST digits
    python -m minicnn train lenet5 --resume         # continue runs/lenet5-mnist5k/checkpoint.npz
    mpirun -n 2 python -m minicnn train lenet5 --distributed    # data-parallel, 2 processes
    python -m minicnn eval runs/lenet5-mnist5k/model.npz --data mnist5k
    python -m minicnn summary resnet18 --input 3,224,224
    python -m minicnn summary --compare             # the classic-net comparison table
    python -m minicnn convert-weights resnet18.pth resnet18.npz
    python -m minicnn bench --quick
    python -m minicnn check col2im mine.py          # grade an exercise

Every error is one line, ``python -m minicnn CMD: error: ...``, with exit
status 2 for bad arguments or data and 1 for a failure while running (a
diverged run, too little memory, a missing extra); ``--debug``, before the
command or after it, shows the traceback instead, with the same exit status.
Ctrl-C exits with 130. Output to a pipe whose reader has gone (``| head``) is
dropped, and the command goes on to its end.
"""

import argparse
import os
import sys

from . import interrupts
from .cli_common import OneLineParser, error_said, help_texts, one_line

PROG = "python -m minicnn"
KERNELS_HELP = (
    "kernel tier (default: %(default)s, the fastest each op has); reference is plain Python "
    "loops, there to check the others on a few images: very slow for training"
)


def _train_parser(t):
    from . import models
    from .cli_common import DATA, KERNELS, fraction, non_negative_int, positive_float, positive_int
    from .cli_names import one_of
    from .run_settings import RECIPES

    def recipe(key):
        lenet, other = RECIPES["lenet"][key], RECIPES["default"][key]
        if lenet == other:
            return f"(default: {lenet})"
        return f"(default: the model's recipe: {lenet} for the LeNets, {other} for the others)"

    t.description = (
        "Train a model, validating each epoch on a share of the training images "
        "held out, and evaluate it once on the test split. With --resume, a flag "
        "left out takes the checkpoint's value."
    )
    t.add_argument("model", help="the model to train; one of the models listed below")
    t.add_argument("--data", help=f"{' | '.join(DATA)} (default: mnist5k)")
    t.add_argument("--epochs", type=positive_int, metavar="N", help=recipe("epochs"))
    t.add_argument("--batch-size", type=positive_int, metavar="N", help=recipe("batch_size"))
    t.add_argument(
        "--lr", type=positive_float, help="peak learning rate of the one-cycle schedule " + recipe("lr")
    )
    t.add_argument("--optimizer", choices=("sgd", "adam"), help=recipe("optimizer"))
    t.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="random translations (crops and flips for colour) (default: on)",
    )
    t.add_argument(
        "--val-fraction",
        type=fraction,
        metavar="F",
        help="share of each class held out of training for the per-epoch validation (default: 0.1)",
    )
    t.add_argument(
        "--seed",
        type=non_negative_int,
        help="seeds the weights, the shuffling and the validation split (default: 0)",
    )
    t.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    t.add_argument("--kernels", type=one_of(KERNELS), choices=KERNELS, default="auto", help=KERNELS_HELP)
    t.add_argument("--out", help="output folder (default: runs/MODEL-DATA)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint.npz")
    t.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    t.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the ranks of mpirun: mpirun -n 2 python -m minicnn "
        "train lenet5 --distributed (each rank trains on half of each batch)",
    )
    t.add_argument(
        "--dist-timeout",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="with --distributed: abort the job when a rank is silent this long "
        "in a collective (default: 300)",
    )
    t.epilog = "models: " + ", ".join(models.list_models())


def _parser():
    from .cli_common import KERNELS
    from .cli_names import one_of

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p = OneLineParser(prog=PROG, **help_texts(__doc__))
    # before the command as after it (a subparser's own default would hide the first, so two names)
    p.add_argument(
        "--debug",
        dest="debug_first",
        action="store_true",
        help="show the traceback of an error (before the command, as here, or after it)",
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    p.commands = sub.choices  # name -> its parser, which names itself in its errors

    _train_parser(sub.add_parser("train", parents=[debug], help="train a model and report its test accuracy"))

    e = sub.add_parser(
        "eval",
        parents=[debug],
        help="evaluate a run's folder or saved weights (model.npz, checkpoint.npz) on a test split",
    )
    e.add_argument(
        "weights",
        help="a run's folder (its model.npz), a model.npz or checkpoint.npz, or weights converted to .npz "
        "by convert-weights (a .pth or .safetensors is refused with the command that converts it)",
    )
    e.add_argument(
        "--data", help="default: the run's data (from the checkpoint, or the metrics.json beside a model.npz)"
    )
    e.add_argument(
        "--model", help="model name (default: from the checkpoint, or the metrics.json beside a model.npz)"
    )
    e.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    e.add_argument("--kernels", type=one_of(KERNELS), choices=KERNELS, default="auto", help=KERNELS_HELP)

    from .cli_common import positive_int

    s = sub.add_parser("summary", parents=[debug], help="per-layer shapes, parameters and multiply-adds")
    s.add_argument("model", nargs="?")
    s.add_argument("--input", help="C,H,W (default: the model's native size)")
    s.add_argument(
        "--depth",
        type=positive_int,
        metavar="N",
        help="list the modules N levels down, and the layers above them (default: every layer)",
    )
    s.add_argument(
        "--num-classes",
        type=positive_int,
        metavar="N",
        help="the classifier's outputs (default: the model's)",
    )
    s.add_argument(
        "--compare",
        action="store_true",
        help="the classic-net comparison table; it builds five nets, ResNet-152 among them, and runs "
        "an image through each, which takes a while (a line on stderr as each is begun)",
    )
    s.add_argument("--list", action="store_true", help="list the models")

    c = sub.add_parser(
        "convert-weights",
        parents=[debug],
        help="weights (.pth/.safetensors/.npz) -> .npz or .safetensors",
    )
    c.add_argument(
        "src",
        help="the weights: a .pth (read without running pickled code), a .safetensors or a weights .npz",
    )
    c.add_argument(
        "dst", help="the .npz or .safetensors to write, with the same (torchvision's) parameter names"
    )
    c.add_argument("--overwrite", action="store_true", help="replace dst if it exists")

    sub.add_parser("bench", help="the benchmark (see python -m minicnn.bench --help)", add_help=False)
    from .cli_check_parser import add_parser as add_check_parser

    add_check_parser(sub, parents=[debug])
    return p


def convert_command(args):
    from .atomic_write import name_problem
    from .cli_common import UsageError, check_input_file, link_note, printable
    from .weights import convert_weights

    def exists():
        return UsageError(f"{args.dst} exists{link_note(args.dst)}; add --overwrite to replace it")

    check_input_file(args.src)
    if os.path.lexists(args.dst):
        # NOTE: lstat, not stat: a link at dst is replaced itself, its target left alone
        if os.path.samestat(os.stat(args.src), os.lstat(args.dst)):
            raise UsageError(f"{args.dst} is the file to convert; write the .npz under another name")
        if os.path.isdir(args.dst):
            raise UsageError(f"{args.dst} is a folder; give the .npz file's name")
        if not args.overwrite:
            raise exists()
    folder = os.path.dirname(os.path.abspath(args.dst))
    if not os.path.isdir(folder):
        raise UsageError(f"{args.dst}: no such folder {folder!r}")
    problem = name_problem(args.dst)
    if problem:  # before the weights are read and converted for nothing
        raise UsageError(f"{args.dst}: cannot be made: {problem}")
    try:
        convert_weights(args.src, args.dst, overwrite=args.overwrite)  # a dst made meanwhile is kept too
    except FileExistsError:
        raise exists() from None
    print(f"wrote {printable(args.dst)}")  # a name from a folder of downloads, say
    return 0


def summary_command(args):
    from .cli_summary import summary_command

    return summary_command(args)


def _train(args):
    from .cli_train import train_command

    return train_command(args)


def _eval(args):
    from .cli_eval import eval_command

    return eval_command(args)


def _check(args):
    from .cli_check import check_command

    return check_command(args)


COMMANDS = {
    "train": _train,
    "eval": _eval,
    "summary": summary_command,
    "convert-weights": convert_command,
    "check": _check,
}

# errors that mean "bad arguments or data" (exit 2); any other is a failure while running (1)
_USAGE = (ValueError, TypeError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def _not_under_mpi(args):
    """One line instead of N identical runs when mpiexec starts the CLI without --distributed."""
    from .distributed.comm import launched_by

    try:
        size, rank = launched_by()
    except ValueError as err:  # the launcher's variables are wrong: no rank to leave the word to
        return str(err), 0
    if size > 1 and args.command != "train":
        return (
            f"started by an MPI launcher as {size} processes: {args.command} runs in one "
            "process; run it without mpiexec"
        ), rank
    if size > 1 and not getattr(args, "distributed", False):
        return (
            f"started by an MPI launcher as {size} processes without --distributed: each "
            "would run the same job into the same folder; add --distributed to train "
            "data-parallel, or run without mpiexec"
        ), rank
    return None, rank


def main(argv=None):
    from .closed_pipe import quiet_when_closed
    from .kernels import malloc

    malloc.keep_freed_memory()  # a command's process is minicnn's own (kernels/malloc.py)
    argv = sys.argv[1:] if argv is None else list(argv)
    with quiet_when_closed():  # `| head`: what the reader no longer takes is dropped, the work goes on
        return _main(argv)


def _main(argv):
    debug = 0
    while argv[debug : debug + 1] == ["--debug"]:  # before the command, as after it
        debug += 1
    if argv[debug : debug + 1] == ["bench"]:  # its own parser, which takes --debug too
        from .bench.__main__ import main as bench_main

        return bench_main(["--debug"] * bool(debug) + argv[debug + 1 :])
    try:
        parser = _parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command's own parser: "python -m minicnn train: error: ..."
            parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as done:  # --help, or a bad argument (already said in one line)
        return done.code
    args.debug = args.debug or args.debug_first
    who = f"{PROG} {args.command}"
    refusal, rank = _not_under_mpi(args)
    if refusal is None:
        from .filecheck import read_limit
        from .kernels.threads import check_environment

        try:  # the variables' own errors, rather than a file or a model blamed for them later
            read_limit()
            check_environment()
            if args.command == "train":  # its curves.png is drawn after the run, too late to say
                from .run_outputs import check_plotting

                check_plotting()
        except ValueError as err:
            refusal = str(err)
    if refusal:
        if rank == 0:
            print(f"{who}: error: {refusal}", file=sys.stderr)
        return 2
    interrupts.command_started()  # from here a Ctrl-C is the command's to report
    if args.debug:  # Python's own warnings, with their file and line
        code, message = _run(args)
    else:
        from .cli_common import one_line_warnings

        with one_line_warnings(who):
            code, message = _run(args)
    joined = False
    if getattr(args, "distributed", False):
        from .distributed import comm

        joined = comm.world_size() > 1
    if message and (rank == 0 or joined):  # before joining, every rank fails alike: one speaks
        print(f"{who}: {message}" if not joined else f"{who} [rank {rank}]: {message}", file=sys.stderr)
    if code and joined:  # the other ranks would wait for this one in a collective
        comm.abort(code)
    return code


def _run(args):
    """(exit status, the line to print or None) of the command."""
    from .cli_common import UsageError
    from .train import Interrupted

    try:
        return COMMANDS[args.command](args), None
    except Interrupted as stop:
        if stop.kept:
            kept = f"the checkpoint of epoch {stop.kept} is kept; resume with --resume"
        elif getattr(stop, "restored", None):  # --overwrite stopped before the new run had a checkpoint
            kept = f"no epoch had finished; {stop.restored}"
        else:
            kept = "no epoch had finished, so there is no checkpoint to resume from"
        if stop.epoch is None:  # every epoch had finished and its checkpoint is written
            then = f"; {stop.unwritten}" if getattr(stop, "unwritten", None) else ""
            return 130, f"interrupted after the last epoch; the checkpoint of epoch {stop.kept} is kept{then}"
        return 130, f"interrupted in epoch {stop.epoch}; {kept}"
    except KeyboardInterrupt:
        return 130, "interrupted"
    except (UsageError,) + _USAGE as err:
        return 2, error_said(args.debug, f"error: {one_line(err)}")
    except Exception as err:  # noqa: BLE001 -- the CLI's boundary: one line, no traceback
        back = f"; {err.restored}" if getattr(err, "restored", None) else ""  # train --overwrite
        return 1, error_said(args.debug, f"error: {one_line(err)}{back}", keep=bool(back))


if __name__ == "__main__":
    sys.exit(main())
