"""Forward hooks as PyTorch runs them: order, replacement, prepend, with_kwargs, always_call."""

import copy

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


class Scale(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


def rand(seed, n=3):
    return mc.tensor(np.random.default_rng(seed).standard_normal(n))


def test_hooks_run_in_order_and_each_replacement_feeds_the_next():
    m, log = Scale(), []
    m.register_forward_pre_hook(lambda mod, a: log.append("pre1"))
    m.register_forward_pre_hook(lambda mod, a: a[0] * 3)  # not a tuple: wrapped as (value,)
    m.register_forward_hook(lambda mod, a, o: log.append(("post1", a[0].data.tolist())))
    m.register_forward_hook(lambda mod, a, o: o + 1)
    m.register_forward_hook(lambda mod, a, o: o * 10)
    x = rand(0)
    y = m(x)
    np.testing.assert_allclose(y.data, (x.data * 3 + 1) * 10)
    assert log == ["pre1", ("post1", (x.data * 3).tolist())]
    m(x)  # a module called twice runs its hooks twice
    assert len(log) == 4


def test_prepend_puts_a_hook_first():
    m, log = Scale(), []
    m.register_forward_hook(lambda mod, a, o: log.append("a"))
    m.register_forward_hook(lambda mod, a, o: log.append("b"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a: log.append("pa"))
    handle = m.register_forward_pre_hook(lambda mod, a: log.append("pb"), prepend=True)
    m(rand(1))
    assert log == ["pb", "pa", "b", "a"]
    handle.remove()
    handle.remove()  # a second remove does nothing
    m(rand(1))
    assert log[4:] == ["pa", "b", "a"]


def test_with_kwargs_hooks_see_and_replace_keyword_arguments():
    m, seen = Scale(), []
    pre = m.register_forward_pre_hook(lambda mod, a, kw: (a, {**kw, "scale": 5.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, o: seen.append(dict(kw)) or o * 2, with_kwargs=True)
    x = rand(2)
    np.testing.assert_allclose(m(x, scale=2.0).data, x.data * 10)
    assert seen == [{"scale": 5.0}]
    pre.remove()
    assert not m._forward_pre_hooks_with_kwargs  # its flag leaves with it
    np.testing.assert_allclose(m(x, scale=2.0).data, x.data * 4)
    m.register_forward_pre_hook(lambda mod, a, kw: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\), but got 3"):
        m(x)


def test_always_call_hooks_run_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m, seen = Boom(), []
    m.register_forward_hook(lambda mod, a, o: seen.append("plain"))
    m.register_forward_hook(lambda mod, a, o: seen.append(o) or 5, always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(rand(3))
    assert seen == [None]


def test_hooks_survive_deepcopy_and_see_the_copy():
    m, seen = Scale(), []
    m.register_forward_hook(lambda mod, a, o: seen.append(mod))
    twin = copy.deepcopy(m)
    twin(rand(4))
    assert seen == [twin]
