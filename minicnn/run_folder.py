"""A training run's folder: the files a run writes there, how one command at a time holds it,
and how ``--overwrite`` replaces a run without losing the old one.

A command holds the folder while it runs (``held``: an exclusive lock on the folder), so a
second command into it is refused rather than mixed in. ``--overwrite`` moves the old run's
files into a hidden ``.replaced-*`` folder inside the run's folder (``set_aside``), marked as
minicnn's, and removes it once the new run has written its first checkpoint. A stop before
that (Ctrl-C, SIGTERM, an error) puts the old files back (``put_back``); a process killed
outright leaves the hidden folder, which the next command to hold the folder tidies
(``recover``). Only the run's own file names are moved or removed, each relative to the hidden
folder as it was opened, so a link put in its place is never followed.
"""

import contextlib
import os
import stat
import sys
import tempfile

try:
    import fcntl
except ImportError:  # not on Windows: there a second command is not refused
    fcntl = None  # type: ignore[assignment]

OUTPUTS = ("checkpoint.npz", "model.npz", "metrics.json", "history.json", "curves.png")
MARK = ".owner"  # in a folder set_aside made: the process id of the command that made it

_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


@contextlib.contextmanager
def held(out, error=RuntimeError):
    """The run folder ``out``, made if missing and held by this command until the block ends;
    ``error`` (one line) if another command holds it. Yields whether this command made it,
    and removes it again if it made it and the block leaves it empty."""
    made = not os.path.lexists(out)
    os.makedirs(out, exist_ok=True)
    fd = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))  # --out may be a link to a folder
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise error(
                    f"{out}/: another command is writing a run into this folder; wait for it to end, "
                    "or choose another --out"
                ) from None
            except OSError:  # a file system without locks (NFS mounted nolock): run unguarded
                pass
        try:
            yield made
        finally:
            if made:
                with contextlib.suppress(OSError):  # only an empty folder: nothing of the run is lost
                    os.rmdir(out)
    finally:
        os.close(fd)  # and with it the lock


def set_aside(out):
    """Move the outputs of the run in ``out`` into a new hidden folder there; its path, or None.
    Stopped midway (Ctrl-C), it puts back what it had moved before the stop goes on."""
    names = [name for name in OUTPUTS if os.path.lexists(os.path.join(out, name))]
    if not names:
        return None
    aside = tempfile.mkdtemp(prefix=".replaced-", dir=out)
    try:
        with _opened(aside) as fd:
            mark = os.open(MARK, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=fd)
            with os.fdopen(mark, "w") as f:
                f.write(str(os.getpid()))
            for name in names:
                os.replace(os.path.join(out, name), name, dst_dir_fd=fd)
    except BaseException:  # a Ctrl-C midway: the run goes back whole, not left half aside
        put_back(out, aside)
        raise
    return aside


@contextlib.contextmanager
def _opened(aside):
    """A descriptor of the folder ``aside`` itself, never of what a link there points to."""
    fd = os.open(aside, _DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)


def _is_marked(aside):
    """Whether ``aside`` is a folder set_aside made: a real folder holding a regular mark file
    (not a link, a pipe or a user's own folder of that name)."""
    try:
        with _opened(aside) as fd:
            return stat.S_ISREG(os.stat(MARK, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def recover(out):
    """Tidy what an --overwrite killed outright (SIGKILL, a power cut) left in ``out``.

    Called while this command holds the folder, so no other command is mid-run there, and
    every marked ``.replaced-*`` folder is a dead command's. Without a checkpoint of its own
    that command had not finished an epoch, and the old run comes back, as a Ctrl-C would have
    brought it back; with one, it had replaced the old run, which goes.
    """
    if not os.path.isdir(out):
        return
    asides = [
        os.path.join(out, name)
        for name in os.listdir(out)
        if name.startswith(".replaced-") and _is_marked(os.path.join(out, name))
    ]
    if not asides:
        return
    asides.sort(key=lambda path: os.lstat(path).st_mtime)
    if os.path.lexists(os.path.join(out, "checkpoint.npz")):
        for aside in asides:
            remove_aside(aside)
        return
    *older, newest = asides
    for aside in older:
        remove_aside(aside)
    from .cli_common import printable

    back = put_back(out, newest)
    print(
        f"{printable(out)}/: an --overwrite run was stopped before its first epoch ended; the run it was "
        + (
            "replacing is back in place"
            if back
            else f"replacing could not be put back: see {printable(newest)}/"
        ),
        file=sys.stderr,
    )


def remove_aside(aside):
    """Remove a folder set_aside made: its run files and its mark, nothing else."""
    with contextlib.suppress(OSError), _opened(aside) as fd:  # gone, or a link put there: left
        for name in (*OUTPUTS, MARK):
            with contextlib.suppress(FileNotFoundError):
                if not stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    os.unlink(name, dir_fd=fd)
    with contextlib.suppress(OSError):  # not empty: something else is in it, and stays
        os.rmdir(aside)


def put_back(out, aside):
    """Undo set_aside: the old outputs return over what the new run wrote; False where they
    could not (``aside`` is no longer the folder set_aside made).

    checkpoint.npz goes last: until it is back, ``recover`` still sees a run stopped before
    its first epoch and finishes putting the rest back. A file whose place holds a folder
    made since stays in ``aside``, which then stays too.
    """
    try:
        with _opened(aside) as fd:
            for name in sorted(OUTPUTS, key=lambda name: name == "checkpoint.npz"):
                target = os.path.join(out, name)
                if not _exists(name, fd) or (os.path.isdir(target) and not os.path.islink(target)):
                    continue
                os.replace(name, target, src_dir_fd=fd)
            if os.listdir(fd) == [MARK]:
                os.unlink(MARK, dir_fd=fd)
    except OSError:
        return False
    with contextlib.suppress(OSError):  # not empty: a file kept aside
        os.rmdir(aside)
    return True


def _exists(name, fd):
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
