"""Safety flags on a drafted impression: where the draft contradicts, invents or omits what the findings say.

:func:`flag_draft` compares a draft with the findings it was drafted from and returns :class:`Flag` values
of five kinds (:class:`FlagKind`; the values are stable codes, stored with every result):

``negation_conflict``
    An observation negated in the findings and asserted in the draft ("No pneumothorax." / "Small right
    pneumothorax."), or asserted in the findings and negated in the draft.
``laterality_conflict``
    The draft puts an observation on a side the findings do not ("Left pleural effusion." / "Right pleural
    effusion."); bilateral counts as both sides.
``unsupported_finding``
    The draft asserts an observation the findings do not mention at all, nor anything that supports it
    (an opacity supports a pneumonia, a calcified nodule a granuloma, ...).
``missing_critical``
    A critical observation asserted in the findings is absent from the draft: pneumothorax (and tension),
    free air, pneumomediastinum, aortic dissection, a malpositioned tube or line, a large effusion, a new
    consolidation, an acute fracture (not an old or healed one), a mass.
``unsupported_comparison``
    The draft compares with a prior study ("unchanged", "stable", "compared with prior", "again seen")
    when the report has none: its comparison section is absent or says none, and the findings do not
    compare either.

**How the text is read (ConText-lite).** Observations come from our own CheXpert-like phrase lists
(:data:`OBSERVATIONS`, each with synonyms, phrases that state its absence such as "normal heart size", and
the observations that support it). A text is cut into sentences and clauses (``;``, ``:``); in each, the
mentions are the longest non-overlapping phrase matches, and a mention's status is set by the nearest
trigger in its scope, ConText style: pre-negation ("no", "without", "negative for", "free of",
"no evidence of", "clear of", ...) and pre-uncertainty ("possible", "may represent", "cannot exclude",
...) reach forward to the end of the sentence unless a termination term comes first ("but", "however",
"although", "except", "which", a clause end, or a comma that opens a new positive item such as ", small
left effusion"); post-negation ("is absent", "not seen", "has resolved") and post-uncertainty ("cannot be
excluded") reach back within their comma-delimited phrase; pseudo-triggers ("no change in", "no interval
change") assert; hypothetical triggers ("to exclude", "if", "recommend", "history of") make a mention
neither asserted nor negated, so "CT to exclude a mass" is no finding. The nearest trigger wins
("no effusion, possible pneumonia"). A mention is *positive* when present or possible.

A side (left, right, bilateral, bibasilar, RLL, lingula, ...) attaches to the mention that follows it in
the clause ("left pleural effusion"), or to the one before it after a preposition
("opacity in the right lower lobe"); "retrocardiac" counts as left.

**Measured** on the 2,491 bundled IU reports, the radiologists' own impressions (checked against their
findings and comparison sections) are flagged in 5.6% of reports, mostly unsupported findings where the
impression interprets beyond the findings' words ("hypoinflation" for lung volumes the IU mask hid); the
1-nearest-neighbour engine's drafts (leave-one-out) in about 12%.

**Why not medspaCy.** medspaCy runs ConText offline, but ``pip install medspacy`` (1.3.1, checked here)
brings 36 packages with it, spaCy 3.7 and thinc among them, and pins numpy back to 1.26 while this
environment runs numpy 2 for pyarrow and duckdb; the Lambda layer that ships this module would carry all
of it, and every cold start would load spaCy. What these short chest X-ray texts need is a dozen trigger
lists and a scope rule, which fit in this module, pure Python, importing only the standard library.

Everything here is pure and deterministic. Details name observations and sides, never quote report text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal, TypeVar

__all__ = [
    "CRITICAL",
    "OBSERVATIONS",
    "Flag",
    "FlagKind",
    "Mention",
    "Observation",
    "find_mentions",
    "flag_draft",
    "has_comparison",
    "mentions_comparison",
]

_T = TypeVar("_T")
Status = Literal["present", "possible", "absent", "hypothetical"]
Side = Literal["left", "right"]


class FlagKind(StrEnum):
    """The kinds of flag; each value is a stable code (stored, counted, shown in the dashboard)."""

    NEGATION_CONFLICT = "negation_conflict"
    LATERALITY_CONFLICT = "laterality_conflict"
    UNSUPPORTED_FINDING = "unsupported_finding"
    MISSING_CRITICAL = "missing_critical"
    UNSUPPORTED_COMPARISON = "unsupported_comparison"


@dataclass(frozen=True, slots=True)
class Flag:
    """One safety problem of a draft: its kind, the observation concerned (``comparison`` for the
    comparison flag) and a short human-readable detail."""

    kind: FlagKind
    observation: str
    detail: str

    @property
    def code(self) -> str:
        """``kind:observation``, stable across releases: one draft has at most one flag per code."""
        return f"{self.kind.value}:{self.observation}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "observation": self.observation, "detail": self.detail}


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

_BY_NAME: Mapping[str, Observation] = {o.name: o for o in OBSERVATIONS}


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

# --- triggers (ConText-lite) --------------------------------------------------------------------------------

_TriggerKind = Literal["pseudo", "neg_pre", "neg_post", "poss_pre", "poss_post", "hyp_pre", "neutral", "term"]

_TRIGGERS: tuple[tuple[_TriggerKind, str], ...] = (
    # pseudo-triggers: look like negation, assert the finding ("no change in the left effusion")
    (
        "pseudo",
        r"no (?:significant |interval |appreciable )?(?:change|increase|decrease|worsening)(?: in| of)?",
    ),
    ("pseudo", r"not (?:significantly )?changed"),
    ("pseudo", r"without (?:significant |interval )?change"),
    ("pseudo", r"not only"),
    ("pseudo", r"no longer than"),
    ("pseudo", r"(?:gram|culture)[- ]negative"),
    # pre-negation
    ("neg_pre", r"no"),
    ("neg_pre", r"not"),
    ("neg_pre", r"nor"),
    ("neg_pre", r"neither"),
    ("neg_pre", r"none"),
    ("neg_pre", r"without"),
    ("neg_pre", r"negative for"),
    ("neg_pre", r"free of"),
    ("neg_pre", r"clear of"),
    ("neg_pre", r"absence of"),
    (
        "neg_pre",
        r"no (?:(?:radiographic|definite|convincing|other|new) )?(?:evidence|signs?|findings?) "
        r"(?:of|for|to suggest)",
    ),
    ("neg_pre", r"(?:interval )?(?:resolution|clearing) of"),
    ("neg_pre", r"ruled out"),
    ("neg_pre", r"no longer"),
    ("neg_pre", r"never"),
    # post-negation
    ("neg_post", r"(?:(?:is|are|was|were) )?absent"),
    (
        "neg_post",
        r"(?:is |are |was |were )?not (?:been )?(?:(?:well|clearly|definitely|convincingly) )?"
        r"(?:seen|identified|present|visualized|visualised|"
        r"demonstrated|evident|appreciated|noted|detected|visible|apparent|shown|observed)",
    ),
    ("neg_post", r"(?:has |have )?(?:resolved|cleared|disappeared)"),
    ("neg_post", r"(?:is |are )?no longer (?:seen|present|visualized|evident|identified|visible|apparent)"),
    ("neg_post", r"(?:is |are |was |were )?(?:ruled out|excluded)"),
    ("neg_post", r"(?:is |are )?(?:unlikely|gone)"),
    # uncertainty
    ("poss_pre", r"possible|possibly|probable|probably|likely|presumed|presumably|questionable"),
    ("poss_pre", r"(?:may|could|might|can) (?:be|represent|reflect|indicate|suggest|relate to|be due to)"),
    ("poss_pre", r"(?:suspicious|concerning|worrisome) (?:for|of)"),
    ("poss_pre", r"suspect(?:ed)?"),
    ("poss_pre", r"question of"),
    ("poss_pre", r"(?:cannot|can not|can't) (?:entirely )?(?:exclude|rule out)"),
    ("poss_pre", r"(?:suggestive|suggesting|suggests|suggest) (?:of )?"),
    ("poss_pre", r"equivocal|borderline|versus|vs"),
    ("poss_pre", r"differential (?:diagnosis )?(?:includes?|considerations? include)?"),
    ("poss_pre", r"(?:raising|raises) (?:the )?(?:possibility|question|concern) (?:of|for)"),
    ("poss_post", r"(?:is |are )?not (?:be )?(?:entirely )?(?:excluded|ruled out)"),
    ("poss_post", r"(?:cannot|can not|can't) (?:be )?(?:entirely )?(?:excluded|ruled out)"),
    ("poss_post", r"(?:is |are )(?:possible|suspected|questioned|not excluded)"),
    # hypothetical: recommendations and conditions, neither asserted nor negated ("to exclude a mass")
    (
        "hyp_pre",
        r"if|in case of|(?:to )?(?:exclude|rule out)|(?:further )?evaluat(?:e|ion) (?:for|of)|assess for|"
        r"recommend\w*|follow-?up|consider(?:ed)?|screen(?:ing)? for|history of|h/o|risk of|"
        r"would|should",
    ),
    # neutral: words that look like a trigger inside another's scope ("no pleural line to suggest
    # pneumothorax"): they take the span and change nothing
    ("neutral", r"to suggest|to indicate"),
    # termination of a pre-trigger's scope
    ("term", r"but|however|although|though|whereas|while|except|aside from|apart from|which|otherwise"),
    ("term", r"with the exception of|and there (?:is|are)|there (?:is|are)"),
)
_TRIGGER_PATTERNS: tuple[tuple[re.Pattern[str], _TriggerKind], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), kind) for kind, pattern in _TRIGGERS
)
# a comma that opens a new positive item ends a pre-trigger's scope: "no pneumothorax, small left effusion"
_COMMA_ITEM = re.compile(
    r",\s*(?=(?:and\s+)?(?:a\s+|an\s+)?(?:small|tiny|trace|minimal|mild|mildly|moderate|large|massive|"
    r"left|right|bilateral|new|persistent|stable|increased|decreased|enlarged|possible|probable|"
    r"borderline|chronic|old|healed)\b)"
)
_LIST_GOES_ON = re.compile(r"\b(?:or|nor)\b")
_SENTENCE = re.compile(r"[.!?](?!\d)|\n|\r")
_BOUNDARY = re.compile(r"[.!?](?!\d)|[\n\r;:]")
_SIDE_RE = re.compile(
    r"\b(?:(?P<left>left|lt|lll|lul|lingula|lingular|retrocardiac)|(?P<right>right|rt|rll|rml|rul)|"
    r"(?P<both>bilateral|bilaterally|bibasilar|bibasal|bibasally|both))\b"
)
_PREPOSITION_BEFORE = re.compile(r"\b(?:on|in|at|of|within|involving|along|over|to|from|into)\s+(?:the\s+)?$")

_COMPARISON_LANGUAGE = re.compile(
    r"\b(?:unchanged|stable|stably|again|re-?demonstrat\w*|compared (?:with|to)|comparison (?:with|to)|"
    r"in comparison|(?:from|than|to|on|with|since) (?:the |a )?(?:prior|previous|earlier|outside|last)|"
    r"interval(?:ly)? (?:\w+ )?(?:change|increase|decrease|improvement|worsening|development|resolution|"
    r"removal|placement|growth|progression|enlargement|clearing|appearance|resolved|improved|increased|"
    r"decreased|worsened|developed|removed|placed|clearing)|"
    r"no (?:significant |appreciable )?change|previously (?:seen|noted|described|demonstrated|identified)|"
    r"persist\w*|improv(?:ed|ing|ement)|worsen\w*|progress(?:ed|ion|ing)|"
    r"(?:prior|previous|earlier) (?:study|studies|exam|examination|films?|radiographs?|x-?rays?))\b"
)
# a sentence that only wishes for a comparison ("comparison with prior films would be helpful") makes none
_WISHED_COMPARISON = re.compile(
    r"\b(?:would|may be (?:useful|helpful)|recommend\w*|useful|helpful|if (?:available|obtained)|"
    r"not available|unavailable|consider)\b"
)
_NO_COMPARISON = re.compile(
    r"^\W*(?:none|no|n/?a|nil|not available|unavailable)\b|^\W*$",
)


@dataclass(frozen=True, slots=True)
class Mention:
    """An observation mentioned in a text: its status, the sides stated for it, and whether (in findings)
    it is critical."""

    observation: str
    status: Status
    sides: frozenset[Side]
    critical: bool = False

    @property
    def positive(self) -> bool:
        """Asserted or raised as possible."""
        return self.status in ("present", "possible")

    @property
    def negated(self) -> bool:
        return self.status == "absent"


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    observation: str
    absent: bool


def _compile_mentions() -> list[tuple[re.Pattern[str], str, bool]]:
    compiled = []
    for observation in OBSERVATIONS:
        for phrases, absent in ((observation.phrases, False), (observation.absent_phrases, True)):
            if phrases:
                alternatives = "|".join(f"(?:{p})" for p in phrases)
                compiled.append((re.compile(rf"\b(?:{alternatives})\b"), observation.name, absent))
    return compiled


_MENTION_PATTERNS = _compile_mentions()


_Match = tuple[int, int, _T]


def _clauses(lower: str) -> list[tuple[int, int]]:
    """The (start, end) of each clause of ``lower``: sentences (``.`` not before a digit, ``!``, ``?``,
    line ends) cut at ``;`` and ``:``."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(lower):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(lower)))
    return bounds


