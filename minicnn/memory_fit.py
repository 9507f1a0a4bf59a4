"""Will it fit? Refusing a huge input or class count before memory runs out.

``estimate_activation_bytes`` tells what a summary's total activation bytes
would be from a pass on a smaller image, so a huge input is refused with the
estimate (``check_fits``) instead of exhausting the machine's memory;
``check_classes`` does the same, before building, for a classifier of very
many classes.
"""

import os

from .summary import _bytes, human, run
from .summary_input import _dtype


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
