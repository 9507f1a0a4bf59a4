"""The fair comparison's rounds (fair.py) with stand-in workers: who goes first, what is pooled, how it
is summed up; never torch, never timings."""

import pytest
from fair_helpers import FakeWorker

from minicnn.bench import fair, report, system


def test_alternate_changes_who_goes_first_each_round_with_a_pause_after_each_turn():
    log, pauses, loads = [], [], iter([(1.5, 0, 0), (2.5, 0, 0), (0.5, 0, 0)])
    a = FakeWorker("a", [[1.0, 2.0, 3.0]] * 3, log)
    b = FakeWorker("b", [[1.0, 1.0, 1.0]] * 3, log)
    s = fair.alternate(
        a,
        b,
        rounds=3,
        calls=3,
        pause_s=0.25,
        sleep=lambda t: log.append(("pause", t)) or pauses.append(t),
        load=lambda: next(loads),
    )
    a_first = [("a", 3), ("pause", 0.25), ("b", 3), ("pause", 0.25)]
    b_first = [("b", 3), ("pause", 0.25), ("a", 3), ("pause", 0.25)]
    assert log == a_first + b_first + a_first
    assert s["load_1min"] == [1.5, 2.5, 0.5]
    assert s["round_medians_a"] == [2.0] * 3 and s["a"]["n"] == 3
    assert s["times_a"] == [[1.0, 2.0, 3.0]] * 3


def test_compare_case_pools_the_rounds_of_fresh_pairs_of_workers():
    """Each pair is started, builds the case, is timed and closed before the next starts;
    the summary pools every round, and each pair's own ratio is kept."""
    log = []
    # pair 1: a 2 s, b 1 s per call (ratio 2); pair 2: a 6 s, b 4 s (ratio 1.5)
    script = {("a", 0): [[2.0]] * 2, ("b", 0): [[1.0]] * 2, ("a", 1): [[6.0]] * 2, ("b", 1): [[4.0]] * 2}
    started = {"a": 0, "b": 0}

    def start(name):
        def make():
            w = FakeWorker(name, script[name, started[name]], log)
            started[name] += 1
            w.close = lambda: log.append((name, "close"))
            return w

        return make

    seen = []
    s = fair.compare_case(
        start("a"), start("b"), {"case": "x"}, 2, 1, pairs=2, pause_s=0, seen=lambda *w: seen.append(w)
    )
    assert started == {"a": 2, "b": 2} and len(seen) == 2
    assert log.count(("a", "build")) == 2 and log.count(("b", "close")) == 2
    # the second pair is built only after the first is closed
    assert log.index(("a", "close")) < len(log) - 1 - log[::-1].index(("a", "build"))
    assert s["pair_ratios"] == [2.0, 1.5]
    assert s["a"]["n"] == 4 and s["a"]["median"] == 4.0 and s["b"]["median"] == 2.5
    # the median of the four per-round ratios (2, 2, 1.5, 1.5), not 4.0 / 2.5 from no pair
    assert s["ratio"] == 1.75
    assert s["ratio_rounds"]["min"] == 1.5 and s["ratio_rounds"]["max"] == 2.0
    assert len(s["load_1min"]) == 4


def _workers_reporting(attr, per_pair):
    """start(name) for compare_case: stand-in workers of two rounds each whose ``attr`` (what
    a WorkerProcess gathers turn by turn) is per_pair[name, k] in the k-th pair."""
    started = {"a": 0, "b": 0}

    def start(name):
        def make():
            w = FakeWorker(name, [[1.0]] * 2, [])
            setattr(w, attr, per_pair[name, started[name]])
            started[name] += 1
            w.close = lambda: None
            return w

        return make

    return start