def _per_clause(matches: Iterable[_Match[_T]], clauses: list[tuple[int, int]]) -> list[list[_Match[_T]]]:
    """Matches over the whole text, by clause, offsets made clause-relative; a match across clauses is
    dropped. Matching the whole text once per pattern (not each clause) keeps a report to ~100 scans."""
    starts = [start for start, _ in clauses]
    grouped: list[list[_Match[_T]]] = [[] for _ in clauses]
    for start, end, value in matches:
        index = bisect_right(starts, start) - 1
        clause_start, clause_end = clauses[index]
        if end <= clause_end:
            grouped[index].append((start - clause_start, end - clause_start, value))
    return grouped


def _spans(found: list[_Match[tuple[str, bool]]]) -> list[_Span]:
    """The longest non-overlapping observation phrases among ``found`` (one clause's), in order."""
    chosen: list[_Span] = []
    for start, end, (name, absent) in sorted(found, key=lambda m: (m[0] - m[1], m[0])):  # longest first
        if all(end <= other.start or start >= other.end for other in chosen):
            chosen.append(_Span(start, end, name, absent))
    return sorted(chosen, key=lambda s: s.start)


def _triggers(
    clause: str, found: list[_Match[_TriggerKind]], spans: list[_Span]
) -> list[tuple[int, int, _TriggerKind]]:
    """The longest non-overlapping triggers among ``found`` (one clause's) that overlap no mention, in order,
    with the commas that end a negation's scope."""
    chosen: list[tuple[int, int, _TriggerKind]] = []
    for trigger in sorted(found, key=lambda t: (t[0] - t[1], t[0])):  # longest first, then leftmost
        start, end, _ = trigger
        clear = all(end <= s.start or start >= s.end for s in spans)
        if clear and all(end <= other[0] or start >= other[1] for other in chosen):
            chosen.append(trigger)
    chosen.extend(
        (m.start(), m.start() + 1, "term")
        for m in _COMMA_ITEM.finditer(clause)
        if _LIST_GOES_ON.search(clause, m.end()) is None  # a list "..., large effusion, or ..." goes on
    )
    return sorted(chosen)


