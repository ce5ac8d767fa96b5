"""Properties of colon-less inline headers: a report written ``History … Findings … Conclusions …`` splits
into the same sections whatever the case of its headers (ALL CAPS, Capitalised, Title Case) and however its
text is wrapped; prose that uses the label words as ordinary words is never split, wrapped or not."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from radimpress.reading.model import TextBlock
from radimpress.reading.sections.split import split_detailed, split_text

# Section -> the labels that may head it (spelt as in the vocabulary) and sentences that may be its body.
# The bodies use label words as ordinary words ("the findings", "a history of", "no impression of") so the
# property also holds the false positives inside a real report.
_SECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "indication": (
        ["HISTORY", "INDICATION", "CLINICAL INFORMATION", "CLINICAL HISTORY", "REASON FOR EXAM"],
        [
            "Cough for two weeks.",
            "Fever and a history of asthma.",
            "Chest pain after a fall, rule out fracture.",
            "45-year-old smoker with haemoptysis.",
        ],
    ),
    "technique": (
        ["TECHNIQUE"],
        ["Frontal and lateral radiographs.", "Single portable frontal view.", "Two views of the chest."],
    ),
    "comparison": (
        ["COMPARISON"],
        ["None.", "Radiograph of 02/03/2024.", "Chest radiograph from last year."],
    ),
    "findings": (
        ["FINDINGS"],
        [
            "The heart is normal in size.",
            "The lungs are clear.",
            "No pleural effusion or pneumothorax.",
            "The findings are unchanged from the prior study.",
            "There is no impression of a mass on these views.",
            "Small calcified granuloma in the right upper lobe.",
            "2 cm nodule in the left lower lobe.",
        ],
    ),
    "impression": (
        ["IMPRESSION", "CONCLUSION", "CONCLUSIONS"],
        ["No acute disease.", "Normal chest.", "Left lower lobe nodule; CT advised.", "Stable appearances."],
    ),
}
_ORDER = ("indication", "technique", "comparison", "findings", "impression")


def _spell(label: str, style: str) -> str:
    if style == "caps":
        return label
    words = label.lower().split(" ")
    if style == "title":
        return " ".join(word.capitalize() for word in words)
    return " ".join([words[0].capitalize(), *words[1:]])


@st.composite
def reports(draw: st.DrawFn) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """A colon-less report as (section, label, body) parts, and the sections it should split into."""
    present = ["findings", *draw(st.sets(st.sampled_from([s for s in _ORDER if s != "findings"])))]
    parts: list[tuple[str, str, str]] = []
    for section in sorted(present, key=_ORDER.index):
        labels, sentences = _SECTIONS[section]
        label = draw(st.sampled_from(labels))
        body = draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=3, unique=True))
        parts.append((section, label, " ".join(body)))
    return parts, {section: body for section, _label, body in parts}


_STYLES = st.sampled_from(["caps", "capitalised", "title"])


def _render(parts: list[tuple[str, str, str]], styles: list[str]) -> str:
    return " ".join(
        f"{_spell(label, style)} {body}" for (_s, label, body), style in zip(parts, styles, strict=False)
    )


def _flat(sections: dict[str, str | None]) -> dict[str, str]:
    """Non-empty sections with their whitespace collapsed (wrapping moves line breaks, nothing else)."""
    return {name: " ".join(text.split()) for name, text in sections.items() if text}


@settings(max_examples=300, deadline=None)
@given(reports(), st.lists(_STYLES, min_size=5, max_size=5))
def test_a_colon_less_report_splits_into_its_sections_in_any_header_case(
    report: tuple[list[tuple[str, str, str]], dict[str, str]], styles: list[str]
) -> None:
    # Given a one-line colon-less report whose headers are each in any case
    parts, expected = report
    text = _render(parts, styles)

    # When split, Then every section is its body
    assert _flat(split_text(text).as_dict()) == expected


@settings(max_examples=300, deadline=None)
@given(reports(), st.lists(_STYLES, min_size=5, max_size=5), st.integers(min_value=12, max_value=100))
def test_re_wrapping_a_colon_less_report_at_any_width_gives_the_same_sections(
    report: tuple[list[tuple[str, str, str]], dict[str, str]], styles: list[str], width: int
) -> None:
    # Given the same report as one line and wrapped at any width
    parts, _expected = report
    text = _render(parts, styles)
    wrapped = "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))

    # When both are split, Then the sections are the same (up to where the line breaks fall)
    assert _flat(split_text(wrapped).as_dict()) == _flat(split_text(text).as_dict())


@settings(max_examples=200, deadline=None)
@given(reports(), st.integers(min_value=12, max_value=100))
def test_changing_the_case_of_every_header_changes_no_section(
    report: tuple[list[tuple[str, str, str]], dict[str, str]], width: int
) -> None:
    parts, _expected = report
    wrap = textwrap.TextWrapper(width=width, break_long_words=False, break_on_hyphens=False)
    results = [
        _flat(split_text("\n".join(wrap.wrap(_render(parts, [style] * 5)))).as_dict())
        for style in ("caps", "capitalised", "title")
    ]
    assert results[0] == results[1] == results[2]


# Sentences that use every inline label word as an ordinary word, and plain ones between them.
_PROSE = [
    "The findings are unchanged.",
    "Findings are stable since 2020.",
    "There is no impression of a mass.",
    "Impression of the minor fissure is normal.",
    "A history of smoking is noted.",
    "History of asthma.",
    "Comparison with the prior study shows no change.",
    "Comparison is made with the film of 2021.",
    "Summary of the notes is not available.",
    "Opinion was sought from the chest team.",
    "The conclusion of the prior report is not repeated.",
    "Technique was limited by motion.",
    "Indication for the study was not given.",
    "The heart is normal in size.",
    "No pleural effusion.",
    "Mild degenerative change in the thoracic spine.",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PROSE), min_size=1, max_size=8),
    # From 16 columns a label and the prose word after it ("Comparison with") always fit on one line; below,
    # a wrap can leave "Impression" alone on its line, which is a header by the line-start rules.
    st.one_of(st.none(), st.integers(min_value=16, max_value=100)),
)
def test_label_words_in_prose_never_split_a_report(sentences: list[str], width: int | None) -> None:
    # Given prose that uses label words as ordinary words, on one line or wrapped at any width
    text = " ".join(sentences)
    if width is not None:
        text = "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))

    # When split
    result = split_detailed([TextBlock(text)])

    # Then no header is found and all of it is the findings
    assert result.headers == ()
    assert result.sections.findings == "\n".join(line.strip() for line in text.split("\n"))
