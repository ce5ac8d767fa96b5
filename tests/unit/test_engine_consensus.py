"""The consensus engine: consensus, re-grounding, context, abstentions, registry, and its quality floor."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

import pytest

from radimpress.datasets.corpus import ReportPair
from radimpress.datasets.split import Split, load_split
from radimpress.drafting.engines import DEFAULT_ENGINE, Engine, build_engine, engine_names
from radimpress.drafting.engines.consensus.candidates import FEATURES
from radimpress.drafting.engines.consensus.engine import (
    ABSTAIN_LOW_CONFIDENCE,
    DEFAULT_WEIGHTS,
    ConsensusEngine,
)
from radimpress.drafting.engines.consensus.fit import fit_weights
from radimpress.drafting.engines.consensus.overlap import rouge_l
from radimpress.drafting.engines.retrieval import (
    ABSTAIN_EMPTY_FINDINGS,
    ABSTAIN_NO_SIMILAR_REPORT,
    RetrievalEngine,
)
from radimpress.errors import ConfigurationError
from radimpress.language.normal import is_normal_impression
from radimpress.language.statements import state
from radimpress.reading.model import DraftContext
from radimpress.scoring.observations import observation_summary
from radimpress.scoring.rouge import score_pair

NORMAL_FINDINGS = (
    "The heart size is normal. The lungs are clear. No pleural effusion or pneumothorax.",
    "Heart size is normal. Lungs are clear. No effusion or pneumothorax.",
    "The heart is normal in size. The lungs are clear. There is no pleural effusion.",
    "Normal heart size. Clear lungs. No pneumothorax or pleural effusion.",
    "The heart size is within normal limits. The lungs are clear. No effusion.",
)


def _weights(**chosen: float) -> tuple[float, ...]:
    """A scorer that looks only at the named features (for tests that need one candidate to win)."""
    unknown = set(chosen) - set(FEATURES)
    assert not unknown, unknown
    return tuple(chosen.get(name, 0.0) for name in FEATURES)


# Prefer neighbours' impressions by their consensus: what the re-grounding tests need to reach.
NEIGHBOURS_FIRST = _weights(neighbour=1.0, consensus=1.0, votes=0.5)


def _pairs(rows: Sequence[tuple[str, str]], **context: str) -> list[ReportPair]:
    return [
        ReportPair(f"R{n}", findings, impression, **context) for n, (findings, impression) in enumerate(rows)
    ]


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's tokens: lowercase ASCII letters and digits."""
    return re.findall(r"[a-z0-9]+", text.lower())


def asserted(text: str) -> set[str]:
    return set(state(text).asserted)


@pytest.fixture(scope="module")
def split() -> Split:
    return load_split()


@pytest.fixture(scope="module")
def engine(split: Split) -> ConsensusEngine:
    return ConsensusEngine(split.train)


# --- consensus -------------------------------------------------------------------------------------------


def test_consensus_picks_the_majority_impression() -> None:
    # Given five similar normal reports: three say A, one B, one C
    impressions = [
        "No acute cardiopulmonary abnormality.",
        "Normal chest.",
        "No acute cardiopulmonary abnormality.",
        "Negative study.",
        "No acute cardiopulmonary abnormality.",
    ]
    engine = ConsensusEngine(list(zip(NORMAL_FINDINGS, impressions, strict=True)))

    # When a new normal report is drafted
    draft = engine.draft("Heart size normal. The lungs are clear. No pleural effusion.")

    # Then the draft is the majority's impression
    assert draft.text == "No acute cardiopulmonary abnormality."
    assert draft.engine == "consensus" and draft.model_id.startswith("consensus:")
    assert draft.latency_ms >= 0.0


def test_the_consensus_choice_is_the_central_wording_not_the_nearest_report() -> None:
    # Given the most similar report says something unusual, the others agree with each other
    rows = [
        ("Heart size is normal. Lungs are clear. No effusion.", "Normal chest x-XXXX."),
        (
            "Heart size is normal. The lungs are clear. No pleural effusion.",
            "No acute cardiopulmonary disease.",
        ),
        ("Heart is normal. Lungs clear. No pleural effusion.", "No acute cardiopulmonary process."),
        ("Normal heart. Clear lungs. No effusion.", "No acute cardiopulmonary disease."),
    ]
    query = "Heart size is normal. Lungs are clear. No effusion seen."
    assert RetrievalEngine(rows).draft(query).text == "Normal chest x-XXXX."

    # When the scorer looks at the consensus alone (similarity-weighted ROUGE-L against the others)
    engine = ConsensusEngine(rows, weights=_weights(consensus=1.0), similarity_power=1.0)

    # Then the wording the neighbours share wins over the nearest neighbour's
    assert engine.draft(query).text == "No acute cardiopulmonary disease."


