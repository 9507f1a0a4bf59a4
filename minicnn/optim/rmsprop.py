"""RMSprop (Hinton's lecture 6e, 2012): each weight's step divided by a running RMS of its gradients."""

from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """PyTorch's RMSprop, step for step (its documented pseudo-code):

        g = grad (+ weight_decay * p)
        v = alpha v + (1 - alpha) g^2            running mean of g^2 ("square_avg")
        centered:  a = alpha a + (1 - alpha) g   running mean of g ("grad_avg")
                   s = sqrt(v - a^2) + eps       an estimate of g's standard deviation
        otherwise: s = sqrt(v) + eps             its RMS
        momentum:  b = momentum b + g / s,  p = p - lr b
        otherwise: p = p - lr g / s

    A weight whose gradient is large and noisy takes small steps, one whose gradient is
    small and steady takes larger ones. eps sits outside the square root, as in PyTorch
    (Keras puts it inside); v starts at 0, with no bias correction (unlike Adam).
    """

    checks = {
        "lr": "Invalid learning rate",
        "eps": "Invalid epsilon value",
        "momentum": "Invalid momentum value",
        "weight_decay": "Invalid weight_decay value",
        "alpha": "Invalid alpha value",
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def buffers(self, group):
        optional = (("momentum_buffer",) if group.get("momentum", 0) > 0 else ()) + (
            ("grad_avg",) if group.get("centered") else ()
        )
        return ("step", "square_avg", *optional)

    def _update(self, group):
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.xp_of(p.data)
            g = -p.grad.data if group["maximize"] else p.grad.data
            if weight_decay != 0:
                g = g + weight_decay * p.data  # a new array: .grad stays the gradient
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(p.data)
                if momentum > 0:
                    state["momentum_buffer"] = xp.zeros_like(p.data)
                if group["centered"]:
                    state["grad_avg"] = xp.zeros_like(p.data)
            state["step"] += 1
            v = state["square_avg"]
            v *= alpha
            v += (1 - alpha) * g * g
            if group["centered"]:
                a = state["grad_avg"]
                a += (1 - alpha) * (g - a)  # PyTorch's lerp form of alpha a + (1 - alpha) g
                s = xp.sqrt(v - a * a) + eps
            else:
                s = xp.sqrt(v) + eps
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum
                b += g / s
                p.data -= lr * b
            else:
                p.data -= lr * g / s
