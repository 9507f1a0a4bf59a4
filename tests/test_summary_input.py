"""mc.summary on a model that reads integer ids: ``dtypes`` and ``input_data``, as torchinfo's."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn
from minicnn.summary import summary


def _tagger(rng):
    """Embedding then Linear, of sizes drawn from ``rng``; and those sizes."""
    vocab, dim, out = (int(n) for n in rng.integers(2, 40, 3))
    return nn.Sequential(nn.Embedding(vocab, dim), nn.Linear(dim, out)), (vocab, dim, out)


@pytest.mark.parametrize("dtypes, named", [([mc.long], "int64"), ((mc.int32,), "int32"), (mc.int64, "int64")])
def test_an_embedding_model_is_summarised_from_its_ids_shape(dtypes, named):
    rng = np.random.default_rng(4401)
    model, (vocab, dim, out) = _tagger(rng)
    batch, length = (int(n) for n in rng.integers(1, 9, 2))
    s = summary(model, (batch, length), dtypes=dtypes)
    assert [r.kind for r in s] == ["Embedding", "Linear"]
    assert s[0].output_shape == (batch, length, dim) and s[1].output_shape == (batch, length, out)
    assert s[0].params == vocab * dim and s[1].params == dim * out + out
    assert s.total_params == vocab * dim + dim * out + out
    assert s[0].macs == 0 and s.total_macs == batch * length * out * dim
    assert s.input_shape == (batch, length)
    assert f"Input: {(batch, length)} {named}" in str(s).splitlines()


def test_input_data_is_run_as_given():
    rng = np.random.default_rng(4402)
    model, (vocab, dim, out) = _tagger(rng)
    ids = rng.integers(0, vocab, (3, 7))
    for data in (mc.tensor(ids), ids):
        s = summary(model, input_data=data, depth=1)
        assert s.input_shape == (3, 7) and s[1].output_shape == (3, 7, out)
        assert s.total_params == vocab * dim + dim * out + out
    np.testing.assert_array_equal(
        s.output.numpy(), model.eval()(mc.tensor(ids)).numpy()
    )  # the ids given, not zeros


def test_without_dtypes_an_embedding_model_gets_floats_and_says_so():
    model, _ = _tagger(np.random.default_rng(4403))
    with pytest.raises(TypeError, match="Embedding at '0': input must hold int64"):
        summary(model, (1, 5))


def test_a_float_dtype_is_drawn_at_random_and_an_image_model_is_unchanged():
    rng = np.random.default_rng(4404)
    conv = nn.Conv2d(2, 3, 3).double()
    s = summary(conv, (2, 6, 6), dtypes=[mc.float64])
    assert s.output.shape == (1, 3, 4, 4) and s.output.dtype == mc.float64
    assert np.abs(s.output.numpy()).sum() > 0  # not zeros: a float input is a random image
    assert str(s).splitlines()[-4] == "Input: (1, 2, 6, 6)"  # float dtypes are not named
    lin = nn.Linear(int(rng.integers(2, 9)), 4)
    assert summary(lin, (1, lin.in_features)).rows[0].output_shape == (1, 4)


@pytest.mark.parametrize(
    "kwargs, error, says",
    [
        (
            dict(dtypes=["int64"]),
            TypeError,
            "summary: dtype must be a dtype such as mc.int64, not the string 'int64'",
        ),
        (
            dict(dtypes=[object]),
            TypeError,
            "summary: dtype must hold numbers (bool, int, float or complex), got object",
        ),
        (
            dict(dtypes=[mc.long, mc.long]),
            ValueError,
            "summary: dtypes has one dtype per input: input_size gives 1 input, dtypes 2: [int64, int64]",
        ),
        (dict(dtypes=[]), ValueError, "input_size gives 1 input, dtypes 0: []"),
        (
            dict(input_size=(1, 2.5)),
            TypeError,
            "summary: input_size must be a sequence of ints, got (1, 2.5)",
        ),
        (
            dict(input_size=(1, -3)),
            ValueError,
            "summary: input_size must hold no negative sizes, got (1, -3)",
        ),
        (
            dict(input_size=None),
            TypeError,
            "summary: give input_size (with dtypes for integer ids) or input_data",
        ),
        (
            dict(input_size=None, input_data=[[1, 2]]),
            TypeError,
            "summary: input_data[0] must be a Tensor or a NumPy array (a list of them for a forward "
            "of several inputs), got list",
        ),
        (
            dict(input_data=mc.tensor([[1, 2]]), dtypes=[mc.long]),
            ValueError,
            "summary: input_data carries its own shape and dtype; give it alone, "
            "not with input_size and dtypes",
        ),
    ],
)
def test_bad_inputs_get_one_line_naming_summary(kwargs, error, says):
    model, _ = _tagger(np.random.default_rng(4405))
    kwargs = {"input_size": (1, 5), **kwargs}
    with pytest.raises(error) as caught:
        summary(model, **kwargs)
    message = str(caught.value)
    assert says in message and "\n" not in message, message
