"""The observations report sentences state, the phrases that mention them, and which are critical.

:data:`OBSERVATIONS` is our own CheXpert-like vocabulary of chest X-ray findings: each :class:`Observation`
has the phrases that mention it (synonyms, as regular expressions), phrases that state its absence ("normal
heart size"), the observations whose presence supports it (an opacity supports a pneumonia) and those a
mention of it also mentions (a tension pneumothorax is a pneumothorax). :data:`CRITICAL` names the
observations that must not go unreported, with the words around a mention that make it critical (a *large*
effusion, a *new* consolidation) or not (an *old* fracture). They are data, kept apart from the reader
(:mod:`radimpress.language.mentions`) and from what is done with its mentions (the safety flags in
:mod:`radimpress.drafting.safety`), so a phrase can be added without reading either. Pure; standard library
only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["BY_NAME", "CRITICAL", "OBSERVATIONS", "Observation"]


@dataclass(frozen=True, slots=True)
class Observation:
    """A finding the flags know: its name, the phrases that mention it (regular expressions, matched as
    whole words in lowercase text), phrases that state its absence, the observations whose presence in
    the findings supports a draft asserting it, and the observations a mention of it also mentions."""

    name: str
    phrases: tuple[str, ...]
    absent_phrases: tuple[str, ...] = ()
    supported_by: frozenset[str] = frozenset()
    implies: tuple[str, ...] = ()


def _obs(
    name: str,
    *phrases: str,
    absent: tuple[str, ...] = (),
    supported_by: Iterable[str] = (),
    implies: tuple[str, ...] = (),
) -> Observation:
    return Observation(name, phrases, absent, frozenset(supported_by), implies)


_SIDE_WORDS = r"(?:left|right|bilateral|both)"

OBSERVATIONS: tuple[Observation, ...] = (
    _obs(
        "cardiomegaly",
        r"cardiomegaly",
        r"cardiac enlargement",
        r"enlarged (?:heart|cardiac silhouette|cardiac shadow)",
        r"enlargement of the (?:heart|cardiac silhouette)",
        # "the heart is again mildly enlarged", "cardiac silhouette remains moderately enlarged"
        r"(?:heart|heart size|cardiac size|cardiac silhouette|cardiac shadow|cardiac contour)"
        r"(?: (?!not\b|no\b)\w+){0,4}? (?:enlarged|large)",
        r"enlarged cardiac contours?",
        absent=(
            r"normal (?:heart size|cardiac size|size of the heart|heart|cardiac silhouette|"
            r"cardiac contours?)",
            r"(?:heart|heart size|cardiac size|cardiac silhouette|cardiomediastinal silhouette|"
            r"cardiomediastinal contours?|cardiac contours?) (?:is |are |appears |appear )?"
            r"(?:within normal limits|normal(?: in size)?|unremarkable)",
            r"heart (?:size )?(?:is )?not enlarged",
        ),
        supported_by=("enlarged_cardiomediastinum",),
    ),
    _obs(
        "enlarged_cardiomediastinum",
        r"enlarged cardiomediastinal (?:silhouette|contours?)",
        r"cardiomediastinal (?:silhouette|contours?) (?:is |are )?(?:mildly |moderately )?enlarged",
        r"widen(?:ed|ing) (?:of the )?(?:superior )?mediastinum",
        r"mediastinal widening",
        r"mediastinum (?:is )?widened",
        supported_by=("cardiomegaly",),
    ),
    _obs(
        "pleural_effusion",
        r"(?:pleural )?effusions?",
        r"pleural fluid",
        r"hydrothorax",
        # IU masks "angles" as XXXX: "blunted costophrenic XXXX", "costophrenic XXXX are blunted"
        r"blunt(?:ing|ed)? (?:of )?(?:the )?(?:(?:left|right|bilateral|posterior) )?(?:costophrenic|cp) "
        r"(?:angles?|sulci|sulcus|recess(?:es)?|xxxx)",
        r"(?:costophrenic|cp) (?:angles? |sulci |sulcus |recess(?:es)? |xxxx )?(?:(?:is|are) )?"
        r"(?:(?:mildly|slightly|minimally) )?blunt(?:ing|ed)",
    ),
    _obs("pericardial_effusion", r"pericardial (?:effusions?|fluid)"),
    _obs(
        "pneumothorax", r"(?:hemo|hydro)?pneumothora(?:x|ces)", r"ptx", supported_by=("tension_pneumothorax",)
    ),
    _obs(
        "tension_pneumothorax",
        r"tension pneumothorax",
        r"tension physiology",
        implies=("pneumothorax",),
    ),
    _obs(
        "consolidation",
        r"consolidat\w*",
        r"lobar pneumonia",
        supported_by=("opacity", "airspace_disease", "pneumonia"),
    ),
    _obs(
        "pneumonia",
        r"(?:broncho)?pneumonia",
        r"pneumonitis",
        r"infectious (?:process|etiology)",
        r"infection",
        r"aspiration",
        supported_by=("consolidation", "opacity", "airspace_disease", "interstitial_opacity"),
    ),
    _obs(
        "opacity",
        r"opacit(?:y|ies)",
        r"opacification",
        r"opacified",
        r"densit(?:y|ies)",
        r"haziness",
        r"hazy",
        supported_by=(
            "airspace_disease",
            "consolidation",
            "pneumonia",
            "atelectasis",
            "edema",
            "nodule",
            "mass",
            "granuloma",
            "fibrosis",
            "interstitial_opacity",
        ),
    ),
    # kept apart from opacity: "no acute infiltrate" beside chronic opacities is no contradiction
    _obs(
        "airspace_disease",
        r"infiltrates?",
        r"infiltrat(?:ion|ive (?:process|disease|changes?))",
        r"air ?-?space (?:disease|process|opacit(?:y|ies)|consolidation|densit(?:y|ies))",
        r"alveolar (?:opacit(?:y|ies)|process|disease|infiltrates?)",
        supported_by=("opacity", "consolidation", "pneumonia", "interstitial_opacity"),
    ),
    _obs(
        "low_lung_volumes",
        r"low (?:lung )?volumes?",
        r"(?:lung )?volumes? (?:are |is )?(?:\w+ )?(?:low|decreased|reduced|diminished)",
        r"(?:under|hypo) ?-?(?:inflat|expan|aerat)\w*",
        r"(?:poor|shallow|suboptimal) inspiration(?:al effort)?",
    ),
    _obs(
        "interstitial_opacity",
        r"interstitial (?:markings?|opacit(?:y|ies)|prominence|pattern|changes?|thickening|process|"
        r"infiltrates?|disease)",
        r"reticular (?:opacit(?:y|ies)|markings?|pattern|changes?)",
        r"prominent interstitium|interstitium (?:is )?prominent",
        r"reticulonodular (?:opacit(?:y|ies)|markings?|pattern|changes?)",
        supported_by=("edema", "fibrosis", "pneumonia", "opacity"),
    ),
    _obs(
        "atelectasis",
        r"atelecta\w*",
        r"volume loss",
        r"collapsed? (?:lung|lobe)",
        r"(?:lobar|lung|lobe) collapse",
        supported_by=("opacity", "airspace_disease", "consolidation", "low_lung_volumes"),
    ),
    _obs(
        "edema",
        r"(?:pulmonary |interstitial |alveolar )?o?edema",
        r"(?:pulmonary )?(?:vascular|venous) congestion",
        r"pulmonary congestion",
        r"congestive (?:heart )?failure",
        r"chf",
        r"(?:fluid|volume) overload",
        r"kerley b?\s*lines?",
        r"cephalization",
        r"(?:pulmonary )?vascular (?:prominence|engorgement|redistribution)",
        r"(?:prominent|engorged|indistinct) (?:central )?(?:pulmonary )?vascula\w*",
        supported_by=("opacity", "airspace_disease", "interstitial_opacity"),
    ),
    _obs("nodule", r"nodul\w*", supported_by=("granuloma", "mass")),
    _obs(
        "granuloma",
        r"granulomas?",
        r"granulomatous (?:disease|changes?|process|infection|sequela\w*)",
        r"calcified (?:nodules?|granulomas?|(?:lymph |hilar |mediastinal )?nodes?)",
        supported_by=("nodule",),
    ),
    _obs("mass", r"mass(?:es)?", r"mass lesions?", r"tumou?rs?", supported_by=("nodule",)),
    _obs(
        "malignancy",
        r"malignan\w*",
        r"neoplas\w*",
        r"carcinoma",
        r"cancer",
        r"metasta\w*",
        r"lymphoma",
        supported_by=("mass", "nodule"),
    ),
    _obs("fracture", r"fractur\w*", r"fx", r"(?:compression|wedge|wedging)(?: \w+)? deformit(?:y|ies)"),
    _obs(
        "emphysema",
        r"emphysema\w*",
        r"copd",
        r"chronic obstructive (?:pulmonary|lung|airway) disease",
        r"obstructive (?:lung|airway) disease",
        r"hyperinflat\w*",
        r"hyperexpan\w*",
        r"hyperaerat\w*",
        r"over ?inflat\w*",
        r"over ?expan\w*",
        r"air trapping",
        r"flatten(?:ed|ing) (?:of )?(?:the )?(?:hemi-?)?diaphragms?",
        r"(?:hemi-?)?diaphragms? (?:is |are )?(?:\w+ )?flatten(?:ed|ing)",
        r"bullae",
        r"bullous (?:disease|changes?)",
    ),
    _obs(
        "fibrosis",
        r"scar(?:s|ring|red)?",
        r"fibros\w*",
        r"fibrotic",
        r"fibronodular",
        r"strand(?:s|ing)",
        r"interstitial lung disease",
        r"honeycomb\w*",
        supported_by=("interstitial_opacity", "opacity"),
    ),
    _obs(
        "pleural_thickening",
        r"pleural (?:thickening|plaques?|calcifications?|scarring)",
        r"(?:apical )?pleural capping",
        r"apical capping",
    ),
    _obs("hernia", r"hernia\w*"),
    _obs(
        "lymphadenopathy",
        r"lymphadenopath\w*",
        r"adenopath\w*",
        r"(?:enlarged|prominent) (?:lymph )?nodes?",
        r"hilar (?:enlargement|fullness|prominence)",
    ),
    _obs(
        "pneumoperitoneum",
        r"pneumoperitoneum",
        r"free (?:intraperitoneal |intra-abdominal |subdiaphragmatic |abdominal )?air",
        r"(?:sub-?diaphragmatic|intraperitoneal) (?:free )?air",
        r"air (?:under|beneath) the (?:(?:left|right) )?(?:hemi-?)?diaphragms?",
    ),
    _obs("pneumomediastinum", r"pneumomediastinum", r"mediastinal (?:free )?air", r"mediastinal emphysema"),
    _obs(
        "subcutaneous_emphysema", r"subcutaneous (?:emphysema|air|gas)", r"soft tissue (?:emphysema|air|gas)"
    ),
    _obs("aortic_dissection", r"(?:aortic )?dissection", r"intimal flap"),
    _obs(
        "malpositioned_device",
        r"mal-?position\w*",
        r"misplace\w*",
        r"(?:esophageal|(?:(?:right|left) )?main-? ?stem(?: bronchus)?) intubation",
        r"(?:tube|catheter|line|tip)\b[^.;:]{0,40}?\b(?:(?:in|into|within|at) the )?"
        r"(?:right|left) main-? ?stem",
        r"coiled in the (?:esophagus|neck|pharynx|hypopharynx)",
    ),
    _obs(
        "support_device",
        r"(?:endotracheal|et|nasogastric|ng|orogastric|og|feeding|dobhoff|chest|thoracostomy|"
        r"tracheostomy|enteric) tubes?",
        r"ett",
        r"tracheostomy",
        r"picc(?: lines?)?",
        r"(?:central (?:venous )?|venous |swan[- ]ganz |pulmonary artery |dialysis )(?:lines?|catheters?)",
        r"catheters?",
        r"port-?a-?cath",
        r"pacemakers?",
        r"pacer",
        r"(?:aicd|icd|defibrillator)",
        r"(?:pacemaker|pacer|pacing|defibrillator) (?:leads?|wires?|generator)",
        r"stents?",
        r"(?:surgical )?clips",
        r"hardware",
        r"prosthe\w*",
        supported_by=("malpositioned_device",),
    ),
    _obs(
        "sternotomy",
        r"(?:median )?sternotomy",
        r"sternal (?:wires?|sutures?)",
        r"cabg",
        r"coronary (?:artery )?bypass(?: grafting)?",
    ),
    _obs("cystic_fibrosis", r"cystic fibrosis", supported_by=("bronchiectasis",)),
    _obs("cavity", r"cavit(?:y|ies|ary|ation)"),
    _obs("bronchiectasis", r"bronchiecta\w*"),
    _obs(
        "elevated_hemidiaphragm",
        r"elevat(?:ed|ion) (?:of )?(?:the )?(?:(?:left|right) )?(?:hemi-?)?diaphragms?",
        r"(?:hemi-?)?diaphragms? (?:is |are )?(?:mildly |slightly |markedly )?elevated",
    ),
    _obs("scoliosis", r"\w*scolio\w*", r"kyphos\w*", r"kyphotic"),
    _obs(
        "degenerative_changes",
        r"degenerat\w*",
        r"spondylo\w*",
        r"osteophyt\w*",
        r"arthrit\w*",
        r"arthropath\w*",
        r"djd|ddd",
    ),
    _obs("osteopenia", r"osteopeni\w*", r"demineraliz\w*", r"osteoporo\w*"),
    _obs(
        "aortic_atherosclerosis",
        r"atheroscleros\w*",
        r"atherosclerotic",
        r"(?:aortic|vascular|arterial) calcifications?",
        r"calcified (?:aorta|aortic (?:knob|knuckle|arch))",
        r"calcification of the aort\w*",
    ),
    _obs("aortic_tortuosity", r"tortu\w*", r"ectatic", r"ectasia", r"unfold(?:ed|ing)"),
    _obs("aortic_aneurysm", r"aneurysm\w*", r"dilat\w* (?:of )?(?:the )?(?:thoracic )?aort\w*"),
)

BY_NAME: Mapping[str, Observation] = {o.name: o for o in OBSERVATIONS}


@dataclass(frozen=True, slots=True)
class _Critical:
    """When a positive mention in the findings is critical: ``requires`` / ``excludes`` (regular
    expressions) are looked for in the words around the mention (its phrase within the clause)."""

    label: str
    requires: re.Pattern[str] | None = None
    excludes: re.Pattern[str] | None = None
    covered_by: frozenset[str] = frozenset()  # observations that, in a draft, report it too


CRITICAL: Mapping[str, _Critical] = {
    "pneumothorax": _Critical("pneumothorax"),
    "tension_pneumothorax": _Critical("tension pneumothorax"),
    "pneumoperitoneum": _Critical("free air"),
    "pneumomediastinum": _Critical("pneumomediastinum"),
    "aortic_dissection": _Critical("aortic dissection"),
    "malpositioned_device": _Critical("malpositioned tube or line"),
    "pleural_effusion": _Critical(
        "large pleural effusion", requires=re.compile(r"\b(?:large|massive|huge|moderate(?: to |-)large)\b")
    ),
    "consolidation": _Critical(
        "new consolidation",
        requires=re.compile(r"\b(?:new|newly|developing)\b"),
        covered_by=frozenset({"pneumonia"}),
    ),
    "fracture": _Critical(
        "acute fracture",
        excludes=re.compile(
            r"\b(?:old|healed|healing|remote|chronic|prior|previous|stable|known|ununited|nonunited|"
            r"un-united|non-united|deformity|deformities|remodeled|again|re-?demonstrated|unchanged|"
            r"persistent|age[- ]indeterminate)\b"
        ),
    ),
    "mass": _Critical("mass", covered_by=frozenset({"malignancy"})),
}
