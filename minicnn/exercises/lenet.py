"""The capstone: LeNet-5 assembled from the student's own layers, then trained on mnist5k.

The quick cases compare the logits and every gradient with ``models.lenet5()``
run by minicnn's autograd. The slow part trains: minicnn's DataLoader and SGD
drive the student's function, which does every forward and backward pass,
within ``MAX_MINUTES`` in all; the test accuracy of ``models.lenet5()`` with the
parameters so trained must pass ``TARGET``.
"""

import time

import numpy as np

from .exercise import Case, Exercise, Mistake
from .grading import ExerciseFailed, call_checked, one_line, shown

# the student's parameter names -> the index of the layer in models.lenet5() (an nn.Sequential)
LAYERS = {"conv1": 0, "conv2": 3, "fc1": 7, "fc2": 9, "fc3": 11}
SHAPES = {
    "conv1.weight": (6, 1, 5, 5),
    "conv1.bias": (6,),
    "conv2.weight": (16, 6, 5, 5),
    "conv2.bias": (16,),
    "fc1.weight": (120, 400),
    "fc1.bias": (120,),
    "fc2.weight": (84, 120),
    "fc2.bias": (84,),
    "fc3.weight": (10, 84),
    "fc3.bias": (10,),
}
EPOCHS, LR, MOMENTUM, BATCH = 6, 0.05, 0.9, 32  # SGD, the lr annealed to 0 (cosine)
TARGET = 0.95
MAX_MINUTES = 20  # the whole training's: a convolution in Python loops would need hours


def _model_name(name):
    layer, kind = name.split(".")
    return f"{LAYERS[layer]}.{kind}"


def _make(rng, N, kinks=False):
    # Kaiming-scaled weights, so that the activations of the small cases neither vanish nor explode
    params = {
        name: rng.standard_normal(shape) * (2 / np.prod(shape[1:])) ** 0.5 for name, shape in SHAPES.items()
    }
    x = rng.random((N, 1, 28, 28))
    if kinks:
        # NOTE: image 0 blank and every bias but fc3's 0: each ReLU of image 0 sees exactly 0 (where
        # its gradient is 0, PyTorch's convention), and each of its pooling windows is a tie
        x[0] = 0.0
        for name in params:
            if name.endswith(".bias") and not name.startswith("fc3"):
                params[name][:] = 0.0
    return params, x, rng.integers(0, 10, N)


def _reference(params, x, labels, mean=True, relu_at_zero=False):
    """(logits, grads) by models.lenet5(); of the summed loss if not mean; with each ReLU passing the
    gradient where its input is >= 0 if relu_at_zero (a known mistake)."""
    from .. import functional as F
    from .. import models, nn, use_kernels
    from ..tensor import tensor

    class ReluFromZero(nn.Module):
        def forward(self, t):  # relu's value, with the gradient let through at 0 as well
            return t * tensor((t.numpy() >= 0).astype(t.numpy().dtype))

    model = models.lenet5().double()
    if relu_at_zero:
        for i, layer in enumerate(model):
            if isinstance(layer, nn.ReLU):
                model[i] = ReluFromZero()
    model.load_state_dict({_model_name(k): v for k, v in params.items()})
    with use_kernels("numpy"):  # the vectorized tier: no compilation before the first call
        logits = model(tensor(x))
        F.cross_entropy(logits, labels).backward()
    named = dict(model.named_parameters())
    scale = 1 if mean else len(labels)
    return logits.numpy(), {k: named[_model_name(k)].grad.numpy() * scale for k in params}


def _gradients(out, params, where):
    """{name: gradient as an array of the parameter's dtype} from the student's (logits, grads)."""
    grads = out[1] if isinstance(out, (tuple, list)) and len(out) == 2 else None
    if not isinstance(grads, dict) or set(grads) != set(params):
        got = shown(sorted(map(str, grads)), 300) if isinstance(grads, dict) else type(grads).__name__
        raise ExerciseFailed(
            f"lenet5_forward_backward failed {where}: grads must be a dict "
            f"with the keys {sorted(params)}; got {got}"
        )
    arrays = {}
    for k, p in params.items():
        try:
            arrays[k] = np.asarray(grads[k], dtype=p.dtype)
        except (TypeError, ValueError) as err:
            raise ExerciseFailed(
                f"lenet5_forward_backward failed {where}: grads[{k!r}] is not an array of numbers: "
                f"{one_line(err, 200)}"
            ) from None
        if arrays[k].shape != p.shape:
            raise ExerciseFailed(
                f"lenet5_forward_backward failed {where}: grads[{k!r}] has "
                f"shape {arrays[k].shape}; expected {p.shape}"
            )
    return arrays


def _datasets():
    """(train, test): the digits the training and the test run on."""
    from .. import data

    return data.mnist5k("train"), data.mnist5k("test")


