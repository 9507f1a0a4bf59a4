"""mkdocs hook: the Tensor page lists every public method and attribute of ``mc.Tensor``.

Most of Tensor's methods are attached at import by functional/ (tensor_methods.py,
in_place_methods.py and the other in_place_*.py, new_tensors.py), so mkdocstrings, which
reads tensor.py, shows few of them. This hook puts a table of all of them where
docs/api/tensor.md has ``MARKER``: each name with the first sentence of its docstring,
whether it works in place and whether it records a graph, grouped by what it is for. The
groups below name every public name once; the build fails on a name that is in
``dir(mc.Tensor)`` and in no group, or in a group and no longer on Tensor, so the table
cannot go stale.
"""

import html
import inspect
import os
import re
import sys

MARKER = "<!-- every Tensor method -->"
PAGE = "api/tensor.md"

# What "graph" says: yes, the result is a node of the graph when an input requires grad; no,
# the result never is (indices, bools, numbers, a new leaf); refused, an in-place change of a
# tensor inside a graph is refused (minicnn records none); "" for what is no op.
GROUPS = (
    (
        "Creation, conversion and what a tensor is",
        {
            "shape": "", "size": "", "dtype": "", "device": "", "is_cuda": "", "ndim": "", "dim": "",
            "numel": "", "data": "", "is_inference": "", "item": "no", "tolist": "no", "numpy": "no",
            "to": "yes", "cpu": "yes", "cuda": "yes", "float": "yes", "double": "yes", "long": "no",
            "int": "no", "bool": "no", "type": "yes", "type_as": "yes", "clone": "yes", "contiguous": "yes",
            "new_tensor": "no", "new_zeros": "no", "new_ones": "no", "new_empty": "no", "new_full": "no",
        },
    ),
    (
        "Shape and views",
        {
            "view": "yes", "view_as": "yes", "reshape": "yes", "flatten": "yes", "unflatten": "yes",
            "squeeze": "yes", "unsqueeze": "yes", "permute": "yes", "transpose": "yes", "t": "yes",
            "T": "yes", "expand": "yes", "expand_as": "yes", "repeat": "yes", "split": "yes",
            "chunk": "yes", "flip": "yes", "roll": "yes",
        },
    ),
    (
        "Selecting, sorting and writing at an index",
        {
            "gather": "yes", "index_select": "yes", "masked_fill": "yes", "where": "yes", "sort": "yes",
            "argsort": "no", "topk": "yes", "scatter": "yes", "scatter_add": "yes", "index_add": "yes",
            "index_fill": "yes",
        },
    ),
    (
        "Math, elementwise and matrix",
        {
            "add": "yes", "sub": "yes", "mul": "yes", "div": "yes", "pow": "yes", "remainder": "yes",
            "neg": "yes", "abs": "yes", "sign": "yes", "exp": "yes", "log": "yes", "sqrt": "yes",
            "sin": "yes", "cos": "yes", "tanh": "yes", "sigmoid": "yes", "relu": "yes", "clamp": "yes",
            "clamp_min": "yes", "clamp_max": "yes", "clip": "yes", "square": "yes", "reciprocal": "yes",
            "maximum": "yes", "minimum": "yes", "floor": "yes", "ceil": "yes", "round": "yes",
            "softmax": "yes", "log_softmax": "yes", "matmul": "yes", "mm": "yes", "bmm": "yes",
            "lerp": "yes", "addcmul": "yes", "addcdiv": "yes",
        },
    ),
    (
        "Reductions",
        {
            "sum": "yes", "mean": "yes", "prod": "yes", "cumsum": "yes", "max": "yes", "min": "yes",
            "amax": "yes", "amin": "yes", "var": "yes", "std": "yes", "norm": "yes", "logsumexp": "yes",
            "argmax": "no", "argmin": "no", "all": "no", "any": "no",
        },
    ),
    (
        "Comparison",
        {"eq": "no", "ne": "no", "lt": "no", "le": "no", "gt": "no", "ge": "no", "isnan": "no"},
    ),
    (
        "In place",
        {
            "add_": "refused", "sub_": "refused", "mul_": "refused", "div_": "refused",
            "clamp_": "refused", "masked_fill_": "refused", "fill_": "refused", "zero_": "refused",
            "copy_": "refused", "normal_": "refused", "uniform_": "refused", "bernoulli_": "refused",
            "exponential_": "refused", "random_": "refused", "relu_": "refused", "sigmoid_": "refused",
            "tanh_": "refused", "exp_": "refused", "log_": "refused", "sqrt_": "refused", "sin_": "refused",
            "cos_": "refused", "reciprocal_": "refused", "abs_": "refused", "neg_": "refused",
            "square_": "refused", "sign_": "refused", "floor_": "refused", "ceil_": "refused",
            "round_": "refused", "pow_": "refused", "clamp_min_": "refused", "clamp_max_": "refused",
            "clip_": "refused", "lerp_": "refused", "addcmul_": "refused", "addcdiv_": "refused",
            "scatter_": "refused", "scatter_add_": "refused", "index_add_": "refused",
            "index_fill_": "refused",
        },
    ),
    (
        "Autograd",
        {
            "requires_grad": "", "requires_grad_": "", "grad": "", "grad_fn": "", "is_leaf": "",
            "backward": "", "retain_grad": "", "retains_grad": "", "register_hook": "",
            "detach": "no", "detach_": "no",
        },
    ),
)  # fmt: skip

