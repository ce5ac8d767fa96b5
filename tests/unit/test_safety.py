"""Safety flags on hand-made adversarial drafts, the ConText-lite reading behind them, the stable codes."""

from __future__ import annotations

import pytest

from radimpress.datasets.corpus import load_pairs
from radimpress.drafting.safety import Flag, FlagKind, flag_draft
from radimpress.language.mentions import find_mentions, has_comparison, mentions_comparison
from radimpress.language.vocabulary import CRITICAL, OBSERVATIONS

NORMAL_FINDINGS = "Heart size is normal. The lungs are clear. No pneumothorax or pleural effusion."


def _codes(flags: tuple[Flag, ...]) -> list[str]:
    return [flag.code for flag in flags]


# --- the adversarial cases ------------------------------------------------------------------------------


def test_a_negation_flip_is_a_negation_conflict() -> None:
    # Given findings that deny a pneumothorax and a draft that reports one
    flags = flag_draft("No pneumothorax.", "Small right pneumothorax.")

    # Then exactly that conflict is flagged (not also an unsupported finding)
    assert _codes(flags) == ["negation_conflict:pneumothorax"]
    assert flags[0].kind is FlagKind.NEGATION_CONFLICT
    assert "negate" in flags[0].detail


def test_a_draft_denying_an_asserted_finding_is_a_negation_conflict() -> None:
    # Given a pneumothorax in the findings, When the draft says there is none
    flags = flag_draft("Small right apical pneumothorax.", "No pneumothorax.")

    # Then a negation conflict, and not a second flag for the missing critical finding
    assert _codes(flags) == ["negation_conflict:pneumothorax"]


def test_the_wrong_side_is_a_laterality_conflict() -> None:
    flags = flag_draft("Left pleural effusion.", "Right pleural effusion.")

    assert _codes(flags) == ["laterality_conflict:pleural_effusion"]
    assert "right" in flags[0].detail and "left" in flags[0].detail


@pytest.mark.parametrize(
    ("findings", "draft", "expected"),
    [
        # bilateral in the draft, one side in the findings: the other side is invented
        (
            "Small left pleural effusion.",
            "Small bilateral pleural effusions.",
            ["laterality_conflict:pleural_effusion"],
        ),
        # bilateral in the findings covers either side
        ("Small bilateral pleural effusions.", "Small left pleural effusion.", []),
        # a side after a preposition belongs to the observation before it
        ("Opacity in the right lower lobe.", "Left lower lobe opacity.", ["laterality_conflict:opacity"]),
        # a side the findings never gave cannot conflict
        ("Small pleural effusion.", "Small left pleural effusion.", []),
        # sides through support: a right-sided opacity supports a right, not a left, pneumonia
        (
            "Right lower lobe airspace opacity.",
            "Left lower lobe pneumonia.",
            ["laterality_conflict:pneumonia"],
        ),
    ],
)
def test_laterality(findings: str, draft: str, expected: list[str]) -> None:
    assert _codes(flag_draft(findings, draft)) == expected


def test_a_pneumothorax_left_out_of_the_draft_is_missing_critical() -> None:
    # Given findings with a small pneumothorax, When the draft reads as a normal study
    flags = flag_draft(
        "Small right apical pneumothorax. Heart size normal.", "No acute cardiopulmonary abnormality."
    )

    # Then the omission is flagged
    assert _codes(flags) == ["missing_critical:pneumothorax"]
    assert "pneumothorax" in flags[0].detail


@pytest.mark.parametrize(
    ("findings", "missing"),
    [
        ("Large left pleural effusion.", "pleural_effusion"),
        ("Free air under the right hemidiaphragm.", "pneumoperitoneum"),
        ("New right lower lobe consolidation.", "consolidation"),
        ("Acute displaced fracture of the right clavicle.", "fracture"),
        ("5 cm right upper lobe mass.", "mass"),
        ("Endotracheal tube tip in the right mainstem bronchus.", "malpositioned_device"),
        ("Widened mediastinum concerning for aortic dissection.", "aortic_dissection"),
        ("Pneumomediastinum.", "pneumomediastinum"),
    ],
)
def test_critical_findings_missing_from_a_normal_draft(findings: str, missing: str) -> None:
    codes = _codes(flag_draft(findings, "No acute cardiopulmonary abnormality."))
    assert f"missing_critical:{missing}" in codes


