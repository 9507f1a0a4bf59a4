"""The bench's --cuda-graph: refused in one line where there is no GPU or nothing it can record,
passed on where it can, and said in the report. The runner is a stand-in wherever the cases
themselves do not matter."""

import pytest
from bench_cli_helpers import fake_result, one_error_line, timing

from minicnn.bench import __main__ as bench_main
from minicnn.bench import report


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_cuda_graph_without_the_gpu_is_one_line_with_status_2(device, fake_run, capsys, monkeypatch):
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: False)
    argv = ["--cuda-graph", "--device", device, "--models", "resnet20", "--layers", "none"]
    assert bench_main.main(argv) == 2
    assert one_error_line(capsys.readouterr().err) == (
        f"--cuda-graph records steps on the GPU: add --device cuda (got {device})"
    )
    assert fake_run == []


def test_the_report_says_when_cuda_steps_were_graph_replays(rng):
    result = fake_result(rng)
    assert "CUDA graph" not in report.text(result)
    result["models"][0]["graph"] = True
    said = "cuda training steps: minicnn's replay a CUDA graph recorded once, on its first batch"
    assert said + "." in report.text(result)
    result["models"][0]["torch_train"] = timing(rng)
    said += "; PyTorch's run eager."
    assert said in report.text(result)
    del result["models"][0]["train"]  # a failed row: nothing was replayed
    assert "CUDA graph" not in report.text(result)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: True)
    monkeypatch.setattr(bench_main, "check_device", lambda device: None)


def test_cuda_graph_reaches_the_options(fake_gpu):
    argv = ["--cuda-graph", "--device", "cuda", "--models", "resnet20", "--layers", "none", "--no-memory"]
    assert bench_main.options(argv)["cuda_graph"] is True
    assert bench_main.options(argv[1:])["cuda_graph"] is False


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--models", "resnet20,nin"], "--cuda-graph: nin draw random numbers each step (dropout)"),
        (["--models", "resnet20", "--modes", "infer"], "--cuda-graph records training steps"),
        (["--models", "googlenet"], "--cuda-graph records training steps"),
    ],
)
def test_cuda_graph_refuses_what_it_cannot_record(fake_gpu, fake_run, capsys, extra, said):
    assert bench_main.main(["--cuda-graph", "--device", "cuda", "--layers", "none", *extra]) == 2
    assert one_error_line(capsys.readouterr().err).startswith(said)
    assert fake_run == []
