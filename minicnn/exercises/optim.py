"""Exercises on optimizers: one step of SGD with momentum and weight decay, one step of Adam.

Expected values come from minicnn's optimizers (PyTorch's rules, step for step),
run on one parameter whose state is set to the case's buffers.
"""

import numpy as np

from .. import optim
from ..nn import Parameter
from ..tensor import tensor
from .exercise import Case, Exercise, Mistake


def _parameter(param, grad):
    p = Parameter(tensor(param.copy()))
    p.grad = tensor(grad.copy())
    return p


# --- SGD with momentum ----------------------------------------------------------------------------


def _make_sgd(rng, shape, first, lr, momentum, weight_decay):
    buf = None if first else rng.standard_normal(shape)
    return rng.standard_normal(shape), rng.standard_normal(shape), buf, lr, momentum, weight_decay


def _sgd(param, grad, buf, lr, momentum, weight_decay):
    p = _parameter(param, grad)
    opt = optim.SGD([p], lr=lr, momentum=momentum, weight_decay=weight_decay)
    if buf is not None:
        opt.state[p] = {"momentum_buffer": buf.copy()}
    opt.step()
    return p.data.copy(), opt.state[p]["momentum_buffer"].copy()


def _decay_after_momentum(param, grad, buf, lr, momentum, weight_decay):
    buf = grad.copy() if buf is None else momentum * buf + grad
    return param - lr * (buf + weight_decay * param), buf


