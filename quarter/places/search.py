"""Chinese text search without a segmenter.

Each CJK character becomes one token and each run of Latin letters or digits one
lowercase word. A query becomes phrases of consecutive tokens, so `理发` matches
exactly the texts containing the substring 理发, on SQLite (FTS5 phrase) and
PostgreSQL (`phraseto_tsquery`) alike.
"""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[0-9a-zA-Z]+")
MAX_QUERY_CHARS = 40


def tokenize(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN_RE.findall(text or "")]


def document_tokens(*parts: str) -> str:
    return " ".join(tok for part in parts for tok in tokenize(part))


def query_phrases(query: str) -> list[str]:
    """Split a query on white space into phrases of tokens ('' parts dropped)."""
    phrases = []
    for word in (query or "").split():
        tokens = tokenize(word)
        if tokens:
            phrases.append(" ".join(tokens))
    return phrases


def fts5_match_expression(phrases: list[str]) -> str:
    # Tokens contain only letters, digits and CJK, so quoting cannot be broken.
    return " AND ".join(f'"{p}"' for p in phrases)


def filter_words(*, type_code: str, tier: str, community_id: int) -> str:
    """Pseudo-words that let the full-text index filter by type, tier and community."""
    return f"type{type_code.replace('_', '')} tier{tier} community{community_id}"


def fts5_filter_expression(*, type_code=None, tier=None, community_id=None) -> str:
    parts = []
    if type_code:
        parts.append(f"type{type_code.replace('_', '')}")
    if tier:
        parts.append(f"tier{tier}")
    if community_id:
        parts.append(f"community{int(community_id)}")
    return " AND ".join(f'"{p}"' for p in parts if p.isalnum())
