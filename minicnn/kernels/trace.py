"""Which kernels a block of code ran, on the shapes it ran them on.

``which(name)`` names the function an op calls for a kernel. Under "auto" that
is not always the one that computes: a convolution's fast kernels each take only
the shapes they were written for (their module's ``applies``) and pass any other
call on to the next module, numba_direct -> numba_depthwise -> numba_winograd ->
numba_im2col -> im2col. ``trace()`` records the path each kernel call took:

>>> import numpy as np, minicnn as mc, minicnn.functional as F
>>> from minicnn import kernels
>>> x, w = mc.zeros(2, 3, 8, 8), mc.zeros(4, 3, 3, 3)
>>> with mc.use_kernels("numpy"), kernels.trace() as ran:
...     y = F.conv2d(x, w, padding=1)
>>> ran
['conv2d_forward: im2col']

Each entry is one call from an op: the kernel's name, then each module it went
through, the last the one that computed (a kernel called from inside another,
such as a joint gradient's gx, is listed with its own name). An optional kernel
(``kernels.OPTIONAL``) that had no algorithm for the shapes ends in "declined",
and the op's next entries show what ran instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

PACKAGE = "minicnn.kernels."


@contextmanager
def trace() -> Iterator[list[str]]:
    """Within the block, record each kernel call's path through the modules (this thread only)."""
    from . import KERNELS, OPTIONAL

    names = set(KERNELS + OPTIONAL)
    calls: list[tuple[str, list[str]]] = []
    open_frames: list[object] = []  # the kernel calls not yet returned, innermost last

    def profile(frame, event, arg):
        module = frame.f_globals.get("__name__", "")
        if frame.f_code.co_name not in names or not module.startswith(PACKAGE):
            return
        if event == "call":
            step = module[len(PACKAGE) :]
            if not open_frames:
                calls.append((frame.f_code.co_name, []))
            top, path = calls[-1]
            path.append(step if frame.f_code.co_name == top else f"{step}.{frame.f_code.co_name}")
            open_frames.append(frame)
        elif event == "return" and open_frames and open_frames[-1] is frame:
            open_frames.pop()
            if not open_frames and arg is None:  # an optional kernel with no algorithm for these shapes
                calls[-1][1].append("declined")

    ran: list[str] = []
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield ran
    finally:
        sys.setprofile(previous)
        ran.extend(f"{name}: {' -> '.join(path)}" for name, path in calls)
