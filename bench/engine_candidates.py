"""Analysis: how much of the consensus engine's gap is choosing, and how much is the candidates themselves.

On the IU dev split (index = its train part), for all reports and for the abnormal subset: the ROUGE-L of
the draft the engine chooses, of the best candidate it had (an oracle that reads the reference), and per
candidate kind (neighbour impression, composed, aligned, short) of the top-scored and of the best candidate
of that kind. Candidates are those that survive re-grounding, as in ``ConsensusEngine.draft``.

Two ceilings follow for the abnormal subset, which say how far copying from the findings can go at all:
the best draft composed of any subset of the findings sentences that report something (each trimmed or
cut to its first clause as the engine words them, with or without the normal sentence, or any of the
engine's own compositions, which also take the neighbours' normal sentence and numbering), and the best
any draft of findings words in findings order could score (prediction = the longest common subsequence
of findings plus the normal sentence with the reference: precision 1, ``2 lcs / (lcs + |reference|)``).

Run: ``.venv/bin/python bench/engine_candidates.py`` (about 10 s).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from itertools import combinations

from radimpress.datasets.split import load_split
from radimpress.drafting.engines.consensus.candidates import (
    _COMPOSED,
    _FALLBACK_TAIL,
    _SHORT,
    Sentence,
    _phrase,
)
from radimpress.drafting.engines.consensus.engine import ConsensusEngine
from radimpress.drafting.engines.consensus.overlap import Pattern, rouge_l, tokenise
from radimpress.language.normal import is_normal_impression

KINDS = ("neighbour", "composed", "aligned", "short")
MAX_SENTENCES = 6  # subsets of at most this many reporting sentences (2**6 compositions per wording)


def composition_ceiling(sentences: tuple[Sentence, ...], reference: tuple[str, ...]) -> float:
    """The best ROUGE-L of any subset of ``sentences`` worded as the engine words them, +- the tail."""
    best = 0.0
    listed = sentences[:MAX_SENTENCES]
    for size in range(1, len(listed) + 1):
        for chosen in combinations(listed, size):
            for kind in (_COMPOSED, _SHORT):
                body = " ".join(f"{_phrase(s, kind)}." for s in chosen)
                for text in (body, f"{body} {_FALLBACK_TAIL}"):
                    best = max(best, rouge_l(tokenise(text), reference))
    return best


def extractive_ceiling(findings: str, reference: tuple[str, ...]) -> float:
    """The best ROUGE-L of any draft made of findings words (then the tail's) in their order."""
    common = Pattern(reference).lcs(tokenise(f"{findings} {_FALLBACK_TAIL}")) if reference else 0
    return 2.0 * common / (common + len(reference)) if common else 0.0


def main() -> int:
    split = load_split()
    engine = ConsensusEngine(split.train)
    rows: dict[str, dict[str, list[float]]] = {"all": defaultdict(list), "abnormal": defaultdict(list)}
    ceilings: dict[str, list[float]] = defaultdict(list)
    for pair in split.dev:
        candidates, facts, _ = engine._candidates(pair.findings, pair.context)
        kept = [(c.kind, text) for c in candidates if (text := engine._reground(c.text, facts)) is not None]
        reference = tokenise(pair.impression)
        scores = [(kind, rouge_l(tokenise(text), reference)) for kind, text in kept]
        subsets = ["all"] if is_normal_impression(pair.impression) else ["all", "abnormal"]
        if "abnormal" in subsets:
            composed = max((score for kind, score in scores if kind != "neighbour"), default=0.0)
            ceilings["composition"].append(max(composed, composition_ceiling(facts.sentences, reference)))
            ceilings["extractive"].append(extractive_ceiling(pair.findings, reference))
        for subset in subsets:
            row = rows[subset]
            row["chosen"].append(scores[0][1] if scores else 0.0)
            row["oracle"].append(max((s for _, s in scores), default=0.0))
            for kind in KINDS:
                of_kind = [s for k, s in scores if k == kind]
                row[f"{kind} top"].append(of_kind[0] if of_kind else 0.0)
                row[f"{kind} best"].append(max(of_kind, default=0.0))
    columns = ["chosen", "oracle", *(f"{kind} {which}" for kind in KINDS for which in ("top", "best"))]
    print(f"ROUGE-L means on the IU dev split ({len(split.dev)} reports), index = train ({len(split.train)})")
    print(f"{'':<10}" + "".join(f"{c:>15}" for c in columns))
    for subset, row in rows.items():
        print(f"{subset:<10}" + "".join(f"{statistics.fmean(row[c]):>15.4f}" for c in columns))
    print("Ceilings on the abnormal subset (copied from the findings, chosen by reading the reference):")
    print(f"  any subset of findings sentences, worded as the engine does: {fmean(ceilings['composition'])}")
    print(f"  any findings words in order (perfect compression):           {fmean(ceilings['extractive'])}")
    return 0


def fmean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.4f}"


if __name__ == "__main__":
    raise SystemExit(main())
