"""Where a network finds the evidence for one decision: saliency, CAM and Grad-CAM.

Each takes one image (1, C, H, W) and a class index, runs the model once in eval mode
and returns an (H, W) array that ``viz.plot_map`` draws over the image. The model is
left as it was: each module's own training flag, and the parameters' gradients and
``requires_grad``. Arrays only here: nothing needs matplotlib.
"""

import contextlib
import difflib
import numbers

import numpy as np

from ..grad_mode import enable_grad, no_grad
from ..nn import Sequential
from ..nn.modes import eval_mode
from ..tensor import Tensor


def _check_one_image(who, x):
    if tuple(x.shape[:1]) != (1,) or len(x.shape) != 4:
        raise ValueError(f"{who}: expected one image (1, C, H, W), got shape {tuple(x.shape)}")


def _check_class(who, target):
    """A class index is an int (a NumPy integer too, or a 0-d integer array): not a bool, a
    float or a str, which ``int()`` would quietly turn into some class."""
    if isinstance(target, np.ndarray) and target.ndim == 0 and target.dtype.kind in "iu":
        return int(target)
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        return int(target)
    raise TypeError(f"{who}: target is a class index (an int), got {type(target).__name__} {target!r}")


def _check_in_range(who, logits, target):
    """The first image of the batch is the one explained; its scores must hold class ``target``."""
    classes = logits.shape[1]
    if not 0 <= target < classes:
        raise ValueError(f"{who}: target {target} is not a class of this model's {classes}")


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))


@contextlib.contextmanager
def _input_grads_only(model):
    """Parameters stop asking for gradients inside (only d/dx is wanted), so their ``.grad``
    is left as it was; recording is on even under ``no_grad``, as captum's attributions do."""
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        for p in params:
            p.requires_grad_(False)
        with enable_grad():
            yield
    finally:
        for p in params:
            p.requires_grad_(True)


def _forward(model, x, watched):
    """The model's output for ``x`` in eval mode, and each call of a ``watched`` module as
    (module, input, output), in the order they ran."""
    calls = []
    # NOTE: a hook that returns a value replaces the layer's output, so this one returns None
    handles = [
        m.register_forward_hook(lambda m, i, o: calls.append((m, i[0] if i else None, o))) for m in watched
    ]
    try:
        with eval_mode(model):
            return model(x), calls
    finally:
        for h in handles:
            h.remove()


def _module_of(who, model, layer, what="layer", hint=""):
    """(name, module) for ``layer``: a name as ``named_modules`` gives it ("features.3",
    "relu1"), or an int indexing a Sequential, as ``model[i]`` does (negative from the end)."""
    modules = dict(model.named_modules())
    names = [n for n in modules if n]
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not isinstance(model, Sequential):
            raise TypeError(
                f"{who}: {what}={layer} indexes a Sequential, and {type(model).__name__} is not one; "
                f"name one of its modules: {', '.join(names)}"
            )
        if not -len(model) <= layer < len(model):
            raise IndexError(
                f"{who}: {what}={layer} is out of range for a Sequential of {len(model)} modules"
            )
        return list(model._modules)[layer], model[layer]
    if not isinstance(layer, str):
        raise TypeError(
            f"{who}: {what} is a module's name (str) or a Sequential's index (int), "
            f"got {type(layer).__name__}"
        )
    if layer not in modules:
        close = difflib.get_close_matches(layer, names, n=1)
        guess = f"; did you mean {close[0]!r}? Its" if close else "; its"
        raise ValueError(
            f"{who}: the model has no module named {layer!r}{hint}{guess} modules are {', '.join(names)}"
        )
    return layer, modules[layer]


def _the_call(who, model, name, module, calls):
    """The one call of ``module`` among ``calls``, as (index, input, output)."""
    ran = [k for k, call in enumerate(calls) if call[0] is module]
    if not ran:
        raise ValueError(
            f"{who}: module {name!r} was not run by {type(model).__name__}'s forward in eval mode "
            "(an auxiliary head, or a layer the forward does not call); name one that it runs"
        )
    if len(ran) > 1:
        raise ValueError(
            f"{who}: module {name!r} runs {len(ran)} times in one forward pass of "
            f"{type(model).__name__}, so it has no one output to show; name a module that runs once"
        )
    return ran[0], calls[ran[0]][1], calls[ran[0]][2]


