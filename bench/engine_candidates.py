"""Analysis: how much of the consensus engine's gap is choosing, and how much is the candidates themselves.

On the IU dev split (index = its train part), for all reports and for the abnormal subset: the ROUGE-L of
the draft the engine chooses, of the best candidate it had (an oracle that reads the reference), and per
candidate kind (neighbour impression, composed, aligned, short) of the top-scored and of the best candidate
of that kind. Candidates are those that survive re-grounding, as in ``ConsensusEngine.draft``.

Run: ``.venv/bin/python bench/engine_candidates.py`` (about 15 s).
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from radimpress.datasplit import is_normal_impression, load_split
from radimpress.engines.consensus import ConsensusEngine, _tokens, rouge_l

KINDS = ("neighbour", "composed", "aligned", "short")


def main() -> int:
    split = load_split()
    engine = ConsensusEngine(split.train)
    rows: dict[str, dict[str, list[float]]] = {"all": defaultdict(list), "abnormal": defaultdict(list)}
    for pair in split.dev:
        candidates, facts, _ = engine._candidates(pair.findings, pair.context)
        kept = [(c.kind, text) for c in candidates if (text := engine._reground(c.text, facts)) is not None]
        reference = _tokens(pair.impression)
        scores = [(kind, rouge_l(_tokens(text), reference)) for kind, text in kept]
        subsets = ["all"] if is_normal_impression(pair.impression) else ["all", "abnormal"]
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
