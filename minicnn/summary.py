"""A model's per-layer table: output shape, parameters, multiply-adds, activation memory.

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(64, 10))
    >>> print(mc.summary(model, (1, 6, 6)))
    Layer  Kind     Output shape  Params  MACs  Act. memory
    -------------------------------------------------------
    0      Conv2d   (1, 4, 4, 4)      40   576        256 B
    1      ReLU     (1, 4, 4, 4)       0     0        256 B
    2      Flatten  (1, 64)            0     0        256 B
    3      Linear   (1, 10)          650   640         40 B
    -------------------------------------------------------
    Input: (1, 1, 6, 6)
    Total params: 690 (690 trainable)
    Total MACs: 1,216 (0.001 M)
    Activation memory (listed layers): 808 B

One forward pass on a batch of 1 (eval mode, no graph) with a forward hook on
every module to be listed; a module called twice gives two rows (its
parameters counted on the first).

Multiply-adds (MACs), per image:
    conv    output elements x (in_channels / groups) x kh x kw
    linear  output elements x in_features
    a module with a ``macs(x_shape, y_shape)`` method: what it returns
    anything else (activations, pooling, BN, LRN, additions): 0 -- their
    elementwise work is small beside the convolutions' and is left out, as
    the papers' "multiply-adds" leave it out.
``activation_bytes`` is the size of the layer's output.

Whether a pass would fit in memory at all is memory_fit.py's question, asked
before this table is built.
"""

import numpy as np

from .summary_input import traced_inputs
from .tensor import Tensor, no_grad


class SummaryRow(dict):
    """One row: name, kind, output_shape, params, macs (multiply-adds), activation_bytes."""

    __getattr__ = dict.__getitem__

    def __missing__(self, key):
        if key == "flops":  # the name this count had once, though it never held FLOPs
            raise KeyError(
                "a summary row has no 'flops': 'macs' holds its multiply-adds "
                "(FLOPs, 2 per multiply-add, are 2 * row['macs'])"
            )
        raise KeyError(key)


def _macs(module, x, y):
    if not isinstance(y, Tensor):
        return 0
    if hasattr(module, "macs"):
        return int(module.macs(tuple(x.shape), tuple(y.shape)))
    weight = getattr(module, "weight", None)
    name = type(module).__name__
    if weight is None or not isinstance(weight, Tensor):
        return 0
    if name in ("Conv1d", "Conv2d"):  # each output cell: in_channels/groups * kernel taps
        return int(y.numel()) * int(np.prod(weight.shape[1:]))
    if name == "Linear":
        return int(y.numel()) * int(weight.shape[1])
    return 0


def _shape(y):
    if isinstance(y, Tensor):
        return tuple(y.shape)
    if isinstance(y, (tuple, list)):
        return [_shape(t) for t in y if t is not None]
    return None


def _bytes(y):
    if isinstance(y, Tensor):
        return int(y.data.nbytes)
    if isinstance(y, (tuple, list)):
        return sum(_bytes(t) for t in y if t is not None)
    return 0


def _selected(model, depth):
    """(name, module) to list: the leaves (plus modules holding parameters of their own)
    when depth is None, else the modules exactly ``depth`` levels below the root and the
    leaves above that level, so that each leaf's work lands in exactly one row. A bare
    layer (a root without children) is its own only row."""
    if not any(True for _ in model.children()):
        return [(type(model).__name__, model)]
    out = []
    for name, m in model.named_modules():
        if not name:
            continue
        leaf = not any(True for _ in m.children())
        if depth is None:
            own = any(p is not None for p in m._parameters.values())
            if leaf or own:
                out.append((name, m))
        elif name.count(".") + 1 == depth or (leaf and name.count(".") + 1 < depth):
            out.append((name, m))
    return out


def _giga(macs):
    """'0.416 M' or '1.814 G': millions below a billion, where three decimals of G would be 0.000."""
    return f"{macs / 1e9:.3f} G" if macs >= 1e9 else f"{macs / 1e6:.3f} M"