def test_compare_case_reports_each_sides_median_page_faults_a_call(monkeypatch):
    """Fault counts per turn pooled over pairs; None where a side did not count them."""
    counts = {("a", 0): [10.0, 30.0], ("a", 1): [20.0, None], ("b", 0): [None, None], ("b", 1): [None]}
    start = _workers_reporting("faults", counts)
    monkeypatch.setattr(fair.system, "cpu_times", lambda: None)  # a machine that does not say
    s = fair.compare_case(start("a"), start("b"), {"case": "x"}, 2, 1, pairs=2, pause_s=0)
    assert s["faults_per_call"] == {"a": 20.0, "b": None}
    assert s["faults_per_turn"] == {"a": [10.0, 30.0, 20.0, None], "b": [None, None, None]}
    assert "page faults" not in fair.spread_line(s)  # only where both sides counted
    s["faults_per_call"]["b"] = 278.4
    assert fair.spread_line(s).endswith("; page faults a call 20 and 278")


def test_alternate_records_the_share_of_cpu_time_stolen_during_each_sides_turns():
    """(stolen, total) ticks read before and after each turn; a turn the machine does not
    report on (no reading, or no tick passed) is None."""
    readings = iter([(0, 100), (10, 200), (10, 200), (10, 400), (10, 400), None, (50, 500), (50, 500)])
    a = FakeWorker("a", [[1.0]] * 2, [])
    b = FakeWorker("b", [[1.0]] * 2, [])
    s = fair.alternate(a, b, rounds=2, calls=1, pause_s=0, sleep=lambda t: None, cpu=lambda: next(readings))
    # round 0: a then b; round 1: b then a
    assert s["stolen"] == {"a": [0.1, None], "b": [0.0, None]}
    assert system.stolen_range(s) == "0-10%"
    assert system.stolen_range({"stolen": {"a": [None], "b": []}}) is None
    assert system.stolen_range({}) is None


def test_compare_case_pools_the_stolen_shares_and_the_line_gives_their_range(monkeypatch):
    readings = iter([(0, 100), (5, 200)] * 4 + [(0, 100), (30, 200)] * 4)
    monkeypatch.setattr(fair.system, "cpu_times", lambda: next(readings))

    def start(name):
        def make():
            w = FakeWorker(name, [[1.0]] * 2, [])
            w.close = lambda: None
            return w

        return make

    s = fair.compare_case(start("a"), start("b"), {"case": "x"}, 2, 1, pairs=2, pause_s=0)
    assert s["stolen"] == {"a": [0.05, 0.05, 0.3, 0.3], "b": [0.05, 0.05, 0.3, 0.3]}
    assert fair.spread_line(s).endswith("; CPU time stolen 5-30%")


def test_compare_case_pools_each_sides_two_thread_probes_and_the_report_counts_shared_turns():
    probes = {("a", 0): [0.55, 0.9], ("a", 1): [0.56, None], ("b", 0): [0.6, 0.8], ("b", 1): [0.57]}
    start = _workers_reporting("two_threads", probes)
    s = fair.compare_case(start("a"), start("b"), {"case": "x"}, 2, 1, pairs=2, pause_s=0)
    assert s["two_threads"] == {"a": [0.55, 0.9, 0.56, None], "b": [0.6, 0.8, 0.57]}
    row = {"case": "lenet5", "ratio_train": 1.0, "two_threads_train": s["two_threads"]}
    (line,) = report.two_threads_lines([row])
    assert line.endswith("lenet5 train 0.55-0.90, 2 of 6 turns above 0.7")
    assert report.two_threads_lines([{"case": "lenet5", "two_threads_train": {"a": [None]}}]) == []
    # with the rounds' times kept: the ratio over the rounds where neither side's probe was
    # above the line (the 1st and 3rd here; the 2nd had a's 0.9, the 4th no probe from a)
    row["round_medians_train"] = {"a": [2.0, 9.0, 3.0, 5.0], "b": [2.0, 3.0, 2.0, 1.0]}
    s["two_threads"]["b"].append(0.5)
    (line,) = report.two_threads_lines([row])
    clear = "where neither side's two threads slowed each other"
    assert line.endswith(", ratio 1.25 over the 2 rounds " + clear)
    s["two_threads"]["a"][1] = s["two_threads"]["b"][1] = 0.6  # now the 2nd round too, 9 / 3
    assert report.two_threads_lines([row])[0].endswith(", ratio 1.50 over the 3 rounds " + clear)
    s["two_threads"]["a"][:3] = [0.9, 0.9, 0.6]  # the 3rd only
    assert report.two_threads_lines([row])[0].endswith(", ratio 1.50 over the one round " + clear)
    row["two_threads_train"] = {"a": [0.9] * 4, "b": [0.5] * 4}
    assert report.two_threads_lines([row])[0].endswith(", no round " + clear)


