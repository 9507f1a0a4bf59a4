"""Numba's on-disk cache knows a jitted loop by its Python source, name and signature, not
by the options it was jitted with: two jitted copies of one function (say one parallel, one
``nogil``) would load each other's machine code. So each plain loop is jitted once. Closures
are told apart by the values they hold as well: numba_direct.py's forward, one compiled loop per
kernel width, loads each width's own code back from the cache."""

import importlib
import os
import pkgutil
import subprocess
import sys

import pytest

numba = pytest.importorskip("numba")
from numba.core.caching import NullCache  # noqa: E402
from numba.core.registry import CPUDispatcher  # noqa: E402

import minicnn.kernels  # noqa: E402


def test_each_python_loop_is_jitted_once_where_numba_caches_it():
    copies = {}
    for info in pkgutil.iter_modules(minicnn.kernels.__path__):
        module = importlib.import_module(f"minicnn.kernels.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and not isinstance(value._cache, NullCache):
                copies.setdefault(value.py_func, set()).add(f"{info.name}.{name}")
    assert len(copies) >= 20  # the numba modules were found
    assert [sorted(names) for names in copies.values() if len(names) > 1] == []


# Run in a child twice over one fresh cache folder: the first child compiles the forward of
# numba_direct.py for two kernel widths and writes them to the cache; the second loads them.
# Its compiled loops are closures, one per width, of a single Python function: a cache that
# knew them by their source alone would hand the second child the first width's code.
WIDTHS_FROM_THE_CACHE = """
import sys
import numpy as np
from minicnn.kernels import numba_direct, reference
rng = np.random.default_rng(int(sys.argv[1]))
x = rng.standard_normal((2, 1, 6, 7))
params = ((1, 1), (1, 1), (1, 1), 1)
for width in map(int, sys.argv[2:]):
    w = rng.standard_normal((2, 1, 3, width))
    got = numba_direct.conv2d_forward(x, w, None, *params)
    want = reference.conv2d_forward(x, w, None, *params)
    hits = sum(numba_direct._forward(width).stats.cache_hits.values())
    print(width, float(np.abs(got - want).max()), hits)
"""


def _widths_in_a_child(cache_dir, seed, widths):
    """(width, largest difference from the reference, cache hits) for each width, in a child."""
    out = subprocess.run(
        [sys.executable, "-c", WIDTHS_FROM_THE_CACHE, str(seed), *map(str, widths)],
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "NUMBA_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [(int(w), float(d), int(h)) for w, d, h in (line.split() for line in out if line)]


@pytest.mark.slow
def test_each_kernel_width_loads_its_own_loop_from_the_cache(tmp_path):
    first = _widths_in_a_child(tmp_path, 71, (5, 3))
    assert [(w, h) for w, _, h in first] == [(5, 0), (3, 0)]  # compiled, nothing to load yet
    second = _widths_in_a_child(tmp_path, 73, (3, 5))  # the other order, other numbers
    assert [(w, h) for w, _, h in second] == [(3, 1), (5, 1)]  # each loaded from the cache
    assert max(d for _, d, _ in first + second) < 1e-10
