"""nn.Embedding (nn/embedding.py): PyTorch's printing, attributes and initialisation (N(0, 1), the
padding row 0), from_pretrained and _weight sharing the given tensor, freezing, the functional's
numbers, and the refusals at construction and in forward naming the layer."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def test_it_prints_as_pytorchs():
    # torch 2.14 prints these for the same arguments
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(nn.Embedding(10, 3, padding_idx=-1)) == "Embedding(10, 3, padding_idx=9)"
    assert (
        repr(nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True))
        == "Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"
    )
    assert repr(nn.Embedding(10, 3, norm_type=2)) == "Embedding(10, 3)"


def test_weight_starts_as_normal_draws_with_the_padding_row_zero():
    mc.manual_seed(11)
    emb = nn.Embedding(400, 50, padding_idx=-2)
    w = emb.weight.numpy()
    assert emb.padding_idx == 398 and w.shape == (400, 50) and w.dtype == np.float32
    assert emb.weight.requires_grad and list(emb.state_dict()) == ["weight"]
    assert (w[398] == 0).all() and (w[:398] != 0).all() and (w[399] != 0).all()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02  # N(0, 1), 20,000 draws
    mc.manual_seed(11)
    np.testing.assert_array_equal(nn.Embedding(400, 50, padding_idx=-2).weight.numpy(), w)
    with mc.no_grad():
        emb.weight.fill_(5.0)
    emb.reset_parameters()
    assert (emb.weight.numpy()[398] == 0).all() and abs(emb.weight.numpy().std() - 1.0) < 0.02
    assert nn.Embedding(3, 2, dtype=mc.float64).weight.dtype == np.float64
    assert not nn.Embedding(3, 2, _freeze=True).weight.requires_grad


def test_forward_is_the_functionals_and_the_padding_row_learns_nothing(rng):
    emb = nn.Embedding(6, 4, padding_idx=1, scale_grad_by_freq=True, dtype=mc.float64)
    ids = mc.tensor(rng.integers(0, 6, (3, 5)))
    y = emb(ids)
    np.testing.assert_array_equal(y.numpy(), F.embedding(ids, emb.weight).numpy())
    gy = rng.standard_normal(y.shape)
    y.backward(mc.tensor(gy))
    w = mc.tensor(emb.weight.numpy(), requires_grad=True)
    F.embedding(ids, w, 1, scale_grad_by_freq=True).backward(mc.tensor(gy))
    np.testing.assert_array_equal(emb.weight.grad.numpy(), w.grad.numpy())
    assert (emb.weight.grad.numpy()[1] == 0).all()


def test_max_norm_rescales_the_layers_own_weight_in_place():
    emb = nn.Embedding.from_pretrained(mc.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]), max_norm=1.0)
    y = emb(mc.tensor([0, 1]))
    w = emb.weight.numpy()
    np.testing.assert_allclose(w[0], np.array([3.0, 4.0]) / (5 + 1e-7), rtol=1e-6)  # scaled to norm 1
    np.testing.assert_array_equal(w[1:], np.float32([[0.3, 0.4], [6.0, 8.0]]))  # under max_norm; unread
    np.testing.assert_array_equal(y.numpy(), w[:2])


def test_from_pretrained_shares_the_tensor_and_freezes_it_unless_told():
    table = mc.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = nn.Embedding.from_pretrained(table, padding_idx=0)
    assert (emb.num_embeddings, emb.embedding_dim, emb.padding_idx) == (2, 3, 0)
    assert not emb.weight.requires_grad and repr(emb) == "Embedding(2, 3, padding_idx=0)"
    assert emb.weight.numpy()[0].tolist() == [1.0, 2.299999952316284, 3.0]  # left as given, as PyTorch's
    assert np.shares_memory(emb.weight.numpy(), table.numpy())
    trained = nn.Embedding.from_pretrained(table, freeze=False)
    assert trained.weight.requires_grad
    trained(mc.tensor([1, 1])).sum().backward()
    assert trained.weight.grad.tolist() == [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: nn.Embedding(-1, 3),
            ValueError,
            r"^Embedding: num_embeddings must be a non-negative int, got -1$",
        ),
        (lambda: nn.Embedding(4, 2.0), ValueError, r"^Embedding: embedding_dim must be a non-negative int"),
        (
            lambda: nn.Embedding(4, 2, padding_idx=4),
            ValueError,
            r"^Embedding: padding_idx must be within num_embeddings, in \[-4, 4\) for 4 rows, got 4$",
        ),
        (lambda: nn.Embedding(4, 2, padding_idx=-5), ValueError, r"^Embedding: padding_idx must be within"),
        (lambda: nn.Embedding(4, 2, sparse=True), ValueError, r"^Embedding: sparse=True is not supported"),
        (
            lambda: nn.Embedding(4, 2, max_norm=None, norm_type="2"),
            TypeError,
            r"^Embedding: norm_type must be",
        ),
        (
            lambda: nn.Embedding(3, 3, _weight=mc.zeros(3, 2)),
            ValueError,
            r"^Embedding: _weight has shape \(3, 2\), but \(num_embeddings, embedding_dim\) is \(3, 3\)$",
        ),
        (
            lambda: nn.Embedding.from_pretrained(mc.zeros(3)),
            ValueError,
            r"^Embedding.from_pretrained: embeddings must be 2-D \(num_embeddings, embedding_dim\), got",
        ),
        (
            lambda: nn.Embedding.from_pretrained(np.zeros((3, 2))),
            TypeError,
            r"^Embedding.from_pretrained: embeddings must be a minicnn Tensor, got numpy.ndarray; wrap",
        ),
    ],
)
def test_bad_arguments_are_refused_at_construction(make, error, message):
    with pytest.raises(error, match=message) as err:
        make()
    assert "\n" not in str(err.value)


def test_bad_ids_are_refused_naming_the_layer():
    model = nn.Sequential(nn.Embedding(5, 2))
    with pytest.raises(
        TypeError, match=r"^Embedding at '0': input must hold int64 \(or int32\) ids, got float32$"
    ):
        model(mc.tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match=r"^Embedding at '0': id 7 is out of range: ids must be in \[0, 5\)"):
        model(mc.tensor([[1, 7]]))
