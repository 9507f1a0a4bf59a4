"""The bench's own logic: options, timing statistics, cases, the report files. Never timings."""

import json

import numpy as np
import pytest

from minicnn.bench import __main__ as bench_main
from minicnn.bench import cases, report, timing
from minicnn.cli_common import UsageError
from minicnn.kernels import im2col


def test_measure_reports_median_and_spread_of_timed_calls():
    calls = []
    t = timing.measure(lambda: calls.append(1), warmup=2, repeats=5, budget_s=10.0)
    assert len(calls) == 7  # warm-up calls are not timed
    assert t["n"] == 5
    assert t["min"] <= t["q1"] <= t["median"] <= t["q3"] <= t["max"]


def test_measure_stops_after_min_repeats_once_the_budget_is_spent():
    t = timing.measure(lambda: sum(range(1000)), warmup=0, repeats=50, min_repeats=3, budget_s=0.0)
    assert t["n"] == 3


def test_gemm_call_computes_the_product_into_one_buffer():
    gemm = timing.gemm_call(3, 4, 5)
    first = gemm()
    assert first.shape == (3, 5) and first.dtype == np.float32
    assert gemm() is first  # the output buffer is reused


def test_the_gemm_ceiling_multiplies_as_minicnns_convolutions_do(monkeypatch):
    """Through kernels.gemm.matmul: on all the loops' threads where BLAS is held to one."""
    from minicnn.kernels import gemm as kernels_gemm

    seen = []
    real = kernels_gemm.matmul
    monkeypatch.setattr(
        kernels_gemm, "matmul", lambda a, b, out=None: seen.append(a.shape) or real(a, b, out)
    )
    product = timing.gemm_call(3, 4, 5)()
    assert seen == [(3, 4)]
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(product, a @ b, rtol=1e-6)


def test_measure_pair_calls_the_two_in_turn():
    calls = []
    ta, tb = timing.measure_pair(
        lambda: calls.append("a"), lambda: calls.append("b"), warmup=1, repeats=4, budget_s=10.0
    )
    assert calls == ["a", "b"] * 5  # one warm-up round, then four timed ones
    assert ta["n"] == tb["n"] == 4 and ta["min"] <= ta["median"] <= ta["max"]


def test_conv_case_flops_and_gemm_shape():
    case = next(c for c in cases.LAYERS if c["name"] == "conv3x3_64")
    assert case["gemm"] == (64, 64 * 9, 32 * 32 * 32)
    assert case["flops"] == 2.0 * 64 * 576 * 32768
    alex = next(c for c in cases.LAYERS if c["name"] == "alexnet_conv1")
    assert alex["gemm"] == (96, 363, 8 * 55 * 55)


def test_every_layer_has_a_tiny_twin_for_the_reference_tier():
    for case in cases.LAYERS:
        tiny = cases.TINY[case["name"]]
        assert tiny["op"] == case["op"] and np.prod(tiny["x"]) < np.prod(case["x"]) / 50


@pytest.mark.parametrize("case", cases.LAYERS + list(cases.TINY.values()), ids=lambda c: c["name"])
def test_layer_closures_run(case):
    if np.prod(case["x"]) > 1e5:  # big shapes: shrink the batch only
        case = dict(case, x=(1,) + tuple(case["x"][1:]))
    forward, forward_backward = cases.build_layer(case, "float64", "cpu")
    forward()
    forward_backward()


def test_a_layer_backward_takes_two_gradient_arrays_in_turn(monkeypatch):
    """A kernel may reuse what it derived from the very same gy array (im2col.py's columns of
    gy); a training step brings a new gy every time, so the bench must not repeat one."""
    from minicnn.tensor import Tensor

    seen = []
    real = Tensor.backward
    monkeypatch.setattr(Tensor, "backward", lambda self, g=None: seen.append(g) or real(self, g))
    _, forward_backward = cases.build_layer(cases.TINY["conv3x3_64"], "float64", "cpu")
    for _ in range(3):
        forward_backward()
    assert seen[0] is not seen[1] and seen[0] is seen[2]


