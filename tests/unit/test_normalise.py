"""Reflow: line breaks in findings are soft; the same words give the same text however they were wrapped."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from radimpress.language.normalise import normalise_findings, reflow

BREAKS = st.sampled_from(["\n", "\r\n", "\\.br\\", "\r", " \n  "])


def wrap(text: str, width: int, newline: str) -> str:
    return newline.join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))


def test_a_wrapped_sentence_is_one_sentence_again() -> None:
    assert (
        reflow("No pleural effusion or\npneumothorax is seen.")
        == "No pleural effusion or pneumothorax is seen."
    )
    assert reflow("Heart size\\.br\\normal.\r\nLungs clear.") == "Heart size normal. Lungs clear."


def test_numbering_and_headers_survive_and_bullets_end_items() -> None:
    assert reflow("1. Cardiomegaly.\n2. No edema.") == "1. Cardiomegaly. 2. No edema."
    assert reflow("LUNGS: Clear.\nHEART: Normal.") == "LUNGS: Clear. HEART: Normal."
    assert reflow("- Small left effusion\n- Clear right lung") == "Small left effusion. Clear right lung"
    assert reflow("Measures 2-3 mm.") == "Measures 2-3 mm."


_TOKEN = st.sampled_from(
    [
        "No",
        "pleural",
        "effusion",
        "or",
        "pneumothorax.",
        "Heart",
        "size",
        "is",
        "normal.",
        "1.",
        "2.",
        "LUNGS:",
        "-",
        "2-3",
        "mm",
        "5.8",
        "cm",
        "right",
        "upper",
        "lobe",
        "opacity,",
        "XXXX",
        "seen.",
    ]
)


@given(st.lists(_TOKEN, min_size=1, max_size=40), st.integers(min_value=8, max_value=90), BREAKS)
def test_rewrapping_at_any_width_with_any_break_gives_the_same_text(
    tokens: list[str], width: int, newline: str
) -> None:
    # Given findings as one line, and the same findings wrapped at some width with some line break
    flat = " ".join(tokens)
    wrapped = wrap(flat, width, newline)

    # Then reflow reads them the same, and so does the matching key
    assert reflow(wrapped) == reflow(flat)
    assert normalise_findings(reflow(wrapped)) == normalise_findings(reflow(flat))


def test_a_word_hyphenated_across_a_break_is_joined_back() -> None:
    assert reflow("multiple air-\nfilled loops") == "multiple air-filled loops"
    assert reflow("pleural-\\.br\\parenchymal scarring") == "pleural-parenchymal scarring"
    # a dash before a new item, or a number range, is not a hyphenated word
    assert reflow("Heart normal -\nStable lungs") == "Heart normal. Stable lungs"
    assert reflow("measuring 2-\n3 mm") == "measuring 2- 3 mm"


_HYPHENATED = st.sampled_from(["air-filled", "pleural-parenchymal", "reticular-nodular", "well-expanded"])


@given(st.lists(st.one_of(_TOKEN, _HYPHENATED), min_size=1, max_size=30), st.integers(8, 60), BREAKS)
def test_wrapping_that_breaks_hyphenated_words_gives_the_same_text(
    tokens: list[str], width: int, newline: str
) -> None:
    flat = " ".join(tokens)
    wrapped = newline.join(textwrap.wrap(flat, width=width, break_long_words=False, break_on_hyphens=True))
    assert reflow(wrapped) == reflow(flat)
