"""CheXpert observations from report text, and observation F1 between a draft and the radiologist."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.language.chexpert import CHEXPERT, NO_FINDING, Label, label_text, positive_observations
from radimpress.scoring.observations import observation_f1, observation_summary

P, U, N = Label.POSITIVE, Label.UNCERTAIN, Label.NEGATIVE


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("No acute cardiopulmonary abnormality.", {NO_FINDING: P}),
        ("Cardiomegaly. No pleural effusion.", {"Cardiomegaly": P, "Pleural Effusion": N}),
        ("Possible right lower lobe pneumonia.", {"Pneumonia": U}),
        ("Small right pneumothorax.", {"Pneumothorax": P}),
        ("No pneumothorax or pleural effusion.", {"Pneumothorax": N, "Pleural Effusion": N, NO_FINDING: P}),
        ("Calcified granuloma in the left upper lobe.", {"Lung Lesion": P}),
        ("Left basilar atelectasis. Endotracheal tube in place.", {"Atelectasis": P, "Support Devices": P}),
        ("Mild pulmonary edema and bilateral effusions.", {"Edema": P, "Pleural Effusion": P}),
        ("Recommend CT to exclude a mass.", {NO_FINDING: P}),
        ("Normal heart size. Acute left rib fracture.", {"Cardiomegaly": N, "Fracture": P}),
    ],
)
def test_labels_of_impressions(text: str, labels: dict[str, Label]) -> None:
    assert label_text(text) == labels


def test_positive_wins_over_uncertain_and_negative() -> None:
    # Given a text that negates, raises and then asserts an effusion
    labels = label_text("No effusion on the right. Possible left effusion. Small left pleural effusion.")
    # Then the strongest statement is the label
    assert labels["Pleural Effusion"] is P


def test_support_devices_alone_still_is_no_finding() -> None:
    assert positive_observations("Endotracheal tube in good position. Lungs clear.") == {
        NO_FINDING,
        "Support Devices",
    }


def test_the_fourteen_observations() -> None:
    assert len(CHEXPERT) == 14
    assert CHEXPERT[0] == NO_FINDING


def test_observation_f1_of_a_draft() -> None:
    # The abnormal finding made it: full agreement; the normal template for an abnormal study: none
    assert observation_f1("Small left pleural effusion.", "Small left effusion.") == 1.0
    assert observation_f1("No acute disease.", "Small left pleural effusion.") == 0.0
    # half of two observations: precision 1, recall 1/2 -> F1 2/3
    assert observation_f1("Cardiomegaly.", "Cardiomegaly and pulmonary edema.") == pytest.approx(2 / 3)


def test_summary_counts_micro_and_per_observation() -> None:
    # Given three reports: one right, one missing the edema, one with an invented effusion
    summary = observation_summary(
        [
            ("Cardiomegaly.", "Cardiomegaly."),
            ("Cardiomegaly.", "Cardiomegaly and edema."),
            ("Small effusion.", "No acute disease."),
        ]
    )
    # Then micro counts are summed over reports: tp 2, fp 1 (effusion), fn 2 (edema, no finding)
    assert (summary.overall.tp, summary.overall.fp, summary.overall.fn) == (2, 1, 2)
    assert summary.overall.f1 == pytest.approx(4 / 7)
    cardiomegaly = summary.per_observation["Cardiomegaly"]
    assert (cardiomegaly.tp, cardiomegaly.fp, cardiomegaly.fn) == (2, 0, 0)
    assert summary.per_observation["Edema"].recall == 0.0
    per_observation = summary.as_dict()["per_observation"]
    assert isinstance(per_observation, dict)
    assert per_observation["Edema"]["support"] == 1


_SENTENCES = st.sampled_from(
    [
        "No pleural effusion or pneumothorax is seen.",
        "There is a small right apical pneumothorax.",
        "The heart is mildly enlarged.",
        "Possible left lower lobe pneumonia.",
        "Calcified granuloma in the right upper lobe.",
        "Healed left rib fractures.",
        "Lungs are clear without focal consolidation.",
    ]
)


@given(
    st.lists(_SENTENCES, min_size=1, max_size=5),
    st.integers(10, 80),
    st.sampled_from(["\n", "\r\n", "\\.br\\"]),
)
def test_labels_do_not_depend_on_wrapping(sentences: list[str], width: int, newline: str) -> None:
    flat = " ".join(sentences)
    wrapped = newline.join(textwrap.wrap(flat, width=width, break_long_words=False))
    assert label_text(wrapped) == label_text(flat)