def test_model_inputs_draw_different_batches_and_the_first_does_not_depend_on_how_many():
    """batches=1 gives the batch the bench always used, so older records can be re-run."""
    four = cases.model_inputs("lenet5", 3, "float32", batches=4)
    one = cases.model_inputs("lenet5", 3, "float32", batches=1)
    assert len(four) == 4 and len(one) == 1
    np.testing.assert_array_equal(four[0][0], one[0][0])
    np.testing.assert_array_equal(four[0][1], one[0][1])
    assert four[0][0].shape == (3, 1, 28, 28) and four[0][0].dtype == np.float32
    assert not np.array_equal(four[0][0], four[1][0])
    assert not np.array_equal(four[1][0], four[3][0])


def test_in_turn_returns_the_items_round_and_round():
    next_item = cases.in_turn(["a", "b", "c"])
    assert [next_item() for _ in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


@pytest.mark.parametrize("build, batches", [("model_step", 3), ("model_step", 1), ("model_infer", 2)])
def test_a_model_case_takes_its_batches_in_turn(monkeypatch, build, batches):
    """A kernel that branches on the data (max pooling, ReLU) runs faster on one batch repeated:
    the CPU learns its branches. A training run brings a new batch every step."""
    seen = []
    builder, *rest = cases.MODELS["lenet5"]

    def watched():
        model = builder()
        forward = model.forward
        model.forward = lambda x: seen.append(x.numpy().copy()) or forward(x)
        return model

    monkeypatch.setitem(cases.MODELS, "lenet5", (watched, *rest))
    fn = getattr(cases, build)("lenet5", 2, "float64", "cpu", batches=batches)
    for _ in range(batches + 1):
        fn()
    assert len(seen) == batches + 1
    want = [x for x, _ in cases.model_inputs("lenet5", 2, "float64", batches)]
    for i, x in enumerate(seen):
        np.testing.assert_array_equal(x, want[i % batches])


def test_options_defaults_and_quick():
    full = bench_main.options([])
    assert [c["name"] for c in cases.LAYERS] == full["layers"]
    assert list(cases.MODELS) == full["models"]
    assert full["tiers"][:2] == ["reference", "numpy"] and full["memory"]
    quick = bench_main.options(["--quick"])
    assert quick["models"] == list(cases.QUICK_MODELS) and "reference" not in quick["tiers"]
    # auto, the tier train uses, is timed in both, last: beside the tiers it chooses among
    assert quick["tiers"][0] == "numpy" and quick["tiers"][-1] == full["tiers"][-1] == "auto"
    assert quick["repeats"] < full["repeats"]
    assert full["batches"] == quick["batches"] == cases.BATCHES == 4
    assert bench_main.options(["--batches", "1"])["batches"] == 1
    some = bench_main.options(
        [
            "--layers",
            "relu",
            "--models",
            "none",
            "--tiers",
            "numpy",
            "--batch-size",
            "4",
            "--dtype",
            "float64",
            "--device",
            "cpu",
        ]
    )
    assert some["layers"] == ["relu"] and some["models"] == [] and some["tiers"] == ["numpy"]
    assert some["batch_size"] == 4 and some["dtype"] == "float64" and some["devices"] == ["cpu"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--layers", "conv9x9"], "unknown layers conv9x9"),
        (["--models", "resnet9000"], "unknown models resnet9000"),
        (["--tiers", "fortran"], "unknown tiers fortran"),
        (["--device", "tpu"], "--device must be cpu, cuda or auto"),
    ],
)
def test_bad_options_name_what_is_wrong(argv, message):
    with pytest.raises(UsageError, match=message):
        bench_main.options(argv)


