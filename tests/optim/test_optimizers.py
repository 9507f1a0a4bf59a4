"""SGD, Adam, AdamW, RMSprop, Adagrad: PyTorch's trajectories to 1e-7, state dicts that resume
exactly, bad settings.

The golden file (tests/fixtures/gen_optim.py) trains a 4-8-3 tanh MLP in float64
for a few steps with each configuration; here the same configuration, replayed
from the JSON saved beside the arrays, must end at the same parameters.
"""

import collections
import json
import math
import pathlib

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim
from minicnn.optim import lr_scheduler

# loaded here, not through the golden fixture: the configurations parametrize the tests
with np.load(pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "optim.npz") as _f:
    GOLDEN = dict(_f)
CONFIGS = json.loads(str(GOLDEN["optimizers"]))
STEPS = int(GOLDEN["steps"])


def mlp():
    model = nn.Sequential(
        collections.OrderedDict([("fc1", nn.Linear(4, 8)), ("act", nn.Tanh()), ("fc2", nn.Linear(8, 3))])
    ).double()
    model.load_state_dict({k: GOLDEN[f"init.{k}"] for k in model.state_dict()})
    return model


def build(cfg, model):
    kwargs = dict(cfg["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if "groups" in cfg:
        params = [
            dict(
                {k: v for k, v in g.items() if k != "layer"},
                params=list(getattr(model, g["layer"]).parameters()),
            )
            for g in cfg["groups"]
        ]
    else:
        params = model.parameters()
    opt = getattr(optim, cfg["cls"])(params, **kwargs)
    sched = None
    if "scheduler" in cfg:
        sched = getattr(lr_scheduler, cfg["scheduler"]["cls"])(opt, **cfg["scheduler"]["kwargs"])
    return opt, sched


def train(model, opt, sched, steps):
    x, y = mc.tensor(GOLDEN["init.x"]), mc.tensor(GOLDEN["init.y"])
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        grads = [p.grad.data for p in model.parameters()]
        copies = [g.copy() for g in grads]
        opt.step()
        for g, c in zip(grads, copies):  # gradients are read, never written
            np.testing.assert_array_equal(g, c)
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("name", list(CONFIGS))
def test_trajectory_matches_pytorch(name):
    model = mlp()
    opt, sched = build(CONFIGS[name], model)
    losses = train(model, opt, sched, STEPS)
    np.testing.assert_allclose(losses, GOLDEN[f"opt.{name}.losses"], rtol=1e-7, atol=1e-12)
    for pname, p in model.named_parameters():
        np.testing.assert_allclose(
            p.data, GOLDEN[f"opt.{name}.{pname}"], rtol=1e-7, atol=1e-12, err_msg=f"{name}: {pname}"
        )
    moved = max(np.abs(GOLDEN[f"opt.{name}.{k}"] - GOLDEN[f"init.{k}"]).max() for k in model.state_dict())
    assert moved > 1e-3  # the check is not vacuous: training moved the weights


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


def test_param_groups_take_defaults_and_add_param_group():
    model = mlp()
    opt = optim.SGD(model.fc1.parameters(), lr=0.1, momentum=0.5)
    opt.add_param_group({"params": model.fc2.parameters(), "lr": 0.01})
    assert len(opt.param_groups) == 2
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.5
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [model.fc1.weight]})
    assert "Parameter Group 1" in repr(opt) and "lr: 0.01" in repr(opt)


def test_zero_grad_and_closure():
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = mc.tensor(GOLDEN["init.x"]), mc.tensor(GOLDEN["init.y"])

    def closure():
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        return loss

    first = opt.step(closure)
    assert first.item() == pytest.approx(GOLDEN["opt.sgd.losses"][0], rel=1e-12)
    assert all(p.grad is not None for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    frozen = model.fc1.weight.data.copy()
    opt.step()  # no gradients: nothing moves
    np.testing.assert_array_equal(model.fc1.weight.data, frozen)


def test_bad_settings_are_refused():
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


def test_adamw_decays_weights_even_without_gradient_signal():
    p = nn.Parameter(np.full(3, 2.0))
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = mc.tensor(np.zeros(3))
    opt.step()
    np.testing.assert_allclose(p.data, 2.0 * (1 - 0.1 * 0.5))  # zero gradient: only the decay
    assert opt.defaults["decoupled_weight_decay"] is True


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda p, v: optim.SGD([p], lr=v), "Invalid learning rate"),
        (lambda p, v: optim.SGD([p], lr=0.1, momentum=v), "Invalid momentum value"),
        (lambda p, v: optim.SGD([p], lr=0.1, weight_decay=v), "Invalid weight_decay value"),
        (lambda p, v: optim.Adam([p], lr=v), "Invalid learning rate"),
        (lambda p, v: optim.Adam([p], betas=(v, 0.999)), "Invalid beta parameter at index 0"),
        (lambda p, v: optim.Adam([p], betas=(0.9, v)), "Invalid beta parameter at index 1"),
        (lambda p, v: optim.Adam([p], eps=v), "Invalid epsilon value"),
        (lambda p, v: optim.AdamW([p], weight_decay=v), "Invalid weight_decay value"),
        (lambda p, v: optim.RMSprop([p], alpha=v), "Invalid alpha value"),
        (lambda p, v: optim.RMSprop([p], momentum=v), "Invalid momentum value"),
        (lambda p, v: optim.RMSprop([p], eps=v), "Invalid epsilon value"),
        (lambda p, v: optim.Adagrad([p], lr_decay=v), "Invalid lr_decay value"),
        (
            lambda p, v: optim.Adagrad([p], initial_accumulator_value=v),
            "Invalid initial_accumulator_value value",
        ),
    ],
)
def test_nan_and_infinite_settings_are_refused(build, message, bad):
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=f"{message}: {bad}"):
        build(p, bad)


