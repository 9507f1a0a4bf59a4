"""A training run's folder: the files a run writes there, and how ``--overwrite`` replaces them
without losing the old run.

``--overwrite`` moves the old run's files into a hidden ``.replaced-*`` folder inside the run's
folder (``set_aside``) and removes it once the new run has written its first checkpoint. A stop
before that (Ctrl-C, SIGTERM, an error) puts the old files back (``put_back``); a process killed
outright leaves the hidden folder, which the next command tidies (``recover``).
"""

import os
import shutil
import sys
import tempfile

OUTPUTS = ("checkpoint.npz", "model.npz", "metrics.json", "history.json", "curves.png")


def set_aside(out):
    """Move the outputs of the run in ``out`` into a new hidden folder there; its path, or None."""
    names = [name for name in OUTPUTS if os.path.lexists(os.path.join(out, name))]
    if not names:
        return None
    aside = tempfile.mkdtemp(prefix=".replaced-", dir=out)
    for name in names:
        os.replace(os.path.join(out, name), os.path.join(aside, name))
    return aside


def recover(out):
    """Tidy what an --overwrite killed outright (SIGKILL, a power cut) left in ``out``.

    Such a run had moved the old run into a hidden ``.replaced-*`` folder there. Without a
    checkpoint of its own it had not finished an epoch, and the old run comes back, as a
    Ctrl-C would have brought it back; with one, it had replaced the old run, which goes.
    """
    if not os.path.isdir(out):
        return
    asides = sorted(
        (os.path.join(out, name) for name in os.listdir(out) if name.startswith(".replaced-")),
        key=os.path.getmtime,
    )
    if not asides:
        return
    if os.path.lexists(os.path.join(out, "checkpoint.npz")):
        for aside in asides:
            shutil.rmtree(aside, ignore_errors=True)
        return
    *older, newest = asides
    for aside in older:
        shutil.rmtree(aside, ignore_errors=True)
    put_back(out, newest)
    print(
        f"{out}/: an --overwrite run was stopped before its first epoch ended; the run it was "
        "replacing is back in place",
        file=sys.stderr,
    )


def put_back(out, aside):
    """Undo set_aside: what the new run wrote goes, the old outputs return."""
    for name in os.listdir(aside):
        target = os.path.join(out, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target)
        os.replace(os.path.join(aside, name), target)
    os.rmdir(aside)
