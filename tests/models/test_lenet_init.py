"""LeNet's two initialisations: the default (unchanged) and the papers' U(-2.4/F, 2.4/F)."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import models
from minicnn.models.lenet import C3_TABLE, H2_TABLE, LeNet5


class UpperEdge:
    """Stands in for minicnn's generator: uniform(low, high) returns ``high`` everywhere, so
    every drawn parameter shows the upper bound it was drawn under."""

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.array(np.broadcast_to(high, size), dtype=np.float64)


def _per_map(table, k2):
    """A column of 2.4/F_j, F_j = k*k*(maps map j reads), to compare with (maps, ...) arrays."""
    return np.array([2.4 / (k2 * len(t)) for t in table])


def _expected_lenet5():
    c3 = _per_map(C3_TABLE, 25)
    runs = (c3[:6], c3[6:15], c3[15:])  # C3's weights come in runs of 3-, 4- and 6-input maps
    expected = {f"c3.weight{r}": b.reshape(-1, 1, 1, 1) for r, b in enumerate(runs)}
    expected["c3.bias"] = c3
    for name, fan_in in dict(c1=25, s2=4, s4=4, c5=16 * 25, f6=120, output=84).items():
        expected[f"{name}.weight"] = expected[f"{name}.bias"] = np.array(2.4 / fan_in)
    return expected


def _expected_lenet1989():
    h2 = _per_map(H2_TABLE, 25)
    expected = {"h2.weight0": h2.reshape(-1, 1, 1, 1), "h2.bias": h2.reshape(-1, 1, 1)}
    expected["h1.conv.weight"] = expected["h1.bias"] = np.array(2.4 / 25)
    expected["h3.weight"] = expected["h3.bias"] = np.array(2.4 / 192)
    expected["output.weight"] = expected["output.bias"] = np.array(2.4 / 30)
    return expected


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda: models.lenet5("1998", init="paper"), _expected_lenet5),
        (lambda: models.lenet1989(init="paper"), _expected_lenet1989),
    ],
)
def test_paper_init_bounds_are_2_4_over_each_units_fan_in(monkeypatch, build, expected):
    monkeypatch.setattr(mc.rng, "_default", [UpperEdge()])
    state, bounds = build().state_dict(), expected()
    assert sorted(state) == sorted(bounds)  # every trainable parameter, none left at its default
    for name, array in state.items():
        want = np.broadcast_to(bounds[name], array.shape).astype(np.float32)
        assert np.array_equal(np.asarray(array), want), name


@pytest.mark.parametrize("variant", ["1998", "1989"])
def test_paper_init_draws_fill_the_bounds_from_the_seeded_generator(variant):
    def build(seed):
        mc.manual_seed(seed)
        net = models.lenet5("1998", init="paper") if variant == "1998" else models.lenet1989(init="paper")
        return {k: np.asarray(v) for k, v in net.state_dict().items()}

    a, b, c = build(3), build(3), build(4)
    assert all(np.array_equal(a[k], b[k]) for k in a)  # the same seed, the same weights
    assert all(not np.array_equal(a[k], c[k]) for k in a)  # every parameter is drawn
    bounds = _expected_lenet5() if variant == "1998" else _expected_lenet1989()
    for name, array in a.items():
        scaled = array / np.broadcast_to(bounds[name], array.shape)
        assert np.abs(scaled).max() <= 1.0 + 1e-6, name
        if array.size >= 1000:  # a large draw reaches near both ends of U(-1, 1)
            assert scaled.min() < -0.99 and scaled.max() > 0.99, name


# abs-sums of each parameter at mc.manual_seed(0), recorded from the builders as they were
# before ``init=`` existed: the default must stay draw for draw what it was
DEFAULT_ABS_SUMS = {
    "1998": {
        "c1.weight": 15.7264959,
        "c1.bias": 0.651114713,
        "c3.weight0": 25.2190368,
        "c3.weight1": 45.743482,
        "c3.weight2": 6.20498651,
        "c5.weight": 1196.41719,
        "c5.bias": 3.36485053,
        "f6.weight": 459.506489,
        "f6.bias": 4.18092085,
        "output.weight": 45.1319193,
        "output.bias": 0.575989446,
    },
    "1989": {
        "h1.conv.weight": 31.2228396,
        "h2.weight0": 84.8888731,
        "h3.weight": 208.596382,
        "h3.bias": 1.0481853,
        "output.weight": 27.7093268,
        "output.bias": 0.755713299,
    },
}


@pytest.mark.parametrize("variant", ["1998", "1989"])
def test_default_init_is_unchanged(variant):
    def build(**kwargs):
        mc.manual_seed(0)
        if variant == "1998":
            return models.lenet5("1998", **kwargs)
        return models.lenet1989(**kwargs)

    net = build()
    state = {k: np.asarray(v) for k, v in net.state_dict().items()}
    explicit = build(init="default").state_dict()
    assert all(np.array_equal(state[k], np.asarray(explicit[k])) for k in state)
    for name, total in DEFAULT_ABS_SUMS[variant].items():
        assert np.isclose(np.abs(state[name].astype(np.float64)).sum(), total, rtol=1e-7), name
    constants = {k: v for k, v in state.items() if k not in DEFAULT_ABS_SUMS[variant]}
    for name, array in constants.items():  # subsampling coefficients 0.25, the other biases 0
        assert np.all(array == (0.25 if name in ("s2.weight", "s4.weight") else 0.0)), name


def test_init_is_checked():
    with pytest.raises(ValueError, match="lenet5: unknown init 'xavier'; expected 'default' or 'paper'"):
        models.lenet5("1998", init="xavier")
    with pytest.raises(ValueError, match="LeNet5: unknown init 'Paper'"):
        LeNet5(init="Paper")
    with pytest.raises(ValueError, match="LeNet1989: unknown init 'he'"):
        models.lenet1989(init="he")
    with pytest.raises(ValueError, match="lenet5: init='paper' is the 1998 paper's rule, for variant='1998'"):
        models.lenet5("modern", init="paper")
    assert models.get("lenet5", variant="1998", init="paper").c1.weight.shape == (6, 1, 5, 5)
