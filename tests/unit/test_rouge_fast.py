"""The fast ROUGE path (rouge-score-rs) pinned to rouge_score, float for float, on more than 10,000 pairs."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from radimpress.datasets.corpus import load_pairs
from radimpress.errors import ConfigurationError
from radimpress.scoring import rouge as scoring
from radimpress.scoring.rouge import RougeScores, fast_path_available, score_pair, score_pairs

VOCABULARY = (
    "no acute cardiopulmonary abnormality heart size normal mild cardiomegaly stable small left right "
    "pleural effusion pneumothorax focal consolidation atelectasis opacity granuloma nodule rib fracture"
)
WORDS = (*VOCABULARY.split(), "the", "of", "and")
# what a tokenizer can trip on: punctuation, digits glued to letters, non-ASCII letters and symbols,
# the IU mask, newlines (ROUGE-Lsum sentences), tabs
PUNCTUATION = ("", "", "", ".", ",", ";", "!!", "-", "...", "\n", "\t")
DECORATIONS = (*PUNCTUATION, "é", "ü", "°", "–", "µ", "3", "2.5", "XXXX")
EDGE_CASES = [
    ("", ""),
    ("", "no acute disease"),
    ("no acute disease", ""),
    ("...", "!!!"),
    ("... ,,, ;;;", "no acute disease"),
    ("—–-", "—–-"),
    ("é à ü ß", "é à ü ß"),
    ("Pneumothorax.", "pneumothorax"),
    ("Ünchanged çardiomegaly.", "unchanged cardiomegaly"),
    ("肺 正常", "肺 正常"),
    ("12 mm nodule, 3.5 cm mass", "12mm nodule 3.5cm mass"),
    ("1. Cardiomegaly.\n2. No effusion.", "1. Cardiomegaly. 2. No effusion."),
    ("\n\n\n", "\n"),
    ("a\nb\nc", "c\nb\na"),
    ("XXXX XXXX", "XXXX"),
    ("no no no no no", "no"),
    ("\u00a0non\u2011breaking\u2009spaces", "non breaking spaces"),
]


def _generated(rng: random.Random, count: int) -> list[tuple[str, str]]:
    def text() -> str:
        return " ".join(rng.choice(WORDS) + rng.choice(DECORATIONS) for _ in range(rng.randint(0, 25)))

    return [(text(), text()) for _ in range(count)]


def _very_long(rng: random.Random) -> list[tuple[str, str]]:
    return [
        (" ".join(rng.choices(WORDS, k=600)), " ".join(rng.choices(WORDS, k=400))),
        (
            " ".join(rng.choices(WORDS, k=300)) + "\n" + " ".join(rng.choices(WORDS, k=300)),
            "no acute disease",
        ),
    ]


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    """IU impressions against others' impressions, findings against impressions, generated, edge cases."""
    rng = random.Random(20240611)
    reports = load_pairs()
    impressions = [r.impression for r in reports]
    n = len(impressions)
    built = [(impressions[(i * 7 + 3) % n], impressions[i]) for i in range(n)]
    built += [(r.findings, r.impression) for r in reports]
    built += _generated(rng, 5_000)
    built += _very_long(rng)
    built += EDGE_CASES
    return built


def test_the_fast_path_is_installed() -> None:
    # it is a core dependency: `make test` installs it, so the pin below runs
    assert fast_path_available()


def test_the_fast_path_gives_rouge_scores_floats_on_10000_pairs(pairs: list[tuple[str, str]]) -> None:
    # Given more than 10,000 pairs of every kind
    assert len(pairs) >= 10_000

    # When both implementations score them
    reference = score_pairs(pairs, backend="rouge_score")
    fast = score_pairs(pairs, backend="rouge_score_rs")

    # Then every float is identical (not approximately: bit for bit)
    mismatches = [(pair, a, b) for pair, a, b in zip(pairs, reference, fast, strict=True) if a != b]
    assert mismatches == []
    assert any(s.rougeL == 0.0 for s in reference) and any(s.rougeL == 1.0 for s in reference)


def test_the_fast_path_matches_with_the_stemmer_too(pairs: list[tuple[str, str]]) -> None:
    sample = random.Random(5).sample(pairs, 1_500) + EDGE_CASES
    assert score_pairs(sample, use_stemmer=True, backend="rouge_score_rs") == score_pairs(
        sample, use_stemmer=True, backend="rouge_score"
    )


def test_one_pair_at_a_time_matches_too() -> None:
    for prediction, reference in EDGE_CASES:
        assert score_pair(prediction, reference, backend="rouge_score_rs") == score_pair(
            prediction, reference, backend="rouge_score"
        )


def test_the_default_backend_is_the_fast_path(pairs: list[tuple[str, str]]) -> None:
    sample = pairs[:50]
    assert score_pairs(sample) == score_pairs(sample, backend="rouge_score_rs")
    assert score_pair(*sample[0]) == score_pair(*sample[0], backend="rouge_score_rs")


def test_without_the_fast_path_the_default_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given rouge-score-rs missing
    monkeypatch.setattr(scoring, "_fast_scorer", lambda use_stemmer: None)

    # Then the default scores with rouge_score, and asking for the fast path is a configuration error
    assert score_pairs([("no acute disease", "no acute cardiopulmonary disease")]) == [
        score_pair("no acute disease", "no acute cardiopulmonary disease", backend="rouge_score")
    ]
    assert not fast_path_available()
    with pytest.raises(ConfigurationError, match="rouge-score-rs"):
        score_pairs([("a", "b")], backend="rouge_score_rs")


def test_score_pairs_takes_any_iterable_and_keeps_the_order() -> None:
    generator = ((f"finding {i}", "finding 1") for i in range(3))
    scores = score_pairs(generator)
    assert [s.rouge1 for s in scores] == [0.5, 1.0, 0.5]
    assert score_pairs([]) == []
    assert isinstance(scores[0], RougeScores)


def test_importing_scoring_loads_neither_implementation() -> None:
    code = (
        "import sys, radimpress.scoring.rouge; "
        "print(any(m in sys.modules for m in ('rouge_score', 'rouge_score_rs', 'nltk')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
