"""Adagrad (Duchi, Hazan & Singer 2011): each weight's step divided by the root of the sum of
all its squared gradients so far."""

from .. import backend
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """PyTorch's Adagrad, step for step (its documented pseudo-code):

        t = t + 1
        g = grad (+ weight_decay * p)
        lr_t = lr / (1 + (t - 1) lr_decay)
        S = S + g^2                              every squared gradient so far ("sum")
        p = p - lr_t g / (sqrt(S) + eps)

    S starts at ``initial_accumulator_value``. S only grows, so every weight's step only
    shrinks: rare features (small S) keep large steps, and the method can stall on long
    runs, which RMSprop's decaying average fixes. As in PyTorch, every parameter's state
    (t = 0 and S) is made when the optimizer is built, from the value given here.
    """

    checks = {
        "lr": "Invalid learning rate",
        "lr_decay": "Invalid lr_decay value",
        "weight_decay": "Invalid weight_decay value",
        "initial_accumulator_value": "Invalid initial_accumulator_value value",
        "eps": "Invalid epsilon value",
    }

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                eps=eps,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                maximize=maximize,
            ),
        )
        for group in self.param_groups:
            for p in group["params"]:
                self._new_state(p)

    def buffers(self, group):
        return ("step", "sum")

    def _new_state(self, p):
        xp = backend.xp_of(p.data)
        initial = self.defaults["initial_accumulator_value"]
        self.state[p] = {"step": 0, "sum": xp.full_like(p.data, initial)}
        return self.state[p]

    def _state_of(self, p):
        """p's state, made now for a group added later, and moved to p's device and dtype
        if the model moved since the optimizer was built (``fit`` moves it to the device)."""
        state = self.state.get(p) or self._new_state(p)
        S = state["sum"]
        if backend.device_of(S) != p.device or S.dtype != p.dtype:
            state["sum"] = backend.to_device(S, p.device).astype(p.dtype)
        return state

    def _update(self, group):
        lr, lr_decay, eps, weight_decay = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.xp_of(p.data)
            g = -p.grad.data if group["maximize"] else p.grad.data
            state = self._state_of(p)
            state["step"] += 1
            if weight_decay != 0:
                g = g + weight_decay * p.data  # a new array: .grad stays the gradient
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            S = state["sum"]
            S += g * g
            p.data -= clr * g / (xp.sqrt(S) + eps)