_TRIGGER_STATUS: Mapping[_TriggerKind, Status] = {
    "pseudo": "present",
    "neg_pre": "absent",
    "neg_post": "absent",
    "poss_pre": "possible",
    "poss_post": "possible",
    "hyp_pre": "hypothetical",
}


def _status(span: _Span, triggers: list[tuple[int, int, _TriggerKind]], clause: str) -> Status:
    """The status set by the nearest trigger whose scope reaches ``span``; present when none does."""
    if span.absent:
        return "absent"
    best: tuple[int, Status] | None = None
    for start, end, kind in triggers:
        if kind in ("term", "neutral"):
            continue
        if end <= span.start and kind in ("pseudo", "neg_pre", "poss_pre", "hyp_pre"):
            between = (t for t in triggers if t[2] == "term" and t[0] >= end and t[1] <= span.start)
            if next(between, None) is not None:
                continue
            distance = span.start - end
        elif start >= span.end and kind in ("neg_post", "poss_post"):
            if "," in clause[span.end : start]:
                continue
            distance = start - span.end
        else:
            continue
        status = _TRIGGER_STATUS[kind]
        if best is None or distance < best[0]:
            best = (distance, status)
    return "present" if best is None else best[1]


def _sides(clause: str, spans: list[_Span]) -> list[set[Side]]:
    """The sides attached to each span of ``clause`` (see the module docstring)."""
    sides: list[set[Side]] = [set() for _ in spans]
    for match in _SIDE_RE.finditer(clause):
        group = match.lastgroup
        named: set[Side] = (
            {"left"} if group == "left" else {"right"} if group == "right" else {"left", "right"}
        )
        inside = [i for i, s in enumerate(spans) if s.start <= match.start() and match.end() <= s.end]
        before = [i for i, s in enumerate(spans) if s.end <= match.start()]
        after = [i for i, s in enumerate(spans) if s.start >= match.end()]
        if inside:
            target = inside[0]
        elif before and _PREPOSITION_BEFORE.search(clause, 0, match.start()):
            target = before[-1]
        elif after:
            target = after[0]
        elif before:
            target = before[-1]
        else:
            continue
        sides[target] |= named
    return sides


