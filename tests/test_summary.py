import numpy as np
import pytest

import minicnn as mc
from minicnn import models
from minicnn.summary import summary


def test_lenet5_rows_params_and_macs():
    s = summary(models.lenet5(), (1, 28, 28))
    kinds = [r["kind"] for r in s.rows]
    assert kinds[0] == "Conv2d" and kinds[-1] == "Linear"
    assert s.rows[0]["output_shape"] == (1, 6, 28, 28)
    assert s.rows[0]["params"] == 156
    assert s.rows[0]["macs"] == 6 * 28 * 28 * 25
    assert s.rows[0]["activation_bytes"] == 6 * 28 * 28 * 4
    convs = [r for r in s.rows if r["kind"] == "Conv2d"]
    assert convs[1]["macs"] == 16 * 10 * 10 * 6 * 25
    assert s.total_params == 61_706 == sum(r["params"] for r in s.rows)
    macs = 6 * 784 * 25 + 16 * 100 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert s.total_macs == macs
    assert f"Total MACs: {macs:,} (0.417 M)" in str(s).splitlines()
    assert f"{6 * 784 * 25:,}" in str(s).splitlines()[2].split()  # the first conv's row, MACs column


def test_the_old_flops_names_say_they_held_multiply_adds():
    """``total_flops`` and a row's "flops" held multiply-adds: gone, with a pointer, not left wrong."""
    s = summary(models.lenet5(), (1, 28, 28))
    with pytest.raises(AttributeError, match=r"total_macs holds the multiply-adds .*2 \* total_macs"):
        print(s.total_flops)
    assert not hasattr(s, "total_flops")
    with pytest.raises(KeyError, match=r"'macs' holds its multiply-adds"):
        s.rows[0]["flops"]
    with pytest.raises(KeyError, match="'elbow'"):
        s.rows[0]["elbow"]


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
    assert c3["macs"] == 10 * 10 * 25 * 60  # 60 connections of Table I
    s = summary(models.mobilenet_v1(0.25, num_classes=10), (3, 32, 32))
    dw = next(r for r in s.rows if r["name"] == "features.1.depthwise.0")
    assert dw["macs"] == 8 * 16 * 16 * 9


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
    assert top.total_macs == leaves.total_macs > 0
    assert [r for r in top.rows if r["kind"] == "Sequential"][0]["macs"] > 0


def test_every_model_registers_the_input_it_was_designed_for():
    assert models.input_size("lenet1989") == (1, 16, 16)
    assert models.input_size("lenet5") == (1, 28, 28)
    assert models.input_size("alexnet") == (3, 227, 227)
    assert models.input_size("resnet56") == (3, 32, 32) == models.input_size("vgg11_bn_cifar")
    assert models.input_size("resnet50") == (3, 224, 224) == models.input_size("googlenet")
    assert all(len(models.input_size(name)) == 3 for name in models.list_models())


@pytest.mark.parametrize("name, variant", [("lenet5", "modern"), ("lenet5", "1998"), ("lenet5", "caffe")])
def test_a_variants_input_size_is_the_one_it_takes(name, variant):
    size = models.input_size(name, variant=variant)
    net = models.get(name, variant=variant).eval()
    x = mc.tensor(np.random.default_rng(48).random((2, *size), np.float32))
    assert net(x).shape == (2, 10)


def test_variant_input_sizes_and_refusals():
    assert models.input_size("lenet5", variant="1998") == (1, 32, 32)
    assert models.input_size("alexnet", variant="torchvision") == (3, 224, 224)
    assert models.input_size("alexnet", variant="paper") == (3, 227, 227)
    with pytest.raises(
        ValueError, match=r"input_size: lenet5 has no variant '2010'; expected one of \('modern'"
    ):
        models.input_size("lenet5", variant="2010")
    with pytest.raises(ValueError, match=r"input_size: resnet20 has no variant 'x'; expected none"):
        models.input_size("resnet20", variant="x")


def test_a_bare_layer_is_its_own_row():
    from minicnn import nn

    s = summary(nn.Conv2d(3, 8, 3, padding=1), (3, 10, 12))
    assert len(s) == 1 and s[0].kind == "Conv2d"
    assert s[0].params == 8 * 3 * 9 + 8
    assert s[0].macs == 8 * 3 * 9 * 10 * 12 and s[0].output_shape == (1, 8, 10, 12)


def test_depth_below_one_is_refused():
    for depth in (0, -1):
        with pytest.raises(ValueError, match=f"depth must be None .* or at least 1, got {depth}"):
            summary(models.resnet20(), (3, 32, 32), depth=depth)


def test_totals_are_the_whole_models_at_every_depth():
    net = models.resnet20()
    leaves = summary(net, (3, 32, 32))
    for depth in (1, 2, 3, 4, 9):  # conv1 and fc sit at depth 1; the blocks' convs at depth 3
        s = summary(net, (3, 32, 32), depth=depth)
        assert s.total_macs == leaves.total_macs == 40_551_040, depth
        assert sum(r.params for r in s.rows) == s.total_params, depth
    assert [r.name for r in summary(net, (3, 32, 32), depth=2)][:3] == ["conv1", "bn1", "relu"]


def test_a_module_with_weights_and_children_is_not_counted_twice():
    # 1989's H1 holds a per-unit bias beside its conv: listed with the leaves, its row keeps
    # only that bias, and the conv's MACs stay in the conv's row
    net = models.lenet1989()
    macs = 12 * 8 * 8 * 25 + 12 * 4 * 4 * 8 * 25 + 192 * 30 + 30 * 10
    assert summary(net, (1, 16, 16)).total_macs == macs == summary(net, (1, 16, 16), depth=1).total_macs


def test_parameters_of_modules_the_forward_did_not_run_are_named_in_the_totals():
    """GoogLeNet's auxiliary classifiers run only in training: the rows leave them out."""
    from minicnn import models
    from minicnn.summary import summary

    model = models.googlenet(aux_logits=True)
    table = summary(model, (3, 224, 224))
    aux = sum(int(p.numel()) for name, p in model.named_parameters() if name.startswith("aux"))
    assert aux > 0 and table.unlisted_params == aux
    assert f"{aux:,} in modules this forward did not run" in str(table)
    assert "did not run" not in str(summary(models.lenet5(), (1, 28, 28)))
    assert "Total MACs: 416,520 (0.417 M)" in str(summary(models.lenet5(), (1, 28, 28)))
