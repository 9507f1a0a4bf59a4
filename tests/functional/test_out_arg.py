"""``out=`` on the top-level functions (out_arg.py), as torch 2.13's: written into out, which is
returned; refused where autograd would record; out resized (with torch's warning where it held
elements); the result cast into out's dtype within its category. Values written from torch's
rules are marked so in a comment."""

import inspect
import re
import warnings

import numpy as np
import pytest

import minicnn as mc

ELEMENTWISE = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "floor_divide"]
UNARY = ["exp", "log", "sqrt", "sin", "cos", "sigmoid", "tanh", "abs", "neg", "sign", "round", "ceil"]
UNARY += ["floor"]


def _call(name, rng):
    """name's arguments drawn from rng (positive floats: log, sqrt and pow are defined)."""
    a = mc.tensor(rng.uniform(0.5, 3.0, (2, 3)))
    if name in ELEMENTWISE:
        return (a, mc.tensor(rng.uniform(0.5, 3.0, (2, 3)))), {}
    if name in UNARY:
        return (a,), {}
    return {
        "clamp": ((a,), {"min": 1.0, "max": 2.0}),
        "where": ((mc.tensor(rng.random((2, 3)) > 0.5), a, mc.tensor(rng.random((2, 3)))), {}),
        "matmul": ((a, mc.tensor(rng.standard_normal((3, 4)))), {}),
        "mm": ((a, mc.tensor(rng.standard_normal((3, 4)))), {}),
        "bmm": ((a[None], mc.tensor(rng.standard_normal((1, 3, 4)))), {}),
        "cat": (([a, mc.tensor(rng.standard_normal((1, 3)))],), {"dim": 0}),
        "stack": (([a, mc.tensor(rng.standard_normal((2, 3)))],), {"dim": 1}),
    }[name]


ALL = [*ELEMENTWISE, *UNARY, "clamp", "where", "matmul", "mm", "bmm", "cat", "stack"]


@pytest.mark.parametrize("seed, name", list(enumerate(ALL, start=300)))
def test_out_holds_the_result_and_is_returned(seed, name):
    rng = np.random.default_rng(seed)
    args, kwargs = _call(name, rng)
    y = getattr(mc, name)(*args, **kwargs)
    out = mc.zeros(y.shape, dtype=mc.float64)
    assert getattr(mc, name)(*args, out=out, **kwargs) is out
    np.testing.assert_array_equal(out.numpy(), y.numpy())
    assert "out" in inspect.signature(getattr(mc, name)).parameters  # (F.add is mc.add)


def test_the_write_is_counted_as_a_change_in_place():
    # torch: out._version goes up by one; a node that kept out then refuses its backward
    rng = np.random.default_rng(311)
    w = mc.tensor(rng.standard_normal(3), requires_grad=True)
    h = mc.tensor(rng.standard_normal(3))
    loss = (w * h).sum()  # Mul keeps h for w's gradient
    mc.mul(mc.tensor(rng.standard_normal(3)), 2.0, out=h)
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


@pytest.mark.parametrize("where", ["input", "out", "non-leaf out"])
def test_out_is_refused_where_autograd_would_record(where):
    rng = np.random.default_rng({"input": 312, "out": 313, "non-leaf out": 314}[where])
    x = mc.tensor(rng.standard_normal(3), requires_grad=where == "input")
    out = mc.zeros(3, requires_grad=where == "out")
    if where == "non-leaf out":
        out = mc.zeros(3, requires_grad=True) * 1.0
    with pytest.raises(RuntimeError) as err:
        mc.add(x, 1.0, out=out)
    message = str(err.value)  # torch's words, with the way out
    assert message.startswith("add(): functions with out=... arguments don't support automatic differen")
    assert "mc.no_grad()" in message and "\n" not in message
    with mc.no_grad():  # torch writes it there
        assert mc.add(x, 1.0, out=out) is out
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() + 1.0, rtol=1e-6)


def test_an_out_of_another_shape_is_resized_with_torch_s_warning():
    rng = np.random.default_rng(315)
    x, y = mc.tensor(rng.standard_normal(3)), mc.tensor(rng.standard_normal((2, 3)))
    out = mc.zeros(2)
    with pytest.warns(UserWarning, match=r"add\(\): an output with one or more elements was resized") as got:
        mc.add(x, y, out=out)
    assert "shape [2]" in str(got[0].message) and "shape [2, 3]" in str(got[0].message)
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out.numpy(), (x + y).numpy().astype(np.float32))  # float64 into float32