# --- re-grounding ------------------------------------------------------------------------------------------


def test_laterality_is_regrounded_in_the_findings() -> None:
    # Given an index where every similar report is about the left lower lobe
    rows = [
        ("Left lower lobe consolidation. Heart size normal.", "Left lower lobe pneumonia."),
        ("Consolidation in the left lower lobe. Normal heart size.", "Left lower lobe pneumonia."),
        ("Left lower lobe airspace consolidation.", "Left lower lobe pneumonia."),
        *zip(NORMAL_FINDINGS, ["No acute disease."] * 5, strict=True),
    ]
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)
    assert (
        engine.rank("Right lower lobe consolidation. Heart size normal.")[0].text
        == "Left lower lobe pneumonia."
    )

    # When the findings say right, and only right
    draft = engine.draft("Right lower lobe consolidation. Heart size normal.")

    # Then the neighbours' impression is drafted with the findings' side
    assert draft.text == "Right lower lobe pneumonia."


def test_a_side_the_findings_do_not_name_is_never_drafted() -> None:
    # Given neighbours about a left effusion, and findings that name both sides
    rows = [
        ("Small left pleural effusion. Heart normal.", "Small left pleural effusion."),
        ("Left pleural effusion, small. Heart normal.", "Small left pleural effusion."),
    ]
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)

    # When the findings report bilateral effusions
    draft = engine.draft("Small bilateral pleural effusions. Heart normal.")

    # Then no side other than the findings' is asserted
    assert draft.text is not None
    assert "left" not in asserted(draft.text) and "right" not in asserted(draft.text)


def test_a_draft_never_asserts_a_finding_the_findings_negate() -> None:
    # Given (adversarially) similar reports whose impressions assert an effusion and a pneumothorax
    rows = [
        ("Heart normal. No pleural effusion or pneumothorax. Lungs clear.", "Small left pleural effusion."),
        ("Heart normal. No pleural effusion. Lungs clear.", "Small left pleural effusion."),
        ("Heart normal. Lungs clear. No pneumothorax.", "Tiny apical pneumothorax."),
        ("Heart size normal. Lungs clear.", "No acute disease."),
    ]
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)
    assert engine.rank("Heart normal. No pleural effusion or pneumothorax. Lungs clear.")[0].text == (
        "Small left pleural effusion."
    )

    # When findings that negate both are drafted
    draft = engine.draft("Heart normal. No pleural effusion or pneumothorax. Lungs clear.")

    # Then the draft asserts neither
    assert draft.text == "No acute disease."


def test_a_draft_never_negates_a_finding_the_findings_assert() -> None:
    # Given similar reports that say "no pneumothorax"
    rows = [
        ("Small right apical pneumothorax. Heart normal.", "No pneumothorax."),
        ("Right apical pneumothorax, small. Heart normal.", "No pneumothorax."),
    ]
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)

    # When the findings report a pneumothorax
    draft = engine.draft("Small right apical pneumothorax. Heart normal.")

    # Then the draft does not deny it
    assert draft.text is not None
    assert "pneumothorax" not in state(draft.text).negated
    assert "pneumothorax" in asserted(draft.text)


@pytest.mark.parametrize(
    "findings",
    [
        "The heart is not enlarged. Lungs are clear.",
        "The heart is normal in size. Lungs are clear.",
        "Normal cardiomediastinal silhouette. Lungs are clear.",
    ],
)
def test_a_normal_heart_is_never_drafted_as_cardiomegaly(findings: str) -> None:
    rows = [
        ("The heart is not enlarged. Lungs clear.", "Cardiomegaly."),
        ("The heart is normal in size. Lungs clear.", "Cardiomegaly with mild vascular prominence."),
        ("Heart is not enlarged. The lungs are clear.", "No acute disease."),
    ]
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)
    assert engine.draft(findings).text == "No acute disease."


def test_a_heart_at_the_upper_limits_of_normal_may_be_drafted_as_borderline_cardiomegaly() -> None:
    rows = [("Heart size is upper limits of normal. Lungs clear.", "Borderline cardiomegaly.")] * 2
    engine = ConsensusEngine(rows, weights=NEIGHBOURS_FIRST)
    assert (
        engine.draft("Heart size upper limits of normal. Lungs are clear.").text == "Borderline cardiomegaly."
    )


def test_abnormal_findings_are_restated_with_impression_word_order(engine: ConsensusEngine) -> None:
    # Given the real index, and findings that report an enlarged heart and nothing else; when drafted
    draft = engine.draft(
        "The heart is mildly enlarged. The lungs are clear. No pleural effusion or pneumothorax."
    )

    # Then the draft names the finding (the study's wording: cardiomegaly), never a normal template alone
    assert draft.text is not None and "cardiomegaly" in draft.text.lower()


