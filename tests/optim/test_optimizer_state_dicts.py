"""Optimizer state dicts as PyTorch's: the layout, a resume that continues exactly, casts to the
parameters' dtype, and damaged checkpoints refused before any step, nothing loaded."""

import collections

import numpy as np
import pytest
from golden_mlp import CONFIGS, GOLDEN, STEPS, build, mlp, train

import minicnn as mc
from minicnn import nn, optim


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_resume_continues_identically(name, tmp_path):
    cfg = CONFIGS[name]
    model = mlp()
    opt, sched = build(cfg, model)
    train(model, opt, sched, 3)
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    if sched is not None:
        ckpt["scheduler"] = sched.state_dict()
    mc.save(ckpt, tmp_path / "ckpt.npz")
    train(model, opt, sched, STEPS - 3)  # the uninterrupted run

    loaded = mc.load(tmp_path / "ckpt.npz")
    twin = mlp()
    twin_opt, twin_sched = build(cfg, twin)  # the scheduler first, then the saved states
    twin.load_state_dict(loaded["model"])
    twin_opt.load_state_dict(loaded["optimizer"])
    if twin_sched is not None:
        twin_sched.load_state_dict(loaded["scheduler"])
    assert loaded["epoch"] == 3
    train(twin, twin_opt, twin_sched, STEPS - 3)
    for (k, a), b in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)
    for k, v in opt.param_groups[0].items():
        if k != "params":
            assert twin_opt.param_groups[0][k] == v


def test_state_dict_layout_is_pytorchs():
    model = mlp()
    opt = optim.SGD(
        [{"params": model.fc1.parameters(), "lr": 0.5}, {"params": model.fc2.parameters()}],
        lr=0.1,
        momentum=0.9,
    )
    train(model, opt, None, 2)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2, 3]]
    assert sd["param_groups"][0]["lr"] == 0.5 and sd["param_groups"][1]["lr"] == 0.1
    assert sd["param_groups"][1]["momentum"] == 0.9 and sd["param_groups"][1]["nesterov"] is False
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    buf = sd["state"][2]["momentum_buffer"]
    assert isinstance(buf, np.ndarray) and buf.shape == (3, 8)
    assert buf is not opt.state[model.fc2.weight]["momentum_buffer"]  # a copy
    adam = optim.Adam(model.parameters(), amsgrad=True)
    train(model, adam, None, 2)
    state = adam.state_dict()["state"][0]
    assert state["step"] == 2 and set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_load_state_dict_casts_to_the_parameters_and_checks_groups():
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    train(model, opt, None, 1)
    sd = opt.state_dict()
    model32 = mlp().float()
    opt32 = optim.Adam(model32.parameters(), lr=0.5)
    opt32.load_state_dict(sd)
    assert opt32.param_groups[0]["lr"] == 0.01
    assert opt32.state[model32.fc1.weight]["exp_avg"].dtype == np.float32
    x, y = mc.tensor(GOLDEN["init.x"]).float(), mc.tensor(GOLDEN["init.y"])
    nn.CrossEntropyLoss()(model32(x), y).backward()
    opt32.step()
    assert all(p.dtype == np.float32 for p in model32.parameters())  # float32 stays float32
    assert all(v.dtype == np.float32 for s in opt32.state.values() for k, v in s.items() if k != "step")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Adam([{"params": model.fc1.parameters()}, {"params": model.fc2.parameters()}]).load_state_dict(
            sd
        )
    with pytest.raises(ValueError, match="has 4 parameters, the optimizer's has 2"):
        optim.Adam(model.fc1.parameters()).load_state_dict(sd)


def test_load_state_dict_refuses_a_buffer_of_another_shape_than_its_parameter():
    """Before any step: a (3,) momentum would otherwise be broadcast into a (6, 5) weight."""
    p = nn.Parameter(np.zeros((6, 5)))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = mc.tensor(np.ones((6, 5)))
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = np.zeros(3)
    fresh = optim.SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(
        ValueError, match=r"parameter 0's 'momentum_buffer' has shape \(3,\), the parameter \(6, 5\)"
    ):
        fresh.load_state_dict(sd)
    assert fresh.state == {}


