"""ROUGE with the study's settings, pinned to hand-computed F-measures."""

from __future__ import annotations

import subprocess
import sys

import pytest

from radimpress.scoring import rouge as scoring
from radimpress.scoring.rouge import ROUGE_TYPES, RougeScores, score_pair, score_pairs


def test_one_word_changed_in_four() -> None:
    # Given a draft differing from the reference in its last word
    draft, reference = "no acute cardiopulmonary abnormality", "no acute cardiopulmonary disease"

    # When scored
    scores = score_pair(draft, reference)

    # Then by hand: 3 of 4 unigrams shared (P = R = 3/4), 2 of 3 bigrams (no acute, acute cardiopulmonary),
    # the longest common subsequence is 3 of 4 words
    assert scores.as_dict() == pytest.approx(
        {"rouge1": 0.75, "rouge2": 2 / 3, "rougeL": 0.75, "rougeLsum": 0.75}
    )


def test_a_shorter_draft_trades_recall_for_precision() -> None:
    # Given a 3-word draft inside a 4-word reference
    scores = score_pair("no acute disease", "no acute cardiopulmonary disease")

    # Then rouge1: P = 3/3, R = 3/4, F = 2PR/(P+R) = 6/7; rouge2: 1 shared bigram of 2 and 3,
    # P = 1/2, R = 1/3, F = 2/5; LCS "no acute disease" = 3 words, as rouge1
    assert scores.rouge1 == pytest.approx(6 / 7)
    assert scores.rouge2 == pytest.approx(2 / 5)
    assert scores.rougeL == pytest.approx(6 / 7)
    assert scores.rougeLsum == pytest.approx(6 / 7)


def test_rouge_lsum_takes_lines_as_sentences() -> None:
    # Given the same two sentences in the opposite order, one per line
    scores = score_pair("no pneumothorax\nheart normal", "heart normal\nno pneumothorax")

    # Then rougeL sees one sequence (LCS 2 of 4 words: F = 1/2) while rougeLsum matches each reference
    # line against the draft's lines (union LCS 2 + 2 of 4: F = 1); the tokenizer drops the newline, so
    # bigrams cross it: 2 of 3 shared (no pneumothorax, heart normal)
    assert scores.as_dict() == pytest.approx(
        {"rouge1": 1.0, "rouge2": 2 / 3, "rougeL": 0.5, "rougeLsum": 1.0}
    )


def test_case_and_punctuation_do_not_count_and_no_stemmer_by_default() -> None:
    # Given plurals and punctuation, When scored without and with the Porter stemmer
    plain = score_pair("Small effusions.", "small effusion")
    stemmed = score_pair("Small effusions.", "small effusion", use_stemmer=True)

    # Then by default only "small" matches (F = 1/2); stemmed, everything does
    assert plain == RougeScores(rouge1=0.5, rouge2=0.0, rougeL=0.5, rougeLsum=0.5)
    assert stemmed == RougeScores(rouge1=1.0, rouge2=1.0, rougeL=1.0, rougeLsum=1.0)


@pytest.mark.parametrize(
    ("draft", "reference"), [("", "no acute disease"), ("no acute disease", ""), ("", "")]
)
def test_an_empty_side_scores_zero(draft: str, reference: str) -> None:
    assert score_pair(draft, reference) == RougeScores(0.0, 0.0, 0.0, 0.0)


def test_identical_texts_score_one() -> None:
    text = "Stable cardiomegaly.\nNo acute pulmonary disease."
    assert score_pair(text, text) == RougeScores(1.0, 1.0, 1.0, 1.0)


def test_score_pairs_keeps_the_order() -> None:
    pairs = [("no acute disease", "no acute cardiopulmonary disease"), ("a b", "a b")]
    assert score_pairs(pairs) == [score_pair(*pairs[0]), RougeScores(1.0, 1.0, 1.0, 1.0)]


def test_the_scorer_is_built_once_per_setting() -> None:
    assert scoring._scorer(False) is scoring._scorer(False)
    assert scoring._scorer(True) is not scoring._scorer(False)


def test_as_dict_uses_the_metric_names() -> None:
    assert tuple(RougeScores(0.1, 0.2, 0.3, 0.4).as_dict()) == ROUGE_TYPES


def test_importing_scoring_does_not_load_rouge_score() -> None:
    # Given a fresh interpreter, When the scoring and evaluation modules are imported (as a handler would)
    code = (
        "import sys, radimpress.scoring.rouge, radimpress.scoring.study_table; "
        "print('rouge_score' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    # Then rouge_score (and nltk behind it) stays unloaded until the first score
    assert result.stdout.strip() == "False"
