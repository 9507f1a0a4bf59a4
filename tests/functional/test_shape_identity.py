"""Which shape ops hand back x itself and which a new tensor, as PyTorch (its ``y is x``):
the difference shows where a hook or retain_grad sits on the result, its own node or x's."""

import numpy as np
import pytest

import minicnn as mc

# op: (x's shape, the op, whether PyTorch 2.13 returns x itself)
CASES = {
    "t_0d": ((), lambda x: x.t(), False),
    "t_1d": ((2,), lambda x: x.t(), False),
    "t_2d": ((2, 3), lambda x: x.t(), False),
    "flatten_0d": ((), lambda x: x.flatten(), False),
    "flatten_1d": ((2,), lambda x: x.flatten(), True),
    "flatten_2d": ((2, 3), lambda x: x.flatten(), False),
    "flatten_one_dim": ((2, 3), lambda x: x.flatten(1), True),
    "flatten_0_0": ((2, 3), lambda x: x.flatten(0, 0), True),
    "nn_flatten_one_dim": ((2, 3), lambda x: mc.nn.Flatten(1, 1)(x), True),
    "reshape_same": ((2, 3), lambda x: x.reshape(2, 3), False),
    "reshape_1d": ((2,), lambda x: x.reshape(-1), False),
    "view_same": ((2, 3), lambda x: x.view(2, 3), False),
    "squeeze_nothing": ((2, 3), lambda x: x.squeeze(), False),
    "squeeze_0_nothing": ((2, 3), lambda x: x.squeeze(0), False),
    "unsqueeze": ((2, 3), lambda x: x.unsqueeze(0), False),
    "transpose_0_0": ((2, 3), lambda x: x.transpose(0, 0), False),
    "permute_identity": ((2, 3), lambda x: x.permute(0, 1), False),
    "expand_same": ((2, 3), lambda x: x.expand(2, 3), False),
    "T_1d": ((2,), lambda x: x.T, False),
    "contiguous": ((2, 3), lambda x: x.contiguous(), True),
    "ellipsis": ((2, 3), lambda x: x[...], False),
    "full_slice": ((2, 3), lambda x: x[:], False),
    "detach": ((2, 3), lambda x: x.detach(), False),
    "float_of_float32": ((2, 3), lambda x: x.float(), True),
    "to_same_dtype": ((2, 3), lambda x: x.to(mc.float32), True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_x_itself_or_a_new_tensor_as_pytorch(case):
    shape, op, itself = CASES[case]
    x = mc.tensor(
        np.random.default_rng(60 + list(CASES).index(case)).standard_normal(shape).astype(np.float32)
    )
    x.requires_grad_()
    assert (op(x) is x) == itself


@pytest.mark.parametrize(
    "op, expected",
    [(lambda x: x.t(), [11.0, 11.0]), (lambda x: x.flatten(), [20.0, 20.0])],
    ids=["t_is_a_node_of_its_own", "flatten_of_1d_is_x"],
)
def test_a_hook_on_the_result_sits_where_pytorchs_does(op, expected):
    x = mc.tensor(np.random.default_rng(71).standard_normal(2), requires_grad=True)
    y = op(x)
    y.register_hook(lambda g: g * 10)  # on y alone (x.grad 10 + 1), or on x itself (both paths: 20)
    (y + x).sum().backward()
    assert x.grad.tolist() == expected


def test_retain_grad_on_t_of_a_1d_tensor_keeps_its_own_gradient():
    x = mc.tensor(np.random.default_rng(72).standard_normal(2), requires_grad=True)
    z = x * 2
    y = z.t()
    y.retain_grad()
    (y * 3 + z).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0] and x.grad.tolist() == [8.0, 8.0]
