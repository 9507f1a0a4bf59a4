import pytest

from minicnn import models
from minicnn.summary import available_memory, check_fits, estimate_activation_bytes, summary


def test_lenet5_rows_params_and_macs():
    s = summary(models.lenet5(), (1, 28, 28))
    kinds = [r["kind"] for r in s.rows]
    assert kinds[0] == "Conv2d" and kinds[-1] == "Linear"
    assert s.rows[0]["output_shape"] == (1, 6, 28, 28)
    assert s.rows[0]["params"] == 156
    assert s.rows[0]["flops"] == 6 * 28 * 28 * 25
    assert s.rows[0]["activation_bytes"] == 6 * 28 * 28 * 4
    convs = [r for r in s.rows if r["kind"] == "Conv2d"]
    assert convs[1]["flops"] == 16 * 10 * 10 * 6 * 25
    assert s.total_params == 61_706 == sum(r["params"] for r in s.rows)
    macs = 6 * 784 * 25 + 16 * 100 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert s.total_flops == macs


def test_depth_one_lists_top_level_children():
    s = summary(models.resnet20(), (3, 32, 32), depth=1)
    assert [r["name"] for r in s.rows] == [
        "conv1",
        "bn1",
        "relu",
        "layer1",
        "layer2",
        "layer3",
        "avgpool",
        "flatten",
        "fc",
    ]
    assert s.rows[3]["output_shape"] == (1, 16, 32, 32)
    assert s.rows[5]["output_shape"] == (1, 64, 8, 8)
    assert sum(r["params"] for r in s.rows) == s.total_params == 269_722


def test_grouped_and_partial_convs_count_macs():
    s = summary(models.lenet5("1998"), (1, 32, 32))
    c3 = next(r for r in s.rows if r["name"] == "c3")
    assert c3["flops"] == 10 * 10 * 25 * 60  # 60 connections of Table I
    s = summary(models.mobilenet_v1(0.25, num_classes=10), (3, 32, 32))
    dw = next(r for r in s.rows if r["name"] == "features.1.depthwise.0")
    assert dw["flops"] == 8 * 16 * 16 * 9


def test_table_prints_aligned_with_totals():
    text = str(summary(models.lenet5(), (1, 28, 28)))
    lines = text.splitlines()
    assert lines[0].startswith("Layer") and "MACs" in lines[0]
    assert "Total params: 61,706" in text and "Total MACs:" in text
    assert len({len(l) for l in lines[2:5]}) == 1 or all(l.rstrip() for l in lines[2:5])


def test_leaves_mode_and_restores_training_mode():
    net = models.googlenet(variant="torchvision", num_classes=10)
    net.train()
    s = summary(net, (3, 32, 32))
    assert net.training and net.inception3a.training
    assert s.total_params == sum(r["params"] for r in s.rows) + sum(
        p.numel() for name, p in net.named_parameters() if name.startswith("aux")
    )
    assert s.rows[-1]["output_shape"] == (1, 10)


def test_summary_runs_at_the_first_parameter_dtype():
    s = summary(models.lenet5().double(), (1, 28, 28))
    assert s.rows[0]["activation_bytes"] == 6 * 28 * 28 * 8


def test_container_rows_count_the_macs_of_their_layers():
    model = models.nin()
    leaves = summary(model, (3, 32, 32))
    top = summary(model, (3, 32, 32), depth=1)
    assert top.total_flops == leaves.total_flops > 0
    assert [r for r in top.rows if r["kind"] == "Sequential"][0]["flops"] > 0


def test_every_model_registers_the_input_it_was_designed_for():
    assert models.input_size("lenet1989") == (1, 16, 16)
    assert models.input_size("lenet5") == (1, 28, 28)
    assert models.input_size("alexnet") == (3, 227, 227)
    assert models.input_size("resnet56") == (3, 32, 32) == models.input_size("vgg11_bn_cifar")
    assert models.input_size("resnet50") == (3, 224, 224) == models.input_size("googlenet")
    assert all(len(models.input_size(name)) == 3 for name in models.list_models())


def test_activation_estimate_matches_the_summary_it_stands_for():
    net = models.resnet20()
    small = summary(net, (3, 32, 32)).total_activation_bytes
    assert estimate_activation_bytes(net, (3, 32, 32)) == small  # small inputs: run as given
    big = summary(net, (3, 512, 512)).total_activation_bytes
    assert estimate_activation_bytes(net, (3, 512, 512)) == pytest.approx(big, rel=0.02)


def test_a_model_that_needs_its_full_size_still_gets_a_lower_bound():
    # LeNet-5's classifier wants 28x28: the shrunk pass fails there, after the convolutions
    estimate = estimate_activation_bytes(models.lenet5(), (1, 2800, 2800))
    assert estimate >= 6 * 2800 * 2800 * 4  # conv1's output at least


def test_check_fits_refuses_with_the_estimate(monkeypatch):
    import importlib

    module = importlib.import_module("minicnn.summary")
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    check_fits(models.lenet5(), (1, 28, 28), batch_size=64)  # about 1.5 MB: fits
    with pytest.raises(
        MemoryError,
        match=r"on 1 x \(3, 4096, 4096\) would hold about .* GB of "
        r"activations, more than the 1.0 GB of memory",
    ):
        check_fits(models.resnet18(), (3, 4096, 4096))


def test_available_memory_is_a_positive_byte_count():
    have = available_memory()
    assert have is None or have > 2**20


def test_a_bare_layer_is_its_own_row():
    from minicnn import nn

    s = summary(nn.Conv2d(3, 8, 3, padding=1), (3, 10, 12))
    assert len(s) == 1 and s[0].kind == "Conv2d"
    assert s[0].params == 8 * 3 * 9 + 8
    assert s[0].flops == 8 * 3 * 9 * 10 * 12 and s[0].output_shape == (1, 8, 10, 12)
