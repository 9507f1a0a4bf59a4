"""benchmarks/gpu_check.sh runs rarely, on a GPU machine, in one go: a flag that a command no
longer takes would lose that run. Each bench, thread-settings and capture command the script
runs is parsed here, on the CPU, by the same option checks, the GPU, Numba and PyTorch stood in for."""

import importlib.util
import json
import os
import re
import shlex

import pytest
from bench_scripts import load

from minicnn.bench import __main__ as bench_main
from minicnn.bench import fair

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.sh")
memory_fit = importlib.import_module("minicnn.memory_fit")
CORES = "16"


def _script():
    """The script with its line continuations joined and $(nproc) as the device's cores."""
    with open(SCRIPT) as f:
        text = f.read().replace("\\\n", " ")
    return text.replace('"$(nproc)"', CORES).replace("$(nproc)", CORES)


def _calls(helper):
    """The argument lists of each call of the shell function ``helper`` in the script, wherever
    on its line the call stands (after ``&&``, ``then``, ...), up to the next ``;``, ``&&``,
    ``||`` or pipe."""
    calls = []
    for line in _script().splitlines():
        if line.lstrip().startswith("#") or line.lstrip().startswith(helper + "()"):
            continue
        found = re.search(rf"(?:^|\s){helper} ", line)
        if found:
            command = re.split(r"\s(?:&&|\|\||;|\|)\s", line[found.start() :].strip() + " ")[0]
            calls.append(shlex.split(command)[1:])
    return calls


def _fixed_flags(helper, command):
    """The flags the body of the shell function ``helper`` passes to ``command`` before its
    caller's ("$@"); the words that are shell variables ($out, $name, ...) left out."""
    body = _script().split(helper + "() {", 1)[1].split("\n}", 1)[0]
    words = shlex.split(body.split(command, 1)[1].split("2>>", 1)[0].replace('"$@"', ""))
    return [w for w in words if not w.startswith("$")]


def _module(name):
    return load(name)


@pytest.fixture
def gpu_and_torch(monkeypatch):
    """The checks that need a GPU, Numba or PyTorch answer as on a GPU machine with all three."""
    monkeypatch.setattr(bench_main, "check_device", lambda device: None)
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: True)
    monkeypatch.setattr(fair, "torch_installed", lambda: True)
    monkeypatch.setattr(bench_main.backend, "numba_available", lambda: True)  # the quick run times it
    check_fits = memory_fit.check_fits  # the GPU's memory cannot be asked here; the CPU's still is

    def fits(model, chw, batch, device):
        return None if device == "cuda" else check_fits(model, chw, batch, device)

    monkeypatch.setattr(memory_fit, "check_fits", fits)


def test_every_bench_command_of_the_script_passes_the_benchs_option_checks(gpu_and_torch, tmp_path):
    fixed = _fixed_flags("bench", "python -m minicnn.bench")
    assert fixed[:2] == ["--compare", "torch"] and "--overwrite" in fixed
    calls = _calls("bench")
    # as many as the script has: one this parsing stops finding fails here, and one added is parsed
    assert len(calls) == 7
    for seconds, name, *flags in calls:
        assert int(seconds) > 0
        # the --out and --name values are shell variables: here a folder and the call's name
        argv = [w for w in fixed if w not in ("--out", "--name")] + flags
        opts = bench_main.options(argv + ["--out", str(tmp_path), "--name", name])
        assert opts["compare"] == "torch" and opts["name"] == name, name
        if "--device" in flags:
            assert opts["devices"] == [flags[flags.index("--device") + 1]], name
        if "--threads" in flags:
            assert opts["threads"] == int(CORES), name


def test_the_step_limits_add_up_to_under_ten_minutes():
    """The script runs in one call of at most 10 minutes on the device machine: every command
    that starts a program has a time limit, and the limits add up to less."""
    text = _script()
    limits = [int(n) for n in re.findall(r"(?:^|\s)(?:bench|timeout) (\d+) ", text, re.M)]
    assert sum(limits) < 600, limits
    starts_a_program = re.compile(r"(?:^|[\s({])(?:python|pip|nvidia-smi|mpiexec) ")
    for line in text.splitlines():
        if not line.lstrip().startswith("#") and starts_a_program.search(line):
            assert "timeout " in line, line


