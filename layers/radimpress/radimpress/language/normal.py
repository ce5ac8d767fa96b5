"""Normal impressions: whether a radiologist's impression states a normal study.

:func:`is_normal_impression` tells a normal statement ("No acute cardiopulmonary abnormality.", "Normal
chest x-XXXX.", "Negative for acute disease.", "Clear lungs. No active disease.") from one that reports
something ("Cardiomegaly without acute disease.", "Low lung volumes, otherwise clear."). The evaluation
reports ROUGE on the abnormal subset (the impressions that are not normal), where the informative drafting
happens; the consensus engine uses the same words to tell normal sentences from findings.
"""

from __future__ import annotations

from radimpress.language.statements import split_sentences, state

__all__ = ["NORMAL_WORDS", "is_normal_impression"]

# Words that a normal statement is made of outside negated clauses: function words, the exam, the normal
# descriptors, reporting verbs and the hedges and headings radiologists wrap a normal result in. A word
# outside this list ("cardiomegaly", "low", "hyperexpanded", "emphysema", "postoperative") is a finding.
_NORMAL_WORDS_TEXT = """
    a an the of and or with in on at to for as by from this that these is are was were be been there it its
    which s also both any all other otherwise overall essentially grossly specifically particularly
    chest thorax thoracic cardiopulmonary cardiothoracic intrathoracic pulmonary lung lungs heart cardiac
    pleural mediastinal mediastinum contour contours silhouette size osseous bony structures
    exam examination study studies film films radiograph radiographs radiography radiographic x ray rays xray
    view views pa lateral frontal portable ap two
    normal unremarkable clear negative stable unchanged well expanded aerated within limits appearance
    appearing appear appears intact healthy
    acute active chronic interval change changes significant evidence findings finding process disease
    abnormality abnormalities identified seen noted demonstrated evident present visible definite
    demonstrable detected apparent
    preoperative pre operative comparison prior previous since compared limited quality shows show
    end report impression ribs rib decubitus interstitium vasculature vascularity relatively today
"""
NORMAL_WORDS = frozenset(_NORMAL_WORDS_TEXT.split())


def is_normal_impression(text: str) -> bool:
    """Whether an impression states a normal study: nothing in it is asserted outside a negation.

    The words it asserts (outside negated clauses: a cue such as "no", "without", "negative" to the end of
    its clause, see :mod:`radimpress.language.statements`) must all be words of a normal statement ("normal
    chest", "clear lungs", "stable exam", "no acute cardiopulmonary abnormality identified"). A blank
    impression is not normal.
    """
    if not split_sentences(text):
        return False
    return all(word in NORMAL_WORDS for word in state(text).asserted)
