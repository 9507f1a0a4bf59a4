"""bernoulli_, exponential_ and random_: drawn from minicnn's generator (mc.manual_seed repeats
them, generator= leaves it alone), with PyTorch's distributions, ranges and refusals. The
numbers themselves are not PyTorch's (another generator), so no golden arrays: the
distributions are checked by their means, within five standard errors."""

import numpy as np
import pytest

import minicnn as mc

DRAWS = {
    "bernoulli_": lambda x: x.bernoulli_(0.3),
    "exponential_": lambda x: x.exponential_(2.0),
    "random_": lambda x: x.random_(2, 9),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seed_repeats_the_draws_and_a_generator_of_its_own_leaves_it_alone(name):
    mc.manual_seed(11)
    a = DRAWS[name](mc.zeros(50)).numpy().copy()
    mc.manual_seed(11)
    b = DRAWS[name](mc.zeros(50)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, DRAWS[name](mc.zeros(50)).numpy())  # the next draws differ
    mc.manual_seed(11)
    getattr(mc.zeros(50), name)(generator=np.random.default_rng(5))  # an own generator, then a seed
    getattr(mc.zeros(50), name)(generator=5)
    np.testing.assert_array_equal(DRAWS[name](mc.zeros(50)).numpy(), a)


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_refused_refill_leaves_the_generator_where_it_was(name):
    """As normal_ and uniform_: the in-place checks come before the draws."""
    mc.manual_seed(12)
    want = DRAWS[name](mc.zeros(50)).numpy().copy()
    mc.manual_seed(12)
    leaf = mc.zeros(50, dtype=mc.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=name):
        DRAWS[name](leaf)
    np.testing.assert_array_equal(DRAWS[name](mc.zeros(50)).numpy(), want)


def test_bernoulli_draws_ones_with_probability_p_in_any_dtype(rng):
    x = mc.zeros(20000, dtype=mc.float64).bernoulli_(0.3, generator=int(rng.integers(1 << 30)))
    assert set(np.unique(x.numpy())) == {0.0, 1.0}
    assert abs(x.numpy().mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / 20000)
    p = mc.tensor([[0.0], [1.0], [0.5]])  # broadcast to x's shape
    rows = mc.zeros(3, 4000, dtype=mc.int64).bernoulli_(p, generator=1).numpy()
    assert rows[0].sum() == 0 and rows[1].sum() == 4000 and abs(rows[2].mean() - 0.5) < 0.04
    assert mc.zeros(8, dtype=mc.bool).bernoulli_(1.0).tolist() == [True] * 8
    assert mc.zeros(8, dtype=mc.uint8).bernoulli_().dtype == mc.uint8


def test_exponential_draws_have_mean_one_over_lambda(rng):
    x = mc.zeros(20000, dtype=mc.float64).exponential_(4.0, generator=int(rng.integers(1 << 30))).numpy()
    assert x.min() >= 0 and abs(x.mean() - 0.25) < 5 * 0.25 / np.sqrt(20000)
    assert mc.ones(3).exponential_(float("inf")).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "dtype, call, low, high",
    [
        ("float32", lambda x: x.random_(5), 0, 4),
        ("float64", lambda x: x.random_(-3, -1), -3, -2),
        ("int64", lambda x: x.random_(to=3), 0, 2),
        ("int32", lambda x: x.random_(2, None), 2, 2**31 - 1),
        ("uint8", lambda x: x.random_(), 0, 255),
        ("bool", lambda x: x.random_(), 0, 1),
        ("float32", lambda x: x.random_(), 0, 2**24),
    ],
)
def test_random_draws_integers_in_its_range(dtype, call, low, high):
    x = call(mc.zeros(3000, dtype=np.dtype(dtype))).numpy().astype(np.int64)
    assert low <= x.min() and x.max() <= high
    if high - low < 10:
        assert set(np.unique(x)) == set(range(low, high + 1))
    else:
        assert x.max() - x.min() > (high - low) // 2


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: mc.zeros(3).bernoulli_(1.5),
            ValueError,
            r"^bernoulli_\(\): expected p in \[0, 1\], got p=1.5",
        ),
        (
            lambda: mc.zeros(3).bernoulli_(mc.tensor([0.1, 1.5, 0.2])),
            ValueError,
            r"^bernoulli_\(\): expected p in \[0, 1\], got values outside it in p, e.g. 1.5",
        ),
        (
            lambda: mc.zeros(3).bernoulli_(mc.tensor([1, 0, 1])),
            TypeError,
            r"^bernoulli_\(\): expected a floating-point p",
        ),
        (
            lambda: mc.zeros(3).bernoulli_(mc.ones(2, 3) / 2),
            ValueError,
            r"^bernoulli_\(\): p of shape \(2, 3\) does not",
        ),
        (
            lambda: mc.zeros(3, dtype=mc.int64).exponential_(),
            RuntimeError,  # (PyTorch's: "Exponential distribution is a continuous probability ...")
            r"^exponential_\(\): expected a floating-point",
        ),
        (
            lambda: mc.zeros(3).exponential_(0),
            ValueError,
            r"^exponential_\(\): expected lambd > 0, got lambd=0",
        ),
        (
            lambda: mc.zeros(3).random_(5, 2),
            ValueError,
            r"^random_\(\): expected 'from' to be less than 'to', got from=5 >= to=2",
        ),
        (lambda: mc.zeros(3).random_(2.5), TypeError, r"^random_\(\): to must be an int, got float 2.5"),
        (
            lambda: mc.zeros(3, dtype=mc.uint8).random_(0, 257),
            ValueError,
            r"^random_\(\): to - 1 = 256 is out of bounds for uint8, \[0, 255\]",
        ),
        (
            lambda: mc.zeros(3, dtype=mc.bool).random_(-1, 1),
            ValueError,
            r"^random_\(\): from = -1 is out of bounds for bool, \[0, 1\]",
        ),
        (
            lambda: mc.zeros(3).random_(1, 2, 3),
            TypeError,
            r"^random_\(\): expected random_\(\), random_\(to\)",
        ),
    ],
)
def test_bad_arguments_are_refused_in_one_line_and_nothing_is_written(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_float_range_past_the_exact_integers_warns_as_pytorch():
    with pytest.warns(
        UserWarning, match=r"random_\(\): the range \[0, 33554431\] is beyond \[-2\*\*24, 2\*\*24\]"
    ):
        mc.zeros(3).random_(0, 2**25)


@pytest.mark.parametrize("dtype", [mc.int64, mc.int32, mc.uint8, mc.bool])
def test_exponential_of_an_integer_tensor_is_pytorchs_runtime_error(dtype):
    """PyTorch: RuntimeError "Exponential distribution is a continuous probability distribution";
    minicnn raised TypeError."""
    values = np.random.default_rng(4511).integers(0, 2, size=5)
    x = mc.tensor(values, dtype=dtype)
    with pytest.raises(
        RuntimeError, match=rf"^exponential_\(\): expected a floating-point tensor .*, got {dtype}$"
    ):
        x.exponential_()
    np.testing.assert_array_equal(x.numpy(), values.astype(dtype))


@pytest.mark.parametrize(
    "dtype, bounds", [(mc.uint8, (-1, 5)), (mc.uint8, (0, 300)), (mc.int8, (-200, 5)), (mc.bool, (0, 3))]
)
def test_random_bounds_an_integer_dtype_cannot_hold_are_pytorchs_runtime_error(dtype, bounds):
    """PyTorch: RuntimeError "from is out of bounds for unsigned char"; minicnn raised ValueError
    alone (it stays one, so code written for either catches it)."""
    x = mc.tensor(np.random.default_rng(4512).integers(0, 2, size=4), dtype=dtype)
    with pytest.raises(
        RuntimeError, match=rf"^random_\(\): (from|to - 1) = -?\d+ is out of bounds for {dtype}"
    ):
        x.random_(*bounds)