# --- context, abstentions, determinism ----------------------------------------------------------------------


def test_the_radiologist_and_the_exam_type_weigh_their_own_reports_more() -> None:
    # Given identical findings: Dr A writes one template twice, Dr B another three times
    findings = "Heart size normal. Lungs are clear. No effusion."
    pairs = [
        *_pairs([(findings, "No acute disease.")] * 2, interpreter="Dr A", procedure_code="71046"),
        *_pairs([(findings, "Normal chest.")] * 3, interpreter="Dr B", procedure_code="71045"),
    ]
    engine = ConsensusEngine(pairs)
    query = "Heart size normal. The lungs are clear. No effusion."

    # Then without context the majority wins, with Dr A (or Dr A's exam code) Dr A's template
    assert engine.draft(query).text == "Normal chest."
    assert engine.draft(query, DraftContext(interpreter="dr  a")).text == "No acute disease."
    assert engine.draft(query, DraftContext(procedure_code="71046")).text == "No acute disease."
    assert ConsensusEngine(pairs, interpreter_boost=0.0).draft(
        query, DraftContext(interpreter="Dr A")
    ).text == ("Normal chest.")


def test_abstentions() -> None:
    engine = ConsensusEngine(list(zip(NORMAL_FINDINGS, ["No acute disease."] * 5, strict=True)))
    assert engine.draft("XXXX. XXXX").abstained_reason == ABSTAIN_EMPTY_FINDINGS
    assert engine.draft("Zebra quagga.").abstained_reason == ABSTAIN_NO_SIMILAR_REPORT
    strict = ConsensusEngine(
        list(zip(NORMAL_FINDINGS, ["No acute disease."] * 5, strict=True)), min_similarity=0.99
    )
    assert strict.draft("Lungs clear.").abstained_reason == ABSTAIN_LOW_CONFIDENCE


def test_leave_one_out_skips_reports_with_the_same_findings() -> None:
    rows = [
        (NORMAL_FINDINGS[0], "Exact copy."),
        *zip(NORMAL_FINDINGS[1:], ["No acute disease."] * 4, strict=True),
    ]
    assert ConsensusEngine(rows).draft(NORMAL_FINDINGS[0]).text == "Exact copy."
    loo = ConsensusEngine(rows, exclude_identical_findings=True)
    assert loo.draft(NORMAL_FINDINGS[0]).text == "No acute disease."
    assert loo.model_id.endswith(":leave-one-out")


def test_drafts_are_deterministic(split: Split, engine: ConsensusEngine) -> None:
    again = ConsensusEngine(split.train)
    sample = split.dev[:60]
    assert again.model_id == engine.model_id
    assert [engine.draft(p.findings).text for p in sample] == [again.draft(p.findings).text for p in sample]


def test_drafts_are_never_constant(split: Split, engine: ConsensusEngine) -> None:
    # Given abnormal and normal dev reports, the drafts vary with the findings
    drafts = [engine.draft(p.findings).text for p in split.dev[:150]]
    assert len(set(drafts)) >= 30
    abnormal = [d for d, p in zip(drafts, split.dev, strict=False) if not is_normal_impression(p.impression)]
    assert sum(d is not None and not is_normal_impression(d) for d in abnormal) >= len(abnormal) // 2


def test_the_engine_satisfies_the_engine_interface(engine: ConsensusEngine) -> None:
    assert isinstance(engine, Engine)
    assert engine.name == "consensus" and "ConsensusEngine(" in repr(engine)


# --- scoring helpers, fitting, registry ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        ("No acute cardiopulmonary abnormality.", "No acute cardiopulmonary disease."),
        ("Left lower lobe pneumonia.", "1. Left lower lobe airspace disease, likely pneumonia."),
        ("", "Normal chest."),
        ("Normal chest x-XXXX.", "Normal chest x-XXXX."),
        ("a b c a b c", "c b a"),
    ],
)
def test_rouge_l_is_rouge_scores(prediction: str, reference: str) -> None:
    measured = rouge_l(rouge_tokens(prediction), rouge_tokens(reference))
    assert math.isclose(measured, score_pair(prediction, reference).rougeL)


def test_fit_weights_is_deterministic_and_gives_one_weight_per_feature() -> None:
    rows = [
        *zip(NORMAL_FINDINGS, ["No acute disease."] * 5, strict=True),
        ("Left lower lobe consolidation.", "Left lower lobe pneumonia."),
        ("Right upper lobe consolidation.", "Right upper lobe pneumonia."),
        ("Mild cardiomegaly. Lungs clear.", "Mild cardiomegaly."),
    ]
    weights = fit_weights(rows, rounds=1)
    assert len(weights) == len(FEATURES) == len(DEFAULT_WEIGHTS)
    assert all(math.isfinite(w) for w in weights)
    assert fit_weights(rows, rounds=1) == weights
    with pytest.raises(ConfigurationError):
        ConsensusEngine(rows, weights=(1.0,))


