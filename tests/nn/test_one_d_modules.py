"""Conv1d, ConvTranspose1d, the 1-D pools and LPPool1d / LPPool2d as layers: PyTorch's arguments,
defaults, reprs, state_dict keys and shapes, init, weights that give PyTorch's numbers, unbatched
signals and errors that name the layer."""

import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn

# each module as PyTorch 2.14 prints it, and its state_dict's shapes
REPRS = [
    (
        lambda: nn.Conv1d(16, 33, 3, stride=2),
        "Conv1d(16, 33, kernel_size=(3,), stride=(2,))",
        [(33, 16, 3), (33,)],
    ),
    (
        lambda: nn.Conv1d(4, 6, 5, 2, 1, 3, 2, False),
        "Conv1d(4, 6, kernel_size=(5,), stride=(2,), padding=(1,), dilation=(3,), groups=2, bias=False)",
        [(6, 2, 5)],
    ),
    (
        lambda: nn.Conv1d(3, 8, 4, padding="same"),
        "Conv1d(3, 8, kernel_size=(4,), stride=(1,), padding=same)",
        [(8, 3, 4), (8,)],
    ),
    (
        lambda: nn.Conv1d(3, 8, (3,), padding="valid"),
        "Conv1d(3, 8, kernel_size=(3,), stride=(1,), padding=valid)",
        [(8, 3, 3), (8,)],
    ),
    (
        lambda: nn.ConvTranspose1d(16, 33, 3, stride=2),
        "ConvTranspose1d(16, 33, kernel_size=(3,), stride=(2,))",
        [(16, 33, 3), (33,)],
    ),
    (
        lambda: nn.ConvTranspose1d(4, 6, 3, 2, 1, 1, 2, False, 2),
        "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), "
        "output_padding=(1,), groups=2, bias=False)",
        [(4, 3, 3)],
    ),
    (
        lambda: nn.MaxPool1d(3),
        "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)",
        [],
    ),
    (
        lambda: nn.MaxPool1d((3,), 2, 1, 2, True, True),
        "MaxPool1d(kernel_size=(3,), stride=2, padding=1, dilation=2, ceil_mode=True)",
        [],
    ),
    (lambda: nn.AvgPool1d(3), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))", []),
    (
        lambda: nn.AvgPool1d((4,), [2], 1, True, False),
        "AvgPool1d(kernel_size=(4,), stride=(2,), padding=(1,))",
        [],
    ),
    (lambda: nn.AdaptiveAvgPool1d(5), "AdaptiveAvgPool1d(output_size=5)", []),
    (lambda: nn.AdaptiveAvgPool1d((5,)), "AdaptiveAvgPool1d(output_size=(5,))", []),
    (lambda: nn.AdaptiveMaxPool1d(3, True), "AdaptiveMaxPool1d(output_size=3)", []),
    (lambda: nn.LPPool1d(2, 3), "LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)", []),
    (
        lambda: nn.LPPool1d(1.5, (3,), 2, True),
        "LPPool1d(norm_type=1.5, kernel_size=(3,), stride=2, ceil_mode=True)",
        [],
    ),
    (lambda: nn.LPPool2d(2, 3), "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)", []),
    (
        lambda: nn.LPPool2d(float("inf"), (3, 2), (2, 1), True),
        "LPPool2d(norm_type=inf, kernel_size=(3, 2), stride=(2, 1), ceil_mode=True)",
        [],
    ),
]


@pytest.mark.parametrize(
    "make, text, shapes", REPRS, ids=[r[1].split("(")[0] + str(i) for i, r in enumerate(REPRS)]
)
def test_repr_and_state_dict_as_pytorch(make, text, shapes):
    m = make()
    assert repr(m) == text
    state = m.state_dict()
    assert list(state) == ["weight", "bias"][: len(shapes)]
    assert [tuple(v.shape) for v in state.values()] == shapes


def test_stored_arguments_as_pytorch():
    conv = nn.Conv1d(2, 4, 3, stride=(2,), padding=1, dilation=2)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups) == (
        (3,),
        (2,),
        (1,),
        (2,),
        1,
    )
    transposed = nn.ConvTranspose1d(2, 4, 3, output_padding=0)
    assert (transposed.output_padding, transposed.padding) == ((0,), (0,))
    pool = nn.MaxPool1d(3)
    assert (pool.kernel_size, pool.stride, pool.padding, pool.return_indices) == (3, 3, 0, False)
    assert nn.AvgPool1d(3, 2).stride == (2,) and nn.LPPool1d(2, 3).stride is None
    assert not isinstance(nn.Conv1d(1, 1, 1), nn.Conv2d) and not isinstance(nn.MaxPool1d(2), nn.MaxPool2d)


