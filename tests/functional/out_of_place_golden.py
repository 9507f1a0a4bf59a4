"""The out-of-place cases of tests/fixtures/gen_in_place2.py against PyTorch's arrays: values and
gradients, and a float64 gradient check (test_ternary.py and test_scatter.py each take theirs)."""

import numpy as np
from fixtures.gen_in_place2 import OUT_OF_PLACE

import minicnn as mc


def inputs(g, name):
    """A case's tensors from the golden file, those with a gradient requiring one."""
    draws, _, grads = OUT_OF_PLACE[name]
    return {k: mc.tensor(g[f"{name}.{k}"], requires_grad=k in grads) for k in draws}


def check_values_and_gradients(g, name):
    _, call, grads = OUT_OF_PLACE[name]
    T = inputs(g, name)
    y = call(mc, T)
    np.testing.assert_allclose(y.numpy(), g[f"{name}.y"], rtol=1e-13, atol=1e-15)
    (y * mc.tensor(g[f"{name}.gy"])).sum().backward()
    for k in grads:
        np.testing.assert_allclose(T[k].grad.numpy(), g[f"{name}.g{k}"], rtol=1e-13, atol=1e-15, err_msg=k)


def check_gradcheck(g, name):
    T = inputs(g, name)
    keys = list(T)
    assert mc.gradcheck(lambda *ts: OUT_OF_PLACE[name][1](mc, dict(zip(keys, ts))), [T[k] for k in keys])
