"""relu_, elu_, leaky_relu_, hardtanh_, selu_, celu_, threshold_ and rrelu_: PyTorch's values,
written into x's own array and x returned, under minicnn's in-place rules (a leaf that requires
grad only under no_grad, a node of a graph never, an expand() view never; each change counted,
so a node that kept x refuses its backward afterwards)."""

import functools

import numpy as np
import pytest
from fixtures.gen_activation2 import IN_PLACE

import minicnn as mc
import minicnn.functional as F

CALLS = {name: functools.partial(op, F) for name, op in IN_PLACE.items()}  # the generator's calls
OUT_OF_PLACE = {  # the same numbers, computed out of place
    "relu_": lambda x: F.relu(x),
    "elu_": lambda x: F.elu(x, 0.5),
    "leaky_relu_": lambda x: F.leaky_relu(x, 0.2),
    "hardtanh_": lambda x: F.hardtanh(x, -0.5, 1.0),
    "selu_": lambda x: F.selu(x),
    "celu_": lambda x: F.celu(x, 0.5),
    "threshold_": lambda x: F.threshold(x, 0.1, 20.0),
    "rrelu_": lambda x: F.rrelu(x, 0.1, 0.3),
}


def test_every_in_place_case_is_tested(golden):
    assert {k.split(".")[0] for k in golden("activation2") if k.endswith("_.float64.y")} == set(IN_PLACE)
    assert set(OUT_OF_PLACE) == set(IN_PLACE)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_writes_pytorchs_values_into_x_and_returns_x(golden, name, dtype):
    g, key = golden("activation2"), f"{name}.{dtype}"
    x = mc.tensor(g[f"{key}.x"].copy())
    data, want = x.data, OUT_OF_PLACE[name](mc.tensor(g[f"{key}.x"])).numpy()
    assert CALLS[name](x) is x and x.data is data and x.dtype == dtype
    rtol = 1e-7 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(x.numpy(), g[f"{key}.y"], rtol=rtol, atol=0)
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_a_leaf_that_requires_grad_changes_under_no_grad_only(name, rng):
    values = rng.standard_normal(6)
    x = mc.tensor(values, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=rf"^a leaf Tensor that requires grad is used in an in-place operation \({name}\(\)\)",
    ):
        CALLS[name](x)
    np.testing.assert_array_equal(x.numpy(), values)
    with mc.no_grad():
        assert CALLS[name](x) is x
    assert x.is_leaf and x.requires_grad
    np.testing.assert_array_equal(x.numpy(), OUT_OF_PLACE[name](mc.tensor(values)).numpy())


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_a_node_of_a_graph_is_refused_naming_the_out_of_place_call(name, rng):
    x = mc.tensor(rng.standard_normal(6), requires_grad=True)
    node = x * 2.0
    with pytest.raises(
        RuntimeError,
        match=rf"^{name}\(\) on a Tensor inside an autograd graph: .*write x = F.{name[:-1]}\(x, ...\)$",
    ):
        CALLS[name](node)


def test_a_node_that_kept_x_refuses_its_backward_after_the_change(rng):
    x = mc.tensor(rng.standard_normal(5), requires_grad=True)
    y = (x * x).sum()  # Mul keeps x for its gradient
    with mc.no_grad():
        F.relu_(x)
    with pytest.raises(RuntimeError, match="changed in place|modified by an inplace"):
        y.backward()


def test_an_expanded_view_is_refused_and_a_row_of_it_is_not(rng):
    base = mc.tensor(rng.standard_normal((1, 3)))
    with pytest.raises(RuntimeError, match=r"^selu_\(\): expected x with memory of its own for each element"):
        F.selu_(base.expand(4, 3))
    row = mc.tensor([[-1.0, 2.0]])
    F.relu_(row[0])
    assert row.tolist() == [[0.0, 2.0]]


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_an_empty_tensor_is_taken_and_returned(name):
    x = mc.zeros(0, 2)  # (NumPy's strides (0, 0): no two elements share memory, there are none)
    assert CALLS[name](x) is x and x.shape == (0, 2)
    assert mc.zeros(3, 0).clamp_(0.0, 1.0).shape == (3, 0)


def test_rrelu_in_training_draws_as_rrelu_does(rng):
    values = rng.standard_normal(50)
    mc.manual_seed(4)
    want = F.rrelu(mc.tensor(values), 0.1, 0.3, training=True).numpy()
    x = mc.tensor(values)
    mc.manual_seed(4)
    F.rrelu_(x, 0.1, 0.3, training=True)
    np.testing.assert_array_equal(x.numpy(), want)
    slopes = x.numpy()[values < 0] / values[values < 0]
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and np.ptp(slopes) > 0.05


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.relu_(mc.tensor([1, -2])),
            TypeError,
            r"^relu_: input must be a floating-point tensor, got dtype int64",
        ),
        (lambda: F.elu_(np.zeros(2)), TypeError, "^elu_: input must be a minicnn Tensor"),
        (
            lambda: F.hardtanh_(mc.zeros(2), 2.0, 1.0),
            ValueError,
            "^hardtanh_: min_val cannot be greater than max_val",
        ),
        (lambda: F.celu_(mc.zeros(2), 0.0), ValueError, "^celu_: alpha cannot be 0"),
        (
            lambda: F.threshold_(mc.zeros(2), 0.0, 1e300),
            ValueError,
            "^threshold_: value 1e\\+300 cannot be written",
        ),
        (lambda: F.rrelu_(mc.zeros(2), 0.4, 0.3, True), ValueError, "^rrelu_: expected 0 <= lower <= upper"),
        (lambda: F.rrelu_(mc.zeros(2), "0.1"), TypeError, "^rrelu_: lower must be a real number, got '0.1'"),
        (
            lambda: F.leaky_relu_(mc.zeros(2), "0.1"),
            TypeError,
            "^leaky_relu_: negative_slope must be a real number, got '0.1'",
        ),
        (
            lambda: F.leaky_relu_(mc.zeros(2), negative_slope=0.1, inplace=True),
            TypeError,
            "unexpected keyword",
        ),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_nothing_is_written_when_an_argument_is_refused():
    x = mc.tensor([-1.0, 2.0])
    with pytest.raises(ValueError):
        F.hardtanh_(x, 2.0, 1.0)
    assert x.tolist() == [-1.0, 2.0]