@pytest.mark.parametrize(
    "findings",
    [
        "Small left pleural effusion.",  # only a large effusion is critical
        "Old healed right rib fractures.",  # an old fracture is not acute
        "Right lower lobe consolidation.",  # only a new consolidation is critical
        "No pneumothorax, pleural effusion or focal consolidation.",  # negated
        "Recommend CT to exclude an underlying mass.",  # hypothetical
    ],
)
def test_findings_that_are_not_critical(findings: str) -> None:
    codes = _codes(flag_draft(findings, "No acute cardiopulmonary abnormality."))
    assert not [code for code in codes if code.startswith("missing_critical")]


def test_tension_must_be_named_when_the_findings_name_it() -> None:
    # Given a tension pneumothorax, When the draft reports only a pneumothorax
    flags = flag_draft("Large right tension pneumothorax.", "Right pneumothorax.")

    # Then the pneumothorax is covered but the tension is missing
    assert _codes(flags) == ["missing_critical:tension_pneumothorax"]


def test_a_draft_can_report_a_critical_finding_by_a_more_specific_name() -> None:
    # a new consolidation reported as pneumonia, a mass as a malignancy
    assert flag_draft("New right lower lobe consolidation.", "Right lower lobe pneumonia.") == ()
    assert flag_draft("Right upper lobe mass.", "Right upper lobe malignancy.") == ()


def test_a_finding_absent_from_the_findings_is_unsupported() -> None:
    flags = flag_draft(NORMAL_FINDINGS, "Left lower lobe atelectasis. No pneumothorax.")

    assert _codes(flags) == ["unsupported_finding:atelectasis"]


def test_a_comparison_without_a_prior_is_unsupported() -> None:
    # Given findings that compare with nothing and a report whose comparison section says none
    flags = flag_draft(NORMAL_FINDINGS, "Stable chest. No acute disease.", comparison="None.")

    assert _codes(flags) == ["unsupported_comparison:comparison"]
    # the same draft is fine when there is a prior, in the comparison section or in the findings
    assert flag_draft(NORMAL_FINDINGS, "Stable chest.", comparison="PA and lateral chest XXXX.") == ()
    assert flag_draft("Heart size unchanged from prior. Lungs clear.", "Stable chest.") == ()


@pytest.mark.parametrize(
    "draft",
    [
        "Unchanged appearance of the chest.",
        "Compared with the prior study, no new findings.",
        "Cardiomegaly again seen.",
        "No interval change.",
    ],
)
def test_comparison_language(draft: str) -> None:
    assert _codes(flag_draft("Mild cardiomegaly.", draft)) == ["unsupported_comparison:comparison"]


@pytest.mark.parametrize(
    ("findings", "draft"),
    [
        (NORMAL_FINDINGS, "No acute cardiopulmonary abnormality."),
        (
            "Mild cardiomegaly. Right lower lobe airspace opacity. No pneumothorax or pleural effusion.",
            "Mild cardiomegaly. Right lower lobe pneumonia.",
        ),
        ("No pneumothorax, small left pleural effusion.", "Small left pleural effusion."),
        ("Large left pleural effusion. No pneumothorax.", "Large left pleural effusion."),
        (
            "Hyperexpanded lungs. Calcified granuloma in the right upper lobe.",
            "COPD. Old granulomatous disease.",
        ),
        ("Small right pneumothorax.", "Small right pneumothorax."),
        ("", ""),
    ],
)
def test_a_faithful_draft_has_no_flags(findings: str, draft: str) -> None:
    assert flag_draft(findings, draft) == ()


# --- the reading behind the flags -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "No focal consolidation, pneumothorax or large pleural effusion.",
            [("consolidation", "absent"), ("pneumothorax", "absent"), ("pleural_effusion", "absent")],
        ),
        # a comma opening a new positive item ends the negation
        (
            "No pneumothorax, small left effusion.",
            [("pneumothorax", "absent"), ("pleural_effusion", "present")],
        ),
        (
            "No effusion but there is a small pneumothorax.",
            [("pleural_effusion", "absent"), ("pneumothorax", "present")],
        ),
        ("Pneumothorax is not seen.", [("pneumothorax", "absent")]),
        ("The effusion has resolved.", [("pleural_effusion", "absent")]),
        ("Negative for pneumothorax.", [("pneumothorax", "absent")]),
        ("Lungs are free of consolidation.", [("consolidation", "absent")]),
        ("Pneumonia cannot be excluded.", [("pneumonia", "possible")]),
        ("Possible small left effusion.", [("pleural_effusion", "possible")]),
        ("No change in the small left effusion.", [("pleural_effusion", "present")]),
        ("Heart size is normal.", [("cardiomegaly", "absent")]),
        ("Recommend CT to exclude a mass.", [("mass", "hypothetical")]),
        ("There is no pleural line to suggest pneumothorax.", [("pneumothorax", "absent")]),
        ("Mild cardiomegaly without pulmonary edema.", [("cardiomegaly", "present"), ("edema", "absent")]),
    ],
)
def test_context_lite_statuses(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.observation, m.status) for m in find_mentions(text)] == expected