def test_rmsprop_and_adagrad_state_has_pytorchs_names_and_first_steps():
    """The state a PyTorch checkpoint would hold, and the first step worked by hand:
    RMSprop moves each weight by lr g / (sqrt((1 - alpha) g^2) + eps), Adagrad by lr g / (|g| + eps)."""
    g = np.array([0.5, -2.0, 0.0])
    p = nn.Parameter(np.zeros(3))
    rms = optim.RMSprop([p], lr=0.1, alpha=0.9, momentum=0.5, centered=True)
    p.grad = mc.tensor(g)
    rms.step()
    assert set(rms.state[p]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    # centered: v - a^2 = 0.1 g^2 - 0.01 g^2
    np.testing.assert_allclose(p.data, -0.1 * g / (np.sqrt(0.09 * g * g) + 1e-8), rtol=1e-12)
    q = nn.Parameter(np.zeros(3))
    ada = optim.Adagrad([q], lr=0.1)
    q.grad = mc.tensor(g)
    ada.step()
    assert set(ada.state[q]) == {"step", "sum"} and ada.state_dict()["state"][0]["step"] == 1
    np.testing.assert_allclose(q.data, -0.1 * g / (np.abs(g) + 1e-10), rtol=1e-12)
    np.testing.assert_array_equal(ada.state[q]["sum"], g * g)


def test_adagrad_builds_every_state_when_made_from_the_constructors_value():
    """As PyTorch: state for every parameter at once (a state dict before any step), and
    initial_accumulator_value taken from the constructor, not from a group."""
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 3.0}], lr=1.0)
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1] and state[1]["step"] == 0
    np.testing.assert_array_equal(state[1]["sum"], [0.0, 0.0])
    b.grad = mc.tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(b.data, [-1.0, -1.0])  # 1 / sqrt(0 + 1)
    assert opt.state[a]["step"] == 0  # no gradient: not stepped


def test_adagrad_state_follows_the_parameters_when_the_model_moves_after_it_is_built():
    model = mlp().float()
    opt = optim.Adagrad(model.parameters(), lr=0.1)
    model.double()  # as fit() moves a model after its optimizer exists
    x, y = mc.tensor(GOLDEN["init.x"]), mc.tensor(GOLDEN["init.y"])
    nn.CrossEntropyLoss()(model(x), y).backward()
    opt.step()
    assert all(opt.state[p]["sum"].dtype == np.float64 for p in model.parameters())
    assert all(p.dtype == np.float64 for p in model.parameters())


def test_an_optimizer_takes_named_parameters_and_keeps_the_names_as_pytorch():
    layer = nn.Linear(2, 2)
    opt = optim.SGD(layer.named_parameters(), lr=0.1)
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [layer.weight, layer.bias]


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


