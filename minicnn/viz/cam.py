"""Class activation maps (Zhou et al. 2016), for the networks that have one.

A CAM exists where the last conv maps F_k go through global average pooling straight into
one Linear layer, the softmax's (section 2). Then the class score is

    S_c = sum_k w[c, k] mean_xy F_k(x, y) + b_c = mean_xy M_c(x, y) + b_c,
    M_c(x, y) = sum_k w[c, k] F_k(x, y)                 (equations 1 and 2)

so M_c shows where the score comes from. Behind any other head (AlexNet's and VGG's fully
connected layers) the same sum is not the evidence for c: the paper replaces such heads
with a conv, global average pooling and one Linear layer, and fine-tunes, before it takes a
CAM (section 3.1). Grad-CAM (``viz.grad_cam``) needs no particular head.
"""

import numpy as np

from ..grad_mode import no_grad
from ..nn import Linear
from .maps import (
    _as_tensor,
    _check_class,
    _check_in_range,
    _check_one_image,
    _forward,
    _module_of,
    _resize,
    _the_call,
)

_NEEDS = (
    "a CAM needs global average pooling followed directly by one Linear layer "
    "(Zhou et al. 2016); viz.grad_cam works behind any head"
)


def _same_values(a, b):
    """True where b holds a's numbers, whatever the shape (what Flatten, Identity and Dropout
    in eval mode do; a head built of these adds nothing to the pooled vector)."""
    a, b = (t.numpy() if hasattr(t, "numpy") else np.asarray(t) for t in (a, b))
    return a.size == b.size and np.array_equal(a.ravel(), b.ravel())


def _short(module):
    if isinstance(module, Linear):
        return f"Linear({module.weight.shape[1]}->{module.weight.shape[0]})"
    return type(module).__name__


def class_activation_map(model, x, target, pool="avgpool"):
    """CAM of Zhou et al. 2016: M_c = sum_k w[c, k] F_k, upsampled to the image's size.

    F_k are the maps entering the global average pooling ``pool``, w and b the one Linear
    layer after it (its bias is left out of the map, as in the paper: it shifts the score,
    not where the evidence lies). For NIN, whose last conv already gives one map per class
    and whose pooled vector is the scores, M_c = F_c. The map is upsampled to (H, W)
    bilinearly (align_corners=False), as the paper does before overlaying it.

    Before it returns, the head is checked on the image given: ``pool`` must run once and
    give each map's mean; what runs after it must be one Linear layer (around it only
    modules that pass the numbers through, such as Flatten or Dropout in eval mode) reading
    the pooled vector and giving the scores; and the score must equal the mean of M_c plus
    b_c within float tolerance. Any other head (AlexNet's and VGG's fully connected layers,
    a pool that leaves 6x6 maps) is refused in one line naming it: use ``grad_cam`` there.

    Args:
        model: a Module giving class scores (1, classes).
        x: one image (1, C, H, W).
        target: the class c (an int).
        pool: the global average pooling, by name (as ``named_modules`` gives it) or, in a
            Sequential, by index.

    Returns (H, W). Runs in eval mode; each module's mode is left as it was.
    """
    who = "class_activation_map"
    _check_one_image(who, x)
    target = _check_class(who, target)
    name, gap = _module_of(who, model, pool, "pool", hint=" (pool= names its global average pooling)")
    names = {id(m): n for n, m in model.named_modules()}
    leaves = [m for m in model.modules() if next(iter(m.children()), None) is None]
    with no_grad():
        logits, calls = _forward(model, _as_tensor(x), list({id(m): m for m in [*leaves, gap]}.values()))
    _check_in_range(who, logits, target)
    at, features, pooled = _the_call(who, model, name, gap, calls)
    model_name, F = type(model).__name__, features.numpy()[0]
    head = calls[at + 1 :]
    head_words = (
        " -> ".join(f"{names.get(id(m), '?')} {_short(m)}" for m, _, _ in head)
        or "nothing (the forward computes the scores itself)"
    )
    magnitude = np.abs(F).mean(axis=tuple(range(1, F.ndim)))
    if (
        F.ndim != 3
        or pooled.numpy().size != len(F)
        or np.any(np.abs(pooled.numpy().ravel() - F.mean(axis=(1, 2), dtype=np.float64)) > 1e-4 * magnitude)
    ):
        raise ValueError(
            f"{who}: {model_name}'s head is {name!r} ({type(gap).__name__}, maps {F.shape} to "
            f"{pooled.numpy()[0].shape}: not one average per map) -> {head_words}; {_NEEDS}"
        )
    changed = [(m, i, o) for m, i, o in head if not _same_values(i, o)]
    if not changed and _same_values(pooled, logits):  # NIN: the pooled maps are the scores
        weight, bias, cam = None, 0.0, F[target]
    elif (
        len(changed) == 1
        and isinstance(changed[0][0], Linear)
        and _same_values(changed[0][1], pooled)
        and _same_values(changed[0][2], logits)
    ):
        fc = changed[0][0]
        weight = fc.weight.numpy()[target]
        bias = 0.0 if fc.bias is None else float(fc.bias.numpy()[target])
        cam = np.tensordot(weight, F, axes=1)
    else:
        raise ValueError(
            f"{who}: {model_name}'s head is {name!r} ({type(gap).__name__}) -> {head_words}; {_NEEDS}"
        )
    # the paper's identity, S_c = mean M_c + b_c, on this image
    score, expected = float(logits.numpy()[0, target]), float(cam.mean(dtype=np.float64)) + bias
    scale = (magnitude[target] if weight is None else np.abs(weight) @ magnitude) + abs(bias)
    if abs(score - expected) > 1e-4 * scale:
        raise ValueError(
            f"{who}: {model_name}'s score for class {target} is {score:.6g} on this image, but the "
            f"map's mean plus the bias is {expected:.6g}, so its head {name!r} -> {head_words} "
            f"is not what it seems; {_NEEDS}"
        )
    return _resize(cam, *x.shape[-2:])
