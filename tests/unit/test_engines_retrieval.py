"""The embedded retrieval engine, the Engine interface and the engine registry."""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from pathlib import Path

import pytest

from radimpress.datasets.samplefeed.reports import iu_reports_path
from radimpress.drafting.engines import Draft, Engine, build_engine, engine_names, register_engine
from radimpress.drafting.engines.retrieval import (
    ABSTAIN_EMPTY_FINDINGS,
    ABSTAIN_NO_SIMILAR_REPORT,
    RetrievalEngine,
    read_pairs,
)
from radimpress.errors import ConfigurationError
from radimpress.language.normalise import normalise_findings
from radimpress.reading.model import DraftContext
from radimpress.scoring.rouge import score_pair

NORMAL = "No acute cardiopulmonary disease."
EFFUSION = "Large right pleural effusion."
FAILURE = "Congestive heart failure."
PNEUMONIA = "Right upper lobe pneumonia."


def _write(path: Path, rows: Sequence[Mapping[str, str | None] | str]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """Four usable reports in the IU file format, and rows the index must skip."""
    return _write(
        tmp_path / "reports.jsonl",
        [
            {
                "id": "A",
                "findings": "The lungs are clear. No pleural effusion or pneumothorax.",
                "impression": NORMAL,
            },
            {
                "id": "B",
                "findings": "Large right pleural effusion with adjacent atelectasis.",
                "impression": EFFUSION,
            },
            {
                "id": "C",
                "findings": "Cardiomegaly with pulmonary vascular congestion and interstitial edema.",
                "impression": FAILURE,
            },
            {"id": "D", "findings": "Right upper lobe consolidation.", "impression": PNEUMONIA},
            {"id": "E", "findings": None, "impression": "Impression only."},
            {"id": "F", "findings": "Left pneumothorax.", "impression": None},
            {"id": "G", "findings": "   ", "impression": "Blank findings."},
            {"id": "H", "findings": "Left pneumothorax.", "impression": ""},
            "",
        ],
    )


# --- normalisation and reading ---------------------------------------------------------------------------


def test_normalised_findings_drop_case_deidentification_marks_and_punctuation() -> None:
    assert normalise_findings("The XXXX is NORMAL.  Heart-size: ok; x-XXXX, (stable)") == (
        "the is normal heart size ok x stable"
    )
    assert normalise_findings("XXXX. XXXX, XXXX") == ""


def test_read_pairs_keeps_rows_with_both_sections_in_file_order(reports: Path) -> None:
    assert [impression for _, impression in read_pairs(reports)] == [NORMAL, EFFUSION, FAILURE, PNEUMONIA]


def test_a_bad_reports_file_is_a_configuration_error(tmp_path: Path) -> None:
    # Given a line that is not JSON, a line that is not an object, a missing file, a file with no pairs
    bad = _write(tmp_path / "bad.jsonl", [{"findings": "a", "impression": "b"}, "{oops"])
    not_object = _write(tmp_path / "list.jsonl", ["[1, 2]"])
    empty = _write(tmp_path / "empty.jsonl", [{"findings": None, "impression": "b"}])

    # Then each fails at build time, typed, naming the line where there is one
    with pytest.raises(ConfigurationError, match=r"bad\.jsonl:2"):
        RetrievalEngine.from_jsonl(bad)
    with pytest.raises(ConfigurationError, match=r"list\.jsonl:1"):
        RetrievalEngine.from_jsonl(not_object)
    with pytest.raises(ConfigurationError, match="cannot read"):
        RetrievalEngine.from_jsonl(tmp_path / "missing.jsonl")
    with pytest.raises(ConfigurationError, match="at least one report"):
        RetrievalEngine.from_jsonl(empty)


# --- drafting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ("Moderate right pleural effusion and basilar atelectasis.", EFFUSION),
        ("Enlarged heart. Vascular congestion and interstitial edema.", FAILURE),
        ("Clear lungs, no effusion or pneumothorax.", NORMAL),
        ("Dense consolidation in the right upper lobe.", PNEUMONIA),
    ],
)
def test_the_draft_is_the_impression_of_the_most_similar_findings(
    reports: Path, findings: str, expected: str
) -> None:
    # Given the tiny index, When findings close to one report are drafted, Then that report's impression
    engine = RetrievalEngine.from_jsonl(reports)
    draft = engine.draft(findings)
    assert draft.text == expected
    assert draft.abstained_reason is None
    assert not draft.abstained


def test_it_is_never_a_constant(reports: Path) -> None:
    engine = RetrievalEngine.from_jsonl(reports)
    queries = ["right pleural effusion", "vascular congestion", "upper lobe consolidation", "lungs are clear"]
    assert len({engine.draft(q).text for q in queries}) == 4