def test_the_registry_builds_consensus_by_default(tmp_path: Path) -> None:
    # Given a MEDIQA-2021 index file
    index = tmp_path / "index.json"
    index.write_text(
        json.dumps(
            [
                {
                    "study_id": n,
                    "subject_id": 1,
                    "findings": f,
                    "impression": "No acute disease.",
                    "background": "",
                }
                for n, f in enumerate(NORMAL_FINDINGS)
            ]
        ),
        encoding="utf-8",
    )

    # Then the default engine is the consensus engine, and it reads the index
    assert DEFAULT_ENGINE == "consensus" and "consensus" in engine_names() and "retrieval" in engine_names()
    engine = build_engine(path=index)
    assert isinstance(engine, ConsensusEngine) and engine.pairs == 5
    assert build_engine("consensus", path=index, exclude_identical_findings=True).model_id.endswith(
        ":leave-one-out"
    )
    with pytest.raises(ConfigurationError):
        build_engine("consensus", k=3)


# --- the quality floor on the real dev split --------------------------------------------------------------


def test_quality_on_the_dev_split_stays_above_the_floor(split: Split, engine: ConsensusEngine) -> None:
    """ROUGE-L means on the dev split, the index being the train part only (measured: 0.6506 overall, 0.3528
    abnormal; 1-NN 0.5928 / 0.2525; constant 0.4537 / 0.1250; drafts polished, bench/engine.py). Issue 10's
    targets (0.66, 0.42) are not reached, so the floors are set just under what is measured and above the
    1-NN baseline: a regression fails this test."""
    overall: list[float] = []
    abnormal: list[float] = []
    for pair in split.dev:
        draft = engine.draft(pair.findings, pair.context)
        # rouge_score's ROUGE-L (test_rouge_l_is_rouge_scores), without its cost
        score = rouge_l(rouge_tokens(draft.text or ""), rouge_tokens(pair.impression))
        overall.append(score)
        if not is_normal_impression(pair.impression):
            abnormal.append(score)
    assert statistics.fmean(overall) >= 0.645
    assert statistics.fmean(abnormal) >= 0.345


def test_observation_f1_on_abnormal_studies_beats_retrieval_by_a_tenth(
    split: Split, engine: ConsensusEngine
) -> None:
    # Given the abnormal dev reports, drafted by the engine and by 1-NN retrieval over the same train part
    abnormal = [p for p in split.dev if not is_normal_impression(p.impression)]
    nearest = RetrievalEngine((p.findings, p.impression) for p in split.train)

    def f1(drafter: Engine) -> float:
        pairs = [(drafter.draft(p.findings).text or "", p.impression) for p in abnormal]
        return observation_summary(pairs).overall.f1

    # Then the observations the radiologist named make it into the draft far more often (0.66 vs 0.40)
    assert f1(engine) >= f1(nearest) + 0.10


@pytest.mark.xfail(
    strict=True, reason="issue 10 target ROUGE-L >= 0.42 on the abnormal subset: measured 0.3528"
)
def test_abnormal_subset_target(split: Split, engine: ConsensusEngine) -> None:
    scores = [
        score_pair(engine.draft(p.findings, p.context).text or "", p.impression).rougeL
        for p in split.dev
        if not is_normal_impression(p.impression)
    ]
    assert statistics.fmean(scores) >= 0.42


def test_a_held_out_report_is_explained_without_its_own_words() -> None:
    # Given "opacity" in the findings and "pneumonia" in the impression of exactly three reports
    rows = [
        ("Right lower lobe opacity.", "Right lower lobe pneumonia."),
        ("Left basilar opacity.", "Left basilar pneumonia."),
        ("Patchy opacity at the base.", "Pneumonia at the base."),
        ("Small nodule.", "Granuloma."),
    ]
    engine = ConsensusEngine(_pairs(rows), weights=(0.0,) * len(FEATURES))
    words, by = frozenset({"pneumonia"}), frozenset({"opacity"})
    # When "pneumonia" is explained by "opacity" / Then the association counts the three reports
    assert engine._explained(words, by) > 0.15
    # and with one of them held out (as while fitting) only two remain: below the 3-report minimum
    assert engine._explained(words, by, holdout=0) == 0.0
    # while holding out an unrelated report changes nothing
    assert engine._explained(words, by, holdout=3) == engine._explained(words, by)