def _critical(name: str, window: str) -> bool:
    rule = CRITICAL.get(name)
    if rule is None:
        return False
    if rule.requires is not None and rule.requires.search(window) is None:
        return False
    return rule.excludes is None or rule.excludes.search(window) is None


@lru_cache(maxsize=8192)
def find_mentions(text: str) -> tuple[Mention, ...]:
    """The observations ``text`` mentions, in order, each with its status and sides; a mention of an
    observation that implies another (tension pneumothorax) also yields the implied one."""
    lower = text.lower()
    clauses = _clauses(lower)
    phrases = _per_clause(
        (
            (match.start(), match.end(), (name, absent))
            for pattern, name, absent in _MENTION_PATTERNS
            for match in pattern.finditer(lower)
        ),
        clauses,
    )
    cues = _per_clause(
        (
            (match.start(), match.end(), kind)
            for pattern, kind in _TRIGGER_PATTERNS
            for match in pattern.finditer(lower)
            if match.end() > match.start()
        ),
        clauses,
    )
    mentions: list[Mention] = []
    for (start, end), found, triggered in zip(clauses, phrases, cues, strict=True):
        if not found:
            continue
        clause = lower[start:end]
        spans = _spans(found)
        triggers = _triggers(clause, triggered, spans)
        sides = _sides(clause, spans)
        for index, span in enumerate(spans):
            left = spans[index - 1].end if index > 0 else 0
            right = spans[index + 1].start if index + 1 < len(spans) else len(clause)
            comma = clause.rfind(",", left, span.start)
            window = clause[max(left, comma + 1) : right]
            status = _status(span, triggers, clause)
            side = frozenset(sides[index])
            for name in (span.observation, *_BY_NAME[span.observation].implies):
                critical = status in ("present", "possible") and _critical(name, window)
                mentions.append(Mention(name, status, side, critical))
    return tuple(mentions)


