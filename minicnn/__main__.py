"""The command line: ``python -m minicnn {train,eval,summary,convert-weights,bench}``.

    python -m minicnn train lenet5                  # LeNet-5 on the bundled MNIST digits
    mpirun -n 2 python -m minicnn train lenet5 --distributed    # data-parallel, 2 processes
    python -m minicnn eval runs/lenet5-mnist5k/model.npz --data mnist5k
    python -m minicnn summary resnet18 --input 3,224,224
    python -m minicnn summary --compare             # the classic-net comparison table
    python -m minicnn convert-weights resnet18.pth resnet18.npz
    python -m minicnn bench --quick

Bad arguments print one line and exit with status 2.
"""
import argparse
import sys


def _parser():
    p = argparse.ArgumentParser(prog="python -m minicnn", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model and report its test accuracy")
    t.add_argument("model", help="a model name, e.g. lenet5, resnet20 (see `summary --list`)")
    t.add_argument("--data", default="mnist5k",
                   help="mnist5k | digits | shapes | mnist:PATH | fashion-mnist:PATH | cifar10:PATH")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--optimizer", choices=("sgd", "adam"))
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    t.add_argument("--device", default="cpu")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", help="output folder (default runs/MODEL-DATA)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.npz")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    t.add_argument("--distributed", action="store_true",
                   help="data-parallel over the ranks of mpirun: mpirun -n 2 python -m minicnn "
                        "train lenet5 --distributed (each rank trains on half of each batch)")

    e = sub.add_parser("eval", help="evaluate saved weights on a dataset's test split")
    e.add_argument("weights")
    e.add_argument("--data", default="mnist5k")
    e.add_argument("--model", help="model name (read from metrics.json beside the weights if absent)")
    e.add_argument("--device", default="cpu")

    s = sub.add_parser("summary", help="per-layer shapes, parameters and multiply-adds")
    s.add_argument("model", nargs="?")
    s.add_argument("--input", help="C,H,W (default: the model's native size)")
    s.add_argument("--depth", type=int)
    s.add_argument("--num-classes", type=int)
    s.add_argument("--compare", action="store_true", help="the classic-net comparison table")
    s.add_argument("--list", action="store_true", help="list the models")

    c = sub.add_parser("convert-weights", help="torchvision weights (.pth/.safetensors) -> .npz")
    c.add_argument("src")
    c.add_argument("dst")

    sub.add_parser("bench", help="the benchmark (see python -m minicnn.bench --help)", add_help=False)
    return p


def native_input_size(name):
    """The input each model was designed for (C, H, W)."""
    if name == "lenet1989":
        return (1, 16, 16)
    if name.startswith("lenet"):
        return (1, 28, 28)
    if name == "alexnet":
        return (3, 227, 227)
    if name.endswith("_cifar") or name in ("alexnet_small", "nin") or (
            name.startswith("resnet") and int(name[6:]) % 6 == 2):
        return (3, 32, 32)
    return (3, 224, 224)


def summary_command(args):
    from . import models
    from .cli_train import UsageError
    from .summary import summary
    if args.list:
        print("\n".join(models.list_models()))
        return 0
    if args.compare:
        from .compare import compare
        print(compare())
        return 0
    if args.model is None:
        raise UsageError("summary needs a model name (or --compare, --list)")
    if args.model not in models.list_models():
        raise UsageError(f"unknown model {args.model!r}; choose one of {', '.join(models.list_models())}")
    kwargs = {"num_classes": args.num_classes} if args.num_classes else {}
    model = models.get(args.model, **kwargs)
    if args.input:
        try:
            size = tuple(int(v) for v in args.input.split(","))
        except ValueError:
            raise UsageError(f"--input must look like 3,224,224, got {args.input!r}") from None
    else:
        size = native_input_size(args.model)
    try:
        print(summary(model, size, depth=args.depth))
    except ValueError as err:
        raise UsageError(str(err)) from None
    return 0


def convert_command(args):
    import os
    from .cli_train import UsageError
    from .weights import convert_weights
    if not os.path.exists(args.src):
        raise UsageError(f"no such file {args.src!r}")
    convert_weights(args.src, args.dst)
    print(f"wrote {args.dst}")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from .bench.__main__ import main as bench_main
        return bench_main(argv[1:])
    args = _parser().parse_args(argv)
    from .cli_train import UsageError, eval_command, train_command
    commands = {"train": train_command, "eval": eval_command, "summary": summary_command,
                "convert-weights": convert_command}
    try:
        return commands[args.command](args)
    except UsageError as err:
        print(f"python -m minicnn {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