def test_compare_case_starts_and_builds_a_first_in_even_pairs_and_b_first_in_odd_ones():
    log = []

    def start(name):
        def make():
            log.append((name, "start"))
            w = FakeWorker(name, [[1.0]], log)
            w.close = lambda: log.append((name, "close"))
            return w

        return make

    s = fair.compare_case(start("a"), start("b"), {"case": "x"}, 1, 1, pairs=3, pause_s=0)
    starts = [event for event in log if event[1] in ("start", "build")]
    first = [("a", "start"), ("b", "start"), ("a", "build"), ("b", "build")]
    second = [("b", "start"), ("a", "start"), ("b", "build"), ("a", "build")]
    assert starts == first + second + first
    # each pair's one round is led by the side started first
    assert [event[0] for event in log if event[1] == 1] == ["a", "b", "b", "a", "a", "b"]
    assert s["started_first"] == ["a", "b", "a"]
    assert log.count(("a", "close")) == log.count(("b", "close")) == 3


def test_compare_case_closes_the_first_worker_when_the_second_fails_to_start():
    log = []

    def first():
        w = FakeWorker("a", [], log)
        w.close = lambda: log.append(("a", "close"))
        return w

    def second():
        raise fair.WorkerError("torch worker: no torch")

    with pytest.raises(fair.WorkerError):
        fair.compare_case(first, second, {"case": "x"}, rounds=1, calls=1)
    assert log == [("a", "close")]


def test_compare_case_closes_both_workers_when_a_build_fails():
    log = []

    class Broken(FakeWorker):
        def request(self, cmd, **msg):
            raise fair.WorkerError("torch worker: KeyError: 'x'")

    def make(cls, name):
        def start():
            w = cls(name, [], log)
            w.close = lambda: log.append((name, "close"))
            return w

        return start

    with pytest.raises(fair.WorkerError):
        fair.compare_case(make(FakeWorker, "a"), make(Broken, "b"), {"case": "x"}, rounds=1, calls=1)
    assert ("a", "close") in log and ("b", "close") in log


def test_summary_is_the_median_of_round_medians_and_the_spread_of_round_ratios():
    # per-round medians: a 4, 2, 9, 3, 5; b 2, 2, 3, 1, 5 -> ratios 2, 1, 3, 3, 1
    rounds_a = [[4, 1, 7], [2, 2, 2], [9, 8, 10], [3, 3, 4], [5, 0, 6]]
    rounds_b = [[2, 2, 2], [1, 2, 3], [3, 3, 3], [1, 1, 0], [5, 5, 5]]
    s = fair.summarize(rounds_a, rounds_b)
    assert s["a"]["median"] == 4.0 and s["b"]["median"] == 2.0
    assert s["ratio"] == 2.0  # the median of the per-round ratios
    r = s["ratio_rounds"]
    assert (r["min"], r["q1"], r["median"], r["q3"], r["max"]) == (1.0, 1.0, 2.0, 3.0, 3.0)
    assert s["a"]["min"] == 2.0 and s["b"]["max"] == 5.0


def test_clear_round_ratios_keep_rounds_whose_two_probes_are_at_most_the_line():
    line = system.SHARED_ABOVE
    ratios = system.clear_round_ratios(
        [2.0, 3.0, 4.0, 6.0], [1.0, 1.0, 2.0, 2.0], [0.5, line, 0.5, None], [line, 0.5, line + 0.01, 0.5]
    )
    # the third round's b probe is over the line, the fourth's a probe read nothing
    assert ratios == [2.0, 3.0]
