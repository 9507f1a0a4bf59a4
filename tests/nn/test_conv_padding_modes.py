"""Conv1d and Conv2d in each padding_mode ("zeros", "reflect", "replicate", "circular"): PyTorch's
outputs, gradients, reprs and F.pad amounts (tests/fixtures/gen_padmode.py, torch 2.14), finite
differences in float64, PyTorch's attributes and state_dict, and its refusals, naming the layer."""

import numpy as np
import pytest
from fixtures.gen_padmode import CASES, MODES

import minicnn as mc
from minicnn import nn

TOL = dict(rtol=1e-10, atol=1e-12)


def layer(name):
    """The case's minicnn layer, in float64, holding the weights PyTorch used."""
    kind, _, kwargs = CASES[name]
    return getattr(nn, kind)(**kwargs).double()


def test_the_golden_file_holds_every_case(golden):
    assert {k.split("/")[0] for k in golden("padmode")} == set(CASES), (
        "padmode.npz is stale: rerun gen_padmode.py"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_layer_in_each_mode_gives_pytorchs_numbers(golden, name):
    g = {k.split("/")[1]: v for k, v in golden("padmode").items() if k.startswith(name + "/")}
    m = layer(name)
    m.load_state_dict({"weight": g["weight"], "bias": g["bias"]})
    x = mc.tensor(g["x"], requires_grad=True)
    y = m(x)
    y.backward(mc.tensor(g["gy"]))
    assert y.shape == g["y"].shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), g["y"], **TOL)
    np.testing.assert_allclose(x.grad.numpy(), g["gx"], **TOL)
    np.testing.assert_allclose(m.weight.grad.numpy(), g["gweight"], **TOL)
    np.testing.assert_allclose(m.bias.grad.numpy(), g["gbias"], **TOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_repr_and_the_pad_amounts_are_pytorchs(golden, name):
    g, m = golden("padmode"), layer(name)
    assert repr(m) == str(g[f"{name}/repr"])
    assert m._reversed_padding_repeated_twice == g[f"{name}/amounts"].tolist()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "make, shape",
    [
        (
            lambda mode: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(2, 1), padding_mode=mode),
            (2, 2, 5, 4),
        ),
        (
            lambda mode: nn.Conv2d(
                4, 2, (2, 3), padding="same", dilation=(1, 2), groups=2, padding_mode=mode
            ),
            (1, 4, 4, 5),
        ),
        (lambda mode: nn.Conv1d(2, 4, 4, padding="same", groups=2, padding_mode=mode), (2, 2, 5)),
        (lambda mode: nn.Conv1d(3, 2, 3, stride=2, padding=2, dilation=2, padding_mode=mode), (3, 6)),
    ],
    ids=["conv2d_strided", "conv2d_same_groups", "conv1d_same_even", "conv1d_unbatched"],
)
def test_gradcheck_in_each_mode(rng, t, mode, make, shape):
    """x, weight and bias, by central differences in float64."""
    m = make(mode).double()
    assert mc.gradcheck(m, [t(rng.standard_normal(shape), True)])


@pytest.mark.parametrize("mode", MODES)
def test_the_border_each_mode_reads(t, mode):
    """A 1-tap kernel of weight 1 shows the padded signal itself: [1, 2, 3] padded by 2."""
    m = nn.Conv1d(1, 1, 1, padding=2, bias=False, padding_mode=mode).double()
    m.weight.data[...] = 1.0
    border = {
        "zeros": [0, 0, 1, 2, 3, 0, 0],
        "reflect": [3, 2, 1, 2, 3, 2, 1],
        "replicate": [1, 1, 1, 2, 3, 3, 3],
        "circular": [2, 3, 1, 2, 3, 1, 2],
    }
    assert m(t([[[1.0, 2.0, 3.0]]])).numpy().ravel().tolist() == border[mode]


