"""``python -m minicnn train``: data by name, a recipe per model, outputs in a folder.

A recipe is the set of defaults that trains a model well on a CPU in little
time; any flag given on the command line overrides it. A tenth of the
training images (``--val-fraction``) is held out for the per-epoch
validation; the test split is evaluated once, at the end.

A folder that holds a run is never written over silently: ``--resume``
continues it from ``checkpoint.npz`` and ``--overwrite`` replaces it; what a resume
may change is run_settings.py's. A run whose data is read from files records them
(data_record.py), and a resume refuses files changed since. A write the file system
refuses, a Ctrl-C and a picture that cannot be drawn each end with a line that says
what is kept and how to go on; the test result is printed before curves.png is drawn.
"""

import errno
import os
import sys

import numpy as np

from . import data, data_record, optim, rng, run_folder
from .atomic_write import NotReplaced, WriteFailed
from .cli_common import (
    UsageError,
    augmentation,
    build_model,
    check_data,
    check_data_spec,
    check_device,
    check_model,
    check_out_folder,
    load_data,
    one_line,
    printable,
    use_kernels,
    validation_split,
)
from .run_outputs import draw_curves, write_outputs
from .run_settings import _flag, _resume_line, resolve_settings
from .train import Interrupted, NonFiniteError, evaluate, fit, read_checkpoint

OUTPUTS = run_folder.OUTPUTS


def _other_runs(out, args):
    """Where a resume might have meant, when --out was left to its default: the model's other
    runs (the default folder is named after --data, which a resume may have left out)."""
    if args.out is not None:
        return ""
    runs = sorted(
        name
        for name in (os.listdir("runs") if os.path.isdir("runs") else [])
        if name.startswith(f"{args.model}-") and os.path.exists(os.path.join("runs", name, "checkpoint.npz"))
    )
    if not runs:
        return ""
    found = ", ".join(f"runs/{name}/" for name in runs)
    return f"; the default --out is named after --data, and {found} holds one"


def _prior_run(out, args):
    """The checkpoint to resume from (None for a new run), after refusing to touch a run
    that neither --resume nor --overwrite names."""
    if args.resume and args.overwrite:
        raise UsageError("--resume continues the run in --out and --overwrite replaces it: give one of them")
    from .distributed.comm import launched_by

    if launched_by()[1] == 0:  # the process that holds the folder (run_folder.held)
        run_folder.recover(out)
    found = [name for name in OUTPUTS if os.path.lexists(os.path.join(out, name))]
    for name in found:
        path = os.path.join(out, name)
        if os.path.isdir(path) and not os.path.islink(path):
            # NOTE: --overwrite would remove it whole, and what the user keeps in it
            raise UsageError(
                f"{path} is a folder, where a run keeps its file {name}: move it away or choose another --out"
            )
    if args.resume:
        path = os.path.join(out, "checkpoint.npz")
        if os.path.islink(path) and not os.path.exists(path):
            raise UsageError(
                f"--resume: {path} is a broken link (to {os.readlink(path)!r}), not a checkpoint"
            )
        if not os.path.exists(path):
            raise UsageError(
                f"--resume: there is no checkpoint.npz in {out}/ to resume from{_other_runs(out, args)}"
            )
        return read_checkpoint(path)
    if found and not args.overwrite:
        raise UsageError(
            f"{out}/ already holds a run ({', '.join(found)}); add --resume to "
            "continue it or --overwrite to replace it"
        )
    return None


def one_cycle(optimizer, lr, epochs, steps_per_epoch, done):
    """OneCycleLR over ``epochs`` epochs, moved on to the end of epoch ``done`` (its closed
    form gives the same rates as stepping there, for any epochs, batch size or lr)."""
    sched = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    if done:
        # moved there without a step of its own: a step() before the optimizer's warns
        sched.last_epoch = done * steps_per_epoch - 1
        sched._update_lr()
    return sched


