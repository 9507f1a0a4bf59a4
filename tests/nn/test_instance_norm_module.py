"""InstanceNorm2d and InstanceNorm1d: PyTorch's parameters, buffers, state-dict names and
printing, what training and eval compute with and without running statistics, and their
refusals (their numbers against PyTorch's: tests/fixtures/gen_layers.py)."""

import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


def test_by_default_no_parameters_no_buffers_and_pytorchs_printing():
    m = nn.InstanceNorm2d(3)
    assert not list(m.parameters()) and not list(m.buffers()) and not m.state_dict()
    assert repr(m) == (
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    )
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert m.state_dict()._metadata[""] == {"version": 2}
    assert m.weight.tolist() == [1.0] * 3 and m.bias.tolist() == [0.0] * 3
    assert m.running_var.tolist() == [1.0] * 3 and m.num_batches_tracked.dtype == np.int64
    no_bias = nn.InstanceNorm2d(3, affine=True, bias=False, dtype=np.float64)
    assert no_bias.bias is None and no_bias.weight.dtype == np.float64 and "bias=False" in repr(no_bias)


def test_without_running_statistics_training_and_eval_compute_the_same(rng):
    m = nn.InstanceNorm2d(2, affine=True).double()
    x = mc.tensor(rng.standard_normal((3, 2, 4, 4)))
    np.testing.assert_array_equal(m(x).numpy(), m.eval()(x).numpy())
    planes = m(x).numpy().reshape(3, 2, -1)
    np.testing.assert_allclose(planes.mean(axis=2), 0, atol=1e-12)


