"""``python -m minicnn summary``: a model's per-layer shapes, parameters and multiply-adds,
or the classic-net comparison table (``--compare``), or the model names (``--list``)."""

import inspect
import sys

from . import models
from .cli_common import UsageError, check_model
from .memory_fit import check_classes, check_fits
from .summary import summary


def summary_command(args):
    if args.list and args.compare:
        raise UsageError("--list and --compare: give one of them")
    given = [
        text
        for value, text in (
            (args.model, args.model),
            (args.input, f"--input {args.input}"),
            (args.depth, f"--depth {args.depth}"),
            (args.num_classes, f"--num-classes {args.num_classes}"),
        )
        if value is not None
    ]
    if (args.list or args.compare) and given:
        flag, what = ("--list", "the model names") if args.list else ("--compare", "the classic-net table")
        raise UsageError(
            f"{flag} prints {what} and takes no model, --input, --depth or --num-classes "
            f"(got {' '.join(given)}): give {flag} alone, or summarize a model without {flag}"
        )
    if args.list:
        print("\n".join(models.list_models()))
        return 0
    if args.compare:
        from .compare import built_as, compare

        def said(name, i, n):  # the five nets take a while: a line as each is begun
            print(f"summary --compare: {name} ({i} of {n}) ...", file=sys.stderr, flush=True)

        print(compare(progress=said))
        print()
        print("\n".join(built_as()))
        return 0
    if args.model is None:
        raise UsageError("summary needs a model name (or --compare, --list)")
    check_model(args.model)
    if args.input:
        try:
            size = tuple(int(v) for v in args.input.split(","))
        except ValueError:
            raise UsageError(f"--input must look like 3,224,224, got {args.input!r}") from None
        if len(size) != 3 or min(size) < 1:
            raise UsageError(f"--input must be three positive sizes C,H,W, got {args.input!r}")
    else:
        size = models.input_size(args.model)
    kwargs = {}
    if args.num_classes is not None:
        kwargs["num_classes"] = n = args.num_classes
        shipped = inspect.signature(getattr(models, args.model)).parameters["num_classes"].default
        if n > shipped:  # no larger than the model as shipped: nothing to fear
            try:
                check_classes(lambda k: models.get(args.model, num_classes=k), n)
            except MemoryError as err:
                raise UsageError(f"--num-classes {n}: {err}") from None
    model = models.get(args.model, **kwargs)
    given = f"--input {args.input}: " if args.input else ""
    try:
        check_fits(model, size)
        table = summary(model, size, depth=args.depth)
    except (ValueError, MemoryError) as err:  # the model cannot take these images, or not in memory
        native = models.input_size(args.model)
        raise UsageError(f"{given}{err}; {args.model} was designed for images of shape {native}") from None
    print(table)
    return 0
