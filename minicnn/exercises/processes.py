"""What ``python -m minicnn check`` does, on Linux, to keep a submission's processes away from the
grader and from outliving it (elsewhere, ``runner.py`` kills the child's process group and no more).

- The grader makes itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``) before it starts the
  child: the kernel then lets no process of the same user open its ``/proc/<pid>/fd`` or
  ``/proc/<pid>/mem``, nor trace it, so the child cannot write into the grader's output or
  memory. Root, or a process with CAP_SYS_PTRACE, still can.
- The grader becomes a subreaper (``PR_SET_CHILD_SUBREAPER``): a process the submission starts
  whose parent ends is handed to the grader rather than to init, so that ``end`` finds it, in a
  session of its own or not, and kills it.
- The child asks for SIGKILL when the grader ends (``PR_SET_PDEATHSIG``), so that a grader killed
  with SIGKILL (``timeout -s KILL``) leaves no child spinning; the processes the child started
  are not covered, and a SIGTERM (``timeout``'s default) lets the grader end them all itself.

prctl is called through ctypes; where there is no prctl (macOS), each of these does nothing.
"""

import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 3, 4
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37


def _prctl():
    """prctl(option, arg) through libc, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc_prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def prctl(option, arg=0):
        # NOTE: the kernel reads unsigned longs: a C int would leave the upper bits to chance
        arg = ctypes.c_ulong(arg) if isinstance(arg, int) else arg  # or a pointer, for a GET
        zero = ctypes.c_ulong(0)
        return libc_prctl(ctypes.c_int(option), arg, zero, zero, zero)

    return prctl


def dumpable():
    """This process's PR_GET_DUMPABLE (1: others of its user may open its /proc files), or None."""
    prctl = _prctl()
    return None if prctl is None else prctl(PR_GET_DUMPABLE)


def guard():
    """Make this process non-dumpable and a subreaper; returns what ``unguard`` puts back, and
    the processes that were this one's children already (which ``end`` leaves alone)."""
    prctl = _prctl()
    before = frozenset(_children_of().get(os.getpid(), ()))
    if prctl is None:
        return None, before
    reaper = ctypes.c_int(0)
    prctl(PR_GET_CHILD_SUBREAPER, ctypes.pointer(reaper))
    was = (prctl(PR_GET_DUMPABLE), reaper.value)
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    return was, before


def unguard(was):
    """Put back what ``guard`` changed (after ``end``: no process of the submission is left)."""
    prctl = _prctl()
    if prctl is not None and was is not None:
        prctl(PR_SET_CHILD_SUBREAPER, was[1])
        prctl(PR_SET_DUMPABLE, was[0])


def die_with_parent(parent):
    """In the child, before anything of the submission's runs: SIGKILL when the grader ends; and
    if it has ended already (before this was asked for), end now."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:
        os._exit(1)


def descendants(pid, tree=None):
    """Every process below ``pid``, children first (Linux's /proc; elsewhere, none). ``tree``:
    ``_children_of()``, where the caller has read it already."""
    tree = _children_of() if tree is None else tree
    found, stack = [], [pid]
    while stack:
        for child in tree.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


def end(before, seconds=2.0):
    """SIGKILL, and reap, every child of this process not in ``before`` (the submission's, handed
    here as their parents ended), with everything below them; again until none is left, as a
    process that forks as it dies hands its children here too.

    NOTE: this process starts no other of its own while a submission runs, so that every new
    child of it is the submission's."""
    me, ends = os.getpid(), time.monotonic() + seconds
    while time.monotonic() < ends:
        tree = _children_of()
        strays = [pid for pid in tree.get(me, ()) if pid not in before]
        if not strays:
            return
        for pid in strays + [p for s in strays for p in descendants(s, tree)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.01)


def _children_of():
    """{parent pid: [its children's pids]} of every process in /proc, or {} where there is none."""
    tree: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return tree
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            parent = int(stat.rsplit(b")", 1)[1].split()[1])  # the name, in (), may hold anything
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        tree.setdefault(parent, []).append(int(entry))
    return tree
