"""glibc's malloc, told to keep the memory a training step frees for the next one.

A training step allocates its activations and gradients afresh and frees them by its end.
glibc serves a request of M_MMAP_THRESHOLD bytes or more with a mapping of its own, which
free() unmaps, and gives the top of its heap back to the operating system once more than
M_TRIM_THRESHOLD bytes lie free there. Either way the next step takes the same memory back
one page fault per 4 KiB page, each page zeroed by the kernel.

glibc starts the first threshold at 128 KiB and raises it, with the second at twice it, only
when free() unmaps a block larger than it: the thresholds then follow the largest block freed
so far. So whether a net's steps take page faults depends on what the process happened to
free first: LeNet-5's took none while one of its workspaces was regrown once, early on, and
took them again when it no longer was (benchmarks/README.md, "glibc's thresholds").

``keep_freed_memory`` sets both thresholds where glibc's own rule would take them after
freeing a block of its largest mapped size (32 MiB on 64-bit systems), as the environment
variables MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864 would: blocks
under 32 MiB come from the heap, and up to 64 MiB freed at its top stay with the process.
It changes nothing where either variable, or a malloc threshold in GLIBC_TUNABLES, is set
(the user's setting stands), or where the C library is not glibc.

The processes minicnn runs itself call it: the command line (``python -m minicnn``) and the
bench's workers, PyTorch's as well as minicnn's, so that both libraries are timed with the
same allocator settings, as with the same threads. Importing minicnn does not: the
allocator's settings are the process's, as Numba's thread count is. In a notebook or a
script, call it first, or set the two variables.
"""

import ctypes
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # the parameter numbers of glibc's malloc.h
MMAP_THRESHOLD = 32 * 2**20  # glibc's ceiling for it on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # where glibc's own rule puts it beside that
VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
TUNABLES = ("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold")  # in GLIBC_TUNABLES


def glibc() -> bool:
    """Whether this process runs on glibc (os.confstr names it, "glibc 2.36"; elsewhere not)."""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), or no such name
        return False


kept = False  # whether keep_freed_memory set them in this process


def users_setting() -> dict[str, str]:
    """The malloc thresholds this process's environment sets (the variables, or GLIBC_TUNABLES)."""
    found = {name: os.environ[name] for name in VARIABLES if name in os.environ}
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(name in tunables for name in TUNABLES):
        found["GLIBC_TUNABLES"] = tunables
    return found


def keep_freed_memory() -> bool:
    """Set glibc's two thresholds as above; True where both were set."""
    global kept
    if users_setting() or not glibc():
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success; it refuses an mmap threshold over glibc's ceiling only
    kept = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return kept


def describe() -> str:
    """One line for a benchmark record: what this process's malloc does with freed memory."""
    if kept:
        return (
            f"glibc malloc thresholds set (kernels/malloc.py): mmap {MMAP_THRESHOLD >> 20} MiB, "
            f"trim {TRIM_THRESHOLD >> 20} MiB"
        )
    why = users_setting() or ("glibc's defaults" if glibc() else "not glibc")
    return f"malloc thresholds not set by minicnn ({why})"
