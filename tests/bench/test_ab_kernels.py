"""benchmarks/ab_kernels.py: what each side's kernel tables hold (no timing)."""

from types import SimpleNamespace

import pytest
from bench_scripts import load

from minicnn import kernels

pytestmark = pytest.mark.numba


def ab_kernels():
    return load("ab_kernels")


def tables():
    return SimpleNamespace(TIERS=dict(kernels.TIERS), AUTO=dict(kernels.AUTO), KERNELS=kernels.KERNELS)


@pytest.mark.parametrize("module", ["numba_cpu", "numba_winograd"])
def test_side_a_has_the_module_first_and_side_b_nowhere_the_rest_untouched(module):
    edit = ab_kernels().edit_tables
    a, b = tables(), tables()
    edit(a, module, "with")
    edit(b, module, "without")
    rest = tuple(m for m in kernels.TIERS["numba"] if m != module)
    assert a.TIERS["numba"] == (module,) + rest and b.TIERS["numba"] == rest
    assert all(module not in chain for chain in b.TIERS.values()) and module not in b.AUTO
    assert next(iter(a.AUTO)) == module
    assert {k: v for k, v in a.AUTO.items() if k != module} == b.AUTO


def test_extend_lends_one_more_kernel_on_side_a_only():
    edit = ab_kernels().edit_tables
    assert "avg_pool2d_input_grad" not in kernels.AUTO["numba_cpu"]
    a, b = tables(), tables()
    for side, t in (("with", a), ("without", b)):
        edit(t, "numba_cpu", side, only=["avg_pool2d_input_grad"], extend=True)
    assert a.AUTO["numba_cpu"] == kernels.AUTO["numba_cpu"] + ("avg_pool2d_input_grad",)
    assert b.AUTO["numba_cpu"] == kernels.AUTO["numba_cpu"]
    assert a.TIERS == b.TIERS == kernels.TIERS


def test_extend_of_a_kernel_auto_lends_already_takes_it_from_side_b():
    # the A/B of a kernel in the table: side A as auto is, side B without it
    edit = ab_kernels().edit_tables
    assert "max_pool2d_input_grad" in kernels.AUTO["numba_cpu"]
    a, b = tables(), tables()
    for side, t in (("with", a), ("without", b)):
        edit(t, "numba_cpu", side, only=["max_pool2d_input_grad"], extend=True)
    assert set(a.AUTO["numba_cpu"]) == set(kernels.AUTO["numba_cpu"])
    assert set(b.AUTO["numba_cpu"]) == set(kernels.AUTO["numba_cpu"]) - {"max_pool2d_input_grad"}
