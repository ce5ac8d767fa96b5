"""The 14 CheXpert observations a chest X-ray text states, each positive, uncertain or negative.

CheXpert (Irvin et al., 2019) labels a report with 14 observations; comparing the labels of a draft with
those of the radiologist's impression tells whether the clinical content made it, which ROUGE does not (a
draft that copies the normal template scores well on ROUGE and misses the one abnormal finding). This
labeler is rule-based and offline: it reads mentions with the ConText-lite reader the safety flags use
(:func:`radimpress.language.mentions.find_mentions`, our own phrase lists and trigger rules) and maps each
of its observations onto the CheXpert classes below. No model and no download: the published CheXpert and
CheXbert labelers need their phrase files or weights, which these machines cannot fetch.

Per observation, the label is the strongest of its mentions: positive (asserted) over uncertain
("possible", "cannot exclude") over negative ("no", "without", "normal heart size"); a hypothetical
mention ("to exclude pneumonia") is no label. "No Finding" is positive when no other observation except
Support Devices is positive or uncertain, as in CheXpert.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from radimpress.language.mentions import find_mentions

__all__ = ["CHEXPERT", "NO_FINDING", "Label", "label_text", "positive_observations"]


class Label(StrEnum):
    POSITIVE = "positive"
    UNCERTAIN = "uncertain"
    NEGATIVE = "negative"


NO_FINDING: Final = "No Finding"
# CheXpert class -> the observations of our vocabulary that mention it
_CLASSES: Final[Mapping[str, tuple[str, ...]]] = {
    "Enlarged Cardiomediastinum": ("enlarged_cardiomediastinum",),
    "Cardiomegaly": ("cardiomegaly",),
    "Lung Lesion": ("nodule", "mass", "malignancy", "granuloma"),
    "Lung Opacity": ("opacity", "airspace_disease", "interstitial_opacity"),
    "Edema": ("edema",),
    "Consolidation": ("consolidation",),
    "Pneumonia": ("pneumonia",),
    "Atelectasis": ("atelectasis",),
    "Pneumothorax": ("pneumothorax", "tension_pneumothorax"),
    "Pleural Effusion": ("pleural_effusion",),
    "Pleural Other": ("pleural_thickening",),
    "Fracture": ("fracture",),
    "Support Devices": ("support_device", "malpositioned_device", "sternotomy"),
}
CHEXPERT: Final[tuple[str, ...]] = (NO_FINDING, *_CLASSES)
_CLASS_OF: Final = {
    observation: name for name, observations in _CLASSES.items() for observation in observations
}
_STRENGTH: Final = {Label.NEGATIVE: 0, Label.UNCERTAIN: 1, Label.POSITIVE: 2}
_STATUS: Final = {"present": Label.POSITIVE, "possible": Label.UNCERTAIN, "absent": Label.NEGATIVE}


def label_text(text: str) -> dict[str, Label]:
    """The CheXpert observations ``text`` states, with their labels; an observation not stated is absent.

    Line breaks are soft (:func:`~radimpress.language.mentions.find_mentions` reflows), so a wrapped
    text is labelled as its one-line form.
    """
    labels: dict[str, Label] = {}
    if not any(character.isalpha() for character in text):
        return labels  # an empty draft (an abstention) states nothing, not even a normal study
    for mention in find_mentions(text):
        name = _CLASS_OF.get(mention.observation)
        label = _STATUS.get(mention.status)
        if name is None or label is None:
            continue
        if name not in labels or _STRENGTH[label] > _STRENGTH[labels[name]]:
            labels[name] = label
    if not any(label is not Label.NEGATIVE for name, label in labels.items() if name != "Support Devices"):
        labels[NO_FINDING] = Label.POSITIVE
    return labels


def positive_observations(text: str) -> frozenset[str]:
    """The observations ``text`` states as present or possible ("No Finding" included when it holds)."""
    return frozenset(name for name, label in label_text(text).items() if label is not Label.NEGATIVE)
