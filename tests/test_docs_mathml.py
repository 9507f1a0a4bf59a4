"""The MathML the site's formulas become: signs, infinity and function names spaced as TeX spaces them."""

import importlib.util
import os
import re

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


THIN = '<mspace width="0.167em" />'


@pytest.mark.parametrize(
    "tex, spaced",
    [
        (r"\sin x", f"<mi>sin</mi>{THIN}<mi>x</mi>"),
        (r"-t \log\sigma(x)", f"<mi>t</mi>{THIN}<mi>log</mi>{THIN}<mi>&#x003C3;</mi>"),
        (r"x \operatorname{hardsigmoid}(x)", f'<mi>x</mi>{THIN}<mi>hardsigmoid</mi><mo stretchy="false">'),
        (r"y = \max(x, 0)", '<mo>&#x0003D;</mo><mi>max</mi><mo stretchy="false">&#x00028;</mo>'),
        (r"1.5 \tanh(a)", f'<mn>1.5</mn>{THIN}<mi>tanh</mi><mo stretchy="false">&#x00028;</mo>'),
    ],
)
def test_a_function_name_is_spaced_as_tex_spaces_it(mathml, tex, spaced):
    """A thin space between a name and an operand beside it, none before its bracket, and no
    operator's wide gaps around \\max or \\operatorname."""
    body = _body(mathml, tex)
    assert spaced in body, body
    assert not re.search(r"<mo>[A-Za-z]{2,}</mo>", body), body


@pytest.mark.parametrize("tex, kept", [(r"\max_k x_k", "<msub><mo>max</mo>"), (r"j \bmod n", "<mo>mod</mo>")])
def test_a_name_with_limits_and_the_infix_mod_stay_operators(mathml, tex, kept):
    assert kept in _body(mathml, tex)