def _metrics(out, labels):
    """(summed cross-entropy, right) of the student's logits for a batch, or None where they are no
    array (N, 10): for the epoch's line only, as the gradients are what the training checks."""
    try:
        logits = np.asarray(out[0], dtype=np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -float(log_p[np.arange(len(labels)), labels].sum())
        return loss, int((logits.argmax(axis=1) == labels).sum())
    except (TypeError, ValueError, IndexError):
        return None


def _train(run, progress=None):
    """Train with the student's function (called through ``run``, as grade's cases are); returns
    what the training reached, in words, or raises ExerciseFailed. ``progress``: a stream to say
    what it does on, a line before it begins and one per epoch (None: nothing is said).

    The test accuracy is the grader's own: ``models.lenet5()`` with the trained parameters, run
    by minicnn, so that it measures the training, whatever the function returns for the test set."""
    from .. import data, manual_seed, models, optim
    from ..progress import Progress
    from ..tensor import tensor

    manual_seed(0)
    model = models.lenet5()
    named = dict(model.named_parameters())
    params = {k: named[_model_name(k)] for k in SHAPES}
    opt = optim.SGD(list(params.values()), lr=LR, momentum=MOMENTUM)
    train_set, test_set = _datasets()
    loader = data.DataLoader(train_set, batch_size=BATCH, shuffle=True, seed=0)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS * len(loader))
    say = progress is not None
    if say:
        print(
            f"{LENET.name}: training your LeNet-5 for {EPOCHS} epoch{'s' if EPOCHS != 1 else ''} on "
            f"{len(train_set):,} mnist5k digits in batches of {BATCH}, then testing it on "
            f"{len(test_set):,} (about a minute with vectorized layers)",
            file=progress,
            flush=True,
        )
    pace = _Pace(len(loader) * EPOCHS)
    for epoch in range(1, EPOCHS + 1):
        desc = f"epoch {epoch}/{EPOCHS}"
        bar = Progress(total=len(train_set), desc=desc, enabled=say, stream=progress)
        metrics, seen = [], 0  # (summed loss, right) of each batch, for the epoch's line
        epoch_began = time.perf_counter()
        try:
            for step, (x, y) in enumerate(loader, 1):
                where = f"in training (epoch {epoch}, batch {step})"
                args = ({k: p.data for k, p in params.items()}, x.numpy(), y.numpy())
                out = call_checked(LENET, run, args, where)
                grads = _gradients(out, params, where)
                for k, p in params.items():
                    p.grad = tensor(grads[k])
                opt.step()
                schedule.step()
                metrics.append(_metrics(out, y.numpy()))
                seen += len(y)
                bar.update(len(y))
                minutes = pace.batch_done(f"epoch {epoch}, batch {step}")
                if minutes is not None and say and minutes >= 2:
                    print(
                        f"  at this pace the training takes about {minutes:.0f} minutes",
                        file=progress,
                        flush=True,
                    )
        finally:
            bar.close()
        row = {"images_per_second": seen / max(time.perf_counter() - epoch_began, 1e-9)}
        if metrics and None not in metrics:
            row.update(
                train_loss=sum(m[0] for m in metrics) / seen, train_acc=sum(m[1] for m in metrics) / seen
            )
        Progress.line(desc, row, enabled=say, stream=progress)
    accuracy = _test_accuracy(model, test_set)
    if accuracy <= TARGET:
        raise ExerciseFailed(
            f"lenet5_forward_backward: after {EPOCHS} epochs of SGD (lr {LR} "
            f"annealed, momentum {MOMENTUM}) the test accuracy is {accuracy:.2%}; "
            f"it must pass "
            f"{TARGET:.0%}. Your gradients matched on the small cases; training "
            f"feeds float32 batches of {BATCH}, so check that nothing depends on float64 "
            f"or on a batch of 1 or 3"
        )
    return f"{EPOCHS} epoch{'s' if EPOCHS != 1 else ''}, test accuracy {accuracy:.2%}"


def _test_accuracy(model, test_set):
    """The share of ``test_set`` that ``model`` (LeNet-5 with the trained parameters) classifies
    right, by minicnn's forward pass."""
    from .. import data, no_grad, use_kernels

    correct = total = 0
    model.eval()
    with no_grad(), use_kernels("numpy"):  # the vectorized tier: no compilation before the first call
        for x, y in data.DataLoader(test_set, batch_size=250):
            correct += int((model(x).numpy().argmax(axis=1) == y.numpy()).sum())
            total += len(y)
    return correct / total


