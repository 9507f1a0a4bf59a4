"""A training run's folder: the files a run writes there, and how ``--overwrite`` replaces them
without losing the old run.

``--overwrite`` moves the old run's files into a hidden ``.replaced-*`` folder inside the run's
folder (``set_aside``) and removes it once the new run has written its first checkpoint. A stop
before that (Ctrl-C, SIGTERM, an error) puts the old files back (``put_back``); a process killed
outright leaves the hidden folder, which the next command tidies (``recover``).
"""

import contextlib
import os
import sys
import tempfile

OUTPUTS = ("checkpoint.npz", "model.npz", "metrics.json", "history.json", "curves.png")


OWNER = ".owner"  # in a folder set_aside made: the process id of the run that made it


def set_aside(out):
    """Move the outputs of the run in ``out`` into a new hidden folder there; its path, or None."""
    names = [name for name in OUTPUTS if os.path.lexists(os.path.join(out, name))]
    if not names:
        return None
    aside = tempfile.mkdtemp(prefix=".replaced-", dir=out)
    with open(os.path.join(aside, OWNER), "x") as f:
        f.write(str(os.getpid()))
    for name in names:
        os.replace(os.path.join(out, name), os.path.join(aside, name))
    return aside


def _owner(aside):
    """The process id that set_aside wrote in ``aside``; None where it is not such a folder
    (a link, a user's own folder of that name, an unreadable mark)."""
    if os.path.islink(aside) or not os.path.isdir(aside):
        return None
    try:
        with open(os.path.join(aside, OWNER)) as f:
            return int(f.read(20))
    except (OSError, ValueError):
        return None


def _running(pid):
    """Whether process ``pid`` still runs (another command may be mid-run in this folder)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it runs, as another user's
        return True
    return True


def recover(out):
    """Tidy what an --overwrite killed outright (SIGKILL, a power cut) left in ``out``.

    Such a run had moved the old run into a hidden ``.replaced-*`` folder there, marked with
    its process id; only such folders are touched, and none whose run still goes on. Without
    a checkpoint of its own the run had not finished an epoch, and the old run comes back, as
    a Ctrl-C would have brought it back; with one, it had replaced the old run, which goes.
    """
    if not os.path.isdir(out):
        return
    asides = []
    for name in os.listdir(out):
        path = os.path.join(out, name)
        pid = _owner(path) if name.startswith(".replaced-") else None
        if pid is not None and not _running(pid):
            asides.append(path)
    if not asides:
        return
    asides.sort(key=os.path.getmtime)
    if os.path.lexists(os.path.join(out, "checkpoint.npz")):
        for aside in asides:
            remove_aside(aside)
        return
    *older, newest = asides
    for aside in older:
        remove_aside(aside)
    put_back(out, newest)
    print(
        f"{out}/: an --overwrite run was stopped before its first epoch ended; the run it was "
        "replacing is back in place",
        file=sys.stderr,
    )


def remove_aside(aside):
    """Remove a folder set_aside made: its run files and its mark, nothing else."""
    for name in (*OUTPUTS, OWNER):
        path = os.path.join(aside, name)
        if os.path.islink(path) or os.path.isfile(path):
            os.remove(path)
    with contextlib.suppress(OSError):  # not empty: something else is in it, and stays
        os.rmdir(aside)


def put_back(out, aside):
    """Undo set_aside: the old outputs return over what the new run wrote.

    checkpoint.npz goes last: until it is back, ``recover`` still sees a run stopped before
    its first epoch and finishes putting the rest back.
    """
    for name in sorted(OUTPUTS, key=lambda name: name == "checkpoint.npz"):
        source, target = os.path.join(aside, name), os.path.join(out, name)
        if not os.path.lexists(source):
            continue
        if os.path.isdir(target) and not os.path.islink(target):
            continue  # a folder made there since: it stays, and so does the file, in aside
        os.replace(source, target)
    remove_aside(aside)
