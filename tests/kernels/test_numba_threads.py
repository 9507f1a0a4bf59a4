"""numba_cpu._cores_shared_with_blas: the jitted loops on half the cores, Numba's own
setting given back, and nothing touched where there is nothing to change."""

import pytest

numba = pytest.importorskip("numba")
from minicnn.kernels import numba_cpu  # noqa: E402

needs_two = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")


@needs_two
def test_the_loops_take_half_the_cores_and_numba_gets_its_setting_back(monkeypatch):
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    monkeypatch.setattr(numba_cpu, "HALF_THE_CORES", 1)
    found = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        with numba_cpu._cores_shared_with_blas():
            assert numba.get_num_threads() == 1
        assert numba.get_num_threads() == 2
        with pytest.raises(RuntimeError), numba_cpu._cores_shared_with_blas():
            raise RuntimeError("a kernel failed")
        assert numba.get_num_threads() == 2  # given back on an error too
    finally:
        numba.set_num_threads(found)


@pytest.mark.parametrize("why", ["at half already", "NUMBA_NUM_THREADS set"])
def test_nothing_is_set_where_nothing_changes(monkeypatch, why):
    calls = []
    monkeypatch.setattr(numba_cpu.numba, "set_num_threads", calls.append)
    if why == "at half already":
        monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
        monkeypatch.setattr(numba_cpu, "HALF_THE_CORES", numba.get_num_threads())
    else:
        monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
        monkeypatch.setattr(numba_cpu, "HALF_THE_CORES", 0)  # so that only the variable stops it
    with numba_cpu._cores_shared_with_blas():
        pass
    assert calls == []
