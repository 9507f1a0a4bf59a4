"""The MathML the site's formulas become: signs and infinity spaced as TeX spaces them."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mathml():
    pytest.importorskip("latex2mathml")
    path = os.path.join(ROOT, "tools", "docs_hooks", "mathml.py")
    spec = importlib.util.spec_from_file_location("mathml_hook", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _body(mathml, tex):
    from latex2mathml.converter import convert

    return mathml._tidy(convert(tex))


@pytest.mark.parametrize("tex", [r"(-1, 1)", r"[-1, 1]", r"a = -b", r"a \le -b", r"\max(-x, 0)"])
def test_a_minus_after_an_opening_bracket_or_relation_is_a_sign(mathml, tex):
    assert '<mo form="prefix">&#x02212;</mo>' in _body(mathml, tex)


@pytest.mark.parametrize("tex", [r"x - 1", r"(a) - 1", r"[a] - 1", r"|x| - 1", r"\|x\| - 1", r"-1"])
def test_a_minus_after_an_operand_or_a_closing_bracket_stays_subtraction(mathml, tex):
    assert 'form="prefix"' not in _body(mathml, tex)


def test_infinity_is_an_ordinary_symbol_not_an_operator(mathml):
    body = _body(mathml, r"-\infty")
    assert "<mi>&#x0221E;</mi>" in body and "<mo>&#x0221E;</mo>" not in body