@pytest.mark.parametrize(
    "make, fan_in, shape",
    [
        (lambda: nn.Conv1d(6, 8, 5, groups=2), 3 * 5, (8, 3, 5)),
        (lambda: nn.ConvTranspose1d(6, 8, 5, groups=2), 4 * 5, (6, 4, 5)),
    ],
)
def test_init_is_pytorchs_kaiming_uniform_over_the_fan_in(make, fan_in, shape):
    m = make()
    bound = 1 / math.sqrt(fan_in)
    assert m.weight.shape == shape and m.bias.shape == (8,) and m.weight.dtype == np.float32
    for p in (m.weight, m.bias):
        assert np.abs(p.numpy()).max() <= bound
    assert np.abs(m.weight.numpy()).max() > 0.9 * bound  # uniform over the whole range


@pytest.mark.parametrize(
    "name, make",
    [
        ("conv1d_dil2_groups2", lambda: nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, bias=False)),
        ("conv1d_same_even_kernel", lambda: nn.Conv1d(2, 3, 4, padding="same")),
        ("conv1d_unbatched", lambda: nn.Conv1d(3, 2, 3, padding=1)),
        ("conv_transpose1d_s2_pad1_out1", lambda: nn.ConvTranspose1d(4, 3, 4, 2, 1, 1)),
        (
            "conv_transpose1d_groups2_dil2",
            lambda: nn.ConvTranspose1d(4, 6, 3, 3, 2, groups=2, bias=False, dilation=2),
        ),
        ("max_pool1d_k3_s2_pad1_ceil", lambda: nn.MaxPool1d(3, 2, 1, return_indices=True, ceil_mode=True)),
        ("avg_pool1d_pad1_ceil_without_pad", lambda: nn.AvgPool1d(3, 2, 1, True, False)),
        ("adaptive_avg_pool1d_7_to_3", lambda: nn.AdaptiveAvgPool1d(3)),
        ("adaptive_max_pool1d_unbatched", lambda: nn.AdaptiveMaxPool1d(4, return_indices=True)),
        ("lp_pool1d_p3_ceil", lambda: nn.LPPool1d(3, 3, 2, ceil_mode=True)),
        ("lp_pool2d_p1_pairs", lambda: nn.LPPool2d(1, (3, 2), (2, 3))),
        ("lp_pool2d_unbatched", lambda: nn.LPPool2d(2, 2, (2, 1))),
    ],
)
def test_a_layer_given_pytorchs_weights_gives_pytorchs_numbers(golden, name, make):
    """Each case's layer, made with the golden case's arguments: its weights load from the
    arrays PyTorch used, under the same keys, and its output and gradients are PyTorch's."""
    g, m = golden("one_d"), make().double()
    m.load_state_dict({k: g[f"{name}/{k}"] for k in ("weight", "bias") if f"{name}/{k}" in g})
    x = mc.tensor(g[f"{name}/x"], requires_grad=True)
    out = m(x)
    y = out[0] if isinstance(out, tuple) else out
    y.backward(mc.tensor(g[f"{name}/gy"]))
    np.testing.assert_allclose(y.numpy(), g[f"{name}/y"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), g[f"{name}/gx"], rtol=1e-10, atol=1e-12)
    if isinstance(out, tuple):
        np.testing.assert_array_equal(out[1].numpy(), g[f"{name}/indices"])


def test_unbatched_signals_and_the_layers_functional(rng, t, distinct):
    x = t(distinct(rng, (3, 10)))
    conv = nn.Conv1d(3, 5, 3, stride=2).double()
    y = conv(x)
    assert y.shape == (5, 4)
    np.testing.assert_array_equal(y.numpy(), conv(x.unsqueeze(0)).numpy()[0])
    np.testing.assert_array_equal(y.numpy(), F.conv1d(x, conv.weight, conv.bias, 2).numpy())
    transposed = nn.ConvTranspose1d(3, 2, 3, 2).double()
    assert transposed(x).shape == (2, 21) and transposed(x, output_size=[22]).shape == (2, 22)
    assert transposed(x.unsqueeze(0), output_size=(1, 2, 22)).shape == (1, 2, 22)
    y, indices = nn.MaxPool1d(2, return_indices=True)(x)
    assert y.shape == indices.shape == (3, 5)
    assert nn.AvgPool1d(3, 1, 1)(x).shape == (3, 10) and nn.AdaptiveAvgPool1d(4)(x).shape == (3, 4)
    assert nn.AdaptiveMaxPool1d(4)(x).shape == (3, 4) and nn.LPPool1d(2, 2)(x.abs()).shape == (3, 5)
    assert nn.LPPool2d(2, 2)(x.abs().unsqueeze(0)).shape == (1, 1, 5)


