"""LRN and batch norm: gradients, PyTorch's numbers, running statistics, modules, bad input."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

# --- registry: op specs for gradcheck ---------------------------------------


def _lrn(size, alpha=0.3, beta=0.75, k=1.0):
    return lambda x: F.local_response_norm(x, size, alpha, beta, k)


def _bn(training, affine, c):
    """A maker of the op: the running statistics are drawn from the test case's generator."""

    def make(rng):
        rm, rv = mc.tensor(rng.standard_normal(c) * 0.1), mc.tensor(rng.uniform(0.5, 2, c))

        def fn(x, *wb):
            w, b = wb if affine else (None, None)
            return F.batch_norm(x, rm, rv, w, b, training=training)

        return fn

    return make


GRADCHECK = {
    "lrn_size3": (lambda rng: _lrn(3), [(2, 5, 2, 3)]),
    "lrn_size5": (lambda rng: _lrn(5, beta=0.6, k=2.0), [(2, 7, 2, 2)]),
    "lrn_size_gt_channels": (lambda rng: _lrn(7, alpha=1.0), [(1, 3, 2, 2)]),
    "lrn_3d_input": (lambda rng: _lrn(4), [(2, 5, 3)]),
    "bn4d_train_affine": (_bn(True, True, 3), [(3, 3, 2, 2), (3,), (3,)]),
    "bn4d_train_plain": (_bn(True, False, 3), [(2, 3, 2, 3)]),
    "bn4d_eval_affine": (_bn(False, True, 3), [(2, 3, 2, 2), (3,), (3,)]),
    "bn2d_train_affine": (_bn(True, True, 4), [(5, 4), (4,), (4,)]),
    "bn2d_eval_plain": (_bn(False, False, 4), [(5, 4)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name, rng, t):
    make, shapes = GRADCHECK[name]
    fn = make(rng)
    inputs = [t(rng.standard_normal(s) * 1.5 + 0.2, grad=True) for s in shapes]
    assert mc.gradcheck(fn, inputs)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_batchnorm_module_parameters(training, rng, t):
    bn = nn.BatchNorm2d(3).double()
    bn.weight.data[...] = rng.uniform(0.5, 2, 3)
    bn.bias.data[...] = rng.standard_normal(3)
    bn.running_var.data[...] = rng.uniform(0.5, 2, 3)
    bn.train(training)
    assert mc.gradcheck(bn, [t(rng.standard_normal((2, 3, 2, 2)), grad=True)])


# --- against PyTorch --------------------------------------------------------

LRN_GOLDEN = {
    "lrn_s3": (3, 0.1, 0.75, 1.0),
    "lrn_s5": (5, 0.2, 0.75, 2.0),
    "lrn_big": (6, 0.3, 0.6, 1.5),
    "lrn_3d": (4, 0.1, 1.0, 1.0),
}


@pytest.mark.parametrize("tier", ["reference", "numpy", "auto"])
@pytest.mark.parametrize("name", sorted(LRN_GOLDEN))
def test_lrn_matches_pytorch(golden, name, tier, t):
    g = golden("norm")
    size, alpha, beta, k = LRN_GOLDEN[name]
    x = t(g[f"{name}_x"], grad=True)
    with mc.use_kernels(tier):
        y = F.local_response_norm(x, size, alpha, beta, k)
        y.backward(g[f"{name}_gy"])
    np.testing.assert_allclose(y.numpy(), g[f"{name}_y"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g[f"{name}_gx"], rtol=1e-7, atol=1e-12)


BN_GOLDEN = {
    "bn2d_train": (True, True),
    "bn2d_train_noaffine": (True, False),
    "bn2d_eval": (False, True),
    "bn1d_train": (True, True),
    "bn1d_eval_noaffine": (False, False),
}


@pytest.mark.parametrize("name", sorted(BN_GOLDEN))
def test_batch_norm_matches_pytorch_over_two_steps(golden, name, t):
    g = golden("norm")
    training, affine = BN_GOLDEN[name]
    rm, rv = t(g[f"{name}_rm0"]), t(g[f"{name}_rv0"])
    for step in (1, 2):
        p = f"{name}_{step}"
        x = t(g[f"{p}_x"], grad=True)
        w, b = (t(g[f"{name}_w"], grad=True), t(g[f"{name}_b"], grad=True)) if affine else (None, None)
        y = F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5)
        y.backward(g[f"{p}_gy"])
        np.testing.assert_allclose(y.numpy(), g[f"{p}_y"], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), g[f"{p}_gx"], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(rm.numpy(), g[f"{p}_rm"], rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(rv.numpy(), g[f"{p}_rv"], rtol=1e-7, atol=1e-12)
        if affine:
            np.testing.assert_allclose(w.grad.numpy(), g[f"{p}_gw"], rtol=1e-7, atol=1e-12)
            np.testing.assert_allclose(b.grad.numpy(), g[f"{p}_gb"], rtol=1e-7, atol=1e-12)


def test_batchnorm2d_module_matches_pytorch(golden, t):
    g = golden("norm")
    bn = nn.BatchNorm2d(4).double()
    bn.weight.data[...] = g["bn2d_train_w"]
    bn.bias.data[...] = g["bn2d_train_b"]
    bn.running_mean.data[...] = g["bn2d_train_rm0"]
    bn.running_var.data[...] = g["bn2d_train_rv0"]
    for step in (1, 2):
        y = bn(t(g[f"bn2d_train_{step}_x"]))
        np.testing.assert_allclose(y.numpy(), g[f"bn2d_train_{step}_y"], rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), g["bn2d_train_2_rv"], rtol=1e-7)
    assert int(bn.num_batches_tracked.item()) == 2


# --- semantics --------------------------------------------------------------


def test_lrn_is_exact_on_a_hand_example(t):
    # one pixel, 3 channels, size 3: s_c = k + alpha/3 * (x_{c-1}^2 + x_c^2 + x_{c+1}^2)
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    y = F.local_response_norm(t(x), 3, alpha=0.3, beta=0.5, k=1.0).numpy().ravel()
    s = 1 + 0.1 * np.array([1 + 4, 1 + 4 + 9, 4 + 9])
    np.testing.assert_allclose(y, [1, 2, 3] / np.sqrt(s), rtol=1e-14)


def test_non_contiguous_inputs_give_the_contiguous_answer(rng, t):
    base = rng.standard_normal((3, 2, 5, 4))
    view = t(base).permute(1, 0, 3, 2)  # (2, 3, 4, 5), not contiguous
    assert not view.data.flags.c_contiguous
    dense = t(np.ascontiguousarray(view.data))
    for tier in ("reference", "numpy", "auto"):
        with mc.use_kernels(tier):
            np.testing.assert_allclose(
                F.local_response_norm(view, 3, 0.5).numpy(),
                F.local_response_norm(dense, 3, 0.5).numpy(),
                rtol=1e-12,
            )
            rm, rv = t(np.zeros(3)), t(np.ones(3))
            np.testing.assert_allclose(
                F.batch_norm(view, rm, rv, training=True).numpy(),
                F.batch_norm(dense, rm, rv, training=True).numpy(),
                rtol=1e-12,
                atol=1e-14,
            )


def test_batch_norm_float32_close_to_float64(rng, t):
    x = rng.standard_normal((4, 3, 5, 5)) * 3 + 1
    y64 = F.batch_norm(t(x), None, None, training=True).numpy()
    y32 = F.batch_norm(mc.tensor(x.astype(np.float32)), None, None, training=True)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), y64, rtol=5e-3, atol=5e-4)


