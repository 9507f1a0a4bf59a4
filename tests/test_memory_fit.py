"""Refusing a huge input or class count, with the estimate, before memory runs out."""

import pytest

from minicnn import memory_fit, models
from minicnn.memory_fit import available_memory, check_fits, estimate_activation_bytes
from minicnn.summary import summary


def test_activation_estimate_matches_the_summary_it_stands_for():
    net = models.resnet20()
    small = summary(net, (3, 32, 32)).total_activation_bytes
    assert estimate_activation_bytes(net, (3, 32, 32)) == small  # small inputs: run as given
    big = summary(net, (3, 512, 512)).total_activation_bytes
    assert estimate_activation_bytes(net, (3, 512, 512)) == pytest.approx(big, rel=0.02)


def test_a_model_that_needs_its_full_size_still_gets_a_lower_bound():
    # LeNet-5's classifier wants 28x28: the shrunk pass fails there, after the convolutions
    estimate = estimate_activation_bytes(models.lenet5(), (1, 2800, 2800))
    assert estimate >= 6 * 2800 * 2800 * 4  # conv1's output at least


def test_check_fits_refuses_with_the_estimate(monkeypatch):
    module = memory_fit
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    check_fits(models.lenet5(), (1, 28, 28), batch_size=64)  # about 1.5 MB: fits
    with pytest.raises(
        MemoryError,
        match=r"on 1 x \(3, 4096, 4096\) would hold about .* GB of "
        r"activations, more than the 1.0 GB of memory",
    ):
        check_fits(models.resnet18(), (3, 4096, 4096))


def test_available_memory_is_a_positive_byte_count():
    have = available_memory()
    assert have is None or have > 2**20


def test_the_probe_stays_small_whatever_the_aspect_ratio(monkeypatch, rng):
    module = memory_fit
    probes, real_run = [], module.run
    monkeypatch.setattr(module, "run", lambda model, size, **kw: probes.append(size) or real_run(model, size))
    side = int(rng.integers(10**10, 10**12))
    for shape in [(1, side, 1), (1, 1, side), (1, side, int(rng.integers(2, 300)))]:
        estimate = estimate_activation_bytes(models.lenet5(), shape)
        c, h, w = probes[-1]
        assert c == 1 and h <= module.PROBE_SIDE and w <= module.PROBE_SIDE, (shape, probes[-1])
        assert estimate > 0
    # a 1-wide input: conv1 (padding 2 keeps the size) and its ReLU run, then pooling fails
    assert estimate_activation_bytes(models.lenet5(), (1, side, 1)) == 2 * 6 * 4 * side


def test_an_input_too_big_by_itself_is_refused_before_any_probe(monkeypatch, rng):
    module = memory_fit
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    monkeypatch.setattr(module, "run", lambda *a, **kw: pytest.fail("a probe was built"))
    side = int(rng.integers(10**9, 10**18)) * 100
    with pytest.raises(MemoryError, match=rf"on 1 x \(1, {side}, 1\) would hold .* input alone.* not run"):
        check_fits(models.lenet5(), (1, side, 1))


def test_check_classes_counts_the_parameters_without_building_them(monkeypatch, rng):
    module = memory_fit
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    built = []

    def build(n):
        built.append(n)
        return models.lenet5(num_classes=n)

    classes = int(rng.integers(10**7, 10**8))
    total = 61_706 + 85 * (classes - 10)  # LeNet-5's last layer: 84 weights and a bias per class
    with pytest.raises(MemoryError, match=f"{classes:,} classes would give the model {total:,} parameters"):
        module.check_classes(build, classes)
    assert built == [1, 2]
    module.check_classes(build, int(rng.integers(11, 1000)))  # fits: nothing said


def test_check_classes_refuses_a_count_whose_output_alone_is_too_big(monkeypatch, rng):
    module = memory_fit
    monkeypatch.setattr(module, "available_memory", lambda device="cpu": 2**30)
    classes = int(rng.integers(2**28 + 1, 10**12))
    with pytest.raises(MemoryError, match="output alone would hold at least .* not built"):
        module.check_classes(lambda n: pytest.fail("built a model"), classes)


@pytest.mark.parametrize("name", ["lenet1989", "lenet5", "nin", "resnet20", "googlenet", "mobilenet_v1"])
def test_each_class_adds_the_same_parameters(name, rng):
    # what check_classes rests on: the count is linear in the number of classes
    def count(n):
        return sum(int(p.numel()) for p in models.get(name, num_classes=n).parameters())

    n = int(rng.integers(3, 40))
    assert count(n) == count(1) + (n - 1) * (count(2) - count(1))
