"""The classic-net comparison table, measured from the model objects themselves.

Only year, ILSVRC top-5 error and data augmentation are quoted (from the
papers: Krizhevsky 2012 Table 2, 16.4% averaging five CNNs;
Simonyan & Zisserman 2015 Table 7, 7.3% submitted; Szegedy 2015 Table 2,
6.67%; He 2016 Table 4 / section 4.1, 3.57% ensemble). Everything else comes
from walking modules and one forward pass on one image:
    weight layers  the longest chain of weight ops (conv/linear) in the
                   autograd graph: AlexNet 8, VGG-16 16, GoogLeNet 22,
                   ResNet-152 152 -- the papers' own way of counting depth
                   (LeNet-5 gives 5: the paper's 7 adds S2 and S4);
    kernel sizes, FC layers (those run at inference), dropout / LRN / BN /
    Inception modules / 1x1 convs present, parameters, multiply-adds;
    and, only where a model in the table has them (no classic net does), the
    kernel sizes of transposed convolutions and layer / group norm present.
"""

from . import nn
from .nn.norm import BatchNorm
from .summary import run
from .tensor import Tensor

CITED = {
    # name: (year, top-5 error %, data augmentation)
    "LeNet-5": (1998, None, "none (distortions in one experiment)"),
    "AlexNet": (2012, 16.4, "crops, flips, PCA colour"),
    "VGG-16": (2014, 7.3, "scale jitter, crops, flips, colour"),
    "GoogLeNet": (2014, 6.7, "multi-scale crops, photometric"),
    "ResNet-152": (2015, 3.57, "scale jitter, crops, flips, colour"),
}


# each default column: (name, builder in minicnn.models, its arguments, (C, H, W))
CLASSIC = (
    ("LeNet-5", "lenet5", {"variant": "1998"}, (1, 32, 32)),
    ("AlexNet", "alexnet", {"variant": "paper"}, (3, 227, 227)),
    ("VGG-16", "vgg16", {}, (3, 224, 224)),
    # the auxiliary heads help only in training and are dropped at inference,
    # so the parameters counted are the deployed net's (about 7M, as the paper says)
    ("GoogLeNet", "googlenet", {"variant": "paper", "aux_logits": False}, (3, 224, 224)),
    ("ResNet-152", "resnet152", {}, (3, 224, 224)),
)


def _default_models():
    from . import models

    return [
        (name, lambda b=builder, kw=kwargs: getattr(models, b)(**kw), size)
        for name, builder, kwargs, size in CLASSIC
    ]


def _call(builder, kwargs):
    """'lenet5(variant="1998")': the call that builds a column's model."""
    args = ", ".join(f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}" for k, v in kwargs.items())
    return f"{builder}({args})"


def _size(size):
    return "x".join(str(n) for n in size)


def built_as():
    """Lines that name each default column's model and input, and where ``summary NAME`` (the
    builder's defaults at the model's own input size) measures another model or another size."""
    import inspect

    from . import models

    lines = ["the columns' models, each run on one image of the size given:"]
    width = max(len(name) for name, *_ in CLASSIC)
    for name, builder, kwargs, size in CLASSIC:
        own = {
            k: p.default
            for k, p in inspect.signature(getattr(models, builder)).parameters.items()
            if k in kwargs
        }
        summary_size = tuple(models.input_size(builder))
        differs = own != kwargs or summary_size != size
        then = f"; summary {builder} shows {builder}() at {_size(summary_size)}" if differs else ""
        lines.append(f"  {name.ljust(width)}  models.{_call(builder, kwargs)} at {_size(size)}{then}")
    return lines


# a normalization's scale and shift are no layer's weights, though LayerNorm's are 2-D or more
NORMS = (nn.LocalResponseNorm, BatchNorm, nn.LayerNorm, nn.GroupNorm)


def _kernel_sizes(modules, cls):
    """The kernel sizes (kH, kW) of the ``cls`` layers among modules."""
    return {tuple(m.kernel_size) for m in modules if isinstance(m, cls)}


def _named(sizes):
    """['11x11', '5x5', ...]: the sizes, largest first."""
    return [f"{h}x{w}" for h, w in sorted(sizes, reverse=True)]


def _inputs(fn):
    """The Tensors a node read (an optional input left out is None)."""
    return [t for t in fn.inputs if t is not None]


def weight_depth(output, params):
    """Longest chain of ops that consume a weight (a Parameter with ndim >= 2) in the graph."""
    weights = {id(p) for p in params if p.ndim >= 2}
    depth, order, stack, seen = {}, [], [output._fn], {id(output._fn)}
    while stack:  # iterative: ResNet-1202's graph is deep
        fn = stack.pop()
        order.append(fn)
        for t in _inputs(fn):
            if t._fn is not None and id(t._fn) not in seen:
                seen.add(id(t._fn))
                stack.append(t._fn)
    pending = {id(fn): sum(t._fn is not None for t in _inputs(fn)) for fn in order}
    ready = [fn for fn in order if pending[id(fn)] == 0]
    consumers = {}
    for fn in order:
        for t in _inputs(fn):
            if t._fn is not None:
                consumers.setdefault(id(t._fn), []).append(fn)
    while ready:  # topological order, producers first
        fn = ready.pop()
        below = max((depth[id(t._fn)] for t in _inputs(fn) if t._fn is not None), default=0)
        depth[id(fn)] = below + any(id(t) in weights for t in _inputs(fn))
        for c in consumers.get(id(fn), []):
            pending[id(c)] -= 1
            if pending[id(c)] == 0:
                ready.append(c)
    return depth[id(output._fn)]