def test_sides_attach_to_the_nearest_observation() -> None:
    mentions = find_mentions("Left pleural effusion and right lower lobe atelectasis. Bibasilar opacities.")
    assert [(m.observation, sorted(m.sides)) for m in mentions] == [
        ("pleural_effusion", ["left"]),
        ("atelectasis", ["right"]),
        ("opacity", ["left", "right"]),
    ]


def test_iu_masking_of_words_does_not_hide_an_effusion() -> None:
    # the IU de-identifier replaced "angles" with XXXX
    assert [m.observation for m in find_mentions("Blunting of the costophrenic XXXX.")] == [
        "pleural_effusion"
    ]


def test_a_tension_pneumothorax_is_also_a_pneumothorax() -> None:
    assert [m.observation for m in find_mentions("Tension pneumothorax.")] == [
        "tension_pneumothorax",
        "pneumothorax",
    ]


def test_a_wished_for_comparison_is_no_comparison() -> None:
    assert not mentions_comparison("Comparison with prior films would be helpful.")
    assert mentions_comparison("Stable cardiomegaly.")
    assert not has_comparison("None.", "Heart normal.")
    assert not has_comparison(None, "Heart normal.")
    assert has_comparison("Chest radiograph XXXX.", "Heart normal.")


# --- codes and shape ------------------------------------------------------------------------------------


def test_the_flag_kinds_are_stable_codes() -> None:
    # stored with results and counted by the dashboard: renaming one is a breaking change
    assert [kind.value for kind in FlagKind] == [
        "negation_conflict",
        "laterality_conflict",
        "unsupported_finding",
        "missing_critical",
        "unsupported_comparison",
    ]
    flag = Flag(FlagKind.MISSING_CRITICAL, "pneumothorax", "detail")
    assert flag.code == "missing_critical:pneumothorax"
    assert flag.as_dict() == {"kind": "missing_critical", "observation": "pneumothorax", "detail": "detail"}


def test_flags_are_sorted_unique_and_deterministic() -> None:
    findings = "Left pleural effusion. No pneumothorax."
    draft = "Right pleural effusion. Right pleural effusion. Small pneumothorax. Stable. Atelectasis."
    flags = flag_draft(findings, draft)
    assert _codes(flags) == [
        "negation_conflict:pneumothorax",
        "laterality_conflict:pleural_effusion",
        "unsupported_finding:atelectasis",
        "unsupported_comparison:comparison",
    ]
    assert flag_draft(findings, draft) == flags


def test_details_never_quote_the_report() -> None:
    # Given findings with a distinctive (identifying-looking) word
    flags = flag_draft("Patient Zqxname has a small right pneumothorax.", "No acute disease.")
    # Then the detail names the observation only
    assert flags and all("zqxname" not in flag.detail.lower() for flag in flags)


def test_the_vocabulary_is_consistent() -> None:
    names = {o.name for o in OBSERVATIONS}
    assert len(names) == len(OBSERVATIONS)
    for observation in OBSERVATIONS:
        assert observation.supported_by <= names, observation.name
        assert set(observation.implies) <= names, observation.name
    assert set(CRITICAL) <= names


def test_radiologists_own_impressions_are_rarely_flagged() -> None:
    # Given the bundled IU reports, When each radiologist's impression is checked against its findings
    pairs = load_pairs()
    flagged = sum(bool(flag_draft(p.findings, p.impression, comparison=p.comparison)) for p in pairs)

    # Then few are flagged (5.6% when written): the rules are not noise on real, faithful text
    assert len(pairs) == 2491
    assert flagged / len(pairs) < 0.08
