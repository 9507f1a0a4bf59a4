import importlib.util
import pathlib
import sys
import types

import pytest
from bench_cli_helpers import fake_result
from twin_stand_in import STAND_INS

import minicnn.bench
from minicnn.bench import runner


@pytest.fixture
def twin(monkeypatch):
    """twin.py run over the stand-in torch as a module of its own: minicnn.bench.twin, and
    torch where it is installed, are left as they are."""
    torch = types.ModuleType("torch")
    torch.__version__, torch.device = "stand-in", str
    torch.nn = types.ModuleType("torch.nn")
    for cls in STAND_INS:
        setattr(torch.nn, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch.nn", torch.nn)
    path = pathlib.Path(minicnn.bench.__file__).with_name("twin.py")
    spec = importlib.util.spec_from_file_location("minicnn.bench._twin_over_a_stand_in", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake_run(monkeypatch, rng):
    """runner.run replaced by a stand-in that records each call and returns a small result."""
    calls = []

    def run(opts):
        calls.append(opts)
        return fake_result(rng)

    monkeypatch.setattr(runner, "run", run)
    return calls
