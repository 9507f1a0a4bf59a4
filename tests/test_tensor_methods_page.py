"""The Tensor API page's table (tools/docs_hooks/tensor_methods.py) says what each method does.

Its "Graph" column is written by hand: "yes", the result is a node of the graph when x requires
grad; "no", it never is (an index, a bool, a number, a new leaf); "refused", an in-place change
of a tensor inside a graph is refused; "" for what is no op. Each name the page lists is called
here on a small float64 leaf that requires grad (an in-place one on a node of a graph, x * 1)
and the column is held to what it does. The page's description, the first sentence of the
docstring, is checked where it is cut short.
"""

import importlib.util
import inspect
import os
import zlib

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _hook():
    path = os.path.join(ROOT, "tools", "docs_hooks", "tensor_methods.py")
    spec = importlib.util.spec_from_file_location("tensor_methods_hook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _hook()
GRAPH = {name: graph for _, names in HOOK.GROUPS for name, graph in names.items()}


def _f64(*shape):
    return mc.ones(*shape, dtype=mc.float64)


def _f32_leaf(x):
    """x's values as a float32 leaf that requires grad (a cast to float64 then changes them)."""
    return x.detach().float().requires_grad_()


def _mask():
    return mc.tensor([[True, False, True], [False, True, False]])


# How each name is called on x, a (2, 3) float64 leaf that requires grad, or read where it is
# an attribute. A call that returns x itself (x.double(), x.cpu(), x.contiguous() of a
# contiguous x, as in PyTorch) is made on an x it changes.
CALLS = {
    # creation, conversion and what a tensor is
    "shape": lambda x: x.shape,
    "size": lambda x: x.size(),
    "dtype": lambda x: x.dtype,
    "device": lambda x: x.device,
    "is_cuda": lambda x: x.is_cuda,
    "ndim": lambda x: x.ndim,
    "dim": lambda x: x.dim(),
    "numel": lambda x: x.numel(),
    "data": lambda x: x.data,
    "is_inference": lambda x: x.is_inference(),
    "item": lambda x: x[0, 0].item(),
    "tolist": lambda x: x.tolist(),
    "numpy": lambda x: x.detach().numpy(),
    "to": lambda x: x.to(dtype=mc.float32),
    "cpu": lambda x: x.cuda().cpu(),
    "cuda": lambda x: x.cuda(),
    "float": lambda x: x.float(),
    "double": lambda x: _f32_leaf(x).double(),
    "long": lambda x: x.long(),
    "int": lambda x: x.int(),
    "bool": lambda x: x.bool(),
    "type": lambda x: x.type(mc.float32),
    "type_as": lambda x: x.type_as(mc.zeros(1)),
    "clone": lambda x: x.clone(),
    "contiguous": lambda x: x.detach().T.requires_grad_().contiguous(),
    "new_tensor": lambda x: x.new_tensor([1.0, 2.0]),
    "new_zeros": lambda x: x.new_zeros((2,)),
    "new_ones": lambda x: x.new_ones((2,)),
    "new_empty": lambda x: x.new_empty((2,)),
    "new_full": lambda x: x.new_full((2,), 3.0),
    # shape and views
    "view": lambda x: x.view(3, 2),
    "view_as": lambda x: x.view_as(_f64(3, 2)),
    "reshape": lambda x: x.reshape(-1),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (3, 1)),
    "squeeze": lambda x: x.view(2, 1, 3).squeeze(),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "permute": lambda x: x.permute(1, 0),
    "transpose": lambda x: x.transpose(0, 1),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "expand": lambda x: x.expand(4, 2, 3),
    "expand_as": lambda x: x.expand_as(_f64(4, 2, 3)),
    "repeat": lambda x: x.repeat(2, 1),
    "split": lambda x: x.split(1),
    "chunk": lambda x: x.chunk(2),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 1),
    # selecting and sorting
    "gather": lambda x: x.gather(1, mc.tensor([[0, 2], [1, 1]])),
    "index_select": lambda x: x.index_select(1, mc.tensor([2, 0])),
    "masked_fill": lambda x: x.masked_fill(_mask(), 0.0),
    "where": lambda x: x.where(_mask(), _f64(2, 3)),
    "sort": lambda x: x.sort(),
    "argsort": lambda x: x.argsort(),
    "topk": lambda x: x.topk(2),
    "scatter": lambda x: x.scatter(1, mc.tensor([[0], [2]]), _f64(2, 1)),
    "scatter_add": lambda x: x.scatter_add(1, mc.tensor([[0], [0]]), _f64(2, 1)),
    "index_add": lambda x: x.index_add(1, mc.tensor([1, 1]), _f64(2, 2)),
    "index_fill": lambda x: x.index_fill(1, mc.tensor([0]), 0.0),
    # math, elementwise and matrix
    "add": lambda x: x.add(1.0),
    "sub": lambda x: x.sub(1.0),
    "mul": lambda x: x.mul(2.0),
    "div": lambda x: x.div(2.0),
    "pow": lambda x: x.pow(2.0),
    "remainder": lambda x: x.remainder(0.7),
    "clamp": lambda x: x.clamp(0.6, 1.2),
    "clamp_min": lambda x: x.clamp_min(0.8),
    "clamp_max": lambda x: x.clamp_max(1.1),
    "clip": lambda x: x.clip(0.6, 1.2),
    "maximum": lambda x: x.maximum(_f64(2, 3)),
    "minimum": lambda x: x.minimum(_f64(2, 3)),
    "softmax": lambda x: x.softmax(1),
    "log_softmax": lambda x: x.log_softmax(1),
    "matmul": lambda x: x.matmul(_f64(3, 2)),
    "mm": lambda x: x.mm(_f64(3, 2)),
    "bmm": lambda x: x.view(1, 2, 3).bmm(_f64(1, 3, 2)),
    "lerp": lambda x: x.lerp(_f64(2, 3), 0.25),
    "addcmul": lambda x: x.addcmul(_f64(2, 3), _f64(3), value=0.5),
    "addcdiv": lambda x: x.addcdiv(_f64(2, 3), _f64(2, 1) * 2),
    # reductions
    "cumsum": lambda x: x.cumsum(1),
    "logsumexp": lambda x: x.logsumexp(1),
    # comparison
    "eq": lambda x: x.eq(1.0),
    "ne": lambda x: x.ne(1.0),
    "lt": lambda x: x.lt(1.0),
    "le": lambda x: x.le(1.0),
    "gt": lambda x: x.gt(1.0),
    "ge": lambda x: x.ge(1.0),
    # in place (on x * 1, a node of the graph)
    "add_": lambda y: y.add_(1.0),
    "sub_": lambda y: y.sub_(1.0),
    "mul_": lambda y: y.mul_(2.0),
    "div_": lambda y: y.div_(2.0),
    "clamp_": lambda y: y.clamp_(0.6, 1.2),
    "masked_fill_": lambda y: y.masked_fill_(_mask(), 0.0),
    "fill_": lambda y: y.fill_(0.0),
    "zero_": lambda y: y.zero_(),
    "copy_": lambda y: y.copy_(mc.zeros(2, 3, dtype=mc.float64)),
    "normal_": lambda y: y.normal_(),
    "uniform_": lambda y: y.uniform_(),
    "bernoulli_": lambda y: y.bernoulli_(0.5),
    "exponential_": lambda y: y.exponential_(),
    "random_": lambda y: y.random_(3),
    "round_": lambda y: y.round_(decimals=1),
    "pow_": lambda y: y.pow_(2),
    "clamp_min_": lambda y: y.clamp_min_(1.0),
    "clamp_max_": lambda y: y.clamp_max_(1.0),
    "clip_": lambda y: y.clip_(0.6, 1.2),
    "lerp_": lambda y: y.lerp_(_f64(2, 3), 0.5),
    "addcmul_": lambda y: y.addcmul_(_f64(2, 3), _f64(2, 3), value=2),
    "addcdiv_": lambda y: y.addcdiv_(_f64(2, 3), _f64(2, 3)),
    "scatter_": lambda y: y.scatter_(1, mc.tensor([[0], [2]]), 5.0),
    "scatter_add_": lambda y: y.scatter_add_(1, mc.tensor([[0], [2]]), _f64(2, 1)),
    "index_add_": lambda y: y.index_add_(1, mc.tensor([1, 1]), _f64(2, 2)),
    "index_fill_": lambda y: y.index_fill_(1, mc.tensor([0]), -1.0),
    # autograd
    "requires_grad": lambda x: x.requires_grad,
    "requires_grad_": lambda x: x.detach().requires_grad_(),
    "grad": lambda x: x.grad,
    "grad_fn": lambda x: x.grad_fn,
    "is_leaf": lambda x: x.is_leaf,
    "backward": lambda x: (x * x).sum().backward(),
    "retain_grad": lambda x: x.retain_grad(),  # None, as PyTorch's
    "retains_grad": lambda x: x.retains_grad,
    "register_hook": lambda x: x.register_hook(lambda g: g),
    "detach": lambda x: x.detach(),
    "detach_": lambda x: (x * 1).detach_(),
}
# called with no arguments: x.name()
BARE = (
    "neg", "abs", "sign", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu",
    "floor", "ceil", "round", "square", "reciprocal", "sum", "mean", "prod", "max", "min", "amax",
    "amin", "var", "std", "norm", "argmax", "argmin", "all", "any", "isnan", "relu_", "sigmoid_",
    "tanh_", "exp_", "log_", "sqrt_", "sin_", "cos_", "reciprocal_", "abs_", "neg_", "square_", "sign_",
    "floor_", "ceil_",
)  # fmt: skip
NEED_A_GPU = {"cpu", "cuda"}


