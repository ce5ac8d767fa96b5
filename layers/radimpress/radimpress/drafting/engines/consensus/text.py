"""How the engine reads and words sentences: which words report something, phrases, finding concepts.

A findings sentence *reports something* when it asserts a word that no normal findings sentence is made of;
its *content words* are the asserted words that carry a finding. Composed candidates word a findings
sentence as an impression phrase (:func:`trim`, :func:`first_clause`, :func:`impression_order`), and
re-grounding compares the finding concepts a text asserts and negates (:func:`concepts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from radimpress.language.normal import NORMAL_WORDS, is_normal_impression
from radimpress.language.statements import finding_concepts, split_sentences, state

__all__ = [
    "concepts",
    "content_words",
    "first_clause",
    "impression_order",
    "normal_first",
    "reports_something",
    "sentence_concepts",
    "trim",
]

_LEADING = re.compile(
    r"^(?:there\s+(?:is|are|has\s+been|have\s+been|was|were)|the|again|also|however,?|otherwise,?"
    r"|overall|in\s+addition,?|additionally,?)\s+",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"\s+(?:is|are)\s+(?:again\s+)?(?:noted|seen|present|identified|demonstrated|visualized)\s*$",
    re.IGNORECASE,
)
_CLAUSE_CUT = re.compile(
    r",|\s(?:which|that|consistent with|compatible with|measuring|likely|possibly|probably|suggesting|"
    r"representing|XXXX representing|may represent|could represent)\s",
    re.IGNORECASE,
)
_ENLARGED_HEART = re.compile(
    r"^(?:heart(?:\s+size)?|cardiac\s+(?:silhouette|size)|cardiomediastinal\s+silhouette)\s+(?:is|appears|remains)"
    r"\s+(?:(?P<degree>mildly|moderately|markedly|severely|slightly|borderline)\s+)?enlarged$",
    re.IGNORECASE,
)
_DEGREE = {
    "mildly": "Mild",
    "slightly": "Mild",
    "moderately": "Moderate",
    "markedly": "Marked",
    "severely": "Severe",
    "borderline": "Borderline",
}
_PREDICATE = re.compile(
    r"^(?P<subject>[A-Za-z][A-Za-z -]{2,40}?)\s+(?:is|are|remains|remain|appears|appear)\s+(?:again\s+)?"
    r"(?:(?P<degree>mildly|moderately|markedly|severely|slightly|minimally)\s+)?"
    r"(?P<state>hyperexpanded|hyperinflated|hypoinflated|hypoexpanded|elevated|low|enlarged|tortuous|prominent"
    r"|calcified|blunted|widened|ectatic|flattened|atherosclerotic|unfolded)$",
    re.IGNORECASE,
)

# Words a findings sentence reporting nothing is made of, besides those of a normal impression
# ("heart size is within normal limits", "visualized osseous structures are intact").
_FINDINGS_NORMAL_TEXT = """
    size within limits silhouette cardiomediastinal vascularity vasculature caliber contour contours intact
    osseous structures visualized focal airspace air space consolidation pneumothorax effusion effusions
    mediastinum hilar hila heart top mildly well expanded inflated volumes normally pulmonary bony remain
    remains again is are has have unremarkable grossly aorta
"""
_FINDINGS_NORMAL_WORDS = NORMAL_WORDS | frozenset(_FINDINGS_NORMAL_TEXT.split())
# Words that carry no finding: a candidate's content is what is left.
_HEDGES = (
    "the a an of and or is are there in to with on at be as by this that which may could likely possibly"
)
_FUNCTION_WORDS = _FINDINGS_NORMAL_WORDS | frozenset([*_HEDGES.split(), "probably"])


def content_words(asserted: Iterable[str]) -> frozenset[str]:
    return frozenset(word for word in asserted if word not in _FUNCTION_WORDS)


def reports_something(sentence: str) -> bool:
    """Whether a findings sentence asserts a word that no normal findings sentence is made of."""
    return any(word not in _FINDINGS_NORMAL_WORDS for word in state(sentence).asserted)


def trim(sentence: str) -> str:
    """A findings sentence as an impression phrase: leading "There is", "The" and trailing "is noted" off."""
    text = sentence.strip().rstrip(".,; ")
    for _ in range(3):
        text = _LEADING.sub("", text)
    text = _TRAILING.sub("", text)
    return text[:1].upper() + text[1:]


def first_clause(sentence: str) -> str:
    """A sentence up to its first comma or relative clause ("Stable cardiomegaly, with ..." -> "Stable
    cardiomegaly")."""
    return _CLAUSE_CUT.split(sentence, maxsplit=1)[0]


@lru_cache(maxsize=8192)
def normal_first(impression: str) -> bool:
    """Whether an impression opens with a normal statement and reports something after it."""
    sentences = split_sentences(impression)
    return (
        len(sentences) > 1
        and is_normal_impression(sentences[0])
        and not all(is_normal_impression(s) for s in sentences[1:])
    )


def impression_order(phrase: str) -> str:
    """A findings statement in impression word order: "Heart is mildly enlarged" -> "Mild cardiomegaly",
    "Lungs are hyperexpanded" -> "Hyperexpanded lungs", "Left hemidiaphragm remains elevated" -> "Elevated
    left hemidiaphragm". Anything else is returned as is."""
    if (found := _ENLARGED_HEART.match(phrase)) is not None:
        degree = _DEGREE.get((found.group("degree") or "").lower())
        return f"{degree} cardiomegaly" if degree else "Cardiomegaly"
    if (found := _PREDICATE.match(phrase)) is not None:
        subject = found.group("subject")
        subject = subject if subject[:2].isupper() else subject[:1].lower() + subject[1:]
        described = " ".join(part for part in (found.group("degree"), found.group("state").lower()) if part)
        return f"{described[:1].upper()}{described[1:]} {subject}"
    return phrase


_HEART_WORDS = frozenset({"heart", "cardiac", "cardiomediastinal"})
_NORMAL_SIZE = frozenset({"normal", "unremarkable"})
_BORDERLINE = frozenset({"upper", "top", "borderline", "high", "near", "mildly", "mild"})


def sentence_concepts(sentence: str) -> tuple[frozenset[str], frozenset[str]]:
    """(asserted, negated) finding concepts of one sentence. A heart said to be normal ("the heart is normal
    in size", "normal cardiomediastinal silhouette") or not enlarged negates cardiomegaly; one at the upper
    limits of normal does not."""
    statement = state(sentence)
    asserted_words, negated_words = set(statement.asserted), set(statement.negated)
    asserted = finding_concepts(statement.asserted)
    negated = set(finding_concepts(statement.negated))
    if _HEART_WORDS & asserted_words and "cardiomegaly" not in asserted:
        not_enlarged = bool({"enlarged", "enlargement"} & negated_words)
        normal_size = bool(_NORMAL_SIZE & asserted_words) and not _BORDERLINE & asserted_words
        if not_enlarged or normal_size:
            negated.add("cardiomegaly")
    return asserted, frozenset(negated)


def concepts(text: str) -> tuple[frozenset[str], frozenset[str]]:
    asserted: set[str] = set()
    negated: set[str] = set()
    for sentence in split_sentences(text):
        yes, no = sentence_concepts(sentence)
        asserted |= yes
        negated |= no
    return frozenset(asserted), frozenset(negated)
