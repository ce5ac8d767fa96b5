"""Pseudonymous keys for patient identifiers.

A keyed HMAC, not a plain hash: MRNs are short and enumerable, so an unkeyed digest is reversible by
brute force. Whoever holds the key (configuration, a secret in production) can link keys back to
identifiers; analytics, logs and result tables only ever see the key.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["pseudonymize"]

_KEY_CHARS = 24  # 96 bits: collision-free for any realistic patient population


def pseudonymize(identifier: str, key: bytes) -> str:
    """Stable pseudonym for ``identifier`` under ``key``; case and surrounding whitespace ignored."""
    normalized = identifier.strip().upper().encode("utf-8")
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()[:_KEY_CHARS]