def mentions_comparison(text: str) -> bool:
    """Whether ``text`` compares with a prior study ("unchanged", "stable", "compared with prior", ...);
    a sentence that only wishes for one ("comparison with prior films would be helpful") does not."""
    return any(
        _COMPARISON_LANGUAGE.search(sentence) is not None and _WISHED_COMPARISON.search(sentence) is None
        for sentence in _SENTENCE.split(text.lower())
    )


def has_comparison(comparison: str | None, findings: str) -> bool:
    """Whether the report has a prior to compare with: a comparison section that does not say none
    ("None.", "No prior", "N/A"), or findings that themselves compare. ``None`` means no section."""
    if comparison is not None and _NO_COMPARISON.search(comparison.lower()) is None:
        return True
    return mentions_comparison(findings)


# --- the flags ----------------------------------------------------------------------------------------------


def _side_text(sides: Iterable[Side]) -> str:
    named = set(sides)
    return "bilateral" if named == {"left", "right"} else next(iter(named), "unspecified side")


def _overlap(a: frozenset[Side], b: frozenset[Side]) -> bool:
    """Whether two mentions may be about the same side: either unspecified, or a side in common."""
    return not a or not b or bool(a & b)


def _label(name: str) -> str:
    return name.replace("_", " ")


def flag_draft(findings: str, draft: str, *, comparison: str | None = None) -> tuple[Flag, ...]:
    """The safety flags of ``draft`` against the ``findings`` it was drafted from, at most one per code,
    sorted by kind (in :class:`FlagKind` order) then observation.

    ``comparison`` is the report's comparison section, if any (see :func:`has_comparison`).
    """
    found = find_mentions(findings)
    drafted = find_mentions(draft)
    flags: dict[str, Flag] = {}

    def add(kind: FlagKind, observation: str, detail: str) -> None:
        flags.setdefault(f"{kind.value}:{observation}", Flag(kind, observation, detail))

    by_name: dict[str, list[Mention]] = {}
    for mention in found:
        by_name.setdefault(mention.observation, []).append(mention)

    def positive(name: str) -> list[Mention]:
        return [m for m in by_name.get(name, ()) if m.positive]

    for mention in drafted:
        name = mention.observation
        stated = by_name.get(name, [])
        asserted = positive(name)
        negated = [m for m in stated if m.negated]
        if mention.positive:
            supporters = [m for other in _BY_NAME[name].supported_by for m in positive(other)]
            if asserted or (supporters and not negated):
                allowed = frozenset[Side]().union(*(m.sides for m in (*asserted, *supporters)))
                if mention.sides and allowed and not mention.sides <= allowed:
                    add(
                        FlagKind.LATERALITY_CONFLICT,
                        name,
                        f"the draft says {_side_text(mention.sides)} {_label(name)}; "
                        f"the findings say {_side_text(allowed)}",
                    )
            elif negated and any(_overlap(m.sides, mention.sides) for m in negated):
                add(
                    FlagKind.NEGATION_CONFLICT,
                    name,
                    f"the findings negate {_label(name)}; the draft asserts it",
                )
            else:
                add(
                    FlagKind.UNSUPPORTED_FINDING,
                    name,
                    f"the draft mentions {_label(name)}, which the findings do not",
                )
        elif mention.negated and any(_overlap(m.sides, mention.sides) for m in asserted):
            add(
                FlagKind.NEGATION_CONFLICT,
                name,
                f"the findings assert {_label(name)}; the draft negates it",
            )

    covered = {m.observation for m in drafted if m.positive}
    for mention in found:
        name = mention.observation
        if not mention.critical or f"{FlagKind.NEGATION_CONFLICT.value}:{name}" in flags:
            continue  # a draft that denies it is flagged as a negation conflict already
        if name not in covered and not CRITICAL[name].covered_by & covered:
            add(
                FlagKind.MISSING_CRITICAL,
                name,
                f"the findings report {CRITICAL[name].label}; the draft does not mention it",
            )

    if mentions_comparison(draft) and not has_comparison(comparison, findings):
        add(
            FlagKind.UNSUPPORTED_COMPARISON,
            "comparison",
            "the draft compares with a prior study; the report has no comparison",
        )
    order = {kind: i for i, kind in enumerate(FlagKind)}
    return tuple(sorted(flags.values(), key=lambda f: (order[f.kind], f.observation)))
