"""ROUGE-L between token sequences, and the consensus choice among texts that the engine is named after.

Tokens are ``rouge_score``'s (lowercase ASCII letters and digits), so the engine's ROUGE-L is the one it is
measured by. :class:`Pattern` prepares one sequence for bit-parallel LCS against many others, which is what
scoring every candidate against every neighbour impression costs; :func:`mbr` is the minimum-Bayes-risk
choice: the text with the highest weighted ROUGE-L against all the others.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

__all__ = ["Pattern", "mbr", "rouge_l", "tokenise"]

_TOKEN = re.compile(r"[a-z0-9]+")  # rouge_score's tokenizer: lowercase ASCII letters and digits


def tokenise(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.lower()))


class Pattern:
    """A token sequence prepared for bit-parallel LCS against many others (one big-int step per token)."""

    __slots__ = ("full", "length", "masks")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.masks: dict[str, int] = {}
        for position, token in enumerate(tokens):
            self.masks[token] = self.masks.get(token, 0) | (1 << position)
        self.length = len(tokens)
        self.full = (1 << self.length) - 1

    def lcs(self, other: Sequence[str]) -> int:
        """Length of the longest common subsequence with ``other``."""
        row, full, masks = self.full, self.full, self.masks
        for token in other:
            match = masks.get(token)
            if match:
                low = row & match
                row = ((row + low) | (row - low)) & full
        return self.length - row.bit_count()

    def rouge_l(self, other: Sequence[str]) -> float:
        common = self.lcs(other) if self.length and other else 0
        return 0.0 if common == 0 else 2.0 * common / (self.length + len(other))


def rouge_l(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F-measure of two token sequences (``rouge_score``'s, for its tokens: ``2 lcs / (m + n)``)."""
    return Pattern(prediction).rouge_l(reference)


def mbr(weights: Mapping[str, float]) -> str:
    """The text with the highest weighted ROUGE-L against all the texts; ties: more weight, then text."""
    tokens = {text: tokenise(text) for text in weights}

    def utility(text: str) -> tuple[float, float, str]:
        mine = Pattern(tokens[text])
        gain = math.fsum(weight * mine.rouge_l(tokens[other]) for other, weight in weights.items())
        return (gain, weights[text], text)

    return max(weights, key=utility)