# Python's operators on a Tensor: (what is written, the special method, the method it is)
OPERATORS = (
    (
        "x + y, x - y, x * y, x / y",
        ("__add__", "__sub__", "__mul__", "__truediv__"),
        "`add`, `sub`, `mul`, `div`",
    ),
    ("x ** y, x @ y", ("__pow__", "__matmul__"), "`pow`, `matmul`"),
    ("x // y, x % y", ("__floordiv__", "__mod__"), "`mc.floor_divide`, `remainder`"),
    ("-x, abs(x)", ("__neg__", "__abs__"), "`neg`, `abs`"),
    (
        "x == y, x != y, x < y, x <= y, x > y, x >= y",
        ("__eq__", "__ne__", "__lt__", "__ge__"),
        "`eq` ... `ge`",
    ),
    (
        "x & y, x | y, x ^ y, ~x",
        ("__and__", "__or__", "__xor__", "__invert__"),
        "bit by bit, of bool or integer tensors",
    ),
    ("x[i]", ("__getitem__",), "indexing and slicing: a view where NumPy's is"),
    ("x[i] = v", ("__setitem__",), "a write in place"),
    (
        "x += y, x -= y, x *= y, x /= y ...",
        ("__iadd__", "__isub__", "__imul__", "__itruediv__"),
        "`add_` ..., in place",
    ),
    ("len(x), iter(x)", ("__len__", "__iter__"), "the rows, `x[0]`, `x[1]` ..."),
    ("bool(x), float(x), int(x)", ("__bool__", "__float__", "__int__"), "the number of a one-element tensor"),
)

_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|w\.r\.t|etc)\.$")
_CODE = re.compile(r"``(.+?)``|`(.+?)`")


def _doc(obj):
    """The docstring of a method, property or descriptor (the class's, for a descriptor)."""
    if isinstance(obj, property):
        return obj.__doc__ or (obj.fget.__doc__ if obj.fget else None)
    return getattr(obj, "__doc__", None)