def test_an_empty_out_is_resized_silently():
    rng = np.random.default_rng(316)
    x = mc.tensor(rng.standard_normal((2, 2)), dtype=mc.float32)  # (matmul: out's dtype is the result's)
    out = mc.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mc.matmul(x, x, out=out)
    np.testing.assert_allclose(out.numpy(), x.numpy() @ x.numpy(), rtol=1e-6)


def test_a_view_of_another_shape_is_refused():
    # torch would write into its base's memory from the view's start; minicnn cannot resize a view
    rng = np.random.default_rng(317)
    base = mc.zeros(4)
    with pytest.raises(RuntimeError, match=r"^add\(\): out has shape \(2,\) and the result \(3,\).*view"):
        mc.add(mc.tensor(rng.standard_normal(3)), 1.0, out=base[:2])
    np.testing.assert_array_equal(base.numpy(), np.zeros(4))
    mc.add(mc.tensor([1.0, 2.0]), 1.0, out=base[1:3])  # of the result's shape: written through
    np.testing.assert_array_equal(base.numpy(), [0.0, 2.0, 3.0, 0.0])


def test_the_result_is_cast_within_its_category_as_torch():
    rng = np.random.default_rng(318)
    a = rng.integers(0, 100, 3)
    out = mc.zeros(3)  # int64 result into float32 out
    mc.add(mc.tensor(a), mc.tensor(a), out=out)
    np.testing.assert_array_equal(out.numpy(), (2 * a).astype(np.float32))
    # torch: torch.add([250, 3], [10, 4], out=uint8) is [4, 7] (int64 wraps into uint8)
    out = mc.zeros(2, dtype=mc.uint8)
    mc.add(mc.tensor([250, 3]), mc.tensor([10, 4]), out=out)
    assert out.tolist() == [4, 7]
    # torch: float32 1e8 + 1 into a float64 out is 1e8, computed in float32 and then cast
    out = mc.zeros(1, dtype=mc.float64)
    mc.add(mc.tensor([1e8]), mc.tensor([1.0]), out=out)
    assert out.item() == 1e8
    # torch: div of int64 tensors into float64 is float32's 1/3, 0.3333333432674408
    mc.div(mc.tensor([1]), mc.tensor([3]), out=out)
    assert out.item() == 0.3333333432674408
    # torch: float64 1e200 into a float32 out is inf
    mc.mul(mc.tensor([1e200], dtype=mc.float64), 1.0, out=(f32 := mc.zeros(1)))
    assert f32.item() == np.inf
    # torch: True + True into float32 is 1.0 (a bool result fits any dtype)
    mc.add(mc.tensor([True, False]), mc.tensor([True, True]), out=(f32 := mc.zeros(2)))
    assert f32.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "seed, call, out_dtype, error, says",
    [
        (319, lambda o: mc.add(mc.ones(2), 1, out=o), "int64", RuntimeError, "float32 can't be cast"),
        (320, lambda o: mc.div(mc.tensor([1, 2]), 2, out=o), "int64", RuntimeError, "output type int64"),
        (321, lambda o: mc.add(mc.tensor([1, 2]), 2.5, out=o), "int32", RuntimeError, "result type float32"),
        (322, lambda o: mc.mul(mc.tensor([1, 2]), 2, out=o), "bool", RuntimeError, "int64 can't be cast"),
        (323, lambda o: mc.cat([mc.ones(1), mc.ones(1)], out=o), "int64", TypeError, "^cat\\(\\): result"),
        (324, lambda o: mc.stack([mc.ones(1), mc.ones(1)], out=o), "int64", TypeError, "^stack\\(\\): "),
        (325, lambda o: mc.matmul(mc.ones((2, 2)), mc.eye(2), out=o), "float64", RuntimeError, "float32"),
        (326, lambda o: mc.mm(mc.ones((2, 2)), mc.ones((2, 2)), out=o), "float64", RuntimeError, "^mm\\(\\)"),
        (327, lambda o: mc.abs(mc.tensor([-1, 2]), out=o), "float32", RuntimeError, "^abs\\(\\): expec"),
        (328, lambda o: mc.clamp(mc.tensor([1, 5]), 0, 2, out=o), "int32", RuntimeError, "dtype int64"),
    ],
)
def test_an_out_dtype_torch_refuses_is_refused(seed, call, out_dtype, error, says):
    # torch: float -> integer or bool, integer -> bool refused; matmul, mm, bmm, abs, neg, sign,
    # round, ceil, floor, clamp and where take only the result's own dtype; cat and stack: TypeError
    out = mc.tensor(np.random.default_rng(seed).integers(0, 2, (2, 2)), dtype=np.dtype(out_dtype))
    before = out.numpy().copy()
    with pytest.raises(error, match=says) as err:
        call(out)
    assert "\n" not in str(err.value)
    np.testing.assert_array_equal(out.numpy(), before)  # nothing written