def test_every_name_the_page_lists_has_a_sample_call_and_a_graph_value():
    assert not set(CALLS) & set(BARE)
    assert sorted({*CALLS, *BARE}) == sorted(GRAPH), set(GRAPH) ^ {*CALLS, *BARE}
    assert set(GRAPH.values()) == {"", "yes", "no", "refused"}


def _call(name, x):
    return CALLS[name](x) if name in CALLS else getattr(x, name)()


def _tensors(result):
    """The Tensors a call gives: itself, or those in the tuple it returns (sort's, split's)."""
    if isinstance(result, mc.Tensor):
        return [result]
    return [r for r in result if isinstance(r, mc.Tensor)] if isinstance(result, (tuple, list)) else []


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if GRAPH[n] != "refused"))
def test_the_graph_column_says_whether_the_result_is_a_node_of_the_graph(name):
    """yes: the result (one of them, for sort's values and indices) has a grad_fn; no: none
    has, or the result is no Tensor; "": the call makes no node (it gives x back, at most)."""
    if name in NEED_A_GPU and not backend.cuda_available():
        pytest.skip("needs CuPy and an NVIDIA GPU")
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = mc.tensor(rng.random((2, 3)) + 0.5, requires_grad=True)  # in (0.5, 1.5): log, sqrt defined
    assert x.dtype == mc.float64 and x.is_leaf
    recorded = [t is not x and t.grad_fn is not None for t in _tensors(_call(name, x))]
    if GRAPH[name] == "yes":
        assert any(recorded), f"Tensor.{name}: the page says it records a graph; it recorded none"
    else:
        assert not any(recorded), f"Tensor.{name}: the page says {GRAPH[name]!r}; it recorded a node"


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if GRAPH[n] == "refused"))
def test_what_the_graph_column_says_is_refused_is_refused_inside_a_graph_only(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = mc.tensor(rng.random((2, 3)) + 0.5, requires_grad=True)
    with pytest.raises(RuntimeError, match="inside an autograd graph: minicnn records no in-place"):
        _call(name, x * 1)
    y = x.detach() * 1  # needs no grad: written in place
    assert _call(name, y) is y
    with mc.no_grad():
        z = x * 1
        assert _call(name, z) is z


@pytest.mark.parametrize(
    "name, says",
    [
        ("std", "Standard deviation: sqrt(sum (x - mean)^2 / (n - correction)), the square root of ``var``"),
        ("var", "Variance over ``dim``: sum (x - mean)^2 / (n - correction), n the count reduced."),
        ("norm", "The vector p-norm (sum |x|^p)^(1/p) over ``dim``"),
        ("logsumexp", "log(sum(exp(x))) over ``dim``"),
        ("softmax", "y = e^x / sum e^x along ``dim``."),
        ("max", "The largest value: of everything (a Tensor), or along one ``dim``"),
    ],
)
def test_the_description_keeps_a_short_formula_after_a_colon(name, says):
    """A long first sentence is cut at its first colon, but a short statement before it
    ("Standard deviation") keeps the formula that follows, to a comma."""
    what = HOOK.first_sentence(HOOK._doc(inspect.getattr_static(mc.Tensor, name)))
    assert what.startswith(says) and what.endswith(".") and len(what) <= 161, what


@pytest.mark.parametrize(
    "sentence, cut",
    [
        ("Short: kept whole.", "Short: kept whole."),
        (
            "A statement long enough to stand alone, here: " + "detail, " * 20,
            "A statement long enough to stand alone, here",
        ),
        ("Short: f(x) = a, b (c, d), " + "detail " * 30, "Short: f(x) = a, b (c, d)"),
        ("Short: " + "x" * 200, "Short"),
        ("No colon, " + "y" * 200, "No colon, " + "y" * 200),
    ],
)
def test_a_long_sentence_is_cut_at_a_colon_or_after_a_short_formula(sentence, cut):
    assert HOOK._shorter(sentence) == cut
