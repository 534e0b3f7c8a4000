"""The AU parser: the field's notations, and properties over arbitrary input (hypothesis)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.formats.aus import AUToken, Fragment, format_aus, parse_aus

T = AUToken


def tokens(raw: str) -> list[AUToken]:
    return list(parse_aus(raw).tokens)


@pytest.mark.parametrize(
    ("raw", "expected", "canonical"),
    [
        ("4+7+L10", [T(4), T(7), T(10, side="L")], "4+7+L10"),
        ("4D+7B", [T(4, intensity="D"), T(7, intensity="B")], "4D+7B"),
        ("4(B/C)", [T(4, intensity="B", intensity_to="C")], "4(B/C)"),
        ("12/14", [T(12, group=1), T(14, group=1)], "12/14"),
        ("12 or 14", [T(12, group=1), T(14, group=1)], "12/14"),
        ("ref(10)", [T(10, qualifier="ref")], "10(ref)"),
        ("AU4(k)", [T(4, qualifier="k")], "4(k)"),
        ("1,2，4", [T(1), T(2), T(4)], "1+2+4"),
        ("r18", [T(18, side="R")], "R18"),
        (" 4 + 7 ", [T(4), T(7)], "4+7"),
        ("4?", [T(4, uncertain=True)], "4?"),
        ("AU 12", [T(12)], "12"),
        ("L12/R12+4", [T(12, side="L", group=1), T(12, side="R", group=1), T(4)], "L12/R12+4"),
        (
            "1+2/5 + 12 or 14",
            [T(1), T(2, group=1), T(5, group=1), T(12, group=2), T(14, group=2)],
            "1+2/5+12/14",
        ),
        ("R12A", [T(12, side="R", intensity="A")], "R12A"),
        ("B4+T14", [T(4, side="B"), T(14, side="T")], "B4+T14"),
    ],
)
def test_notations(raw, expected, canonical):
    parsed = parse_aus(raw)
    assert list(parsed.tokens) == expected
    assert parsed.fragments == () and parsed.ok and not parsed.unclear
    assert parsed.raw == raw
    assert parsed.canonical == canonical


def test_bare_question_mark_is_unclear():
    parsed = parse_aus("?")
    assert parsed.tokens == () and parsed.unclear and parsed.canonical == "?"
    mixed = parse_aus("4+?")
    assert tokens("4+?") == [T(4)] and mixed.unclear and mixed.canonical == "4+?"


def test_unparseable_text_is_kept_and_flagged():
    parsed = parse_aus("4+blink+7 (check)")
    assert list(parsed.tokens) == [T(4), T(7)]
    assert parsed.fragments == (Fragment("blink", 2), Fragment("(check)", 10))
    assert not parsed.ok
    assert parse_aus("1234").fragments == (Fragment("1234", 0),)  # not AU 123 + 4
    assert parse_aus("12/").fragments == (Fragment("/", 2),)  # an alternative with nothing after it


def test_spans_point_into_raw():
    parsed = parse_aus("4D + L10")
    assert [parsed.raw[a:b] for a, b in (t.span for t in parsed.tokens)] == ["4D", "L10"]


# --- properties -------------------------------------------------------------------------------

SEPARATOR_RUN = re.compile(r"(?:[\s+,，;&/?]|or)*", re.IGNORECASE)
au_text = st.text(alphabet=st.sampled_from(list("0123456789LRATBCDEaurfko?/+,， ()ebk")), max_size=30)


def accounted_for(parsed) -> bool:
    """Every character is in a token, in a fragment, or part of a separator run."""
    covered = [False] * len(parsed.raw)
    for a, b in [t.span for t in parsed.tokens] + [
        (f.start, f.start + len(f.text)) for f in parsed.fragments
    ]:
        covered[a:b] = [True] * (b - a)
    rest = "".join("\0" if c else ch for ch, c in zip(parsed.raw, covered, strict=True))
    return all(SEPARATOR_RUN.fullmatch(run) for run in rest.split("\0"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(au_text, st.text(max_size=30)))
def test_any_input_parses_and_is_accounted_for(raw):
    parsed = parse_aus(raw)
    assert parsed.raw == raw
    assert accounted_for(parsed)
    for fragment in parsed.fragments:
        assert raw[fragment.start : fragment.start + len(fragment.text)] == fragment.text
    again = parse_aus(parsed.canonical)
    assert again.tokens == parsed.tokens and again.ok and again.unclear == parsed.unclear


@st.composite
def token_lists(draw) -> list[AUToken]:
    count = draw(st.integers(0, 6))
    result: list[AUToken] = []
    groups = 0
    for i in range(count):
        low = draw(st.sampled_from([None, *"ABCDE"]))
        token = T(
            au=draw(st.integers(0, 999)),
            side=draw(st.sampled_from([None, *"LRATB"])),
            intensity=low,
            intensity_to=draw(st.sampled_from([None, *"ABCDE"])) if low else None,
            uncertain=draw(st.booleans()),
            qualifier=draw(st.sampled_from([None, "ref", "k"])),
        )
        if i and draw(st.booleans()):  # an alternative to the previous AU
            if result[-1].group is None:
                groups += 1
                result[-1] = AUToken(**{**result[-1].__dict__, "group": groups})
            token = AUToken(**{**token.__dict__, "group": result[-1].group})
        result.append(token)
    return result


@settings(max_examples=300, deadline=None)
@given(token_lists())
def test_canonical_strings_parse_back_to_the_same_tokens(made):
    text = format_aus(made)
    parsed = parse_aus(text)
    assert list(parsed.tokens) == made and parsed.ok
    assert parsed.canonical == text
