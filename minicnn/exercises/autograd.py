"""Exercises on the backward pass itself: graph order, activations, a linear layer.

Expected gradients come from minicnn's autograd (F.linear, backward()).
"""

from collections import Counter

import numpy as np

from .. import functional as F
from ..tensor import tensor
from .comparing import shown
from .exercise import Case, Exercise, Mistake

NB = "01_autograd_from_scratch"


def autograd(fn, gy, *arrays):
    """The gradients of sum(fn(*tensors) * gy) with respect to each array, by minicnn's backward()."""
    ts = [tensor(a, requires_grad=True) for a in arrays]
    fn(*ts).backward(tensor(gy))
    return tuple(t.grad.numpy() for t in ts)


# --- topological order --------------------------------------------------------------------------

# The graph of notebook 1's section 4: y = sum(u + v), v = 3u, u = x * x.
NOTEBOOK_GRAPH = {"sum": ["add"], "add": ["u", "v"], "v": ["u"], "u": ["x", "x"], "x": []}


def _make_topo(rng, kind, n=0):
    if kind == "chain":
        return "c", {"c": ["b"], "b": ["a"], "a": []}
    if kind == "single":
        return "x", {"x": []}
    if kind == "notebook":
        return "sum", {k: list(v) for k, v in NOTEBOOK_GRAPH.items()}
    # a random DAG: node i reads node i+1 and up to two more of higher index (so every node is
    # reachable); "unused" is in the dict but the root does not depend on it
    names = [f"n{i}" for i in range(n)]
    inputs = {"unused": [names[-1]]}
    for i, name in enumerate(names[:-1]):
        more = rng.choice(np.arange(i + 1, n), size=min(n - i - 1, int(rng.integers(1, 4))), replace=False)
        inputs[name] = [names[j] for j in sorted({i + 1, *more.tolist()})]
    inputs[names[-1]] = []
    return names[0], inputs