def make_optimizer(name, params, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    raise UsageError(f"unknown optimizer {name!r}; choose sgd or adam")


def train_command(args):
    check_model(args.model)
    args.device = check_device(args.device)
    use_kernels(args.kernels)
    if args.data is not None:
        check_data_spec(args.data)
    if args.dist_timeout is not None and not args.distributed:
        raise UsageError("--dist-timeout applies to --distributed runs; add --distributed or leave it out")
    if args.out == "":
        raise UsageError("--out: expected a folder, got an empty name")
    out = args.out or os.path.join("runs", f"{args.model}-{(args.data or 'mnist5k').split(':')[0]}")
    out = out.rstrip("/" + os.sep) or out  # "run/", as a shell completes it: every line says "run/"
    check_out_folder(out)
    from .distributed.comm import launched_by

    try:
        if launched_by()[1] != 0:  # one process of a distributed run looks after the folder
            return _train(args, out)
        with run_folder.held(out, UsageError):
            return _train(args, out)
    except NotReplaced as err:  # a file a new run would write was put there while it trained
        checkpoint = os.path.join(out, "checkpoint.npz")
        resumable = err.path != checkpoint and os.path.exists(checkpoint)
        then = "--resume writes the run's other files" if resumable else "train again"
        raise RuntimeError(
            f"{err.path} was made by another program while this run trained; it is kept, not replaced: "
            f"move it away, then {then}"
        ) from None


def _train(args, out):
    checkpoint = _prior_run(out, args)
    s, changes = resolve_settings(args, checkpoint)
    done = int(checkpoint["epoch"]) if checkpoint else 0
    idle = [_flag(k) for k in changes if k != "epochs"]
    if checkpoint and done >= s["epochs"] and idle:  # no epoch is left for them to change
        raise UsageError(
            f"--resume: the run in {out}/ has done all its {s['epochs']} epochs, so {', '.join(idle)} "
            "would change nothing; leave them out (the test split is evaluated again), or raise --epochs"
        )

    if args.distributed:  # said once, by rank 0, before the ranks join and each would say it
        from .distributed.comm import launched_by

        size = launched_by()[0]
        if s["batch_size"] % size:
            raise UsageError(
                f"--distributed: the batch size {s['batch_size']} does not split evenly over {size} "
                f"ranks; use a multiple of {size}"
            )
    rng.manual_seed(s["seed"])
    train_set, test_set = load_data(s["data"], seed=s["seed"])
    check_data(s["data"], train_set, test_set)
    files = _data_files(s["data"], checkpoint, train_set, test_set)
    fit_set, val_set = validation_split(train_set, s["val_fraction"], s["seed"])
    num_classes = int(np.max(train_set.labels)) + 1
    image_shape = train_set.images.shape[1:]
    model = build_model(args.model, num_classes, image_shape, s["batch_size"], args.device)
    train_loader = data.DataLoader(
        fit_set,
        batch_size=s["batch_size"],
        shuffle=True,
        seed=s["seed"],
        transform=augmentation(image_shape) if s["augment"] else None,
    )
    val_loader = data.DataLoader(val_set, batch_size=500) if val_set is not None else None
    lead = True
    if args.distributed:  # each rank: its shard, batch_size / world_size per step
        from . import distributed as dist

        dist.init(timeout=300.0 if args.dist_timeout is None else args.dist_timeout)
        lead = dist.rank() == 0
        try:
            train_loader = dist.shard_loader(train_loader)
        except ValueError as err:
            raise UsageError(f"--distributed: {err}") from None
    optimizer = make_optimizer(s["optimizer"], model.parameters(), s["lr"])
    scheduler = one_cycle(optimizer, s["lr"], s["epochs"], len(train_loader), done)
    resumed = list(checkpoint["meta"].get("resumed", [])) if checkpoint else []
    if checkpoint:
        # this run's hyperparameters (the rebuilt schedule's), the checkpoint's buffers
        for saved, group in zip(checkpoint["optimizer"]["param_groups"], optimizer.param_groups):
            saved.update({k: v for k, v in group.items() if k != "params"})
        checkpoint.pop("scheduler", None)
        resumed.append({"after_epoch": done, "changes": {k: list(v) for k, v in changes.items()}})
        if lead:
            print(_resume_line(out, done, s, changes), file=sys.stderr)
    # --overwrite: the old run steps aside until the new one has a checkpoint, so that a run
    # stopped or failed before its first epoch ends leaves the old one as it was
    aside = run_folder.set_aside(out) if args.overwrite and lead and not checkpoint else None

    def replaced(epoch, row, model):  # after each checkpoint; the first makes the old run go
        nonlocal aside
        if aside is not None:
            # NOTE: forgotten first, so that a stop during the removal puts nothing back
            # beside the new checkpoint
            doomed, aside = aside, None
            run_folder.remove_aside(doomed)

    meta = {"model": args.model, "settings": s, "resumed": resumed}
    if files is not None:
        meta["data_files"] = files
    if lead and args.kernels == "reference":  # else minutes pass before the first epoch's line
        print(
            "--kernels reference: plain Python loops, there to check the other tiers; training with "
            "them is very slow (auto, the default, is the fastest)",
            file=sys.stderr,
            flush=True,
        )
    try:
        # NOTE: a diverging run is reported in one line below, not in NumPy's overflow warnings
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            history = fit(
                model,
                train_loader,
                optimizer,
                s["epochs"],
                val_loader=val_loader,
                scheduler=scheduler,
                scheduler_step="batch",
                device=args.device,
                out=out,
                resume=checkpoint or False,
                overwrite=args.overwrite,  # other ranks may look before rank 0 sets the old run aside
                progress=not args.quiet,
                distributed=args.distributed,
                meta=meta,
                callbacks=(replaced,),
            )
    except BaseException as err:
        if aside is not None and os.path.lexists(os.path.join(out, "checkpoint.npz")):
            # stopped between this run's first checkpoint and the old run's removal: the new stays
            run_folder.remove_aside(aside)
        elif aside is not None:
            err.restored = (
                f"the run that was in {out}/ is back in place, unchanged"
                if run_folder.put_back(out, aside)
                else f"the run that was in {out}/ could not be put back: its files are in {aside}/"
            )
        back = f"; {err.restored}" if getattr(err, "restored", None) else ""
        if isinstance(err, NonFiniteError):
            kept = f"the checkpoint of epoch {err.kept} is kept" if err.kept else "nothing was written"
            raise RuntimeError(f"training diverged at {str(err).rstrip('.')}; {kept}{back}") from err
        if isinstance(err, WriteFailed):  # the file system, not the run: say what is kept, as Ctrl-C does
            fix = _fix(err, out)
            then = (
                f"the checkpoint of epoch {err.kept} is kept; {fix}, then resume with --resume"
                if err.kept
                else f"no epoch had finished, so there is no checkpoint to resume; {fix}, then train again"
            )
            raise RuntimeError(f"{err}; {then}{back}") from err
        raise
    # every epoch is in the checkpoint from here: a resume of it writes what this does not
    then = "--resume writes the test result and the other outputs"
    test_loader = data.DataLoader(test_set, batch_size=500)
    try:
        result = evaluate(model, test_loader, device=args.device, num_classes=num_classes)
        if not lead:  # same weights and result on every rank
            return 0
        write_outputs(out, model, history, result, meta, args)
    except KeyboardInterrupt:
        raise Interrupted(None, s["epochs"], unwritten=then) from None
    except WriteFailed as err:
        raise RuntimeError(
            f"{err}; all {s['epochs']} epochs are in checkpoint.npz; {_fix(err, out)}, then {then}"
        ) from err
    print(f"outputs in {printable(out)}/")
    print(f"test accuracy: {result['accuracy']:.4f}")
    return _curves(out, history, bool(args.resume or args.overwrite), s["epochs"])


def _data_files(spec, checkpoint, train_set, test_set):
    """The files the data was read from (data_record.files_read; None for data made in memory),
    refused where they are not the files the checkpoint's run read."""
    files = data_record.files_read(spec, train_set, test_set)
    before = checkpoint["meta"].get("data_files") if checkpoint else None
    if files is None or before is None:  # a checkpoint recorded before keeps no files
        return files
    problem = data_record.record_problem(before)
    if problem:
        raise UsageError(
            f"--resume: the checkpoint's data_files are damaged ({problem}); start again with --overwrite"
        )
    said = data_record.changes(before, files)
    if said:
        raise UsageError(
            f"--resume: {data_record.changed_line(spec, said)}; put them back as they were, "
            "or start again with --overwrite"
        )
    return files


# what to do about a write the file system refused, by its errno
_FIXES = {
    errno.ENOSPC: "free some space",
    getattr(errno, "EDQUOT", errno.ENOSPC): "free some space",
    errno.EROFS: "make the file system writable",
    errno.EACCES: "let yourself write into {out}/",
    errno.EPERM: "let yourself write into {out}/",
    errno.EFBIG: "raise the limit on a file's size (ulimit -f), or move {out}/ where larger files fit",
}


def _fix(err, out):
    return _FIXES.get(err.errno, "make {out}/ writable").format(out=out)


def _curves(out, history, overwrite, epochs):
    """Draw curves.png once the result is printed: a failure here loses neither the result nor
    the run (status 1, and a line saying how to draw it)."""
    draw = "--resume draws it (and evaluates the test split again)"
    try:
        draw_curves(out, history, overwrite)
    except KeyboardInterrupt:
        raise Interrupted(None, epochs, unwritten=f"every output but curves.png is written; {draw}") from None
    except NotReplaced:
        raise
    except WriteFailed as err:
        raise RuntimeError(
            f"curves.png not drawn: {err}; every other output is written; {_fix(err, out)}, then {draw}"
        ) from err
    except Exception as err:  # noqa: BLE001 -- matplotlib's own failure: the run is whole all the same
        raise RuntimeError(
            f"curves.png not drawn: {one_line(err)}; every other output is written; {draw}"
        ) from err
    return 0