def test_training_normalises_each_channel(rng, t):
    x = t(rng.standard_normal((8, 3, 4, 4)) * 5 + 2)
    y = F.batch_norm(x, None, None, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-4)


def test_eval_mode_uses_running_stats_and_scales_the_gradient(rng, t):
    bn = nn.BatchNorm1d(3).double()
    bn.running_mean.data[...] = [1.0, 2.0, 3.0]
    bn.running_var.data[...] = [4.0, 1.0, 0.25]
    bn.eval()
    x = t(rng.standard_normal((5, 3)), grad=True)
    y = bn(x)
    sigma = np.sqrt(np.array([4, 1, 0.25]) + 1e-5)
    np.testing.assert_allclose(y.numpy(), (x.numpy() - [1, 2, 3]) / sigma, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(1 / sigma, (5, 3)), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 0


def test_momentum_none_is_a_cumulative_average(rng, t):
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [rng.standard_normal((6, 2)) + i for i in range(3)]
    for x in xs:
        bn(t(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0), rtol=1e-12)


def test_batchnorm_module_layout():
    bn = nn.BatchNorm2d(5)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(bn.weight.numpy(), np.ones(5))
    np.testing.assert_array_equal(bn.bias.numpy(), np.zeros(5))
    plain = nn.BatchNorm2d(5, affine=False, track_running_stats=False)
    assert list(plain.parameters()) == [] and list(plain.state_dict()) == []
    plain.eval()  # no running stats: batch statistics even in eval
    y = plain(mc.randn(4, 5, 2, 2, seed=0)).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)