def _ema(first_scaled):
    def wrong(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        if buf is None:
            buf = (1 - momentum) * g if first_scaled else g.copy()
        else:
            buf = momentum * buf + (1 - momentum) * g
        return param - lr * buf, buf

    return wrong


def _velocity(param, grad, buf, lr, momentum, weight_decay):
    g = grad + weight_decay * param
    v = lr * g if buf is None else momentum * buf + lr * g
    return param - v, v


def _textbook_velocity(param, grad, buf, lr, momentum, weight_decay):
    g = grad + weight_decay * param
    v = -lr * g if buf is None else momentum * buf - lr * g
    return param + v, v


def _nesterov(param, grad, buf, lr, momentum, weight_decay):
    g = grad + weight_decay * param
    buf = g.copy() if buf is None else momentum * buf + g
    return param - lr * (g + momentum * buf), buf


def _old_buffer(zeros_first):
    """PyTorch's buffer, but the step taken with the buffer from before this step's update (on the
    first step, g; or zeros if ``zeros_first``, so that the parameter stays put)."""

    def wrong(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        if buf is None:
            return (param.copy() if zeros_first else param - lr * g), g.copy()
        return param - lr * buf, momentum * buf + g

    return wrong


def _decay(scale):
    """PyTorch's step with weight_decay * param entering the gradient ``scale`` times (-1: the sign)."""

    def wrong(param, grad, buf, lr, momentum, weight_decay):
        return _sgd(param, grad + (scale - 1) * weight_decay * param, buf, lr, momentum, weight_decay)

    return wrong


OLD_BUFFER_HINT = (
    "the parameter moved by the buffer from before this step: update the buffer first, "
    "buf = momentum * buf + g (buf = g on the first step), then step with the new one, "
    "param - lr * buf"
)
EMA_HINT = (
    "PyTorch's buffer is b = momentum * b + g (no (1 - momentum) factor, dampening 0), "
    "and b = g on the first step"
)

SGD = Exercise(
    name="sgd_momentum_step",
    signature="(param, grad, buf, lr, momentum, weight_decay)",
    returns=("new_param", "new_buf"),
    notebook="03_lenet5_mnist",
    teaches="PyTorch's SGD: weight decay enters the gradient, momentum accumulates gradients",
    doc="""One step of torch.optim.SGD(lr, momentum, weight_decay),
    dampening 0, no Nesterov:
    g = grad + weight_decay * param;
    buf = g on the first step (buf is None), else momentum * buf + g;
    new_param = param - lr * buf.
    Return (new_param, new_buf); do not change the arguments.""",
    make=_make_sgd,
    expected=_sgd,
    cases=[
        Case(700, dict(shape=(3, 4), first=True, lr=0.1, momentum=0.9, weight_decay=0.0)),
        Case(701, dict(shape=(5,), first=True, lr=0.05, momentum=0.9, weight_decay=0.1)),
        Case(702, dict(shape=(3, 4), first=False, lr=0.1, momentum=0.9, weight_decay=0.0)),
        Case(703, dict(shape=(2, 3, 3, 3), first=False, lr=0.01, momentum=0.5, weight_decay=0.05)),
    ],
    mistakes=[
        Mistake(
            "weight decay was added after momentum. PyTorch adds weight_decay * param to the gradient "
            "BEFORE the momentum buffer: g = grad + wd * param; buf = momentum * buf + g",
            _decay_after_momentum,
        ),
        Mistake(EMA_HINT, _ema(first_scaled=True)),
        Mistake(EMA_HINT, _ema(first_scaled=False)),
        Mistake(
            "the buffer holds gradients, not steps: buf = momentum * buf + g, then param -= lr * buf "
            "(lr multiplies at the end)",
            _velocity,
        ),
        Mistake(
            "that is the textbook velocity, v = momentum * v - lr * g; param += v. It takes the same "
            "steps, but the buffer is not PyTorch's, and the next step reads the buffer: PyTorch keeps "
            "buf = momentum * buf + g (the gradients, without lr) and param -= lr * buf",
            _textbook_velocity,
        ),
        Mistake(
            "that is Nesterov momentum (the step uses g + momentum * buf); the exercise asks plain "
            "momentum, nesterov=False: param -= lr * buf",
            _nesterov,
        ),
        Mistake(
            "weight decay has the wrong sign: it pulls the weights toward zero, g = grad + "
            "weight_decay * param (the gradient of weight_decay / 2 * |param|^2)",
            _decay(-1),
        ),
        Mistake(
            "weight decay is doubled: g = grad + weight_decay * param, once (weight_decay is the "
            "factor of the gradient, as if the loss had weight_decay / 2 * |param|^2)",
            _decay(2),
        ),
        Mistake(
            "weight decay is left out: g = grad + weight_decay * param, before the momentum buffer",
            _decay(0),
        ),
        Mistake(OLD_BUFFER_HINT, _old_buffer(zeros_first=False)),
        Mistake(OLD_BUFFER_HINT, _old_buffer(zeros_first=True)),
    ],
)


# --- Adam -------------------------------------------------------------------------------------------


def _make_adam(rng, shape, t, lr, grad_scale=1.0):
    m = np.zeros(shape) if t == 1 else rng.standard_normal(shape) * 0.1
    v = np.zeros(shape) if t == 1 else rng.random(shape) * 0.01
    grad = rng.standard_normal(shape) * grad_scale
    return rng.standard_normal(shape), grad, m, v, t, lr, 0.9, 0.999, 1e-8


def _adam(param, grad, m, v, t, lr, beta1, beta2, eps):
    p = _parameter(param, grad)
    opt = optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[p] = {"step": t - 1, "exp_avg": m.copy(), "exp_avg_sq": v.copy()}
    opt.step()
    state = opt.state[p]
    return p.data.copy(), state["exp_avg"].copy(), state["exp_avg_sq"].copy()


def _adam_variant(correct_m, correct_v, eps_inside=None):
    """Adam without a bias correction, or with ``eps_inside`` the root: sqrt(v_hat + eps_inside(eps))."""

    def wrong(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1**t) if correct_m else m
        v_hat = v / (1 - beta2**t) if correct_v else v
        denom = np.sqrt(v_hat) + eps if eps_inside is None else np.sqrt(v_hat + eps_inside(eps))
        return param - lr * m_hat / denom, m, v

    return wrong


def _adam_moments(in_m=lambda g: g, in_v=lambda g: g * g):
    """Adam with ``in_m(grad)`` averaged into m and ``in_v(grad)`` into v: |grad| or grad itself
    where grad or grad^2 belongs."""

    def wrong(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * in_m(grad)
        v = beta2 * v + (1 - beta2) * in_v(grad)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    return wrong


def _adam_returning(corrected=False, t_ahead=0):
    """Adam returning m_hat and v_hat in place of m and v, or corrected with t + ``t_ahead``."""

    def wrong(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        m_hat, v_hat = m / (1 - beta1 ** (t + t_ahead)), v / (1 - beta2 ** (t + t_ahead))
        new = param - lr * m_hat / (np.sqrt(v_hat) + eps)
        return (new, m_hat, v_hat) if corrected else (new, m, v)

    return wrong


def _adam_folded(param, grad, m, v, t, lr, beta1, beta2, eps):
    """The Adam paper's "efficient" form: the corrections folded into the step, eps added to sqrt(v)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
    return param - step * m / (np.sqrt(v) + eps), m, v


ADAM = Exercise(
    name="adam_step",
    signature="(param, grad, m, v, t, lr, beta1, beta2, eps)",
    returns=("new_param", "new_m", "new_v"),
    notebook="07_finetuning_and_deep_features",
    teaches="Adam's moments and why their bias correction matters in the first steps",
    doc="""Step t (1, 2, ...) of torch.optim.Adam; m, v are the moments
    after step t - 1 (zeros at t = 1).
    m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;
    m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t);
    new_param = param - lr m_hat / (sqrt(v_hat) + eps).
    Return (new_param, m, v).""",
    make=_make_adam,
    expected=_adam,
    cases=[
        Case(710, dict(shape=(3, 4), t=1, lr=1e-3)),
        Case(711, dict(shape=(5,), t=2, lr=1e-2)),
        Case(712, dict(shape=(2, 3, 3, 3), t=10, lr=1e-3)),
        Case(713, dict(shape=(4,), t=1000, lr=1e-3)),
        # gradients of 1e-5: sqrt(v_hat) is then near eps, where eps's place matters
        Case(714, dict(shape=(6,), t=1, lr=1e-3, grad_scale=1e-5)),
    ],
    mistakes=[
        Mistake(
            "no bias correction: m and v start at zero, so early on they underestimate; divide by "
            "(1 - beta1^t) and (1 - beta2^t)",
            _adam_variant(False, False),
        ),
        Mistake("only m is bias-corrected: v_hat = v / (1 - beta2^t) too", _adam_variant(True, False)),
        Mistake("only v is bias-corrected: m_hat = m / (1 - beta1^t) too", _adam_variant(False, True)),
        Mistake(
            "return the moments m and v, not m_hat and v_hat: the bias correction is for the step "
            "alone, and the next step updates the uncorrected m and v",
            _adam_returning(corrected=True),
        ),
        Mistake(
            "the bias correction uses this step's t as given (t = 1 on the first step): "
            "1 - beta1^t and 1 - beta2^t, not t + 1",
            _adam_returning(t_ahead=1),
        ),
        Mistake(
            "eps goes outside the square root: sqrt(v_hat) + eps",
            _adam_variant(True, True, lambda eps: eps),
        ),
        Mistake(
            "eps goes outside the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps^2)",
            _adam_variant(True, True, lambda eps: eps**2),
        ),
        Mistake(
            "that is the Adam paper's efficient form (the bias corrections folded into the step "
            "size, eps added to sqrt(v)), which differs where sqrt(v_hat) is near eps. PyTorch "
            "adds eps to sqrt(v_hat): param - lr * m_hat / (sqrt(v_hat) + eps)",
            _adam_folded,
        ),
        Mistake(
            "v averages |grad| where it averages the SQUARED gradient: v = beta2 v + (1 - beta2) g^2, "
            "so that sqrt(v_hat) is the gradient's root mean square",
            _adam_moments(in_v=np.abs),
        ),
        Mistake(
            "v averages grad where it averages the SQUARED gradient: v = beta2 v + (1 - beta2) g^2. "
            "With g itself v goes negative, and its square root is nan",
            _adam_moments(in_v=lambda g: g),
        ),
        Mistake(
            "m averages |grad| where it averages the gradient itself, sign and all: "
            "m = beta1 m + (1 - beta1) g. With |grad| every step lowers the parameter, whichever way the "
            "gradient points",
            _adam_moments(in_m=np.abs),
        ),
    ],
)

EXERCISES = [SGD]
LATER = [ADAM]