def describe(name, model, input_size):
    """One comparison row for a model, from its modules and one forward pass."""
    result = run(model, input_size, depth=None, grad=True)
    out = result.output[0] if isinstance(result.output, tuple) else result.output
    modules = list(model.modules())
    weights = [p for m in modules if not isinstance(m, NORMS) for p in m.parameters(recurse=False)]
    depth = weight_depth(out, weights) if isinstance(out, Tensor) else None
    kernels = _kernel_sizes(modules, nn.Conv2d) | {
        (m.kernel_size, m.kernel_size) for m in modules if type(m).__name__ == "PartialConv2d"
    }
    fcs = [r["output_shape"][-1] for r in result.rows if r["kind"] == "Linear"]
    year, top5, augment = CITED.get(name, (None, None, None))
    return {
        "model": name,
        "year": year,
        "top5_error": top5,
        "input": tuple(input_size),
        "weight_layers": depth,
        "conv_kernels": _named(kernels),
        "transposed_kernels": _named(_kernel_sizes(modules, nn.ConvTranspose2d)),
        "fc_layers": len(fcs),
        "fc_sizes": fcs,
        "dropout": any(isinstance(m, nn.Dropout) for m in modules),
        "lrn": any(isinstance(m, nn.LocalResponseNorm) for m in modules),
        "batch_norm": any(isinstance(m, BatchNorm) for m in modules),  # SyncBatchNorm too
        "layer_norm": any(isinstance(m, nn.LayerNorm) for m in modules),
        "group_norm": any(isinstance(m, nn.GroupNorm) for m in modules),
        "inception": any(type(m).__name__ == "Inception" for m in modules),
        "conv_1x1": (1, 1) in kernels,
        "params": result.total_params,
        "macs": result.total_macs,
        "augmentation": augment,
    }


class Comparison(list):
    """The rows of ``compare``; ``str()`` prints them as a table, one model per column."""

    FIELDS = (
        ("year", "year"),
        ("top5_error", "ILSVRC top-5 error (%)"),
        ("input", "input"),
        ("weight_layers", "weight layers (depth)"),
        ("conv_kernels", "conv kernels"),
        ("transposed_kernels", "transposed conv kernels"),
        ("fc_layers", "FC layers"),
        ("fc_sizes", "FC sizes"),
        ("dropout", "dropout"),
        ("lrn", "LRN"),
        ("batch_norm", "batch norm"),
        ("layer_norm", "layer norm"),
        ("group_norm", "group norm"),
        ("inception", "Inception"),
        ("conv_1x1", "1x1 convs"),
        ("params", "parameters"),
        ("macs", "multiply-adds"),
        ("augmentation", "data augmentation"),
    )
    # rows no classic net has: printed only where a model in the table has one
    WHERE_ANY = ("transposed_kernels", "layer_norm", "group_norm")

    def __str__(self):
        def cell(key, v):
            if v is None:
                return "n/a"
            if isinstance(v, bool):
                return "yes" if v else "no"
            if key in ("params", "macs"):
                if v < 1e6:  # LeNet-5's 60,850 would read 0.1M
                    return f"{v / 1e3:,.1f}K"
                return f"{v / 1e6:,.1f}M" if v < 1e9 else f"{v / 1e9:,.2f}G"
            if key == "input":
                return "x".join(str(n) for n in v[1:])
            if isinstance(v, list):
                return ", ".join(str(a) for a in v)
            return str(v)

        fields = [
            (k, label) for k, label in self.FIELDS if k not in self.WHERE_ANY or any(r[k] for r in self)
        ]
        table = [[""] + [r["model"] for r in self]]
        table += [[label] + [cell(key, r[key]) for r in self] for key, label in fields]
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table)

    __repr__ = __str__


def compare(models=None, progress=None):
    """The comparison table of the classic nets, each built as ``CLASSIC`` says (``built_as()``
    puts that in words): LeNet-5's 1998 variant at 32x32, AlexNet at 227x227, the others at 224x224.

    Args:
        models: None for LeNet-5, AlexNet, VGG-16, GoogLeNet, ResNet-152; or a
            list of (name, model or callable that builds it, (C, H, W)).
        progress: None, or ``progress(name, i, n)``, called as the i-th of n models is
            taken up (building and running the big ones takes a while).
    """
    rows = Comparison()
    entries = list(models if models is not None else _default_models())
    for i, (name, build, size) in enumerate(entries, 1):
        if progress is not None:
            progress(name, i, len(entries))
        model = build() if not isinstance(build, nn.Module) else build
        rows.append(describe(name, model, size))
    return rows
