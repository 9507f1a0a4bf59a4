"""numba_threads.cores_shared_with_blas: the jitted loops on half the cores, Numba's own
setting given back, nothing touched where there is nothing to change, and a
NUMBA_NUM_THREADS above half the cores warned about once."""

import threading
import warnings

import pytest

numba = pytest.importorskip("numba")
from minicnn.kernels import numba_threads  # noqa: E402

needs_two = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")


@needs_two
def test_the_loops_take_half_the_cores_and_numba_gets_its_setting_back(monkeypatch):
    monkeypatch.setattr(numba_threads, "_users_variable", False)
    monkeypatch.setattr(numba_threads, "HALF_THE_CORES", 1)
    found = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        with numba_threads.cores_shared_with_blas():
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == 2
        with pytest.raises(RuntimeError), numba_threads.cores_shared_with_blas():
            raise RuntimeError("a kernel failed")
        assert numba.get_num_threads() == 2  # given back on an error too
    finally:
        numba.set_num_threads(found)


@pytest.mark.parametrize("why", ["at half already", "NUMBA_NUM_THREADS set"])
def test_nothing_is_set_where_nothing_changes(monkeypatch, why):
    calls = []
    monkeypatch.setattr(numba_threads, "_set_threads", calls.append)
    if why == "at half already":
        monkeypatch.setattr(numba_threads, "_users_variable", False)
        monkeypatch.setattr(numba_threads, "HALF_THE_CORES", numba.get_num_threads())
    else:  # as the first call leaves it where the variable is set
        monkeypatch.setattr(numba_threads, "_users_variable", True)
        monkeypatch.setattr(numba_threads, "HALF_THE_CORES", 0)  # so that only the variable stops it
    with numba_threads.cores_shared_with_blas():
        pass
    assert calls == []


@needs_two
@pytest.mark.parametrize("first, then", [(None, "2"), ("2", None)], ids=["set later", "unset later"])
def test_the_variable_is_looked_up_on_the_first_call_only(monkeypatch, first, then):
    """Numba starts its threads as NUMBA_NUM_THREADS says, once per process: a later change
    to the variable changes nothing in Numba, nor here."""
    monkeypatch.setattr(numba_threads, "_users_variable", None)
    monkeypatch.setattr(numba_threads, "HALF_THE_CORES", 1)
    found = numba.get_num_threads()
    numba.set_num_threads(2)
    seen = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba_threads.CoresWarning)  # 2 threads above half
            for variable in (first, then):
                if variable is None:
                    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
                else:
                    monkeypatch.setenv("NUMBA_NUM_THREADS", variable)
                with numba_threads.cores_shared_with_blas():
                    seen.append(numba.get_num_threads())
    finally:
        numba.set_num_threads(found)
    assert seen == ([1, 1] if first is None else [2, 2])


def _first_calls(monkeypatch, variable, threads, half):
    """The CoresWarnings of two calls in a fresh process's state: NUMBA_NUM_THREADS set to
    ``variable`` (None: unset), Numba on ``threads``, half the cores being ``half``."""
    monkeypatch.setattr(numba_threads, "_users_variable", None)
    monkeypatch.setattr(numba_threads, "HALF_THE_CORES", half)
    if variable is None:
        monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("NUMBA_NUM_THREADS", variable)
    found = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                with numba_threads.cores_shared_with_blas():
                    pass
    finally:
        numba.set_num_threads(found)
    return [w for w in caught if issubclass(w.category, numba_threads.CoresWarning)]


@needs_two
def test_a_variable_giving_the_loops_more_than_half_the_cores_is_warned_about_once(monkeypatch):
    caught = _first_calls(monkeypatch, "2", threads=2, half=1)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "NUMBA_NUM_THREADS" in message and "2 threads" in message and "docs/performance.md" in message


@needs_two
@pytest.mark.parametrize(
    "variable, threads, half",
    [("2", 2, 2), ("1", 1, 1), (None, 2, 1)],
    ids=["at half the cores", "one thread", "unset"],
)
def test_no_warning_at_half_the_cores_or_below_or_without_the_variable(monkeypatch, variable, threads, half):
    assert _first_calls(monkeypatch, variable, threads, half) == []


@needs_two
def test_the_threading_layers_calls_get_and_set_what_numbas_public_ones_do():
    """Numba's count is per thread: set through the layer's call, it reads the same through
    the public one, and another thread keeps its own, as with the public calls."""
    get, set_ = numba_threads._threading_layer_calls()
    assert (get, set_) != (numba.get_num_threads, numba.set_num_threads)  # this Numba has them
    found = numba.get_num_threads()
    others = []
    try:
        for threads in (1, 2):
            set_(threads)
            assert numba.get_num_threads() == get() == threads
            other = threading.Thread(target=lambda: others.append((get(), numba.get_num_threads())))
            other.start()
            other.join()
        numba.set_num_threads(1)
        assert get() == 1
    finally:
        numba.set_num_threads(found)
    assert others == [(numba.config.NUMBA_NUM_THREADS,) * 2] * 2


def test_a_numba_without_the_layers_calls_keeps_the_public_ones(monkeypatch):
    from numba.np.ufunc import parallel

    monkeypatch.delattr(parallel, "_set_num_threads")
    assert numba_threads._threading_layer_calls() == (numba.get_num_threads, numba.set_num_threads)
