import numpy as np
import pytest
from zoo_helpers import count, forward_shape, images, train_steps

import minicnn as mc
from minicnn import models
from minicnn.models.lenet import C3_TABLE, H2_TABLE, PartialConv2d


def test_lenet1989_has_the_papers_9760_free_parameters():
    net = models.lenet1989()
    per_layer = {name: count(m) for name, m in net.named_children()}
    assert per_layer["h1"] == 12 * 25 + 12 * 8 * 8 == 1068
    assert per_layer["h2"] == 12 * 8 * 25 + 12 * 4 * 4 == 2592
    assert per_layer["h3"] == 30 * 192 + 30
    assert per_layer["output"] == 310
    assert count(net) == 9760
    assert all(len(t) == 8 for t in H2_TABLE)


def test_lenet5_1998_per_layer_counts_match_the_paper():
    net = models.lenet5("1998")
    per_layer = {name: count(m) for name, m in net.named_children()}
    expected = dict(c1=156, s2=12, c3=1516, s4=32, c5=48120, f6=10164, output=850)
    assert {k: per_layer[k] for k in expected} == expected
    assert count(net) == sum(expected.values())


def test_c3_table_is_table_one():
    assert [len(t) for t in C3_TABLE] == [3] * 6 + [4] * 9 + [6]
    uses = np.zeros((6, 16), int)
    for j, inputs in enumerate(C3_TABLE):
        uses[list(inputs), j] = 1
    assert uses.sum() == 60  # 60 connections in Table I
    assert list(uses[:, 15]) == [1] * 6


def test_partial_conv_reads_only_its_table():
    """Changing an input map that output j does not read leaves output j unchanged."""
    conv = PartialConv2d(C3_TABLE, 5).double()
    x = images((1, 6, 10, 10), dtype=np.float64)
    y0 = conv(x).numpy()
    x2 = x.numpy().copy()
    x2[:, 3] += 1.0
    y1 = conv(mc.tensor(x2)).numpy()
    changed = [j for j in range(16) if not np.allclose(y0[:, j], y1[:, j])]
    assert changed == [j for j, t in enumerate(C3_TABLE) if 3 in t]


@pytest.mark.parametrize("variant, params", [("modern", 61706), ("caffe", 431080)])
def test_lenet5_variant_counts(variant, params):
    assert count(models.lenet5(variant)) == params


@pytest.mark.parametrize(
    "build, shape",
    [
        (models.lenet1989, (2, 1, 16, 16)),
        (lambda: models.lenet5("modern"), (2, 1, 28, 28)),
        (lambda: models.lenet5("1998"), (2, 1, 32, 32)),
        (lambda: models.lenet5("caffe"), (2, 1, 28, 28)),
    ],
)
def test_output_shapes(build, shape):
    assert forward_shape(build(), shape) == (2, 10)


def test_num_classes_and_unknown_variant():
    assert forward_shape(models.lenet5(num_classes=7), (1, 1, 28, 28)) == (1, 7)
    with pytest.raises(ValueError, match="unknown variant 'lenet'"):
        models.lenet5("lenet")


@pytest.mark.parametrize("variant, shape", [("modern", (1, 1, 28, 28)), ("1998", (1, 1, 32, 32))])
def test_whole_model_gradcheck(variant, shape):
    net = models.lenet5(variant).double()
    assert mc.gradcheck(net, [images(shape, seed=1, dtype=np.float64)], mode="random")


def test_lenet1989_gradcheck():
    net = models.lenet1989().double()
    assert mc.gradcheck(net, [images((1, 1, 16, 16), seed=2, dtype=np.float64)], mode="random")


@pytest.mark.parametrize(
    "build, shape, lr",
    [
        (lambda: models.lenet5("modern"), (8, 1, 28, 28), 0.1),
        (lambda: models.lenet5("1998"), (8, 1, 32, 32), 0.05),
        (models.lenet1989, (8, 1, 16, 16), 0.05),
    ],
)
def test_training_lowers_the_loss(build, shape, lr):
    before, after = train_steps(build(), shape, 10, lr=lr)
    assert after < 0.8 * before


def test_wrong_input_size_names_the_layer():
    with pytest.raises(ValueError, match=r"c5.*5.*4"):
        models.lenet5("1998")(images((1, 1, 28, 28)))
    with pytest.raises(ValueError, match=r"Conv2d at '3'"):
        models.lenet5("modern")(images((1, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"h1.*\(12, 8, 8\)"):
        models.lenet1989()(images((1, 1, 28, 28)))
