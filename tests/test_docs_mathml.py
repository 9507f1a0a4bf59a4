"""The MathML the site's formulas become: signs, infinity, function names, absolute values and big
operators spaced as TeX spaces them."""

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
    assert '<mo form="prefix">&#x02212;' not in _body(mathml, tex)


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


@pytest.mark.parametrize(
    "tex, kept", [(r"\max_k x_k", '<msub><mo lspace="0" rspace="0">max</mo>'), (r"j \bmod n", "<mo>mod</mo>")]
)
def test_a_name_with_limits_and_the_infix_mod_stay_operators(mathml, tex, kept):
    assert kept in _body(mathml, tex)


OPEN = '<mo stretchy="false" fence="true" form="prefix">&#x0007C;</mo>'
CLOSE = '<mo stretchy="false" fence="true" form="postfix">&#x0007C;</mo>'


@pytest.mark.parametrize(
    "tex, fenced",
    [
        (r"\lambda |w| + 1", f"<mi>&#x003BB;</mi>{OPEN}<mi>w</mi>{CLOSE}<mo>&#x0002B;</mo>"),
        (r"(A + 2)|d|^3", f"{OPEN}<mi>d</mi><msup>{CLOSE}<mn>3</mn></msup>"),
        (r"\big|(n-1) - |j|\big|", f"<mo>&#x02212;</mo>{OPEN}<mi>j</mi>{CLOSE}"),
        (r"|-x|", f'{OPEN}<mo form="prefix">&#x02212;</mo><mi>x</mi>{CLOSE}'),
        (
            r"\|x\|_1",
            '"prefix">&#x02016;</mo><mi>x</mi><msub><mo stretchy="false" fence="true" form="postfix">',
        ),
    ],
)
def test_absolute_value_bars_are_an_opening_and_a_closing_fence(mathml, tex, fenced):
    """A bar after an operand was an infix operator, with a wide gap each side ("λ | w |  + 1")."""
    body = _body(mathml, tex)
    assert fenced in body, body


def test_a_big_bar_pairs_with_a_big_bar_and_a_lone_bar_is_left_alone(mathml):
    big = _body(mathml, r"\big|(n-1) - |j|\big|")
    assert big.count('maxsize="1.2em" fence="true" form="prefix">|<') == 1, big
    assert big.count('maxsize="1.2em" fence="true" form="postfix">|<') == 1, big
    assert "fence" not in _body(mathml, r"p(a | b)")


@pytest.mark.parametrize(
    "tex, spaced",
    [
        (r"\max_k x", f'<msub><mo lspace="0" rspace="0">max</mo><mi>k</mi></msub>{THIN}<mi>x</mi>'),
        (r"\max_{c'} x_{i,c'}", f"</msub>{THIN}<msub><mi>x</mi>"),
        (r"2\sum_{k=1}^{t} x", f'<mn>2</mn>{THIN}<msubsup><mo lspace="0" rspace="0">&#x02211;</mo>'),
        (r"\sum_k |x_k|", f"</msub>{THIN}{OPEN}"),
        (r"\log |x|", f"<mi>log</mi>{THIN}{OPEN}"),
    ],
)
def test_a_big_operator_with_limits_has_a_thin_space_before_its_operand(mathml, tex, spaced):
    body = _body(mathml, tex)
    assert spaced in body, body


@pytest.mark.parametrize("tex", [r"\max_k (x_k)", r"y = \max_k (x_k)", r"\sum_k = 1"])
def test_a_big_operator_with_limits_has_no_thin_space_by_a_bracket_or_relation(mathml, tex):
    body = _body(mathml, tex)
    around = re.search(r"(.{0,40})<msub><mo lspace=\"0\" rspace=\"0\">.*?</msub>(.{0,40})", body).groups()
    assert all(THIN not in side for side in around), body
