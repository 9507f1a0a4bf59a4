"""SGD, Adam, AdamW, RMSprop, Adagrad step as PyTorch's: its trajectories to 1e-7, first steps
worked by hand, parameter groups, closures and named parameters.

The golden file (tests/fixtures/gen_optim.py) trains a 4-8-3 tanh MLP in float64
for a few steps with each configuration; here the same configuration, replayed
from the JSON saved beside the arrays, must end at the same parameters.
"""

import numpy as np
import pytest
from golden_mlp import CONFIGS, GOLDEN, STEPS, build, mlp, train

import minicnn as mc
from minicnn import nn, optim


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


def test_adamw_decays_weights_even_without_gradient_signal():
    p = nn.Parameter(np.full(3, 2.0))
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = mc.tensor(np.zeros(3))
    opt.step()
    np.testing.assert_allclose(p.data, 2.0 * (1 - 0.1 * 0.5))  # zero gradient: only the decay
    assert opt.defaults["decoupled_weight_decay"] is True


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