def _reachable(root, inputs):
    seen, stack = {root}, [root]
    while stack:
        for parent in inputs[stack.pop()]:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def _judge_topo(args, got):
    root, inputs = args
    if not isinstance(got, (list, tuple)):
        return f"expected a list of nodes, got {shown(got)}"
    nodes = set(inputs).union(*inputs.values())
    # NOTE: an order longer than the graph lists a node twice, or a name not in it, within its
    # first len(nodes) + 1 entries: only those are judged, so that an order of millions takes no time
    head, kinds = got[: len(nodes) + 1], {type(node) for node in nodes}
    longer = (
        f"; the order has {len(got)} entries, the graph {len(nodes)} node{'s' if len(nodes) != 1 else ''}"
        if len(got) > len(nodes)
        else ""
    )
    for node in head:
        if type(node) not in kinds or node not in nodes:  # a str subclass equal to all, an array
            return f"{shown(node)} is not a node of the graph (the nodes are the names in inputs){longer}"
    counts = Counter(head)
    for node in head:
        if counts[node] > 1:
            return (
                f"{shown(node)} appears {got.count(node)} times: a node reached along several paths "
                f"is listed once (keep a set of visited nodes){longer}"
            )
    need = _reachable(root, inputs)
    if set(got) != need:
        missing, extra = sorted(need - set(got), key=repr), sorted(set(got) - need, key=repr)
        return (
            (f"missing {shown(missing, 300)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"{shown(extra, 300)} should not be listed: the root does not depend on them" if extra else "")
        )
    where = {node: i for i, node in enumerate(got)}
    for node in got:
        for parent in inputs[node]:
            if where[parent] < where[node]:
                return (
                    f"{parent!r} is at position {where[parent]}, before {node!r} (position "
                    f"{where[node]}), which uses it: its gradient would not be complete yet"
                )
    return None


def _breadth_first(root, inputs):
    order, queue, seen = [], [root], {root}
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in inputs[node]:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order


def _preorder(root, inputs):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            order.append(node)
            for parent in inputs[node]:
                visit(parent)

    visit(root)
    return order


def _postorder(root, inputs):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in inputs[node]:
                visit(parent)
            order.append(node)

    visit(root)
    return order


TOPO_SORT = Exercise(
    name="topo_sort",
    signature="(root, inputs)",
    returns=("order",),
    notebook=NB,
    teaches="why backward() visits the graph in reverse topological order",
    doc="""root: the output node; inputs: a dict, node -> the list of
    nodes it was computed from (a leaf maps to []). Return every node
    the root depends on (root included), each exactly once, ordered so
    that every node comes before all the nodes it was computed from.""",
    make=_make_topo,
    expected=None,
    judge=_judge_topo,
    cases=[
        Case(1, dict(kind="single")),
        Case(2, dict(kind="chain")),
        Case(3, dict(kind="notebook")),
        Case(4, dict(kind="random", n=8)),
        Case(5, dict(kind="random", n=15)),
    ],
    mistakes=[
        Mistake(
            "breadth-first order puts a node before a consumer that lies further from the output. "
            "Visit depth first, append a node after all its inputs (post-order), then reverse",
            lambda root, inputs: _breadth_first(root, inputs),
        ),
        Mistake(
            "depth-first PRE-order (a node appended before its inputs are visited) is not "
            "topological: append after visiting the inputs (post-order), then reverse",
            lambda root, inputs: _preorder(root, inputs),
        ),
        Mistake(
            "this is the depth-first post-order, inputs before the nodes that use them (leaves "
            "first): backward needs the output first, so reverse it (order[::-1])",
            lambda root, inputs: _postorder(root, inputs),
        ),
    ],
)


# --- activations --------------------------------------------------------------------------------

ACTIVATION_CASES = [
    Case(10, dict(shape=(5,))),
    Case(11, dict(shape=(3, 4))),
    Case(12, dict(shape=(2, 3, 4, 5))),
]


def _make_activation(f):
    def make(rng, shape):
        z = rng.standard_normal(shape) * 2
        return rng.standard_normal(shape), autograd_forward(f, z)

    return make


def autograd_forward(f, z):
    return f(tensor(z)).numpy()


def _activation_grad(f, inverse):
    """gx by backward(): the pre-activation is recovered from y (both are exact in float64)."""
    return lambda gy, y: autograd(f, gy, inverse(y))[0]


NO_GY = "the chain rule: multiply the local derivative by the incoming gradient gy"

SIGMOID = Exercise(
    name="sigmoid_backward",
    signature="(gy, y)",
    returns=("gx",),
    notebook=NB,
    teaches="a local derivative written from the forward's output: sigmoid' = y (1 - y)",
    doc="""y = sigmoid(x) = 1 / (1 + exp(-x)) was the forward's output;
    gy = dL/dy.
    Return gx = dL/dx, computed from y alone.""",
    make=_make_activation(F.sigmoid),
    expected=_activation_grad(F.sigmoid, lambda y: np.log(y / (1 - y))),
    cases=ACTIVATION_CASES,
    mistakes=[
        Mistake(NO_GY, lambda gy, y: y * (1 - y)),
        Mistake(
            "y is already sigmoid(x): the derivative is y (1 - y), with no second sigmoid",
            lambda gy, y: gy * (1 / (1 + np.exp(-y))) * (1 - 1 / (1 + np.exp(-y))),
        ),
        Mistake("that is tanh's derivative, 1 - y^2; sigmoid's is y (1 - y)", lambda gy, y: gy * (1 - y * y)),
    ],
)

TANH = Exercise(
    name="tanh_backward",
    signature="(gy, y)",
    returns=("gx",),
    notebook=NB,
    teaches="tanh' = 1 - y^2, the saturating derivative AlexNet replaced with ReLU",
    doc="""y = tanh(x) was the forward's output; gy = dL/dy. Return
    gx = dL/dx, computed from y alone.""",
    make=_make_activation(F.tanh),
    expected=_activation_grad(F.tanh, np.arctanh),
    cases=ACTIVATION_CASES,
    mistakes=[
        Mistake(NO_GY, lambda gy, y: 1 - y * y),
        Mistake(
            "y is already tanh(x): the derivative is 1 - y^2, with no second tanh",
            lambda gy, y: gy * (1 - np.tanh(y) ** 2),
        ),
        Mistake("that is sigmoid's derivative, y (1 - y); tanh's is 1 - y^2", lambda gy, y: gy * y * (1 - y)),
        Mistake("the square is missing: tanh' = 1 - y^2, not 1 - y", lambda gy, y: gy * (1 - y)),
        Mistake("1 - y^2 is 1 - y*y, not (1 - y)^2", lambda gy, y: gy * (1 - y) ** 2),
    ],
)


# --- linear layer -------------------------------------------------------------------------------


def _make_linear(rng, N, D, O):
    return rng.standard_normal((N, O)), rng.standard_normal((N, D)), rng.standard_normal((O, D))


def _linear_grads(gy, x, w):
    gx, gw, gb = autograd(F.linear, gy, x, w, np.zeros(w.shape[0]))
    return gx, gw, gb


LINEAR = Exercise(
    name="linear_backward",
    signature="(gy, x, w)",
    returns=("gx", "gw", "gb"),
    notebook=NB,
    teaches="the matrix form of backprop: each gradient has the shape of what it is the gradient of",
    doc="""y = x @ w.T + b with x (N, D), w (O, D), b (O,);
    gy = dL/dy (N, O).
    Return (gx, gw, gb) of the shapes of x, w and b.""",
    make=_make_linear,
    expected=_linear_grads,
    cases=[Case(20, dict(N=1, D=3, O=2)), Case(21, dict(N=5, D=3, O=4)), Case(22, dict(N=4, D=6, O=6))],
    mistakes=[
        Mistake(
            "gw is transposed: gw = gy.T @ x has w's shape (O, D)",
            lambda gy, x, w: (gy @ w, x.T @ gy, gy.sum(0)),
        ),
        Mistake(
            "gb: the bias is added to every row, so its gradient is the SUM of gy over the batch, "
            "not the mean",
            lambda gy, x, w: (gy @ w, gy.T @ x, gy.mean(0)),
        ),
        Mistake(
            "gw is divided by N: each example adds its own gy[n]^T x[n] to gw, so it is the SUM "
            "gy.T @ x (the loss's mean over the batch is already in gy)",
            lambda gy, x, w: (gy @ w, gy.T @ x / len(x), gy.sum(0)),
        ),
    ],
)


EXERCISES = [TOPO_SORT, SIGMOID, TANH, LINEAR]
