"""nn.init: PyTorch's gains and fans, and sample statistics of each initialiser."""

import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.nn import init


def param(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans_of_linear_and_conv_weights():
    assert init._calculate_fan_in_and_fan_out(param(10, 84)) == (84, 10)
    assert init._calculate_fan_in_and_fan_out(param(64, 3, 7, 7)) == (3 * 49, 64 * 49)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(param(5))


# (shape, initialiser, kwargs, expected std, bound or None) on a large tensor, so that the
# sample std is within 1% (its own error is about 0.2%); a wrong fan or gain is off by far more
SHAPE = (256, 64, 3, 3)  # fan_in 576, fan_out 2304
CASES = [
    ("kaiming_normal_", {}, math.sqrt(2) / math.sqrt(576), None),  # leaky_relu, a=0
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 2304), None),
    ("kaiming_uniform_", dict(a=math.sqrt(5)), 1 / math.sqrt(3 * 576), 1 / math.sqrt(576)),
    ("kaiming_uniform_", dict(nonlinearity="relu"), math.sqrt(2 / 576), math.sqrt(6 / 576)),
    ("xavier_uniform_", {}, math.sqrt(2 / (576 + 2304)), math.sqrt(6 / (576 + 2304))),
    ("xavier_normal_", dict(gain=init.calculate_gain("tanh")), 5 / 3 * math.sqrt(2 / 2880), None),
    ("normal_", dict(mean=0.0, std=0.01), 0.01, None),
    ("uniform_", dict(a=-0.2, b=0.2), 0.2 / math.sqrt(3), 0.2),
]


@pytest.mark.parametrize("name, kwargs, std, bound", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_initialiser_statistics(name, kwargs, std, bound):
    w = param(*SHAPE)
    assert getattr(init, name)(w, generator=0, **kwargs) is w
    data = w.data.astype(np.float64)
    assert w.dtype == np.float32
    np.testing.assert_allclose(data.std(), std, rtol=0.01)
    assert abs(data.mean()) < 4 * std / math.sqrt(data.size)
    if bound is not None:
        assert np.abs(data).max() <= bound * (1 + 1e-6) and np.abs(data).max() > 0.99 * bound


def test_constant_initialisers_and_raw_arrays():
    w = param(3, 4)
    init.ones_(w)
    assert (w.data == 1).all()
    init.constant_(w, 0.25)
    assert (w.data == 0.25).all()
    init.zeros_(w)
    assert (w.data == 0).all()
    raw = np.zeros((2, 2))
    init.normal_(raw, std=3.0, generator=1)  # works on a bare array too, in place
    assert raw.std() > 0


def test_generators_seeds_and_the_default_stream():
    a, b = param(50, 20), param(50, 20)
    init.kaiming_normal_(a, generator=7)
    init.kaiming_normal_(b, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    mc.manual_seed(5)
    init.xavier_uniform_(a)
    mc.manual_seed(5)
    init.xavier_uniform_(b)
    np.testing.assert_array_equal(a.data, b.data)
    init.xavier_uniform_(b)  # the default stream moved on
    assert not np.array_equal(a.data, b.data)
    with pytest.raises(TypeError, match=r"^manual_seed: seed must be an int, or what int\(\) takes"):
        mc.manual_seed(None)
    with pytest.raises(TypeError, match="generator must be"):
        init.normal_(a, generator="seed")


@pytest.mark.parametrize(
    "seed, same_as",
    [(1.5, 1), (-1.9, -1), (True, 1), ("7", 7), (np.float64(3.99), 3), (-1, 2**64 - 1), (-(2**63), 2**63)],
)
def test_manual_seed_reads_a_seed_as_torch_does_int_then_modulo_2_to_the_64(seed, same_as):
    mc.manual_seed(same_as)
    want = mc.rand(5).numpy()
    assert mc.manual_seed(seed) is mc.rng.default_generator()
    np.testing.assert_array_equal(mc.rand(5).numpy(), want)
    mc.manual_seed(same_as ^ 1)  # (another seed)
    assert not np.array_equal(mc.rand(5).numpy(), want)


def test_zero_element_tensors_warn_and_stay():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(param(0, 3))


@pytest.mark.filterwarnings("error")
def test_the_other_inits_take_zero_element_tensors_silently_as_pytorch():
    fills = (init.uniform_, init.normal_, init.zeros_, init.ones_, init.xavier_uniform_, init.xavier_normal_)
    for fill in fills:
        assert fill(param(0, 3)).shape == (0, 3)
    assert nn.Embedding(0, 3).weight.shape == (0, 3) and nn.Embedding(4, 0).weight.shape == (4, 0)


DRAWS = {
    "normal_": lambda t: init.normal_(t),
    "uniform_": lambda t: init.uniform_(t, -3.0, 3.0),
    "xavier_normal_": lambda t: init.xavier_normal_(t, gain=5.0),
    "xavier_uniform_": lambda t: init.xavier_uniform_(t, gain=5.0),
    "kaiming_normal_": lambda t: init.kaiming_normal_(t),
    "kaiming_uniform_": lambda t: init.kaiming_uniform_(t),
}


@pytest.mark.parametrize("name", DRAWS)
@pytest.mark.parametrize("dtype", [mc.int64, mc.int32, mc.uint8, mc.bool])
def test_a_random_init_of_an_integer_or_bool_tensor_is_refused_as_pytorch_refuses_it(name, dtype):
    """PyTorch: NotImplementedError ("normal_kernel_cpu" not implemented for 'Long'); minicnn
    wrote the draws cut to integers. constant_, zeros_ and ones_ take any dtype, as PyTorch's."""
    values = np.random.default_rng(4510).integers(0, 2, size=(3, 4))
    t = mc.tensor(values, dtype=dtype)
    with pytest.raises(NotImplementedError, match=rf"^nn\.init\.{name}: not implemented for dtype {dtype}"):
        DRAWS[name](t)
    np.testing.assert_array_equal(t.numpy(), values.astype(dtype))  # (left as it was)
    assert init.constant_(t, 1).numpy().all()
