"""benchmarks/gpu_check.sh runs rarely, on a GPU machine, in one go: a flag that a command no
longer takes would lose that run. Each bench, A/B and capture command the script runs is
parsed here, on the CPU, by the same option checks, the GPU, Numba and PyTorch stood in for."""

import importlib.util
import os
import re
import shlex

import pytest

from minicnn.bench import __main__ as bench_main
from minicnn.bench import fair

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_check.sh")
summary = importlib.import_module("minicnn.summary")  # the module: minicnn.summary is also a function
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
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "benchmarks", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def gpu_and_torch(monkeypatch):
    """The checks that need a GPU, Numba or PyTorch answer as on a GPU machine with all three."""
    monkeypatch.setattr(bench_main, "check_device", lambda device: None)
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: True)
    monkeypatch.setattr(fair, "torch_installed", lambda: True)
    monkeypatch.setattr(bench_main.backend, "numba_available", lambda: True)  # the quick run times it
    check_fits = summary.check_fits  # the GPU's memory cannot be asked here; the CPU's still is

    def fits(model, chw, batch, device):
        return None if device == "cuda" else check_fits(model, chw, batch, device)

    monkeypatch.setattr(summary, "check_fits", fits)


def test_every_bench_command_of_the_script_passes_the_benchs_option_checks(gpu_and_torch, tmp_path):
    fixed = _fixed_flags("bench", "python -m minicnn.bench")
    assert fixed[:2] == ["--compare", "torch"] and "--overwrite" in fixed
    calls = _calls("bench")
    # as many as the script has: one this parsing stops finding fails here, and one added is parsed
    assert len(calls) == 8
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


def test_every_ab_command_of_the_script_passes_its_parser():
    ab_env = _module("ab_env")
    fixed = [w for w in _fixed_flags("ab", "python benchmarks/ab_env.py") if w != "--out"]
    calls = _calls("ab")
    assert len(calls) == 2
    for out, *flags in calls:
        a = ab_env.parser().parse_args(fixed + flags + ["--out", out])
        assert a.model == "resnet20" and a.threads == int(CORES) and a.a
        ab_env.parse_assignments(a.a)  # each word NAME=VALUE


def test_the_scripts_capture_and_test_commands_name_what_exists():
    text = _script()
    (step,) = re.findall(r"python benchmarks/gpu_step\.py (.*?) 2>&1", text)
    args = _module("gpu_step").parser().parse_args(shlex.split(step.replace('"$OUT', '"out')))
    assert args.model == "resnet20" and args.out == "out/gpu-step.json"
    (tests,) = re.findall(r"python -m pytest (.*?) -m gpu", text)
    for path in tests.split():
        assert os.path.exists(os.path.join(ROOT, path)), path
    with open(os.path.join(ROOT, "setup.cfg")) as f:
        assert re.search(r"^\s+gpu: ", f.read(), re.M), "the gpu marker is registered"