@pytest.mark.parametrize(
    "layer, text",  # torch 2.13's reprs
    [
        (
            lambda: nn.BatchNorm2d(3),
            "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
        ),
        (
            lambda: nn.BatchNorm1d(2, affine=False),
            "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)",
        ),
        (
            lambda: nn.BatchNorm2d(4, 1e-3, None, track_running_stats=False, bias=False),
            "BatchNorm2d(4, eps=0.001, momentum=None, affine=True, bias=False, track_running_stats=False)",
        ),
    ],
)
def test_batchnorm_repr_as_pytorch(layer, text):
    assert repr(layer()) == text


def test_batchnorm_without_a_bias_scales_only(rng):
    """bias=False (PyTorch's keyword): no bias parameter nor state-dict key, y = weight xhat."""
    bn = nn.BatchNorm2d(3, bias=False).double()
    assert bn.bias is None and [name for name, _ in bn.named_parameters()] == ["weight"]
    assert list(bn.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    bn.weight.data[...] = [1.0, 2.0, -1.0]
    x = mc.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    y = bn(x)
    xhat = F.batch_norm(x, None, None, training=True).numpy()
    np.testing.assert_allclose(y.numpy(), xhat * np.array([1.0, 2.0, -1.0])[:, None, None], rtol=1e-12)
    assert mc.gradcheck(bn, [x])


def test_local_response_norm_module():
    m = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    x = mc.randn(2, 8, 3, 3, seed=1)
    np.testing.assert_array_equal(m(x).numpy(), F.local_response_norm(x, 5, 1e-4, 0.75, 2.0).numpy())
    assert "5, alpha=0.0001" in repr(m)


# --- bad input --------------------------------------------------------------


def test_bad_input():
    x4 = mc.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"local_response_norm: expected a 3-D.*\(2, 3\)"):
        F.local_response_norm(mc.randn(2, 3), 3)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        F.local_response_norm(mc.tensor(np.ones((1, 2, 3), dtype=np.int64)), 3)
    with pytest.raises(ValueError, match="size must be a positive int"):
        F.local_response_norm(x4, 0)
    with pytest.raises(ValueError, match=r"3 channel\(s\) but running_mean has shape \(4,\)"):
        F.batch_norm(x4, mc.zeros(4), mc.ones(4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(mc.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm2d(3)(mc.randn(1, 3, 1, 1))
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        F.batch_norm(x4, None, None, training=False)
    with pytest.raises(ValueError, match="batch_norm: eps must be positive in training, got 0"):
        F.batch_norm(x4, None, None, training=True, eps=0)
    y = F.batch_norm(x4, mc.zeros(3), mc.ones(3), training=False, eps=0)  # eval: as PyTorch, allowed
    np.testing.assert_array_equal(y.numpy(), x4.numpy())
    with pytest.raises(ValueError, match="give both running_mean and running_var, or neither"):
        F.batch_norm(mc.randn(2, 3), mc.zeros(3), None, training=True)
    with pytest.raises(TypeError, match="batch_norm: x is float32 but weight is float64"):
        F.batch_norm(mc.randn(2, 3), None, None, mc.ones(3, dtype=mc.float64), training=True)
    with pytest.raises(TypeError, match="int32"):
        F.batch_norm(mc.tensor(np.ones((2, 3), dtype=np.int32)), None, None, training=True)


def test_bad_input_to_modules_names_the_layer():
    net = nn.Sequential(nn.BatchNorm2d(3))
    with pytest.raises(
        ValueError, match=r"BatchNorm2d at '0': expected 4-D .* got 2-D input of shape \(2, 3\)"
    ):
        net(mc.randn(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d at '0': x has 4 channel\(s\).*num_features=3"):
        net(mc.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2-D \(N, C\) or 3-D"):
        nn.BatchNorm1d(3)(mc.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="LocalResponseNorm: size must be a positive int"):
        nn.LocalResponseNorm(-1)


@pytest.mark.parametrize("layer", [nn.BatchNorm1d, nn.BatchNorm2d])
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eps": 0}, "eps must be a positive number, got 0"),
        ({"eps": "1e-5"}, "eps must be a positive number, got '1e-5'"),
        ({"momentum": 1.5}, r"momentum must be in \[0, 1\] or None, got 1.5"),
        ({"momentum": True}, r"momentum must be in \[0, 1\] or None, got True"),
    ],
)
def test_bad_hyperparameters_are_refused_at_construction_as_instance_norms_are(layer, kwargs, message):
    with pytest.raises(ValueError, match=rf"^{layer.__name__}: {message}$"):
        layer(3, **kwargs)


def test_batch_norm_updates_plain_array_running_stats_in_place():
    x = mc.tensor(np.random.default_rng(3).standard_normal((8, 4, 5, 5)))
    mean, var = np.zeros(4), np.ones(4)
    F.batch_norm(x, mean, var, training=True, momentum=0.5)
    batch = x.numpy().transpose(1, 0, 2, 3).reshape(4, -1)
    np.testing.assert_allclose(mean, 0.5 * batch.mean(1), rtol=1e-12)
    np.testing.assert_allclose(var, 0.5 + 0.5 * batch.var(1, ddof=1), rtol=1e-12)


def test_the_batch_norm_function_computes_its_own_statistics():
    """Its backward differentiates through the batch mean and variance it computed itself."""
    from minicnn.functional.norm import BatchNorm

    rng = np.random.default_rng(71)
    x = mc.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    b = mc.tensor(rng.standard_normal(3), requires_grad=True)
    params = dict(running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5)
    assert mc.gradcheck(lambda x, w, b: BatchNorm.apply(x, w, b, **params), [x, w, b])
    y = BatchNorm.apply(x, w, b, **params).numpy()
    xhat = (y - b.numpy()[:, None, None]) / w.numpy()[:, None, None]
    np.testing.assert_allclose(xhat.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(xhat.var(axis=(0, 2, 3)), 1, rtol=1e-4)


@pytest.mark.parametrize(
    "value, shown", [(1, "int 1"), (0, "int 0"), ("no", "str 'no'"), (np.True_, "numpy")]
)
def test_a_batch_norm_training_flag_that_is_no_bool_is_refused_as_pytorch_refuses_it(value, shown):
    """PyTorch: "batch_norm(): argument 'training' (position 6) must be bool, not int"; minicnn
    took "no" as training and updated the running statistics."""
    rng = np.random.default_rng(4509)
    x, rm, rv = (
        mc.tensor(rng.normal(size=(4, 3, 2, 2))),
        mc.zeros(3, dtype=mc.float64),
        mc.ones(3, dtype=mc.float64),
    )
    with pytest.raises(
        TypeError, match=rf"^batch_norm: training must be a bool \(True or False\), got {shown}"
    ):
        F.batch_norm(x, rm, rv, training=value)
    assert rm.tolist() == [0.0, 0.0, 0.0]  # (refused before the running statistics moved)
