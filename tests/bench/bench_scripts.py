"""The scripts under benchmarks/, which are not a package, loaded as modules for their tests."""

import importlib.util
import os
import sys

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")


def load(name):
    """benchmarks/<name>.py as a fresh module; its imports of the scripts beside it (kernel_records)
    resolve as when it runs."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(BENCHMARKS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, BENCHMARKS)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(BENCHMARKS)
    return module
