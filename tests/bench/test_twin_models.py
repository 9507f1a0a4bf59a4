"""The PyTorch twin (twin.py) of a zoo model, and of models it cannot twin: one line naming the
module, or the argument an older PyTorch lacks; built over a stand-in torch.nn (twin_stand_in.py)."""

import pytest
from twin_stand_in import stand_in, twin_args

from minicnn import models, nn


def test_the_twin_of_a_zoo_model_has_its_layers_names_and_order(twin):
    model = models.lenet5()
    t = twin.to_torch(model)
    assert [(k, type(v).__name__) for k, v in t.layers.items()] == [
        (k, type(v).__name__) for k, v in model.named_children()
    ]
    conv = t.layers["0"]
    assert twin_args(conv, "in_channels", "out_channels", "kernel_size", "padding") == (
        "Conv2d",
        {"in_channels": 1, "out_channels": 6, "kernel_size": (5, 5), "padding": (2, 2)},
    )


# --- modules without a twin ----------------------------------------------------------------------


class ScaledConv(nn.Conv2d):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize(
    "model, label",
    [
        (nn.Sequential(nn.Linear(4, 4), nn.DropConnectLinear(4, 2)), "DropConnectLinear at '1'"),
        # a subclass is not its base
        (nn.Sequential(nn.Sequential(ScaledConv(1, 2, 3))), "ScaledConv at '0.0'"),
        (nn.DropConnect(nn.Linear(4, 2)), "DropConnect"),
    ],
)
def test_a_module_without_a_twin_is_one_line_naming_it_and_its_place(twin, model, label):
    with pytest.raises(TypeError) as err:
        twin.to_torch(model)
    assert str(err.value) == (
        f"minicnn.bench: no PyTorch twin for {label}; "
        "add its class to LAYERS, CHAINS or BLOCKS in minicnn/bench/twin.py"
    )


def test_a_bench_model_without_a_twin_is_refused_in_one_line(twin):
    # torch_cases builds every PyTorch step from to_torch's twin, so this comes first there
    model = nn.Sequential(nn.Flatten(), nn.DropConnectLinear(16, 2))
    with pytest.raises(TypeError, match=r"^minicnn.bench: no PyTorch twin for DropConnectLinear at '1';"):
        twin.to_torch(model)


def test_an_argument_an_older_pytorch_lacks_is_left_out_at_its_default(twin, monkeypatch):
    @stand_in
    def LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, device=None, dtype=None): ...

    monkeypatch.setattr(twin.tnn, "LayerNorm", LayerNorm)  # PyTorch 2.0's: no bias
    assert twin_args(twin.to_torch(nn.LayerNorm(5)), "normalized_shape") == (
        "LayerNorm",
        {"normalized_shape": (5,)},
    )
    with pytest.raises(TypeError) as err:
        twin.to_torch(nn.Sequential(nn.LayerNorm(5, bias=False)))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("minicnn.bench: PyTorch stand-in cannot build the twin of LayerNorm at '0': ")
    assert "bias" in message