@pytest.mark.parametrize("make", [nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d])
def test_attributes_and_state_dict_as_pytorchs(make):
    dims = 1 if make in (nn.Conv1d, nn.ConvTranspose1d) else 2
    m = make(2, 4, 3)
    assert m.padding_mode == "zeros" and m.output_padding == (0,) * dims
    assert m._reversed_padding_repeated_twice == [0, 0] * dims
    assert list(m.state_dict()) == ["weight", "bias"]
    if make in (nn.Conv1d, nn.Conv2d):
        reflecting = make(2, 4, 3, padding=1, padding_mode="reflect")
        assert reflecting.padding_mode == "reflect" and list(reflecting.state_dict()) == ["weight", "bias"]
        assert reflecting.padding == (1,) * dims  # kept as given: the padding moves to F.pad alone


# name: (call, message pattern), each a ValueError
ERRORS = {
    "unknown_mode": (
        lambda: nn.Conv2d(2, 3, 3, padding_mode="mirror"),
        r"^Conv2d: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', "
        r"but got padding_mode='mirror'$",
    ),
    "unknown_mode_1d": (
        lambda: nn.Conv1d(2, 3, 3, padding_mode="constant"),
        r"^Conv1d: padding_mode must be one of .* but got padding_mode='constant'$",
    ),
    "no_mode": (lambda: nn.Conv1d(2, 3, 3, padding_mode=None), r"^Conv1d: .* but got padding_mode=None$"),
    "transposed": (
        lambda: nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect"),
        r'^ConvTranspose2d: only "zeros" padding mode is supported, as in PyTorch, '
        r"got padding_mode='reflect'$",
    ),
    "transposed_1d": (
        lambda: nn.ConvTranspose1d(2, 3, 3, padding_mode="circular"),
        r'^ConvTranspose1d: only "zeros" padding mode is supported',
    ),
    "reflect_padding_as_large_as_x": (
        lambda: nn.Conv2d(2, 3, 1, padding=3, padding_mode="reflect")(mc.zeros(1, 2, 3, 4)),
        r"^Conv2d: padding_mode 'reflect' needs padding below the input's size, got padding \(3, 3\) "
        r"along the height of 3; x \(1, 2, 3, 4\)$",
    ),
    "reflect_same_even_kernel": (  # d*(k-1) = 3: 1 before, 2 after, and 2 is the length
        lambda: nn.Sequential(nn.Conv1d(2, 3, 4, padding="same", padding_mode="reflect"))(mc.zeros(2, 2)),
        r"^Conv1d at '0': padding_mode 'reflect' needs padding below the input's size, got padding "
        r"\(1, 2\) along the length of 2; x \(2, 2\)$",
    ),
    "circular_wraps_twice": (
        lambda: nn.Conv2d(2, 3, 1, padding=(0, 4), padding_mode="circular")(mc.zeros(2, 3, 3)),
        r"^Conv2d: padding_mode 'circular' needs padding of at most the input's size, got padding "
        r"\(4, 4\) along the width of 3; x \(2, 3, 3\)$",
    ),
    "rank": (
        lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate")(mc.zeros(5, 5)),
        r"^Conv2d: expected x of shape \(N, C, H, W\) or \(C, H, W\), got shape \(5, 5\)$",
    ),
    "channels": (
        lambda: nn.Conv1d(2, 3, 3, padding=1, padding_mode="reflect")(mc.zeros(1, 3, 5)),
        r"^Conv1d: x has 3 channel\(s\) but weight expects 2",
    ),
    "kernel_larger_than_the_padded_input": (
        lambda: nn.Conv2d(2, 3, 7, padding=1, padding_mode="replicate")(mc.zeros(1, 2, 4, 4)),
        r"^Conv2d: the 7-tap kernel .* larger than the padded input height 4 \+ 2\*1 = 6",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_refusals_name_the_layer(name):
    call, pattern = ERRORS[name]
    with pytest.raises(ValueError, match=pattern):
        call()


def test_circular_padding_as_large_as_x_and_an_empty_batch_are_taken(t):
    """PyTorch's limits, not tighter: circular wraps round once (padding = size), and a batch of
    none pads and convolves to none."""
    assert nn.Conv2d(2, 3, 1, padding=3, padding_mode="circular")(mc.zeros(1, 2, 3, 3)).shape == (1, 3, 9, 9)
    assert nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")(mc.zeros(0, 2, 4, 4)).shape == (0, 3, 4, 4)
