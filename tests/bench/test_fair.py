"""The fair comparison's logic (fair.py, worker.py) with stand-in workers: never torch, never timings."""

import importlib.util
import json
import mmap
import os
import sys

import pytest
from bench_scripts import load

from minicnn.bench import __main__ as bench_main
from minicnn.bench import fair, report, system, worker
from minicnn.cli_common import UsageError
from minicnn.kernels import malloc


class FakeWorker:
    """Answers time(calls) from a script of per-round times and logs who was asked when."""

    def __init__(self, name, rounds, log):
        self.name, self.rounds, self.log, self.builds = name, list(rounds), log, []

    def time(self, calls):
        self.log.append((self.name, calls))
        return self.rounds.pop(0)

    def request(self, cmd, **msg):
        self.log.append((self.name, cmd))
        if cmd == "build":
            self.builds.append(msg)
        return {"version": self.name} if cmd == "info" else {}


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


def test_the_two_thread_probe_times_two_threads_then_one(monkeypatch):
    """A GEMM timed with BLAS held to two threads and then to one; no answer on one core."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    asked = []
    real = threadpoolctl.threadpool_limits

    def limits(n, user_api=None):
        asked.append((n, user_api))
        return real(n, user_api=user_api)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", limits)
    monkeypatch.setattr(system.os, "cpu_count", lambda: 2)
    ratio = system.two_threads_over_one(n=64, calls=2)
    assert asked == [(2, "blas"), (1, "blas")]
    assert ratio > 0
    monkeypatch.setattr(system.os, "cpu_count", lambda: 1)
    assert system.two_threads_over_one() is None


def test_a_workers_time_reports_the_two_thread_probe_after_its_calls(monkeypatch):
    seen = []
    monkeypatch.setattr(system, "two_threads_over_one", lambda: seen.append(len(calls)) or 0.6)
    calls = []
    w = worker.Worker("minicnn", threads=1)
    w.fn = lambda: calls.append(1)
    assert w.time(3)["two_threads"] == 0.6
    assert seen == [4]  # after the untimed call and the 3 timed ones


def test_cpu_times_reads_the_steal_field_of_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 1 20 300 4 0 5 70 0 0\ncpu0 50 0 10 150 2 0 2 35 0 0\n")
    assert system.cpu_times(str(stat)) == (70, 500)
    stat.write_text("cpu  100 1 20 300\n")  # an old kernel without the field
    assert system.cpu_times(str(stat)) is None
    assert system.cpu_times(str(tmp_path / "none")) is None
    assert system.stolen_share((70, 500), (80, 600)) == 0.1
    assert system.stolen_share((70, 500), (70, 500)) is None  # no tick passed
    assert system.stolen_share(None, (70, 500)) is None


def test_a_workers_time_counts_the_page_faults_of_its_timed_calls():
    pages = 256

    def touch_fresh_pages():  # a shared anonymous mapping: the OS hands over pages at first write
        memory = mmap.mmap(-1, pages * mmap.PAGESIZE)
        for i in range(pages):
            memory[i * mmap.PAGESIZE] = 1
        memory.close()

    w = worker.Worker("minicnn", threads=1)
    w.fn = touch_fresh_pages
    out = w.time(4)
    if importlib.util.find_spec("resource") is None:  # Windows counts none
        assert out["minor_faults"] is None
        return
    # at most one fault a page; fewer where the kernel maps several pages at one fault
    assert pages // 4 <= out["minor_faults"] < pages + 50
    w.fn = lambda: None
    assert w.time(4)["minor_faults"] < 50


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


def test_thread_env_sizes_every_pool_alike():
    env = fair.thread_env(2, base={"PATH": "/bin", "OMP_NUM_THREADS": "8", "PYTHONPATH": "/x"})
    assert env["PATH"] == "/bin"
    import minicnn

    root = os.path.dirname(os.path.dirname(os.path.abspath(minicnn.__file__)))
    assert env["PYTHONPATH"] == root + os.pathsep + "/x"  # the children import this minicnn
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[var] == "2"
    assert env["NUMBA_NUM_THREADS"] == "1"  # the jitted loops on half the cores, as minicnn's default
    assert env["MINICNN_COPY_THREADS"] == "1"  # and the copy threads, whatever the machine's cores
    assert fair.thread_env(16)["MINICNN_COPY_THREADS"] == "8"


def test_missing_torch_is_one_line_naming_the_extra(monkeypatch, capsys):
    monkeypatch.setattr(fair, "torch_installed", lambda: False)
    assert bench_main.main(["--compare", "torch"]) == 1  # a missing extra, not a bad argument
    message = capsys.readouterr().err
    assert message.startswith("python -m minicnn bench: error: --compare torch needs PyTorch")
    assert message.count("\n") == 1 and ".[compare]" in message


def test_compare_options_default_to_auto_kernels_and_rounds(monkeypatch):
    monkeypatch.setattr(fair, "torch_installed", lambda: True)
    opts = bench_main.options(["--compare", "torch", "--threads", "2"])
    assert opts["tiers"] == ["auto"] and opts["threads"] == 2
    assert opts["rounds"] == 5 and opts["pairs"] == 4 and opts["repeats"] == 5
    assert opts["modes"] == ["forward", "forward_backward", "train", "infer"]
    some = bench_main.options(
        ["--compare", "torch", "--kernels", "numpy,auto", "--rounds", "4", "--modes", "train"]
    )
    assert some["tiers"] == ["numpy", "auto"] and some["rounds"] == 4 and some["modes"] == ["train"]
    with pytest.raises(UsageError, match="unknown modes step"):
        bench_main.options(["--modes", "step"])


def test_serve_answers_each_line_and_reports_errors_without_stopping():
    class Stub:
        def time(self, calls):
            return {"times": [0.5] * calls}

        def build(self, **msg):
            raise KeyError(msg["case"])

    replies = []
    lines = [
        json.dumps({"cmd": "build", "case": "nope"}),
        "",
        json.dumps({"cmd": "time", "calls": 2}),
        json.dumps({"cmd": "quit"}),
        json.dumps({"cmd": "time", "calls": 9}),
    ]
    worker.serve(Stub(), lines, replies.append)
    assert replies == [{"error": "KeyError: 'nope'"}, {"times": [0.5, 0.5]}, {}]


def test_a_worker_process_speaks_the_protocol_over_pipes():
    # a minicnn worker stands in for both sides: the protocol, not the library, is tested
    w = fair.WorkerProcess("minicnn", threads=1)
    try:
        assert (
            w.request("build", kind="layer", case="relu", mode="forward", tier="numpy", dtype="float64")[
                "build_s"
            ]
            >= 0
        )
        assert len(w.time(3)) == 3
        info = w.request("info")
        assert info["library"] == "minicnn" and info["tier"] == "numpy"
        assert info["env"]["OPENBLAS_NUM_THREADS"] == "1" and info["env"]["NUMBA_NUM_THREADS"] == "1"
        with pytest.raises(fair.WorkerError, match="minicnn worker: ValueError: no layer case 'conv9x9'"):
            w.request("build", kind="layer", case="conv9x9", mode="forward")
    finally:
        w.close()
    assert w.proc.returncode == 0


def test_a_worker_that_dies_is_named():
    w = fair.WorkerProcess("torch", 1, command=[sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(fair.WorkerError, match="the torch worker ended"):
        w.request("info")


def test_fair_run_fills_rows_that_the_report_prints(monkeypatch):
    log = []
    sides = {"minicnn": [[0.02, 0.03, 0.04]] * 6, "torch": [[0.01, 0.01, 0.02]] * 6}
    monkeypatch.setattr(
        fair,
        "WorkerProcess",
        lambda lib, threads: type("W", (FakeWorker,), {"close": lambda self: None})(lib, sides[lib], log),
    )
    alternate = fair.alternate
    monkeypatch.setattr(
        fair, "alternate", lambda *args, **kw: alternate(*args, **kw, sleep=lambda t: None, cpu=lambda: None)
    )
    opts = {
        "threads": 2,
        "dtype": "float32",
        "rounds": 1,
        "pairs": 2,
        "repeats": 3,
        "tiers": ["reference", "auto"],
        "devices": ["cpu"],
        "layers": ["relu"],
        "models": ["lenet5"],
        "batch_size": None,
        "modes": ["forward", "forward_backward", "train"],
    }
    layers, models, info = fair.run(opts, log=lambda msg: None)
    assert info == {"minicnn": {"version": "minicnn"}, "torch": {"version": "torch"}}
    (model,) = models  # trained, not timed for inference
    assert "train" in model and "infer" not in model and model["ratio_train"] == pytest.approx(3.0)
    assert model["train_images_per_s"] == pytest.approx(64 / 0.03)
    (row,) = layers  # the reference tier is not compared
    assert row["tier"] == "auto" and row["ratio_forward"] == pytest.approx(3.0)
    assert row["ratio_forward_backward_rounds"]["max"] == pytest.approx(3.0)
    assert row["torch_forward_backward"]["median"] == pytest.approx(0.01)
    assert row["ratio_forward_backward_pairs"] == pytest.approx([3.0, 3.0])
    text = "\n".join(report.layer_table(layers))
    assert "3.00 [3.00-3.00]" in text
    assert model["faults_train"] is None  # the stand-ins count no faults: nothing printed
    assert report.fault_lines(layers + models) == []
    model["faults_train"], model["torch_faults_train"] = 850.0, 505.2
    assert report.fault_lines(layers + models) == [
        "Minor page faults a call, minicnn against PyTorch: lenet5 train 850 against 505"
    ]
    assert model["stolen_train"] == {
        "a": [None, None],
        "b": [None, None],
    }  # the stand-in machine says nothing
    assert report.stolen_lines(layers + models) == []
    model["stolen_train"] = {"a": [0.02, None], "b": [0.25]}
    row["stolen_forward"] = {"a": [None], "b": [None]}  # not said: left out
    assert report.stolen_lines(layers + models) == [
        "CPU time stolen by the host during the turns: lenet5 train 2-25%"
    ]
    bars = report._ratio_bars({"layers": layers, "models": models})
    assert [label for label, *_ in bars] == ["relu fwd+bwd (auto)", "lenet5 train (auto)\nstolen 2-25%"]
    model["two_threads_train"] = {"a": [0.55, 0.9], "b": [0.6, None]}
    bars = report._ratio_bars({"layers": layers, "models": models})
    assert bars[1][0] == "lenet5 train (auto)\nstolen 2-25%, slowed 1/3"


def test_fair_lines_record_threads_load_and_each_side():
    lines = report.fair_lines(
        {
            "rounds": 7,
            "calls_per_round": 5,
            "threads": 2,
            "thread_env": {"OMP_NUM_THREADS": "2"},
            "load_before": [1.25, 0, 0],
            "load_after": [2.5, 0, 0],
            "workers": {
                "torch": {
                    "version": "2.x",
                    "threads": 2,
                    "blas": [{"internal_api": "openblas", "architecture": "Haswell", "num_threads": 2}],
                    "malloc": "glibc malloc thresholds set",
                }
            },
        }
    )
    assert "1 pair of fresh processes per case, each 7 alternating rounds of 5 calls" in lines[0]
    assert "1.25 before, 2.50 after" in lines[0]
    assert "openblas Haswell 2 threads" in lines[1] and "torch threads 2" in lines[1]
    assert lines[1].endswith("; glibc malloc thresholds set")
    one = report.fair_lines(
        {
            "pairs": 3,
            "rounds": 1,
            "calls_per_round": 1,
            "threads": 2,
            "thread_env": {},
            "load_before": [0, 0, 0],
            "load_after": [0, 0, 0],
        }
    )
    assert "3 pairs of fresh processes per case, each 1 alternating round of 1 call," in one[0]


def test_ab_env_gives_side_a_its_variables_and_records_what_each_process_saw(tmp_path):
    import subprocess

    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    out = tmp_path / "ab.json"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run(
        [
            sys.executable,
            script,
            "--layer",
            "relu",
            "--tier",
            "numpy",
            "--threads",
            "1",
            "--rounds",
            "1",
            "--calls",
            "1",
            "--pairs",
            "1",
            "--a",
            "OMP_WAIT_POLICY=passive",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    s = json.loads(out.read_text())
    assert s["info_a"]["env"]["OMP_WAIT_POLICY"] == "passive"
    assert s["info_b"]["env"]["OMP_WAIT_POLICY"] is None
    assert s["info_a"]["env"]["OPENBLAS_NUM_THREADS"] == s["info_b"]["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert "A [OMP_WAIT_POLICY=passive]" in done.stdout
    assert s["machine"]["cores"] == os.cpu_count() and s["machine"]["cpu"]  # where it ran
    assert (s["pairs"], s["rounds"], s["calls"]) == (1, 1, 1)  # how long each side ran


def test_an_ab_of_a_model_takes_the_batches_asked_for_and_records_them(tmp_path):
    """--batches reaches both sides' model steps; without it the build leaves the number to
    the workers (cases.BATCHES), so a checkout from before the flag still answers."""
    import argparse
    import subprocess

    p = argparse.ArgumentParser()
    fair.add_case_arguments(p)
    assert "batches" not in fair.case_of(p.parse_args(["--model", "lenet5"]))
    assert fair.case_of(p.parse_args(["--model", "lenet5", "--batches", "3"]))["batches"] == 3
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    out = tmp_path / "ab.json"
    argv = ["--model", "lenet5", "--batch", "2", "--batches", "2", "--tier", "numpy", "--threads", "1"]
    argv += ["--rounds", "1", "--calls", "1", "--pairs", "1", "--a", "", "--out", str(out)]
    done = subprocess.run([sys.executable, script, *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["batches"] == 2


def test_ab_env_names_a_word_that_is_not_an_assignment():
    import subprocess

    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "ab_env.py")
    done = subprocess.run(
        [sys.executable, script, "--layer", "relu", "--a", "NUMBA_NUM_THREADS"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == "ab_env.py: expected NAME=VALUE, got 'NUMBA_NUM_THREADS'"


@pytest.mark.parametrize("flag", ["--pairs", "--rounds", "--calls", "--threads", "--batch", "--batches"])
def test_the_ab_scripts_refuse_counts_below_one_before_any_work(flag, capsys):
    import argparse

    p = argparse.ArgumentParser(prog="ab_env.py")
    fair.add_case_arguments(p)
    with pytest.raises(SystemExit) as stop:
        p.parse_args(["--model", "lenet5", flag, "0"])
    assert stop.value.code == 2
    assert f"argument {flag}: must be at least 1, got 0" in capsys.readouterr().err


def test_a_worker_runs_in_a_session_of_its_own():
    """Ctrl-C in the terminal goes to the coordinator's process group only: one line, not
    one traceback per worker."""
    w = fair.WorkerProcess("minicnn", 1, command=[sys.executable, "-c", "import time; time.sleep(1)"])
    try:
        assert os.getsid(w.proc.pid) == w.proc.pid != os.getsid(0)
    finally:
        w.close()


@pytest.mark.parametrize(
    "device, graph_asked, want", [("cuda", True, True), ("cuda", False, False), ("cpu", True, False)]
)
def test_only_cuda_training_steps_are_built_as_graphs(monkeypatch, device, graph_asked, want):
    """--cuda-graph reaches the build request of a cuda training step, and nothing else."""
    builds = []

    def compare_case(start_a, start_b, build, rounds, calls, pairs=1, pause_s=0, seen=None):
        builds.append(dict(build))
        s = {"median": 0.01, "q1": 0.01, "q3": 0.01, "min": 0.01, "max": 0.01, "n": 1}
        return {"a": s, "b": s, "ratio": 1.0, "ratio_rounds": s, "pair_ratios": [1.0], "load_1min": [0.0]}

    monkeypatch.setattr(fair, "compare_case", compare_case)
    opts = {
        "threads": 1,
        "dtype": "float32",
        "rounds": 1,
        "repeats": 1,
        "pairs": 1,
        "modes": ("train", "infer"),
        "devices": [device],
        "tiers": ["auto"],
        "layers": [],
        "models": ["resnet20"],
        "batch_size": 4,
        "batches": 2,
        "cuda_graph": graph_asked,
    }
    fair.run(opts, log=lambda *a: None)
    by_mode = {b["mode"]: b for b in builds}
    assert by_mode["train"]["batches"] == by_mode["infer"]["batches"] == 2
    assert by_mode["train"].get("graph", False) is want
    assert "graph" not in by_mode["infer"]


@pytest.mark.parametrize("graph", [False, True])
def test_the_worker_builds_the_graph_step_when_asked(monkeypatch, graph):
    from minicnn.bench import cases

    seen = []
    monkeypatch.setattr(
        cases, "model_step", lambda *a, graph=False, batches: seen.append((graph, batches)) or (lambda: None)
    )
    w = worker.Worker("minicnn", 1)
    w.build("model", "lenet5", "train", tier="auto", batch=2, device="cpu", warmup=0, graph=graph)
    w.build("model", "lenet5", "train", batch=2, device="cpu", warmup=0, graph=graph, batches=1)
    assert seen == [(graph, cases.BATCHES), (graph, 1)]


def test_a_worker_imports_the_minicnn_its_pythonpath_names_even_from_a_checkout(tmp_path, monkeypatch):
    """An A/B of two versions sets PYTHONPATH on one side; run from a checkout, ``python -m``
    would put the checkout first and both sides would time the same code."""
    import shutil

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    other = tmp_path / "other"
    shutil.copytree(
        os.path.join(here, "minicnn"), other / "minicnn", ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.chdir(here)  # a directory with a minicnn package in it
    env = dict(fair.thread_env(1), PYTHONPATH=str(other))
    w = fair.WorkerProcess("minicnn", 1, env=env)
    try:
        info = w.request("info")
        assert info["package"] == str(other / "minicnn")
        # the worker set glibc's thresholds for itself, unless the user's environment sets them
        if malloc.glibc() and not malloc.users_setting():
            assert info["malloc"].startswith("glibc malloc thresholds set")
    finally:
        w.close()
    w = fair.WorkerProcess("minicnn", 1)  # by default: this checkout's minicnn
    try:
        assert w.request("info")["package"] == os.path.join(here, "minicnn")
    finally:
        w.close()


def test_ab_env_makes_a_relative_pythonpath_absolute(tmp_path, monkeypatch):
    """The workers start in a directory of their own, where a relative folder names nothing."""
    ab_env = load("ab_env")
    monkeypatch.chdir(tmp_path)
    got = ab_env.parse_assignments(f"PYTHONPATH=old{os.pathsep}/abs/new OMP_WAIT_POLICY=passive")
    assert got == {"PYTHONPATH": f"{tmp_path / 'old'}{os.pathsep}/abs/new", "OMP_WAIT_POLICY": "passive"}


def test_sigterm_to_the_coordinator_kills_a_worker_in_the_middle_of_a_call(tmp_path):
    """``timeout`` ends a bench with SIGTERM: its workers, in sessions of their own, must not run
    on into the next measurement."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    coordinator = textwrap.dedent(
        """
        import sys
        from minicnn.bench import fair
        busy = [sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(120)"]
        worker = fair.WorkerProcess("minicnn", 1, command=busy)
        fair.end_workers_on_sigterm("bench")
        print(worker.proc.pid, flush=True)
        worker.request("time", calls=1)  # the worker never answers
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", coordinator], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    worker_pid = int(proc.stdout.readline())
    time.sleep(0.5)  # the coordinator waits in request()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert proc.stderr.read() == "bench: stopped by SIGTERM; nothing was recorded\n"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{worker_pid}/stat") as f:
                if f.read().split(") ")[1][0] == "Z":  # a zombie: ended, not yet reaped
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the worker {worker_pid} still runs after its coordinator ended")


def test_clear_round_ratios_keep_rounds_whose_two_probes_are_at_most_the_line():
    line = system.SHARED_ABOVE
    ratios = system.clear_round_ratios(
        [2.0, 3.0, 4.0, 6.0], [1.0, 1.0, 2.0, 2.0], [0.5, line, 0.5, None], [line, 0.5, line + 0.01, 0.5]
    )
    # the third round's b probe is over the line, the fourth's a probe read nothing
    assert ratios == [2.0, 3.0]
