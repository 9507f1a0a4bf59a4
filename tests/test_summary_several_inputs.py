"""mc.summary on a forward of several inputs: a list of shapes with a list of dtypes, or a list of
tensors as ``input_data``, as torchinfo's ``summary`` takes them."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.summary import summary


class ImageAndTags(nn.Module):
    """An image's conv features beside the mean embedding of its tags, then one linear head."""

    def __init__(self, channels, vocab, dim, out):
        super().__init__()
        self.conv = nn.Conv2d(channels, dim, 3)
        self.tags = nn.Embedding(vocab, dim)
        self.head = nn.Linear(2 * dim, out)

    def forward(self, image, tags):
        seen = self.conv(image).mean(dim=(2, 3))
        return self.head(mc.cat([seen, self.tags(tags).mean(dim=1)], dim=1))


class Pair(nn.Module):
    """a @ W1 + b @ W2, and ``b`` optional, as a mask or a second view often is."""

    def __init__(self, n, out):
        super().__init__()
        self.a, self.b = nn.Linear(n, out), nn.Linear(n, out, bias=False)

    def forward(self, a, b=None):
        return self.a(a) if b is None else self.a(a) + self.b(b)


def _image_and_tags(rng):
    channels, vocab, dim, out = (int(n) for n in rng.integers(2, 9, 4))
    return ImageAndTags(channels, vocab, dim, out), (channels, vocab, dim, out)


def test_a_list_of_shapes_and_dtypes_is_one_input_each_in_forwards_order():
    rng = np.random.default_rng(4501)
    model, (channels, vocab, dim, out) = _image_and_tags(rng)
    h, w, length = (int(n) for n in rng.integers(3, 9, 3))
    s = summary(model, [(channels, h, w), (1, length)], dtypes=[mc.float32, mc.long])
    assert [(r.name, r.output_shape) for r in s] == [
        ("conv", (1, dim, h - 2, w - 2)),
        ("tags", (1, length, dim)),
        ("head", (1, out)),
    ]
    assert s.total_params == channels * 9 * dim + dim + vocab * dim + 2 * dim * out + out
    assert s.total_macs == dim * (h - 2) * (w - 2) * channels * 9 + out * 2 * dim
    assert s.input_shape == [(1, channels, h, w), (1, length)]
    assert s.input_dtype == [mc.float32, mc.int64]
    assert f"Input: (1, {channels}, {h}, {w}), (1, {length}) int64" in str(s).splitlines()


def test_input_data_is_a_list_of_tensors_or_arrays_run_as_given():
    rng = np.random.default_rng(4502)
    model, (channels, vocab, dim, out) = _image_and_tags(rng)
    image = rng.standard_normal((3, channels, 5, 6)).astype(np.float32)
    tags = rng.integers(0, vocab, (3, 4))
    for data in ([mc.tensor(image), mc.tensor(tags)], (image, tags), [image, mc.tensor(tags)]):
        s = summary(model, input_data=data)
        assert s.input_shape == [(3, channels, 5, 6), (3, 4)] and s[-1].output_shape == (3, out)
    expected = model.eval()(mc.tensor(image), mc.tensor(tags)).numpy()
    np.testing.assert_array_equal(s.output.numpy(), expected)  # the tags given, not zeros


def test_one_shape_in_a_list_is_the_shape_itself():
    rng = np.random.default_rng(4503)
    conv = nn.Conv2d(int(rng.integers(1, 5)), 3, 3)
    shape = (conv.in_channels, int(rng.integers(3, 9)), int(rng.integers(3, 9)))
    bare, listed = summary(conv, shape), summary(conv, [shape], dtypes=[mc.float32])
    assert str(bare) == str(listed) and listed.input_shape == (1, *shape)


def test_several_float_inputs_are_drawn_apart_at_the_models_dtype():
    rng = np.random.default_rng(4504)
    n, out = (int(k) for k in rng.integers(2, 9, 2))
    pair = Pair(n, out).double()
    drawn = []
    pair.b.register_forward_pre_hook(lambda module, inputs: drawn.append(inputs[0]))
    pair.a.register_forward_pre_hook(lambda module, inputs: drawn.append(inputs[0]))
    for dtypes in (None, [None, mc.float64]):
        drawn.clear()
        s = summary(pair, [(2, n), (2, n)], dtypes=dtypes)
        assert s.input_dtype == [mc.float64, mc.float64] and s.output.dtype == mc.float64
        a, b = drawn
        assert a.dtype == b.dtype == mc.float64 and not np.array_equal(a.numpy(), b.numpy())
    assert summary(pair, (2, n)).input_shape == (2, n)  # b has a default: one input will do


@pytest.mark.parametrize(
    "kwargs, error, says",
    [
        (
            dict(input_size=[(3, 8, 8)]),
            TypeError,
            "summary: input_size gives 1 input, which ImageAndTags.forward(image, tags) cannot take",
        ),
        (
            dict(input_data=[mc.zeros(1, 3, 8, 8), mc.zeros(1, 2), mc.zeros(1, 2)]),
            TypeError,
            "summary: input_data gives 3 inputs, which ImageAndTags.forward(image, tags) cannot take",
        ),
        (
            dict(input_size=[(3, 8, 8), (1, 5)], dtypes=[mc.long]),
            ValueError,
            "summary: dtypes has one dtype per input: input_size gives 2 inputs, dtypes 1: [int64]",
        ),
        (
            dict(input_size=[(3, 8, 8), (1, 5)], dtypes=mc.long),
            ValueError,
            "summary: dtypes has one dtype per input and input_size gives 2 inputs; "
            "give a list of 2, got int64 alone",
        ),
        (
            dict(input_size=[5, (3, 8, 8)], dtypes=[None, mc.long]),
            TypeError,
            "summary: input_size must be one shape of ints or a list of shapes (one per input), "
            "not a mix of both: [5, (3, 8, 8)]",
        ),
        (
            dict(input_size=[(3, 8, 8), (1, -5)], dtypes=[None, mc.long]),
            ValueError,
            "summary: input_size[1] must hold no negative sizes, got (1, -5)",
        ),
        (
            dict(input_size=[(3, 8, 8), (1, 2.5)], dtypes=[None, mc.long]),
            TypeError,
            "summary: input_size[1] must be a sequence of ints, got (1, 2.5)",
        ),
        (dict(input_data=[]), ValueError, "summary: input_data is an empty list; give the model's inputs"),
        (
            dict(input_data=[mc.zeros(1, 3, 8, 8), [1, 2]]),
            TypeError,
            "summary: input_data[1] must be a Tensor or a NumPy array",
        ),
        (
            dict(input_data={"image": mc.zeros(1, 3, 8, 8)}),
            TypeError,
            "summary: input_data must be a Tensor or a NumPy array (a list of them for a forward "
            "of several inputs), got dict",
        ),
    ],
)
def test_bad_inputs_get_one_line_naming_summary_before_any_pass(kwargs, error, says):
    model, _ = _image_and_tags(np.random.default_rng(4505))
    called = []
    model.register_forward_pre_hook(lambda module, inputs: called.append(inputs))
    with pytest.raises(error) as caught:
        summary(model, **kwargs)
    message = str(caught.value)
    assert says in message and "\n" not in message, message
    assert not called  # refused before the forward ran