def test_identical_findings_read_back_their_own_impression_unless_excluded(reports: Path) -> None:
    # Given a query whose findings are in the index, differing only by case, punctuation and XXXX
    query = "THE LUNGS ARE CLEAR; no pleural effusion or pneumothorax XXXX"

    # When drafted normally, Then the engine finds the report itself (similarity 1)
    engine = RetrievalEngine.from_jsonl(reports)
    assert engine.draft(query).text == NORMAL
    assert engine.nearest(query, k=1)[0].similarity == pytest.approx(1.0)

    # When drafted leave-one-out, Then that report is skipped and the next best answers
    loo = RetrievalEngine.from_jsonl(reports, exclude_identical_findings=True)
    assert loo.draft(query).text == EFFUSION  # shares "pleural effusion"
    assert NORMAL not in {n.impression for n in loo.nearest(query, k=10)}


def test_findings_that_match_nothing_or_nothing_at_all_abstain(reports: Path) -> None:
    engine = RetrievalEngine.from_jsonl(reports)
    assert engine.draft("").abstained_reason == ABSTAIN_EMPTY_FINDINGS
    assert engine.draft("XXXX, XXXX.").abstained_reason == ABSTAIN_EMPTY_FINDINGS
    unknown = engine.draft("Zebra quantum.")
    assert unknown.text is None
    assert unknown.abstained_reason == ABSTAIN_NO_SIMILAR_REPORT
    assert engine.nearest("Zebra quantum.") == ()


def test_the_only_neighbour_excluded_leaves_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.jsonl", [{"findings": "Lungs clear.", "impression": NORMAL}])
    engine = RetrievalEngine.from_jsonl(path, exclude_identical_findings=True)
    assert engine.draft("lungs clear").abstained_reason == ABSTAIN_NO_SIMILAR_REPORT


def test_equal_similarity_goes_to_the_report_first_in_the_file(tmp_path: Path) -> None:
    # Given two reports equally similar to the query (mirror images), in both file orders
    left = {"findings": "Left effusion.", "impression": "Left."}
    right = {"findings": "Right effusion.", "impression": "Right."}
    forward = RetrievalEngine.from_jsonl(_write(tmp_path / "f.jsonl", [left, right]))
    backward = RetrievalEngine.from_jsonl(_write(tmp_path / "b.jsonl", [right, left]))

    # When the query shares only "effusion", Then the earlier one wins, every time
    assert [forward.draft("Effusion.").text for _ in range(3)] == ["Left."] * 3
    assert backward.draft("Effusion.").text == "Right."
    first, second = forward.nearest("Effusion.", k=2)
    assert first.similarity == second.similarity


def test_reports_with_the_same_findings_vote_for_the_impression(tmp_path: Path) -> None:
    # Given the same findings written up three times, twice the same way
    rows = [
        {"findings": "Lungs clear.", "impression": "Normal chest."},
        {"findings": "LUNGS CLEAR", "impression": "No acute disease."},
        {"findings": "Lungs clear", "impression": "No acute disease."},
        {"findings": "Heart enlarged.", "impression": "Cardiomegaly."},
        {"findings": "Heart enlarged.", "impression": "Enlarged heart."},
    ]
    engine = RetrievalEngine.from_jsonl(_write(tmp_path / "r.jsonl", rows))

    # Then they form one document whose impression is the most frequent, the first on a tie
    assert (engine.pairs, engine.documents) == (5, 2)
    assert engine.draft("lungs clear").text == "No acute disease."
    assert engine.draft("heart enlarged").text == "Cardiomegaly."
    assert engine.nearest("lungs clear", k=1)[0].reports == 3


def test_a_draft_names_its_engine_model_and_latency(reports: Path) -> None:
    engine = RetrievalEngine.from_jsonl(reports)
    draft = engine.draft("right effusion", DraftContext(procedure_code="71046"))
    assert draft.engine == "retrieval"
    assert draft.model_id == engine.model_id
    assert draft.latency_ms >= 0.0
    assert isinstance(engine, Engine)


def test_the_model_id_identifies_the_index_and_the_mode(reports: Path, tmp_path: Path) -> None:
    # Given the same file twice, the file leave-one-out, and a different file
    once = RetrievalEngine.from_jsonl(reports)
    again = RetrievalEngine.from_jsonl(reports)
    loo = RetrievalEngine.from_jsonl(reports, exclude_identical_findings=True)
    other = RetrievalEngine.from_jsonl(_write(tmp_path / "o.jsonl", [{"findings": "a b", "impression": "c"}]))

    # Then the id is stable for the same data and differs with the mode or the data
    assert once.model_id == again.model_id
    assert once.model_id.startswith("retrieval-tfidf:")
    assert loo.model_id == f"{once.model_id}:leave-one-out"
    assert other.model_id != once.model_id


def test_a_draft_has_text_or_a_reason_never_both() -> None:
    with pytest.raises(ValueError, match="either"):
        Draft("text", "e", "m", 1.0, abstained_reason="why")
    with pytest.raises(ValueError, match="either"):
        Draft(None, "e", "m", 1.0)


