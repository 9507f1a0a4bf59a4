"""A model's per-layer table: output shape, parameters, multiply-adds, activation memory.

    >>> print(mc.summary(models.resnet18(), (3, 224, 224), depth=1))

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

Before running, ``estimate_activation_bytes`` tells what the table's total
would be from a pass on a smaller image, so a huge input is refused with the
estimate (``check_fits``) instead of exhausting the machine's memory;
``check_classes`` does the same, before building, for a classifier of very
many classes.
"""

import os

import numpy as np

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
    if name == "Conv2d":
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

    def __init__(self, model, input_shape, rows, output, unlisted_params=0):
        self.rows = rows
        self.input_shape = input_shape
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
            f"Input: {self.input_shape}",
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


def human(n):
    """A byte count for people: 1536 -> '1.5 KB'."""
    if n >= 2**1000:  # past what a float holds: the power of two is all that means anything
        return f"about 2**{int(n).bit_length() - 1} B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


_human = human


def available_memory(device="cpu"):
    """Bytes this process could still allocate on ``device`` (None where it cannot be told):
    MemAvailable of /proc/meminfo on Linux, the free memory CUDA reports on a GPU."""
    if str(device).startswith("cuda"):
        from .backend import cupy

        return int(cupy().cuda.runtime.memGetInfo()[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


PROBE_SIDE = 256  # a side longer than this is estimated from a pass shrunk to at most this


def _dtype(model):
    params = list(model.parameters())
    return np.dtype(params[0].dtype) if params else np.dtype(np.float32)


def estimate_activation_bytes(model, input_size):
    """About ``summary(model, input_size).total_activation_bytes``, without the pass at that size.

    A convolutional net's activations grow with the image's area, so a pass on
    the input shrunk by an integer factor in height and one in width, each side
    to at most PROBE_SIDE, scaled back by the ratio of the areas, estimates
    them. The sides shrink independently so that the probe stays small whatever
    the aspect ratio (a 1 x 10**11 input is probed at 1 x 256). Where the
    smaller pass fails (a fully connected layer wants the full size), the
    layers it did run give a lower bound. Inputs whose sides are all at most
    PROBE_SIDE are run as they are.
    """
    c, h, w = tuple(input_size)[-3:]
    sh, sw = -(-h // PROBE_SIDE), -(-w // PROBE_SIDE)
    probe = (c, -(-h // sh), -(-w // sw))
    done = []

    def record(module, inputs, y):
        done.append(_bytes(y))

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(record) for m in leaves]
    try:
        run(model, probe)
    except ValueError:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return sum(done) * h * w // (probe[1] * probe[2])


def check_fits(model, input_size, batch_size=1, device="cpu", per_image=None):
    """MemoryError, with the estimate, when the activations of ``batch_size`` inputs alone would
    not fit in the memory available. ``per_image``: the bytes per image where already known
    (a summary's ``total_activation_bytes``), else ``estimate_activation_bytes``, or the
    input's own size where that alone is too much (then nothing is run at all)."""
    have = available_memory(device)
    if have is None:
        return
    c, h, w = tuple(input_size)[-3:]
    alone = _dtype(model).itemsize * c * h * w
    notes = []
    if per_image is None and alone * batch_size > have:
        per_image = alone  # too much already: no probe is built
        notes.append("counting the input alone")
    elif per_image is None:
        per_image = max(estimate_activation_bytes(model, input_size), alone)
    need = per_image * batch_size
    if need > have:
        if batch_size > 1:
            notes.insert(0, f"{human(per_image)} per image")
        each = f" ({', '.join(notes)})" if notes else ""
        raise MemoryError(
            f"a forward pass on {batch_size} x {(c, h, w)} would hold about "
            f"{human(need)} of activations{each}, more than the {human(have)} of "
            "memory available; not run"
        )


def check_classes(build, num_classes, device="cpu"):
    """MemoryError, with the estimate, when ``build(num_classes)`` would not fit in the memory
    available, found without building it: builds with 1 and 2 classes give the parameters
    each class adds to the classifier(s), and so the count at ``num_classes``. The estimate
    adds the float64 draws (and their cast) that ``nn.init`` fills those weights from.
    A count whose output alone (one float32 per class) would not fit is refused first,
    before any build."""
    have = available_memory(device)
    if have is None:
        return
    if 4 * num_classes > have:
        raise MemoryError(
            f"{num_classes:,} classes: the model's output alone would hold at least "
            f"{human(4 * num_classes)}, more than the {human(have)} of memory available; not built"
        )
    counts = []
    for n in (1, 2):
        model = build(n)
        counts.append(sum(int(p.numel()) for p in model.parameters()))
    per_class, itemsize = counts[1] - counts[0], _dtype(model).itemsize
    total = counts[0] + (num_classes - 1) * per_class
    need = itemsize * total + 12 * per_class * num_classes
    if need > have:
        raise MemoryError(
            f"{num_classes:,} classes would give the model {total:,} parameters, about "
            f"{human(itemsize * total)} ({human(need)} while they are initialised), more "
            f"than the {human(have)} of memory available; not built"
        )


def run(model, input_size, depth=None, grad=False):
    """The forward behind ``summary``; ``grad=True`` keeps the graph (for walking it)."""
    shape = tuple(input_size)
    if len(shape) == 3:
        shape = (1,) + shape
    if depth is not None and not (isinstance(depth, int) and depth >= 1):
        raise ValueError(f"summary: depth must be None (the leaves) or at least 1, got {depth!r}")
    params = list(model.parameters())
    dtype = _dtype(model)
    device = params[0].device if params else "cpu"
    from .tensor import tensor

    # NOTE: drawn at the model's dtype where NumPy can, so no float64 copy of the input sits beside it
    draw = np.float32 if dtype == np.float32 else np.float64
    x = np.random.default_rng(0).standard_normal(shape, dtype=draw)
    x = tensor(x.astype(dtype, copy=False), device=device)
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
                out = model(x)
            else:
                with no_grad():
                    out = model(x)
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
    return Summary(model, shape, rows, out, unlisted)


def summary(model, input_size, depth=None):
    """Per-layer output shapes, parameters, MACs and activation memory for one image.

    Args:
        model: a Module.
        input_size: (C, H, W) of one image (or (1, C, H, W)).
        depth: None lists the leaf modules; 1 the top-level children; k >= 1 the
            modules k levels down, and the leaves above that level, so the
            totals are the whole model's at every depth.
    Returns a ``Summary``: ``.rows`` (dicts with name, kind, output_shape,
    params, macs, activation_bytes), ``.total_params``, ``.total_macs``
    (multiply-adds: a FLOP count, as the course counts them, is ``2 * total_macs``);
    ``print`` it for the table.
    """
    return run(model, input_size, depth)