class _Pace:
    """The training's time: after a few batches, and from then on once a minute has passed, the
    time the whole training would take at the pace so far; past MAX_MINUTES, ExerciseFailed.

    Each batch has its own limit (``grading.CASE_SECONDS``); this is the whole training's, which a
    function that slows down after the first batches would otherwise never meet."""

    FIRST = 5  # batches enough to know the pace

    def __init__(self, batches):
        self.batches, self.done, self.began = batches, 0, time.perf_counter()

    def batch_done(self, where):
        """The minutes the whole training would take, after the FIRST batches (else None); raises
        ExerciseFailed when they are more than MAX_MINUTES."""
        self.done += 1
        if self.done < self.FIRST:
            return None
        elapsed = time.perf_counter() - self.began
        if self.done > self.FIRST and elapsed < 60:
            return None
        minutes = elapsed / self.done * self.batches / 60
        if minutes > MAX_MINUTES:
            raise ExerciseFailed(
                f"lenet5_forward_backward is too slow to train: at its pace so far ({self.done} batches "
                f"in {elapsed / 60:.1f} minutes, to {where}), {EPOCHS} epochs would take about "
                f"{minutes:.0f} minutes, and the limit is {MAX_MINUTES}. Use your im2col convolution "
                f"(one matrix product per layer) and pooling vectorized over the batch, not loops over "
                f"every element"
            )
        return minutes if self.done == self.FIRST else None


def _flattened_hwc(params, x, labels):
    """(logits, grads) of a LeNet-5 that flattens the pooled (N, 16, 5, 5) map in (H, W, C) order
    (a known mistake), as models.lenet5() computes it: fc1 then reads its weight's columns permuted."""
    # NOTE: hwc[j] is the (C, H, W) position of the j-th feature in (H, W, C) order; fc1 with its
    # columns put back in (C, H, W) order, weight[:, argsort(hwc)], computes the same h3
    hwc = np.arange(400).reshape(16, 5, 5).transpose(1, 2, 0).ravel()
    permuted = dict(params, **{"fc1.weight": params["fc1.weight"][:, np.argsort(hwc)]})
    logits, grads = _reference(permuted, x, labels)
    grads["fc1.weight"] = grads["fc1.weight"][:, hwc]
    return logits, grads


LENET = Exercise(
    name="lenet5_forward_backward",
    signature="(params, x, labels)",
    returns=("logits", "grads"),
    notebook="03_lenet5_mnist",
    teaches="a whole network from your own pieces: LeNet-5 trained past 95% on real digits",
    doc="""LeNet-5 (modern), every convolution stride 1:
    conv1 5x5 padding 2 -> relu -> maxpool 2x2 stride 2
    -> conv2 5x5 no padding -> relu -> maxpool 2x2 stride 2
    -> flatten -> fc1 -> relu -> fc2 -> relu -> fc3.
    x (N, 1, 28, 28), labels (N,) ints.
    Shapes: (N, 6, 28, 28) -> (N, 6, 14, 14) -> (N, 16, 10, 10)
    -> (N, 16, 5, 5) -> flatten (N, 400), in (C, H, W) order (the
    pooled array's reshape(N, -1)) -> (N, 120) -> (N, 84)
    -> logits (N, 10).
    params: a dict of arrays: "conv1.weight" (6, 1, 5, 5),
    "conv1.bias" (6,), "conv2.weight" (16, 6, 5, 5),
    "conv2.bias" (16,), "fc1.weight" (120, 400), "fc1.bias" (120,),
    "fc2.weight" (84, 120), "fc2.bias" (84,), "fc3.weight" (10, 84),
    "fc3.bias" (10,); a linear layer is x @ weight.T + bias.
    Return (logits (N, 10), grads): grads a dict of the same ten
    keys, grads[name] = d(mean cross-entropy)/d params[name], of
    params[name]'s shape.
    The small cases pass float64 arrays; training passes float32
    batches of 32.
    Use your conv2d_forward, conv2d_backward, max_pool2d_backward,
    linear_backward and softmax_cross_entropy_backward. Write the
    rest here too: the max-pool forward, and the ReLU, forward and
    backward (the gradient passes where the input is > 0; at 0 and
    below it is 0).
    For python -m minicnn check, your functions must be in the file,
    or imported into it (from mine import conv2d_forward, ...).""",
    make=_make,
    expected=_reference,
    cases=[Case(900, dict(N=1)), Case(901, dict(N=3, kinks=True))],
    mistakes=[
        Mistake(
            "the gradients are N times too large: the loss is the MEAN cross-entropy over the "
            "batch (divide the softmax gradient by N)",
            lambda params, x, labels: _reference(params, x, labels, mean=False),
        ),
        Mistake(
            "at 0 a ReLU's gradient is 0 (PyTorch's convention): pass the gradient where the ReLU's "
            "input is > 0, not >= 0. The second case's blank image, with every bias but fc3's 0, "
            "puts each ReLU of that image at exactly 0",
            lambda params, x, labels: _reference(params, x, labels, relu_at_zero=True),
        ),
        Mistake(
            "the pooled (N, 16, 5, 5) map was flattened in (H, W, C) order: fc1's 400 inputs are in "
            "(C, H, W) order, the pooled array's own reshape(N, -1) with no transpose before it, and "
            "fc1's input gradient goes back to (N, 16, 5, 5) the same way",
            _flattened_hwc,
        ),
    ],
    slow=_train,
)
EXERCISES = [LENET]
