import numpy as np
import pytest

import minicnn as mc
from minicnn import models
from minicnn.summary import available_memory, check_fits, estimate_activation_bytes, summary


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
    assert s[0].macs == 8 * 3 * 9 * 10 * 12 and s[0].output_shape == (1, 8, 10, 12)


def _summary_module():
    import importlib

    return importlib.import_module("minicnn.summary")  # the package's `summary` is the function


def test_the_probe_stays_small_whatever_the_aspect_ratio(monkeypatch, rng):
    module = _summary_module()
    probes, real_run = [], module.run
    monkeypatch.setattr(module, "run", lambda model, size, **kw: probes.append(size) or real_run(model, size))
    side = int(rng.integers(10**10, 10**12))
    for shape in [(1, side, 1), (1, 1, side), (1, side, int(rng.integers(2, 300)))]:
        estimate = estimate_activation_bytes(models.lenet5(), shape)
        c, h, w = probes[-1]
        assert c == 1 and h <= module.PROBE_SIDE and w <= module.PROBE_SIDE, (shape, probes[-1])
        assert estimate > 0
    # a 1-wide input: conv1 (padding 2 keeps the size) and its ReLU run, then pooling fails
    assert estimate_activation_bytes(models.lenet5(), (1, side, 1)) == 2 * 6 * 4 * side


def test_an_input_too_big_by_itself_is_refused_before_any_probe(monkeypatch, rng):
    module = _summary_module()
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    monkeypatch.setattr(module, "run", lambda *a, **kw: pytest.fail("a probe was built"))
    side = int(rng.integers(10**9, 10**18)) * 100
    with pytest.raises(MemoryError, match=rf"on 1 x \(1, {side}, 1\) would hold .* input alone.* not run"):
        check_fits(models.lenet5(), (1, side, 1))


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


def test_check_classes_counts_the_parameters_without_building_them(monkeypatch, rng):
    module = _summary_module()
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    built = []

    def build(n):
        built.append(n)
        return models.lenet5(num_classes=n)

    classes = int(rng.integers(10**7, 10**8))
    total = 61_706 + 85 * (classes - 10)  # LeNet-5's last layer: 84 weights and a bias per class
    with pytest.raises(MemoryError, match=f"{classes:,} classes would give the model {total:,} parameters"):
        module.check_classes(build, classes)
    assert built == [1, 2]
    module.check_classes(build, int(rng.integers(11, 1000)))  # fits: nothing said


def test_check_classes_refuses_a_count_whose_output_alone_is_too_big(monkeypatch, rng):
    module = _summary_module()
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    classes = int(rng.integers(2**28 + 1, 10**12))
    with pytest.raises(MemoryError, match="output alone would hold at least .* not built"):
        module.check_classes(lambda n: pytest.fail("built a model"), classes)


@pytest.mark.parametrize("name", ["lenet1989", "lenet5", "nin", "resnet20", "googlenet", "mobilenet_v1"])
def test_each_class_adds_the_same_parameters(name, rng):
    # what check_classes rests on: the count is linear in the number of classes
    def count(n):
        return sum(int(p.numel()) for p in models.get(name, num_classes=n).parameters())

    n = int(rng.integers(3, 40))
    assert count(n) == count(1) + (n - 1) * (count(2) - count(1))


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
