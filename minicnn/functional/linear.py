"""The fully connected layer as one op."""
from ..tensor import Function


class Linear(Function):
    """y = x W^T + b.   gx = gy W,  gW = gy^T x,  gb = sum of gy over the batch.

    Shapes: x (N, in) or (..., in), W (out, in) as PyTorch, b (out,).
    """

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    def backward(self, gy):
        x, w = self.x, self.weight
        gx = gy @ w if self.needs_grad[0] else None
        gw = gb = None
        if self.needs_grad[1]:
            gw = gy.reshape(-1, gy.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            gb = gy.reshape(-1, gy.shape[-1]).sum(axis=0)
        return (gx, gw, gb) if len(self.needs_grad) > 2 else (gx, gw)


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias, weight of shape (out_features, in_features)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: x has {x.shape[-1]} features but weight expects "
                         f"{weight.shape[1]}; x {x.shape}, weight {weight.shape}")
    if bias is None:
        return Linear.apply(x, weight)
    return Linear.apply(x, weight, bias)