@pytest.mark.parametrize("out", [[0.0, 0.0], np.zeros(2), 0.0])
def test_out_must_be_a_tensor(out):
    with pytest.raises(TypeError, match=r"^add\(\): argument 'out' must be Tensor, not "):
        mc.add(mc.ones(2), 1.0, out=out)


def test_out_sharing_memory_with_itself_or_partly_with_an_input_is_refused():
    rng = np.random.default_rng(329)
    with pytest.raises(RuntimeError, match=r"^add\(\): expected out with memory of its own"):
        mc.add(mc.tensor(rng.standard_normal(3)), 1.0, out=mc.zeros(1).expand(3))
    b = mc.tensor(rng.standard_normal(4))
    with pytest.raises(RuntimeError, match="some elements of an input and of out refer to one memory"):
        mc.add(b[:3], 1.0, out=b[1:])
    x = mc.tensor(rng.standard_normal(3))
    expected = x.numpy() * 2
    assert mc.mul(x, 2.0, out=x) is x  # out=x itself: as x *= 2
    np.testing.assert_array_equal(x.numpy(), expected)


def test_an_inference_tensor_out_is_refused_outside_inference_mode():
    with mc.inference_mode():
        out = mc.zeros(2)
    with pytest.raises(RuntimeError, match="inference tensor outside mc.inference_mode"):
        mc.add(mc.ones(2), 1.0, out=out)


def test_the_tensor_methods_take_no_out_as_torch_s():
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        mc.ones(2).add(1.0, out=mc.zeros(2))


@pytest.mark.parametrize(
    "seed, args, says",
    [
        (340, lambda c, x: (c, x, 2), "'other' (position 3) must be Tensor, not int"),
        (341, lambda c, x: (c, 2.5, x), "'input' (position 2) must be Tensor, not float"),
        (342, lambda c, x: (c, x, np.float64(2)), "'other' (position 3) must be Tensor, not numpy.float64"),
        (343, lambda c, x: (c.numpy(), x, x), "'condition' (position 1) must be Tensor, not numpy.ndarray"),
        (344, lambda c, x: (c, True, False), "'input' (position 2) must be Tensor, not bool"),
    ],
)
def test_where_with_out_takes_only_tensors_as_torch_s(seed, args, says):
    rng = np.random.default_rng(seed)
    c, x = mc.tensor(rng.random(3) > 0.5), mc.tensor(rng.standard_normal(3))
    out = mc.zeros(3, dtype=mc.float64)
    with pytest.raises(TypeError, match=r"^where\(\): argument " + re.escape(says) + "$"):
        mc.where(*args(c, x), out=out)
    np.testing.assert_array_equal(out.numpy(), np.zeros(3))  # nothing written
    with pytest.raises(TypeError, match=r"^where\(\): argument 'other' must be Tensor, not int$"):
        mc.where(c, x, other=2, out=out)  # by keyword: no position, as torch's
    expected = np.where(c.numpy(), x.numpy(), 2.0)
    np.testing.assert_array_equal(mc.where(c, x, 2).numpy(), expected)  # without out=: taken
    assert mc.where(c, x, mc.tensor(2.0), out=out) is out  # a 0-d tensor is a Tensor
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("seed, name", [(350, "cat"), (351, "stack")])
def test_cat_and_stack_refuse_an_out_that_is_one_of_their_inputs_as_torch(seed, name):
    x = mc.tensor(np.random.default_rng(seed).standard_normal(3))
    before = x.numpy().copy()
    with pytest.raises(RuntimeError, match=rf"^{name}\(\): some elements of an input and of out refer"):
        getattr(mc, name)([x, x], out=x)
    assert x.shape == (3,)
    np.testing.assert_array_equal(x.numpy(), before)  # nothing written, not resized


def test_a_read_only_out_is_refused_in_one_line():
    a = np.random.default_rng(352).standard_normal(3)
    a.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # from_numpy's warning of a read-only array
        out = mc.from_numpy(a)
    with pytest.raises(ValueError, match=r"^add\(\): out is read-only"):
        mc.add(mc.ones(3, dtype=mc.float64), 1.0, out=out)