def test_a_small_run_prints_the_table_and_writes_json_and_png(tmp_path, capsys):
    argv = [
        "--layers",
        "relu,maxpool3x3s2",
        "--models",
        "lenet5",
        "--batch-size",
        "2",
        "--tiers",
        "numpy",
        "--repeats",
        "2",
        "--no-memory",
        "--out",
        str(tmp_path),
        "--name",
        "t",
    ]
    before = np.geterr()
    assert bench_main.main(argv) == 0
    assert np.geterr() == before  # its warnings off while it runs, the caller's settings after
    out = capsys.readouterr().out
    assert "relu" in out and "lenet5" in out and "BLAS" in out
    result = json.loads((tmp_path / "t.json").read_text())
    assert [r["case"] for r in result["layers"]] == ["maxpool3x3s2", "relu"]
    model = result["models"][0]
    assert model["case"] == "lenet5" and model["batch"] == 2
    assert model["train_images_per_s"] > 0 and model["infer_images_per_s"] > 0
    assert "allocation" in result["environment"] and result["environment"]["numpy"] == np.__version__
    assert (tmp_path / "t.png").stat().st_size > 1000


def test_report_shows_ratios_and_gemm_share():
    t = {"median": 0.02, "q1": 0.019, "q3": 0.021, "min": 0.018, "max": 0.03, "n": 5}
    tt = dict(t, median=0.01)
    row = {
        "case": "conv3x3_64",
        "tier": "numpy",
        "device": "cpu",
        "forward": t,
        "forward_backward": t,
        "gflops_forward_backward": 360.0,
        "pct_of_gemm": 80.0,
        "torch_forward_backward": tt,
        "ratio_forward_backward": 2.0,
    }
    line = report.layer_table([row])[2]
    assert "20.00" in line and "80" in line and "2.00" in line and "10.00" in line


def test_report_says_how_many_batches_the_models_took_in_turn():
    assert report.batches_lines([{"case": "lenet5"}]) == []  # a record from before the option
    assert report.batches_lines([{"batches": 4}, {"batches": 4}]) == [
        "each model case ran on 4 different batches, taken in turn"
    ]
    assert report.batches_lines([{"batches": 1}]) == ["each model case ran on one batch, repeated"]


def test_workspaces_are_reused_not_reallocated():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    a, _ = im2col._im2col_into(x, (3, 3), (1, 1), (1, 1), (1, 1))  # the conv kernels' private copy
    b, _ = im2col._im2col_into(x + 1, (3, 3), (1, 1), (1, 1), (1, 1))
    assert np.shares_memory(a, b)
    # a padding of another size but the same padded shape must not see stale values
    y = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    cols, _ = im2col.im2col(y, (3, 3), (1, 1), (2, 2), (1, 1))
    zero_padded = np.pad(y, ((0, 0), (0, 0), (2, 2), (2, 2)))
    assert cols.reshape(3, 3, 3, 2, 6, 6)[0, 0, 0, 0, 0, 0] == zero_padded[0, 0, 0, 0] == 0


@pytest.mark.parametrize(
    "device, asked, want", [("cuda", True, True), ("cuda", False, False), ("cpu", True, False)]
)
def test_the_one_process_run_builds_graph_steps_only_on_cuda(monkeypatch, device, asked, want):
    from minicnn.bench import runner

    seen = []
    monkeypatch.setattr(
        cases, "model_step", lambda *a, graph=False, batches: seen.append((graph, batches)) or (lambda: None)
    )
    monkeypatch.setattr(cases, "model_infer", lambda *a, batches: seen.append(batches) or (lambda: None))
    monkeypatch.setattr(runner, "_sync", lambda device: None)
    opts = {"budget": 0.01, "dtype": "float32", "warmup": 0, "repeats": 1, "cuda_graph": asked}
    runner._model_row("lenet5", "auto", device, 2, ("train", "infer"), opts)
    assert seen == [(want, cases.BATCHES), cases.BATCHES]