# --- the registry ------------------------------------------------------------------------------------


def test_build_engine_builds_the_retrieval_engine_with_options(reports: Path) -> None:
    engine = build_engine("retrieval", path=str(reports), exclude_identical_findings=True)
    assert isinstance(engine, RetrievalEngine)
    assert engine.exclude_identical_findings
    assert engine.name == "retrieval"
    assert "retrieval" in engine_names()


def test_build_engine_refuses_unknown_names_and_options(reports: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown engine 'gpt'"):
        build_engine("gpt")
    with pytest.raises(ConfigurationError, match="invalid options"):
        build_engine("retrieval", path=reports, temperature=0.2)


def test_register_engine_adds_a_factory() -> None:
    class Echo:
        name = "echo"
        model_id = "echo-1"

        def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
            return Draft(findings, self.name, self.model_id, 0.0)

    register_engine("echo-test", Echo)
    assert build_engine("echo-test").draft("x").text == "x"


# --- the bundled IU reports ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iu_pairs() -> list[tuple[str, str]]:
    return list(read_pairs(iu_reports_path()))


@pytest.fixture(scope="module")
def iu_engine() -> RetrievalEngine:
    return RetrievalEngine.from_jsonl(exclude_identical_findings=True)  # the default path: the IU reports


def test_leave_one_out_on_200_iu_reports_beats_the_sanity_floor(
    iu_engine: RetrievalEngine, iu_pairs: list[tuple[str, str]]
) -> None:
    # Given the first 200 IU reports, each drafted from the others (its own findings excluded)
    sample = iu_pairs[:200]
    drafts = [iu_engine.draft(findings) for findings, _ in sample]

    # Then every report gets a draft, the drafts vary, and mean ROUGE-L clears 0.3
    assert all(d.text is not None for d in drafts)
    assert len({d.text for d in drafts}) > 40
    rouge_l = [
        score_pair(d.text or "", reference).rougeL for d, (_, reference) in zip(drafts, sample, strict=True)
    ]
    assert statistics.fmean(rouge_l) > 0.3
    # and no draft was read back from a report with the same findings
    for findings, _ in sample[:50]:
        assert all(n.findings != findings for n in iu_engine.nearest(findings, k=3))


def _terms(text: str) -> Counter[str]:
    words = text.split()
    return Counter(words + [f"{a} {b}" for a, b in pairwise(words)])


class _BruteForce:
    """Cosine of a query with every distinct normalised findings, computed the slow, obvious way."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.documents = list(dict.fromkeys(k for f, _ in pairs if (k := normalise_findings(f))))
        counts = [_terms(d) for d in self.documents]
        df = Counter(t for c in counts for t in c)
        self.idf = {t: math.log((1 + len(self.documents)) / (1 + n)) + 1 for t, n in df.items()}
        self.vectors = [self._unit(c) for c in counts]

    def _unit(self, counts: Counter[str]) -> dict[str, float]:
        v = {t: (1 + math.log(n)) * self.idf[t] for t, n in counts.items() if t in self.idf}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / norm for t, x in v.items()}

    def scores(self, query: str, *, excluded: bool) -> dict[str, float]:
        normalised = normalise_findings(query)
        q = self._unit(_terms(normalised))
        return {
            document: sum(w * vector.get(t, 0.0) for t, w in q.items())
            for document, vector in zip(self.documents, self.vectors, strict=True)
            if not (excluded and document == normalised)
        }


@pytest.mark.parametrize("excluded", [False, True])
def test_the_pruned_search_finds_the_exhaustive_best(iu_pairs: list[tuple[str, str]], excluded: bool) -> None:
    # Given an index of 400 IU reports and queries from inside and outside it
    indexed = iu_pairs[:400]
    engine = RetrievalEngine(indexed, exclude_identical_findings=excluded)
    brute_force = _BruteForce(indexed)
    queries = [f for f, _ in iu_pairs[:400:10]] + [f for f, _ in iu_pairs[400:800:10]]

    for query in queries:
        # When the engine answers and every document is scored exhaustively
        best = engine.nearest(query, k=1)[0]
        scores = brute_force.scores(query, excluded=excluded)

        # Then the engine's neighbour has the best exhaustive similarity
        assert best.similarity == pytest.approx(max(scores.values()), abs=1e-9)
        assert scores[normalise_findings(best.findings)] == pytest.approx(best.similarity, abs=1e-9)


def test_nearest_ranks_best_first(iu_engine: RetrievalEngine, iu_pairs: list[tuple[str, str]]) -> None:
    neighbours = iu_engine.nearest(iu_pairs[7][0], k=5)
    assert len(neighbours) == 5
    similarities = [n.similarity for n in neighbours]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0.0 < s <= 1.0 for s in similarities)
    assert iu_engine.nearest(iu_pairs[7][0], k=0) == ()