# (what is built, the error, its whole message)
WRONG_TYPES = [
    (lambda w: optim.SGD([w], lr="0.1"), TypeError, "SGD: lr must be a real number, got str '0.1'"),
    (lambda w: optim.SGD([w], lr=None), TypeError, "SGD: lr must be a real number, got None"),
    (lambda w: optim.SGD([w], lr=True), TypeError, "SGD: lr must be a real number, got bool True"),
    (lambda w: optim.SGD([w], lr=[0.1]), TypeError, "SGD: lr must be a real number, got list [0.1]"),
    (
        lambda w: optim.SGD([w], lr=mc.tensor([0.1, 0.2])),
        TypeError,
        "SGD: lr must be a real number, got Tensor of shape (2,)",
    ),
    (
        lambda w: optim.SGD([w], momentum="0.9"),
        TypeError,
        "SGD: momentum must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.SGD([w], momentum=0.9, dampening="0.1"),
        TypeError,
        "SGD: dampening must be a real number, got str '0.1'",
    ),
    (
        lambda w: optim.SGD([{"params": [w], "lr": "1e-3"}], lr=0.1),  # a group's own setting too
        TypeError,
        "SGD: lr must be a real number, got str '1e-3'",
    ),
    (
        lambda w: optim.SGD([w], lr=-1),
        ValueError,
        "SGD: Invalid learning rate: -1; expected a finite number >= 0",
    ),
    (
        lambda w: optim.Adam([w], betas=(0.9,)),
        ValueError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got 1 of them: tuple (0.9,)",
    ),
    (
        lambda w: optim.AdamW([w], betas=[0.9, 0.99, 0.9]),
        ValueError,
        "AdamW: betas must be a pair (beta1, beta2) of numbers, got 3 of them: list [0.9, 0.99, 0.9]",
    ),
    (
        lambda w: optim.Adam([w], betas=0.9),
        TypeError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got float 0.9",
    ),
    (
        lambda w: optim.Adam([w], betas="ab"),
        TypeError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got str 'ab'",
    ),
    (
        lambda w: optim.Adam([w], betas=("0.9", 0.99)),
        TypeError,
        "Adam: betas[0] must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.Adam([w], betas=(0.9, 1.0)),
        ValueError,
        "Adam: Invalid beta parameter at index 1: 1.0; expected a finite number in [0, 1)",
    ),
    (lambda w: optim.Adam([w], eps="1e-8"), TypeError, "Adam: eps must be a real number, got str '1e-8'"),
    (
        lambda w: optim.AdamW([w], weight_decay=None),
        TypeError,
        "AdamW: weight_decay must be a real number, got None",
    ),
    (
        lambda w: optim.RMSprop([w], alpha="0.9"),
        TypeError,
        "RMSprop: alpha must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.Adagrad([w], lr_decay="0"),
        TypeError,
        "Adagrad: lr_decay must be a real number, got str '0'",
    ),
    (
        lambda w: optim.Adagrad([w], initial_accumulator_value=[0.1]),
        TypeError,
        "Adagrad: initial_accumulator_value must be a real number, got list [0.1]",
    ),
]


@pytest.mark.parametrize("make, error, message", WRONG_TYPES)
def test_a_setting_of_the_wrong_type_or_length_is_refused_when_built(make, error, message):
    """Where PyTorch fails later (a string lr at the first step, betas of three at the first
    step) or with a comparison's error, one line names the optimizer, what it expected and got."""
    w = nn.Parameter(np.zeros(2))
    with pytest.raises(error) as caught:
        make(w)
    assert str(caught.value) == message


def test_numbers_of_any_kind_are_taken_and_a_one_value_tensor_as_its_float():
    """PyTorch keeps a Tensor lr for its compiled steps; minicnn has none and stores the float."""
    rng = np.random.default_rng(72)
    w = nn.Parameter(rng.standard_normal(2))
    opt = optim.SGD([w], lr=mc.tensor(0.5), momentum=np.float32(0.5), weight_decay=np.int64(0))
    lr = opt.param_groups[0]["lr"]
    assert lr == 0.5 and type(lr) is float and opt.param_groups[0]["momentum"] == 0.5
    adam = optim.Adam([w], lr=np.array([0.01]), betas=np.array([0.8, 0.9]))
    assert adam.param_groups[0]["lr"] == 0.01 and adam.param_groups[0]["betas"] == (0.8, 0.9)
    assert optim.Adam([w], betas=[mc.tensor(0.5), 0.9]).param_groups[0]["betas"] == (0.5, 0.9)
    before = w.data.copy()
    w.grad = mc.tensor(rng.standard_normal(2))
    opt.step()
    np.testing.assert_allclose(w.data, before - 0.5 * w.grad.data)


@pytest.mark.parametrize("dampening", [-1.0, math.inf, math.nan])
def test_sgds_dampening_is_any_real_number_as_pytorch(dampening):
    """PyTorch checks lr, momentum and weight decay, not dampening: -1, inf and nan are taken,
    the other settings' same values refused."""
    w = nn.Parameter(np.random.default_rng(73).standard_normal(2))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=dampening)
    taken = opt.param_groups[0]["dampening"]
    assert taken == dampening or (math.isnan(taken) and math.isnan(dampening))
    with pytest.raises(ValueError, match="SGD: Invalid momentum value"):
        optim.SGD([w], lr=0.1, momentum=dampening)