def _stepped_adam_state(seed):
    p = nn.Parameter(np.random.default_rng(seed).standard_normal((2, 3)).astype(np.float32))
    opt = optim.Adam([p], lr=0.1)
    p.grad = mc.tensor(np.ones((2, 3), np.float32))
    opt.step()
    return p, opt.state_dict()


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda sd: sd["state"][0].update(exp_avg=np.float32(1.0)),
            r"'exp_avg' has shape \(\), the parameter",
        ),
        (
            lambda sd: sd["state"][0].update(exp_avg=np.ones((2, 3), int)),
            r"'exp_avg' is dtype int64; expected",
        ),
        (lambda sd: sd["state"][0].update(exp_avg="x"), r"'exp_avg' is str; expected a float array"),
        (lambda sd: sd["state"][0].pop("exp_avg"), r"parameter 0 lacks 'exp_avg'"),
        (lambda sd: sd["state"][0].update(step="abc"), r"parameter 0's step is 'abc'; expected a count"),
        (lambda sd: sd["state"][0].update(step=-1), r"step is -1; expected a count of steps"),
        (lambda sd: sd["state"][0]["exp_avg_sq"].fill(np.nan), r"'exp_avg_sq' holds NaN or infinite values"),
        (lambda sd: sd["state"][0]["exp_avg_sq"].__imul__(-1), r"'exp_avg_sq' holds negative values"),
        (lambda sd: sd["state"][0].update(step=2**60), r"step is 1152921504606846976; expected a count"),
        (
            lambda sd: sd["state"][0].update(exp_avg=np.full((2, 3), 1e300)),
            r"'exp_avg' holds NaN or infinite values in the parameter's float32",
        ),
        (lambda sd: sd.update(param_groups=[1]), r"param_groups are not a list of groups"),
        (lambda sd: sd.pop("param_groups"), r"param_groups are not a list of groups"),
        (lambda sd: sd.update(state=[]), r"loaded state dict is not an optimizer's"),
    ],
)
def test_load_state_dict_refuses_damaged_buffers_before_any_step(damage, message):
    p, sd = _stepped_adam_state(seed=len(message))
    damage(sd)
    fresh = optim.Adam([p], lr=0.1)
    with pytest.raises(ValueError, match=message):
        fresh.load_state_dict(sd)
    assert fresh.state == {}


@pytest.mark.parametrize(
    "key, value, kind, message",
    [
        ("lr", "x", TypeError, r"group 0: Adam: lr must be a real number, got str 'x'"),
        ("lr", -1.0, ValueError, r"group 0: Adam: Invalid learning rate: -1.0; expected a finite number"),
        ("betas", (2.0, 0.9), ValueError, r"group 0: Adam: Invalid beta parameter at index 0: 2.0"),
        ("eps", None, TypeError, r"group 0: Adam: eps must be a real number, got None"),
        ("weight_decay", float("nan"), ValueError, r"group 0: Adam: Invalid weight_decay value: nan"),
    ],
)
def test_load_state_dict_refuses_settings_the_constructor_refuses_before_any_step(key, value, kind, message):
    """A damaged checkpoint's group would otherwise fail inside step, or train with lr -1."""
    p, sd = _stepped_adam_state(seed=len(message))
    sd["param_groups"][0][key] = value
    fresh = optim.Adam([p], lr=0.1)
    with pytest.raises(kind, match=message):
        fresh.load_state_dict(sd)
    assert fresh.state == {} and fresh.param_groups[0]["lr"] == 0.1


def test_each_optimizer_names_the_buffers_a_stepped_parameter_holds():
    p = nn.Parameter(np.ones(2))
    p.grad = mc.tensor(np.ones(2))
    for opt in (
        optim.Adam([p]),
        optim.RMSprop([p], momentum=0.9, centered=True),
        optim.Adagrad([p]),
        optim.SGD([p], lr=0.1, momentum=0.9),
    ):
        opt.step()
        assert set(opt.buffers(opt.param_groups[0])) <= set(opt.state[p]), type(opt).__name__


def test_a_buffer_of_another_library_is_named_with_a_hint():
    class ForeignTensor:  # what a torch optimizer's state dict holds
        shape, dtype = (2, 3), object()

        def numpy(self):
            return np.zeros(self.shape)

    p, sd = _stepped_adam_state(seed=41)
    sd["state"][0]["exp_avg"] = ForeignTensor()
    with pytest.raises(
        ValueError, match=r"'exp_avg' is .*ForeignTensor; expected .* \(convert it with \.numpy\(\)\)"
    ):
        optim.Adam([p], lr=0.1).load_state_dict(sd)


def test_a_step_count_saved_as_a_small_integer_type_does_not_wrap():
    p, sd = _stepped_adam_state(seed=42)
    sd["state"][0]["step"] = np.uint8(255)
    opt = optim.Adam([p], lr=0.1)
    opt.load_state_dict(sd)
    p.grad = mc.tensor(np.ones((2, 3), np.float32))
    opt.step()
    assert opt.state[p]["step"] == 256 and type(opt.state[p]["step"]) is int


def test_the_state_of_a_parameter_not_yet_stepped_is_an_empty_dict_as_pytorch():
    """optimizer.state is a defaultdict(dict): before the first step (and after a load) a
    parameter's state is {}, which the step then fills."""
    w = nn.Parameter(np.random.default_rng(71).standard_normal(3))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    assert opt.state[w] == {} and isinstance(opt.state, collections.defaultdict)
    assert opt.state_dict()["state"] == {0: {}}  # as PyTorch's, once looked up
    w.grad = mc.tensor(np.ones(3))
    opt.step()
    np.testing.assert_array_equal(opt.state[w]["momentum_buffer"], np.ones(3))
    other = optim.Adam([w], lr=0.1)
    other.load_state_dict(optim.Adam([w], lr=0.1).state_dict())
    assert other.state[w] == {} and isinstance(other.state, collections.defaultdict)
    other.step()
    assert other.state[w]["step"] == 1
