"""A file named numpy.py where Python looks first hides NumPy: say so, before minicnn imports it.

Naming one's first script numpy.py is a common mistake; Python then imports it in NumPy's
place, and minicnn would fail somewhere inside its own imports with a traceback that never
names the file. ``python -m minicnn`` run from that file's folder meets it every time.
"""

import importlib.util
import os
import sys

from .interrupts import command


def check_numpy_is_numpy() -> None:
    """Refuse in one line a 'numpy' that is not NumPy (its package's __init__.py)."""
    spec = importlib.util.find_spec("numpy")
    origin = (spec.origin or "") if spec is not None else ""
    if spec is None or os.path.basename(origin) == "__init__.py":
        return  # NumPy, or none at all: Python's own ImportError says that
    message = f"minicnn needs NumPy, but 'import numpy' would run {origin}: rename that file"
    name = command()
    if name is not None:  # a command: one line and the status of a usage error, no traceback
        print(f"{name}: error: {message}", file=sys.stderr)
        raise SystemExit(2)
    raise ImportError(message)