def test_module_gradcheck_and_summary(rng, t):
    m = nn.Sequential(
        nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.LPPool1d(2, 2), nn.Conv1d(4, 2, 1)
    ).double()
    x = t(rng.standard_normal((2, 2, 6)), True)
    assert mc.gradcheck(m, [x])
    rows = mc.summary(m, (2, 6)).rows
    assert [r["output_shape"] for r in rows] == [(4, 6), (4, 6), (4, 3), (2, 3)]
    assert rows[0]["macs"] == 4 * 6 * (2 * 3)  # each output cell: in_channels/groups * kL taps
    assert rows[3]["macs"] == 2 * 3 * 4


# name: (call, error type, message pattern)
ERRORS = {
    "Conv1d_kernel_pair": (
        lambda: nn.Conv1d(3, 4, (3, 3)),
        TypeError,
        r"^Conv1d: kernel_size must be an int or a tuple",
    ),
    "Conv1d_padding_mode": (
        lambda: nn.Conv1d(3, 4, 3, padding_mode="reflection"),
        ValueError,
        r"^Conv1d: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got",
    ),
    "ConvTranspose1d_padding_mode": (
        lambda: nn.ConvTranspose1d(3, 4, 3, padding_mode="reflect"),
        ValueError,
        r'^ConvTranspose1d: only "zeros" padding mode is supported',
    ),
    "Conv1d_groups": (
        lambda: nn.Conv1d(3, 4, 3, groups=2),
        ValueError,
        r"^Conv1d: groups=2 must divide both",
    ),
    "Conv1d_rank": (
        lambda: nn.Sequential(nn.Conv1d(3, 4, 3))(mc.zeros(2, 3, 4, 5)),
        ValueError,
        r"^Conv1d at '0': expected x of shape \(N, C, L\) or \(C, L\), got shape \(2, 3, 4, 5\)$",
    ),
    "Conv1d_channels": (
        lambda: nn.Conv1d(3, 4, 3)(mc.zeros(2, 2, 5)),
        ValueError,
        r"^Conv1d: x has 2 channel\(s\) but weight expects 3",
    ),
    "ConvTranspose1d_output_size": (
        lambda: nn.ConvTranspose1d(3, 4, 3, 2)(mc.zeros(2, 3, 10), output_size=[23]),
        ValueError,
        r"^ConvTranspose1d: requested an output size of \(23,\), but valid sizes range from \(21,\) "
        r"to \(22,\)",
    ),
    "ConvTranspose1d_output_size_pair": (
        lambda: nn.ConvTranspose1d(3, 4, 3, 2)(mc.zeros(2, 3, 10), output_size=[21, 4]),
        ValueError,
        r"^ConvTranspose1d: output_size must be \(L_out,\) or the whole output shape \(3 numbers\)",
    ),
    "MaxPool1d_padding": (
        lambda: nn.MaxPool1d(3, padding=2),
        ValueError,
        r"^MaxPool1d: padding should be at most half",
    ),
    "MaxPool1d_names_itself": (
        lambda: nn.Sequential(nn.Identity(), nn.MaxPool1d(5))(mc.zeros(1, 2, 3)),
        ValueError,
        r"^MaxPool1d at '1': the 5-wide window is larger than the padded input length 3",
    ),
    "AvgPool1d_kernel_pair": (
        lambda: nn.AvgPool1d((3, 3)),
        TypeError,
        r"^AvgPool1d: kernel_size must be an int or",
    ),
    "AdaptiveAvgPool1d_none": (
        lambda: nn.AdaptiveAvgPool1d(None),
        TypeError,
        r"^AdaptiveAvgPool1d: output_size",
    ),
    "AdaptiveMaxPool1d_pair": (
        lambda: nn.AdaptiveMaxPool1d((2, 2)),
        TypeError,
        r"^AdaptiveMaxPool1d: output_size",
    ),
    "LPPool1d_norm_zero": (
        lambda: nn.LPPool1d(0, 2),
        ValueError,
        r"^LPPool1d: norm_type must be a non-zero value, but got 0$",
    ),
    "LPPool2d_kernel_zero": (
        lambda: nn.LPPool2d(2, 0),
        ValueError,
        r"^LPPool2d: kernel_size must be positive",
    ),
    "LPPool1d_rank": (
        lambda: nn.Sequential(nn.LPPool1d(2, 3))(mc.zeros(2, 3, 4, 5)),
        ValueError,
        r"^LPPool1d at '0': expected x of shape \(N, C, L\) or \(C, L\)",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_arguments_and_input_name_the_layer(name):
    call, err, pattern = ERRORS[name]
    with pytest.raises(err, match=pattern):
        call()