def _output_of(who, model, x, layer):
    name, module = _module_of(who, model, layer)
    with no_grad():
        _, calls = _forward(model, _as_tensor(x), [module])
    return name, module, _the_call(who, model, name, module, calls)[2]


def saliency(model, x, target):
    """|d logit_target / d x|, max over channels: which pixels the prediction is most sensitive to.

    Simonyan et al. 2014, "Deep Inside Convolutional Networks", section 3.1, with the score
    taken before the softmax. Returns (H, W). Runs in eval mode, with gradients recorded even
    inside ``no_grad`` (as captum does); the parameters' gradients and each module's mode are
    left as they were.
    """
    _check_one_image("saliency", x)
    target = _check_class("saliency", target)
    x = Tensor(x.numpy() if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32), requires_grad=True)
    with _input_grads_only(model):
        logits, _ = _forward(model, x, [])
        _check_in_range("saliency", logits, target)
        logits[0, target].backward()
    return np.abs(x.grad.numpy()[0]).max(axis=0)


def _resize(a, h, w):
    """Bilinear resize of a 2-D map (align_corners=False, as image libraries and PyTorch's
    ``interpolate(mode="bilinear")`` do): pixel centres map to (i + 0.5) * in / out - 0.5."""
    ys = np.clip((np.arange(h) + 0.5) * a.shape[0] / h - 0.5, 0, a.shape[0] - 1)
    xs = np.clip((np.arange(w) + 0.5) * a.shape[1] / w - 0.5, 0, a.shape[1] - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, a.shape[0] - 1), np.minimum(x0 + 1, a.shape[1] - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def grad_cam(model, x, target, layer, relu=True):
    """Grad-CAM of Selvaraju et al. 2017: where, in the maps A (K, h, w) of ``layer``, the
    evidence for class c lies, for any network (section 3, equations 1 and 2):

        alpha_k = (1 / (h w)) sum_ij d y_c / d A_k[i, j]    (the gradient, average-pooled)
        L_c     = ReLU(sum_k alpha_k A_k)

    with y_c the score before the softmax; L_c is then upsampled bilinearly to the image's
    (H, W), as the paper does before overlaying it. At the last conv of a network that ends
    in global average pooling and one Linear layer, alpha_k = w[c, k] / (h w), so Grad-CAM
    there is the CAM divided by h w (before the ReLU).

    Args:
        model: a Module giving class scores (1, classes).
        x: one image (1, C, H, W).
        target: the class c (an int).
        layer: the module whose output is A, by name (``"layer3"``) or, in a Sequential, by
            index; it must run once in the forward pass and give maps (1, K, h, w).
        relu: False leaves out equation 2's ReLU, keeping the evidence against the class.

    Returns (H, W). Runs in eval mode, with gradients recorded even inside ``no_grad`` (as
    captum does); the parameters' gradients and each module's mode are left as they were.
    """
    _check_one_image("grad_cam", x)
    target = _check_class("grad_cam", target)
    name, module = _module_of("grad_cam", model, layer)
    x = Tensor(x.numpy() if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32), requires_grad=True)
    with _input_grads_only(model):
        logits, calls = _forward(model, x, [module])
        _check_in_range("grad_cam", logits, target)
        maps = _the_call("grad_cam", model, name, module, calls)[2]
        if maps.ndim != 4:
            raise ValueError(f"grad_cam: {name!r} gives shape {tuple(maps.shape)}, not maps (1, K, h, w)")
        maps.retain_grad()
        logits[0, target].backward()
    A = maps.numpy()[0]
    # NOTE: no gradient reaches a layer the score does not depend on: every alpha_k is 0 then
    G = np.zeros_like(A) if maps.grad is None else maps.grad.numpy()[0]
    cam = np.tensordot(G.mean(axis=(1, 2)), A, axes=1)
    return _resize(np.maximum(cam, 0) if relu else cam, *x.shape[-2:])