def test_with_running_statistics_training_updates_them_and_eval_uses_them(rng):
    m = nn.InstanceNorm2d(2, momentum=0.5, track_running_stats=True).double()
    x = rng.standard_normal((3, 2, 4, 4)) * 2 + 1
    m(mc.tensor(x))
    planes = x.reshape(3, 2, -1)
    mean, var = 0.5 * planes.mean(axis=2).mean(axis=0), 0.5 + 0.5 * planes.var(axis=2, ddof=1).mean(axis=0)
    np.testing.assert_allclose(m.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), var, rtol=1e-12)
    assert m.num_batches_tracked.item() == 0  # as PyTorch's: instance norm never counts
    m.eval()
    z = rng.standard_normal((1, 2, 3, 3))
    want = (z - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    np.testing.assert_allclose(m(mc.tensor(z)).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(m.running_mean.numpy(), mean, rtol=1e-12)  # eval leaves them
    assert m(mc.tensor(z[:, :, :1, :1])).shape == (1, 2, 1, 1)  # one value per plane is fine in eval
    m.reset_parameters()
    assert m.running_mean.tolist() == [0.0, 0.0] and m.running_var.tolist() == [1.0, 1.0]


def test_momentum_none_leaves_the_running_statistics_as_pytorchs_does(rng):
    m = nn.InstanceNorm2d(2, momentum=None, track_running_stats=True)
    m(mc.tensor(rng.standard_normal((2, 2, 3, 3))).float())
    assert m.running_mean.tolist() == [0.0, 0.0] and m.running_var.tolist() == [1.0, 1.0]


def test_one_image_is_a_batch_of_one(rng):
    m = nn.InstanceNorm2d(3, affine=True).double()
    x = mc.tensor(rng.standard_normal((3, 4, 5)))
    np.testing.assert_array_equal(m(x).numpy(), m(x.unsqueeze(0)).numpy()[0])


def test_a_channel_count_other_than_num_features_warns_without_affine_and_is_refused_with_it(rng):
    x = mc.tensor(rng.standard_normal((2, 4, 3, 3)))
    with pytest.warns(
        UserWarning, match=r"InstanceNorm2d: input's size at dim=1 does not match num_features \(3\)"
    ):
        assert nn.InstanceNorm2d(3)(x).shape == (2, 4, 3, 3)
    with pytest.raises(
        ValueError,
        match=r"^InstanceNorm2d: expected input's size at dim=1 to match num_features \(3\), but got: 4",
    ):
        nn.InstanceNorm2d(3, affine=True).double()(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"running_mean has shape \(3,\), expected \(4,\)"):
            nn.InstanceNorm2d(3, track_running_stats=True).double()(x)


@pytest.mark.parametrize(
    "build, error, message",
    [
        (
            lambda: nn.InstanceNorm2d(0),
            ValueError,
            r"^InstanceNorm2d: num_features must be a positive int, got 0",
        ),
        (
            lambda: nn.InstanceNorm2d(3, eps=0),
            ValueError,
            r"^InstanceNorm2d: eps must be a positive number, got 0",
        ),
        (
            lambda: nn.InstanceNorm2d(3, momentum=2),
            ValueError,
            r"momentum must be in \[0, 1\] or None, got 2",
        ),
    ],
)
def test_bad_arguments_are_refused_at_construction(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_bad_input_is_refused_naming_the_layer():
    model = nn.Sequential(nn.InstanceNorm2d(2))
    with pytest.raises(ValueError, match=r"^InstanceNorm2d at '0': expected 3D or 4D input \(got 2D input\)"):
        model(mc.zeros(2, 2))
    with pytest.raises(
        ValueError, match=r"^InstanceNorm2d at '0': Expected more than 1 spatial element when training"
    ):
        model(mc.zeros(3, 2, 1, 1))
    with pytest.raises(TypeError, match=r"^InstanceNorm2d: expected a Tensor, got ndarray"):
        nn.InstanceNorm2d(2)(np.zeros((1, 2, 3, 3)))


# --- InstanceNorm1d: the same base, rows (N, C, L) or one (C, L) --------------------------


def test_1d_parameters_buffers_and_printing_as_pytorchs():
    m = nn.InstanceNorm1d(4)
    assert not list(m.parameters()) and not list(m.buffers()) and not m.state_dict()
    assert repr(m) == (
        "InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    )
    m = nn.InstanceNorm1d(4, affine=True, track_running_stats=True, dtype=np.float64)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert m.state_dict()._metadata[""] == {"version": 2}
    assert m.weight.dtype == np.float64 and m.running_var.tolist() == [1.0] * 4


def test_1d_running_statistics_from_each_rows_statistics(rng):
    m = nn.InstanceNorm1d(3, momentum=0.25, track_running_stats=True).double()
    x = rng.standard_normal((4, 3, 6)) * 3 - 2
    y = m(mc.tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(axis=2), 0, atol=1e-12)
    mean, var = 0.25 * x.mean(axis=2).mean(axis=0), 0.75 + 0.25 * x.var(axis=2, ddof=1).mean(axis=0)
    np.testing.assert_allclose(m.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(m.running_var.numpy(), var, rtol=1e-12)
    z = rng.standard_normal((2, 3, 1))  # one value per row: fine in eval
    want = (z - mean[:, None]) / np.sqrt(var[:, None] + 1e-5)
    np.testing.assert_allclose(m.eval()(mc.tensor(z)).numpy(), want, rtol=1e-12)


def test_1d_one_row_set_is_a_batch_of_one(rng):
    m = nn.InstanceNorm1d(3, affine=True).double()
    x = mc.tensor(rng.standard_normal((3, 5)))
    np.testing.assert_array_equal(m(x).numpy(), m(x.unsqueeze(0)).numpy()[0])


def test_1d_a_channel_count_other_than_num_features_warns_without_affine_and_is_refused_with_it(rng):
    x = mc.tensor(rng.standard_normal((4, 5)))
    with pytest.warns(UserWarning, match=r"^InstanceNorm1d: input's size at dim=0 does not match"):
        assert nn.InstanceNorm1d(3)(x).shape == (4, 5)
    with pytest.raises(ValueError, match=r"^InstanceNorm1d: expected input's size at dim=1 to match"):
        nn.InstanceNorm1d(3, affine=True).double()(x.unsqueeze(0))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: nn.InstanceNorm1d(0), ValueError, r"^InstanceNorm1d: num_features must be a positive int"),
        (lambda: nn.InstanceNorm1d(3, eps=-1), ValueError, r"^InstanceNorm1d: eps must be a positive number"),
        (lambda: nn.InstanceNorm1d(3, momentum=-0.1), ValueError, r"^InstanceNorm1d: momentum must be in"),
        (
            lambda: nn.InstanceNorm1d(2)(mc.zeros(1, 2, 3, 3)),
            ValueError,
            r"^InstanceNorm1d: expected 2D or 3D input \(got 4D input\)",
        ),
        (
            lambda: nn.InstanceNorm1d(2)(mc.zeros(2)),
            ValueError,
            r"^InstanceNorm1d: expected 2D or 3D input \(got 1D input\)",
        ),
        (
            lambda: nn.InstanceNorm1d(2)(mc.zeros(3, 2, 1)),
            ValueError,
            r"^InstanceNorm1d: Expected more than 1 spatial element when training",
        ),
        (
            lambda: nn.InstanceNorm1d(2)([[1.0, 2.0]]),
            TypeError,
            r"^InstanceNorm1d: expected a Tensor, got list",
        ),
    ],
)
def test_1d_refusals_name_the_layer(call, error, message):
    with pytest.raises(error, match=message):
        call()
