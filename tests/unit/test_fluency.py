"""Fluency of drafts: the problems a reader stops at, and the punctuation clean-up every engine applies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.language.fluency import FluencyKind, fluency_problems, polish, split_items


def kinds(text: str) -> set[str]:
    return {problem.kind.value for problem in fluency_problems(text)}


@pytest.mark.parametrize(
    ("draft", "word"),
    [
        (
            "Large medial right upper lobe mass lesion, measuring. Approximately 5.8 cm in diameter.",
            "measuring",
        ),
        ("Dense consolidation in the. Right base.", "the"),
        ("Mild patchy right upper. Lobe opacities.", "upper"),
        ("Congestion without.", "without"),
        ("Small effusion and.", "and"),
    ],
)
def test_a_sentence_cut_on_a_function_word_is_found(draft: str, word: str) -> None:
    # Given a draft whose sentence ends where no sentence can, When it is checked
    problems = fluency_problems(draft)

    # Then the cut is reported with the word it ends on
    assert any(p.kind is FluencyKind.CUT_SENTENCE and p.word == word for p in problems)


@pytest.mark.parametrize(
    "draft",
    [
        "No acute cardiopulmonary abnormality.",
        "1. Cardiomegaly. 2. No pulmonary edema.",
        "Endotracheal tube tip 2.5 cm above the carina.",
        "Opacity in the left lower lobe, likely atelectasis.",
        "Heart size is normal. The lungs are clear. No pneumothorax or pleural effusion.",
        "Stable T-spine compression deformity at L1.",
    ],
)
def test_well_formed_impressions_have_no_problems(draft: str) -> None:
    # Given impressions a radiologist would write, Then nothing is reported
    assert fluency_problems(draft) == ()


def test_doubled_punctuation_lowercase_and_numbering_are_found() -> None:
    assert kinds("No active disease..") == {"doubled_punctuation"}
    assert kinds("no acute disease.") == {"lowercase_start"}
    assert kinds("1. No acute disease.") == {"dangling_numbering"}
    assert kinds("1. Effusion. 3. Edema.") == {"dangling_numbering"}
    assert "dangling_numbering" in kinds("1. Effusion. 2.")


@pytest.mark.parametrize(
    ("draft", "polished"),
    [
        ("No active disease..", "No active disease."),
        ("1. No acute disease.", "No acute disease."),
        ("1. Effusion. 3. edema", "1. Effusion. 2. Edema."),
        ("no acute disease. lungs clear", "No acute disease. Lungs clear."),
        ("1. Cardiomegaly. 2. .", "Cardiomegaly."),
        ("  Heart   normal ,.  ", "Heart normal."),
        ("", ""),
    ],
)
def test_polish_fixes_punctuation_and_numbering_without_changing_words(draft: str, polished: str) -> None:
    assert polish(draft) == polished


def test_split_items_reads_list_numbers_not_measurements() -> None:
    assert split_items("1. Tube 2.5 cm above carina. 2. No pneumothorax.") == (
        ["Tube 2.5 cm above carina.", "No pneumothorax."],
        True,
    )
    assert split_items("Nodule 1.2 cm.") == (["Nodule 1.2 cm."], False)


_WORDS = st.sampled_from(
    ["heart", "size", "normal", "no", "effusion", "left", "lower", "lobe", "opacity", "mild", "edema", "the"]
)
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=8).map(" ".join)


@given(st.lists(_SENTENCE, min_size=1, max_size=4), st.booleans(), st.sampled_from([". ", ".. ", ", . "]))
def test_polish_is_idempotent_and_leaves_no_punctuation_or_numbering_problem(
    sentences: list[str], numbered: bool, separator: str
) -> None:
    # Given sentences joined carelessly, numbered or not
    text = (
        " ".join(f"{n}. {s}" for n, s in enumerate(sentences, 1)) if numbered else separator.join(sentences)
    )

    # When polished, Then polishing again changes nothing, and only cut sentences (a word matter) can remain
    once = polish(text)
    assert polish(once) == once
    assert kinds(once) <= {"cut_sentence"}
    # and no word was added or lost
    assert [w for w in once.lower().replace(".", " ").split() if not w.isdigit()] == [
        w for w in text.lower().replace(".", " ").replace(",", " ").split() if not w.isdigit()
    ]
