"""benchmarks/second_thread.py: one library's step on one thread and on two, in turn."""

import sys

import pytest
from bench_scripts import load


@pytest.fixture
def second_thread():
    sys.path.insert(0, __import__("bench_scripts").BENCHMARKS)  # its own imports (kernel_records)
    try:
        yield load("second_thread")
    finally:
        sys.path.pop(0)


def test_summary_reads_the_gain_as_one_threads_time_over_twos(second_thread):
    s = second_thread.summary({"1": [30.0, 20.0, 12.0], "2": [10.0, 10.0, 12.0]})
    assert s["one_thread_ms"] == 20.0 and s["two_threads_ms"] == 10.0
    assert s["speedup"] == 2.0  # the median of the per-round ratios 3, 2 and 1
    assert s["speedup_range"] == [1.0, 3.0]


def test_a_minicnn_process_times_both_counts_in_every_round_and_gives_numba_its_count_back(second_thread):
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads")
    found = numba.get_num_threads()
    seen = []
    real = numba.set_num_threads
    numba.set_num_threads = lambda n: seen.append(n) or real(n)
    try:
        medians = second_thread.turns("minicnn", "lenet5", 2, rounds=3, calls=1)
    finally:
        numba.set_num_threads = real
    assert sorted(medians) == ["1", "2"]
    assert len(medians["1"]) == len(medians["2"]) == 3
    assert all(t > 0 for t in medians["1"] + medians["2"])
    assert seen[0::2] == [1, 2, 2, 1, 1, 2]  # one first in even rounds, two in odd ones
    assert numba.get_num_threads() == found


def test_it_refuses_to_write_over_a_record(second_thread, tmp_path, monkeypatch):
    out = tmp_path / "kept.json"
    out.write_text("{}")
    monkeypatch.setattr(sys, "argv", ["second_thread.py", "--out", str(out)])
    with pytest.raises(SystemExit, match="exists; name another file"):
        second_thread.main()
    assert out.read_text() == "{}"