def test_the_scripts_capture_and_test_commands_name_what_exists():
    text = _script()
    (step,) = re.findall(r"python benchmarks/gpu_step\.py (.*?) 2>&1", text)
    args = _module("gpu_step").parser().parse_args(shlex.split(step.replace('"$OUT', '"out')))
    assert args.model == "resnet20" and args.out == "out/gpu-step.json"
    (settings,) = re.findall(r"python benchmarks/thread_settings\.py (.*?) 2>&1", text)
    words = shlex.split(settings.replace('"$OUT', '"out'))
    assert words[words.index("--threads") + 1] == CORES and "--out" in words
    (tests,) = re.findall(r"python -m pytest (.*?) -m gpu", text)
    for path in tests.split():
        assert os.path.exists(os.path.join(ROOT, path)), path
    with open(os.path.join(ROOT, "setup.cfg")) as f:
        assert re.search(r"^\s+gpu: ", f.read(), re.M), "the gpu marker is registered"


def _result(folder, name, **row):
    with open(os.path.join(folder, name + ".json"), "w") as f:
        json.dump({"models": [row]}, f)


def test_the_targets_are_read_off_the_result_files_and_written_as_json(tmp_path, capsys):
    targets = _module("gpu_targets")
    _result(tmp_path, "cuda-resnet20-b256", train_images_per_s=6000.0, torch_train_images_per_s=20000.0)
    _result(tmp_path, "cpu-resnet20-b256", train_images_per_s=200.0)
    _result(tmp_path, "cuda-mobilenet-graph", train_images_per_s=20000.0, torch_train_images_per_s=6000.0)
    _result(tmp_path, "cpu-all-cores-resnet20", ratio_train=1.5)
    out = tmp_path / "gpu.json"
    assert targets.main([str(tmp_path), "--json", str(out)]) == 1  # not every target passes
    rows = {r["what"].split(":")[0]: r for r in json.loads(out.read_text())["targets"]}
    by_file = {tuple(r["files"]): r for r in rows.values()}
    assert by_file[("cuda-resnet20-b256.json", "cpu-resnet20-b256.json")]["ratio"] == 30.0
    assert by_file[("cuda-resnet20-b256.json", "cpu-resnet20-b256.json")]["verdict"] == "PASS"
    op_by_op = [r for r in rows.values() if r["files"] == ["cuda-resnet20-b256.json"]][0]
    assert op_by_op["ratio"] == 0.3 and op_by_op["verdict"] == "FAIL"
    assert by_file[("cuda-mobilenet-graph.json",)]["verdict"] == "PASS"
    assert by_file[("cuda-mobilenet.json",)]["verdict"] == "MISSING"  # no such file
    assert by_file[("cpu-all-cores-resnet20.json",)]["ratio"] == 1.5
    assert by_file[("cpu-all-cores-resnet20.json",)]["verdict"] == "PASS"  # a time ratio: at most 2
    printed = capsys.readouterr().out
    assert "MISSING (its step failed or ran past its limit" in printed and printed.count("\n") == len(rows)
    # what a verdict does not say is said after it: two files divided, a replay against eager steps
    assert by_file[("cuda-resnet20-b256.json", "cpu-resnet20-b256.json")]["note"].startswith("two files")
    assert "PASS (two files, which may come from two machines" in printed
    assert "replay against PyTorch's eager steps" in by_file[("cuda-mobilenet-graph.json",)]["note"]
    assert op_by_op["note"] is None


def test_every_target_met_is_status_0(tmp_path):
    targets = _module("gpu_targets")
    for name in ("cuda-resnet20-b256", "cuda-resnet20-b256-graph", "cuda-mobilenet", "cuda-mobilenet-graph"):
        _result(tmp_path, name, train_images_per_s=2.0, torch_train_images_per_s=1.0)
    _result(tmp_path, "cpu-resnet20-b256", train_images_per_s=0.1)
    _result(tmp_path, "cpu-all-cores-resnet20", ratio_train=2.0)
    assert targets.main([str(tmp_path)]) == 0