class Summary:
    """The rows of ``summary`` and their totals; ``str()`` is the aligned table."""

    def __init__(self, model, input_shape, rows, output, unlisted_params=0, input_dtype=None):
        # one input: its shape and dtype; several: a list of each, in forward's order
        self.rows = rows
        self.input_shape = input_shape
        self.input_dtype = input_dtype
        self.output = output
        self.total_params = sum(int(p.numel()) for p in model.parameters())
        self.trainable_params = sum(int(p.numel()) for p in model.parameters() if p.requires_grad)
        self.total_macs = sum(r["macs"] for r in rows)
        self.total_activation_bytes = sum(r["activation_bytes"] for r in rows)
        # parameters of modules the forward did not run (GoogLeNet's auxiliary heads in eval)
        self.unlisted_params = unlisted_params

    @property
    def total_flops(self):
        # NOTE: the name this total had once, though it never held FLOPs: said, not guessed
        raise AttributeError(
            "Summary has no total_flops: total_macs holds the multiply-adds "
            "(FLOPs, 2 per multiply-add, are 2 * total_macs)"
        )

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __str__(self):
        head = ("Layer", "Kind", "Output shape", "Params", "MACs", "Act. memory")
        body = [
            (
                r["name"],
                r["kind"],
                str(r["output_shape"]),
                f"{r['params']:,}",
                f"{r['macs']:,}",
                _human(r["activation_bytes"]),
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        right = (False, False, False, True, True, True)

        def line(cells):
            return "  ".join(
                c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)
            ).rstrip()

        rule = "-" * len(line(head))
        lines = [line(head), rule] + [line(b) for b in body] + [rule]
        lines += [
            f"Input: {self._inputs()}",
            f"Total params: {self.total_params:,} ({self.trainable_params:,} trainable)"
            + (
                f", {self.unlisted_params:,} in modules this forward did not run"
                if self.unlisted_params
                else ""
            ),
            f"Total MACs: {self.total_macs:,} ({_giga(self.total_macs)})",
            f"Activation memory (listed layers): {_human(self.total_activation_bytes)}",
        ]
        return "\n".join(lines)

    __repr__ = __str__

    def _inputs(self):
        """'(1, 3, 8, 8), (1, 5) int64': each input's shape, and its dtype where it is integer
        (an image's float dtype is the model's, said in its rows' bytes; ids are named)."""
        several = isinstance(self.input_shape, list)
        shapes = self.input_shape if several else [self.input_shape]
        dtypes = self.input_dtype if several else [self.input_dtype]
        return ", ".join(
            f"{shape}" + (f" {d}" if d is not None and d.kind in "biu" else "")
            for shape, d in zip(shapes, dtypes)
        )


def human(n):
    """A byte count for people: 1536 -> '1.5 KB'."""
    if n >= 2**1000:  # past what a float holds: the power of two is all that means anything
        return f"about 2**{int(n).bit_length() - 1} B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


_human = human


def run(model, input_size=None, depth=None, grad=False, *, dtypes=None, input_data=None):
    """The forward behind ``summary``; ``grad=True`` keeps the graph (for walking it)."""
    if depth is not None and not (isinstance(depth, int) and depth >= 1):
        raise ValueError(f"summary: depth must be None (the leaves) or at least 1, got {depth!r}")
    xs = traced_inputs(model, input_size, dtypes, input_data)
    rows, seen, handles = [], set(), []
    # A row's MACs are those of every leaf module run inside it: a running count
    # of leaf MACs, read when the row's module starts and when it ends.
    done, started = [0], {}

    def count_leaf(module, inputs, y):
        done[0] += _macs(module, inputs[0], y)

    def start(module, inputs):
        started.setdefault(id(module), []).append(done[0])

    def hook(name):
        def record(module, inputs, y):
            first = id(module) not in seen
            seen.add(id(module))
            own = sum(int(p.numel()) for p in module._parameters.values() if p is not None)
            total = sum(int(p.numel()) for p in module.parameters())
            has_children = any(True for _ in module.children())
            count = (own if depth is None and has_children else total) if first else 0
            inside = done[0] - started[id(module)].pop()
            # NOTE: listing the leaves, a module with weights of its own and children (1989's
            # LocallyBiasedConv2d) keeps only its own parameters: its children's MACs are theirs
            rows.append(
                SummaryRow(
                    name=name,
                    kind=type(module).__name__,
                    output_shape=_shape(y),
                    params=count,
                    macs=0 if depth is None and has_children else inside,
                    activation_bytes=_bytes(y),
                )
            )

        return record

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    ran = set()  # the modules the forward ran: the others' parameters are in no row
    try:
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(lambda module, inputs: ran.add(id(module))))
            if not any(True for _ in m.children()):
                handles.append(m.register_forward_hook(count_leaf))
        for name, m in _selected(model, depth):
            handles.append(m.register_forward_pre_hook(start))
            handles.append(m.register_forward_hook(hook(name)))
        # NOTE: random weights and a random image can overflow a deep net's activations (a
        # 1202-layer ResNet before training); the shapes and counts are what is read here
        with np.errstate(all="ignore"):
            if grad:
                out = model(*xs)
            else:
                with no_grad():
                    out = model(*xs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    unlisted = sum(
        int(p.numel())
        for m in model.modules()
        if id(m) not in ran
        for p in m._parameters.values()
        if p is not None
    )
    if len(xs) == 1:
        return Summary(model, tuple(xs[0].shape), rows, out, unlisted, xs[0].dtype)
    return Summary(model, [tuple(x.shape) for x in xs], rows, out, unlisted, [x.dtype for x in xs])


def summary(model, input_size=None, depth=None, *, dtypes=None, input_data=None):
    """Per-layer output shapes, parameters, MACs and activation memory for one input.

    Args:
        model: a Module.
        input_size: (C, H, W) of one image (a batch of 1 is put before it); any other
            length is the whole input's shape: (1, C, H, W), (1, C, L), or (1, T) ids
            for a model that starts with ``nn.Embedding``. As torchinfo's, a list of
            such shapes for a forward that takes several inputs, in its order.
        depth: None lists the leaf modules; 1 the top-level children; k >= 1 the
            modules k levels down, and the leaves above that level, so the
            totals are the whole model's at every depth.
        dtypes: as torchinfo's, a list of one dtype per input (``[mc.long]`` for
            token ids; a bare dtype is taken for one input). None, or None in the
            list: the dtype of the model's first parameter. A float input is drawn
            at random; an integer or bool one is all zeros (0 is a valid id of
            every embedding table).
        input_data: as torchinfo's, the input itself (a Tensor or NumPy array), or
            a list of them for several inputs, run as given, batch and all; given
            alone, without input_size or dtypes.
    Returns a ``Summary``: ``.rows`` (dicts with name, kind, output_shape,
    params, macs, activation_bytes), ``.total_params``, ``.total_macs``
    (multiply-adds: a FLOP count, as the course counts them, is ``2 * total_macs``);
    ``print`` it for the table. With several inputs, ``.input_shape`` is the list
    of their shapes.

        >>> import minicnn as mc
        >>> from minicnn import nn
        >>> model = nn.Sequential(nn.Embedding(100, 8), nn.Linear(8, 2))
        >>> s = mc.summary(model, (1, 5), dtypes=[mc.long])
        >>> s.rows[1].output_shape, s.total_params
        ((1, 5, 2), 818)
    """
    return run(model, input_size, depth, dtypes=dtypes, input_data=input_data)
