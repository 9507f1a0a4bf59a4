"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from .optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD, step for step (its documented pseudo-code):

        g = grad (+ weight_decay * p)             L2 penalty folded into the gradient
        b = g                         on the first step, then
        b = momentum * b + (1 - dampening) * g    momentum buffer
        g = g + momentum * b   if nesterov, else  g = b
        p = p - lr * g

    Note the momentum form: b accumulates gradients and lr multiplies it at the
    end (Sutskever et al. 2013), unlike v = mu v - lr g; the two agree for a constant lr.
    """

    checks = {
        "lr": "Invalid learning rate",
        "momentum": "Invalid momentum value",
        "dampening": None,
        "weight_decay": "Invalid weight_decay value",
    }

    def __init__(
        self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False
    ):
        defaults = self._checked(
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            )
        )
        if nesterov and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = -p.grad.data if group["maximize"] else p.grad.data
            if weight_decay != 0:
                g = g + weight_decay * p.data  # a new array: .grad stays the gradient
            if momentum != 0:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    buf += (1 - dampening) * g if dampening else g
                g = g + momentum * buf if nesterov else buf
            p.data -= lr * g