def first_sentence(doc):
    """The first sentence of a docstring's first paragraph: to its first full stop or semicolon
    outside brackets and code (not an ellipsis's, nor e.g.'s), on one line."""
    text = " ".join((doc or "").strip().split("\n\n")[0].split())
    depth, code = 0, False
    for i, c in enumerate(text):
        if text.startswith("``", i):
            code = not code
        if code:
            continue
        depth += (c in "([") - (c in ")]")
        end = i + 1 == len(text) or text[i + 1] == " "
        if (
            c in ".;"
            and end
            and depth <= 0
            and text[i - 1] != "."
            and not _ABBREVIATION.search(text[: i + 1])
        ):
            return _shorter(text[:i]) + "."
    return _shorter(text)


def _shorter(sentence, most=160, head=40):
    """A long sentence cut at its first colon outside brackets: the statement before the detail.
    A statement shorter than ``head`` says too little alone ("Standard deviation"), so there the
    cut is at the last comma outside brackets that leaves at most ``most`` characters, and a
    short formula after the colon stays ("Standard deviation: sqrt(...), the square root of
    ``var`` ...")."""
    if len(sentence) <= most:
        return sentence
    depth, colon, comma = 0, None, None
    for i, c in enumerate(sentence):
        depth += (c in "([") - (c in ")]")
        if depth == 0 and sentence[i + 1 : i + 2] == " ":
            colon = i if c == ":" and colon is None else colon
            comma = i if c == "," and colon is not None and i <= most else comma
    if colon is None:
        return sentence
    return sentence[:comma] if colon < head and comma is not None else sentence[:colon]


def _html(text):
    """Text with ``code`` as <code>, the rest escaped."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out += [html.escape(text[last : m.start()]), f"<code>{html.escape(m.group(1) or m.group(2))}</code>"]
        last = m.end()
    return "".join(out) + html.escape(text[last:])


def _row(cells):
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _table(head, rows):
    heads = "".join(f"<th>{h}</th>" for h in head)
    return (
        f'<table class="tensor-methods">\n<thead><tr>{heads}</tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def listing(tensor):
    """The Markdown (headings and HTML tables) of every public name of ``tensor``, a class."""
    public = {n for n in dir(tensor) if not n.startswith("_")}
    grouped = [n for _, names in GROUPS for n in names]
    unplaced = sorted(public - set(grouped))
    gone = sorted(set(grouped) - public)
    twice = sorted({n for n in grouped if grouped.count(n) > 1})
    if unplaced or gone or twice:
        raise ValueError(
            f"tools/docs_hooks/tensor_methods.py: GROUPS is out of date: Tensor names in no group "
            f"{unplaced}, group names not on Tensor {gone}, names in two groups {twice}"
        )
    parts = []
    for title, names in GROUPS:
        rows = []
        for name in names:
            obj = inspect.getattr_static(tensor, name)
            method = not isinstance(obj, property) and callable(getattr(tensor, name))
            what = first_sentence(_doc(obj))
            if not what:
                raise ValueError(f"tools/docs_hooks/tensor_methods.py: Tensor.{name} has no docstring")
            shown = f"<code>{name}()</code>" if method else f"<code>{name}</code>"
            in_place = "yes" if name.endswith("_") and name != "requires_grad_" else ""
            rows.append(_row([shown, _html(what), in_place, names[name]]))
        parts.append(f"### {title}\n\n" + _table(("Name", "What it does", "In place", "Graph"), rows))
    ops = []
    for written, specials, method in OPERATORS:
        missing = [s for s in specials if not hasattr(tensor, s)]
        if missing:
            raise ValueError(f"tools/docs_hooks/tensor_methods.py: Tensor has no {missing}")
        ops.append(_row([f"<code>{html.escape(written)}</code>", _html(method)]))
    parts.append("### Operators\n\n" + _table(("Written", "Is"), ops))
    return "\n\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != PAGE:
        return markdown
    root = os.path.dirname(config.config_file_path)
    if root not in sys.path:
        sys.path.insert(0, root)  # this checkout's minicnn, as mkdocstrings' paths: [.]
    import minicnn

    return markdown.replace(MARKER, listing(minicnn.Tensor))
