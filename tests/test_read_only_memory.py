"""A tensor on read-only memory (``mc.from_numpy`` or ``mc.as_tensor`` of a read-only NumPy
array, which warns): every write into it is refused in one line naming the write, before
anything is written, where NumPy's own words ("output array is read-only") named nothing and an
optimizer step or a load stopped half done. PyTorch writes into such memory regardless (its
behaviour there is undefined)."""

import warnings

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim


def _frozen(rng, shape=(2, 3)):
    """A tensor sharing a read-only float32 array, and that array."""
    a = rng.standard_normal(shape).astype(np.float32)
    a.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as_tensor's warning of a read-only array
        return mc.as_tensor(a), a


WRITES = {
    "add_": (lambda x: x.add_(1.0), r"^add_\(\): x is read-only"),
    "iadd": (lambda x: x.__iadd__(1.0), r"^\+=: x is read-only"),
    "mul_": (lambda x: x.mul_(2.0), r"^mul_\(\): x is read-only"),
    "zero_": (lambda x: x.zero_(), r"^zero_\(\): x is read-only"),
    "fill_": (lambda x: x.fill_(3.0), r"^fill_\(\): x is read-only"),
    "copy_": (lambda x: x.copy_(mc.ones(2, 3)), r"^copy_\(\): x is read-only"),
    "clamp_": (lambda x: x.clamp_(-0.1, 0.1), r"^clamp_\(\): x is read-only"),
    "normal_": (lambda x: x.normal_(), r"^normal_: x is read-only"),
    "masked_fill_": (
        lambda x: x.masked_fill_(mc.ones(2, 3, dtype=mc.bool), 0.0),
        r"^masked_fill_\(\): x is read-only",
    ),
    "setitem": (lambda x: x.__setitem__(0, 5.0), r"^x\[index\] = value: x is read-only"),
    "transposed": (lambda x: x.T.add_(1.0), r"^add_\(\): x is read-only"),
    "ufunc_out": (lambda x: np.add(x, 1.0, out=x), r"^np.add\(..., out=x\): x is read-only"),
    "init_normal": (lambda x: nn.init.normal_(x), r"^nn.init.normal_: the tensor is read-only"),
    "init_zeros": (lambda x: nn.init.zeros_(x), r"^nn.init: the tensor is read-only"),
}


@pytest.mark.parametrize("write", WRITES)
def test_each_write_is_refused_in_one_line_naming_it_and_writes_nothing(write, rng):
    x, a = _frozen(rng)
    before = a.copy()
    call, says = WRITES[write]
    with pytest.raises(ValueError, match=says) as err:
        call(x)
    assert "\n" not in str(err.value) and "x.clone()" in str(err.value)
    np.testing.assert_array_equal(a, before)
    copy = x.clone()
    call(copy)  # a copy takes the write
    assert not np.array_equal(copy.numpy(), before)


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
def test_an_optimizer_step_refuses_before_it_updates_any_parameter(make, rng):
    free = mc.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    frozen, a = _frozen(rng)
    frozen.requires_grad_()
    opt = make([free, frozen], lr=0.1)
    (free.sum() + frozen.sum()).backward()
    before = free.numpy().copy()
    with pytest.raises(ValueError, match=r"^(SGD|Adam)\.step\(\): parameter 1 of group 0 is read-only"):
        opt.step()
    np.testing.assert_array_equal(free.numpy(), before)  # the step was not half taken
    assert not opt.state


def test_load_state_dict_names_a_read_only_parameter_and_loads_nothing(rng):
    model = nn.Linear(3, 2)
    frozen, a = _frozen(rng, (2,))
    model.bias.data = frozen.data
    weight = model.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=r"bias is read-only"):
        model.load_state_dict({"weight": mc.zeros(2, 3), "bias": mc.ones(2)})
    np.testing.assert_array_equal(model.weight.numpy(), weight)


def test_vector_to_parameters_refuses_before_it_copies_any_slice(rng):
    free = mc.tensor(rng.standard_normal(2).astype(np.float32))
    frozen, a = _frozen(rng, (3,))
    before = free.numpy().copy()
    with pytest.raises(ValueError, match=r"^vector_to_parameters: parameter 1 is read-only"):
        nn.utils.vector_to_parameters(mc.zeros(5), [free, frozen])
    np.testing.assert_array_equal(free.numpy(), before)
