"""The line said as a first run compiles minicnn's Numba kernels: said on a real compile, once
a process, on a terminal; not said when the kernel is loaded from Numba's cache, nor for a
function of the user's own."""

import gc
import importlib.util
import io
import sys

import pytest

numba = pytest.importorskip("numba")
from minicnn.kernels import numba_compiling  # noqa: E402


class Terminal(io.StringIO):
    def isatty(self):
        return True


def stderr_as(stream, monkeypatch):
    """Called in the test itself: pytest sets its own stderr again between a fixture and the test."""
    monkeypatch.setattr("sys.stderr", stream)
    monkeypatch.setattr(numba_compiling.listener, "said", False)
    return stream


def _loop_in_a_file(tmp_path, monkeypatch, package):
    """A jittable function from a file of its own (so that Numba caches it beside that file),
    imported as a module of ``package``: Numba finds its module again by that name when it
    loads the function from its cache."""
    path = tmp_path / "loop.py"
    path.write_text("def add_one(x):\n    return x + 1\n")
    name = f"{package}.loop_{tmp_path.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    loaded = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, loaded)
    spec.loader.exec_module(loaded)
    return loaded.add_one


def test_a_compile_says_one_line_and_a_load_from_the_cache_none(tmp_path, monkeypatch):
    terminal = stderr_as(Terminal(), monkeypatch)
    fn = _loop_in_a_file(tmp_path, monkeypatch, "minicnn.kernels")
    assert numba.njit(cache=True)(fn)(1) == 2  # compiled, and written to the cache
    assert terminal.getvalue() == numba_compiling.MESSAGE + "\n"
    numba.njit(cache=True)(fn)(2.5)  # another compile in the same process: said once is enough
    assert terminal.getvalue() == numba_compiling.MESSAGE + "\n"

    gc.collect()  # the compiled code's environment too: the load rebuilds it, as a new process does
    numba_compiling.listener.said = False
    again = numba.njit(cache=True)(fn)
    assert again(1) == 2 and sum(again.stats.cache_hits.values()) == 1  # loaded, not compiled
    assert terminal.getvalue() == numba_compiling.MESSAGE + "\n"


def test_a_function_of_the_user_s_own_is_not_announced(tmp_path, monkeypatch):
    terminal = stderr_as(Terminal(), monkeypatch)
    assert numba.njit(_loop_in_a_file(tmp_path, monkeypatch, "my_course"))(1) == 2
    assert terminal.getvalue() == "" and not numba_compiling.listener.said


def test_off_a_terminal_nothing_is_said(tmp_path, monkeypatch):
    piped = stderr_as(io.StringIO(), monkeypatch)
    assert numba.njit(_loop_in_a_file(tmp_path, monkeypatch, "minicnn.kernels"))(1) == 2
    assert piped.getvalue() == "" and numba_compiling.listener.said


def test_a_function_without_a_module_is_compiled_and_not_announced(monkeypatch):
    """exec() without __name__ gives a function whose __module__ is None: Numba still compiles it."""
    terminal = stderr_as(Terminal(), monkeypatch)
    namespace = {}
    exec("def add_two(x):\n    return x + 2\n", namespace)
    assert namespace["add_two"].__module__ is None
    assert numba.njit(namespace["add_two"])(1) == 3
    assert terminal.getvalue() == "" and not numba_compiling.listener.said
