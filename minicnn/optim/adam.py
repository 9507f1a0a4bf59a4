"""Adam (Kingma & Ba 2015), its AMSGrad variant, and AdamW's decoupled weight decay."""

from .. import backend
from .optimizer import Optimizer


class Adam(Optimizer):
    """PyTorch's Adam, step for step (its documented pseudo-code):

        t = t + 1
        p = p * (1 - lr * weight_decay)         if decoupled (AdamW)
        g = g + weight_decay * p                otherwise
        m = beta1 m + (1 - beta1) g             first moment (running mean of g)
        v = beta2 v + (1 - beta2) g^2           second moment (running mean of g^2)
        v_max = max(v_max, v)                   amsgrad only; then v_max replaces v below
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The (1 - beta^t) factors undo the bias of m and v towards their zero start.
    """

    checks = {
        "lr": "Invalid learning rate",
        "eps": "Invalid epsilon value",
        "betas": None,  # a pair, each in [0, 1)
        "weight_decay": "Invalid weight_decay value",
    }

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def _update(self, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            xp = backend.xp_of(p.data)
            g = -p.grad.data if group["maximize"] else p.grad.data
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                state["exp_avg"] = xp.zeros_like(p.data)
                state["exp_avg_sq"] = xp.zeros_like(p.data)
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.data *= 1 - lr * weight_decay
                else:
                    g = g + weight_decay * p.data  # a new array: .grad stays the gradient
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m += (1 - beta1) * (g - m)  # NOTE: PyTorch's lerp form of beta1 m + (1-beta1) g
            v *= beta2
            v += (1 - beta2) * g * g
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if group["amsgrad"]:
                v_max = state.setdefault("max_exp_avg_sq", xp.zeros_like(p.data))
                xp.maximum(v_max, v, out=v_max)
                v = v_max
            denom = xp.sqrt(v) / bias_correction2_sqrt + eps
            p.data -= step_size * m / denom

    def buffers(self, group):
        return ("step", "exp_avg", "exp_avg_sq")  # amsgrad's maximum starts at zeros when absent


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): the decay shrinks the
    weights directly, p = p (1 - lr wd), instead of entering m and v through the gradient."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, decoupled_weight_decay=True
        )
