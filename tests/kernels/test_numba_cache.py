"""Numba's on-disk cache knows a jitted loop by its Python source, name and signature, not
by the options it was jitted with: two jitted copies of one function (say one parallel, one
``nogil``) would load each other's machine code. So each plain loop is jitted once."""

import importlib
import pkgutil

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
