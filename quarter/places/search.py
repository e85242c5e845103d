"""Chinese text search without a segmenter.

Each CJK character becomes one token and each run of Latin letters or digits one
lowercase word. A query becomes phrases of consecutive tokens, so `理发` matches
exactly the texts containing the substring 理发.

PostgreSQL matches phrases of single tokens (`phraseto_tsquery` on `tokens`).
SQLite's FTS5 index holds *grams* instead, as the CJK bigram analysers of the
big search engines do: each field's bigrams (理发 → 理发; 便利店 → 便利 利店), then
every single token. A query of one token looks up that token; a longer one is a
phrase of its bigrams, whose posting lists are far shorter than those of common
characters such as 店. Both give the same answers.
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


def document_grams(*parts: str) -> str:
    """The FTS5 text of a document: each part's bigrams, then all its single tokens."""
    bigrams, singles = [], []
    for part in parts:
        tokens = tokenize(part)
        singles.extend(tokens)
        bigrams.extend(a + b for a, b in zip(tokens, tokens[1:], strict=False))
    return " ".join(bigrams + singles)


def fts5_phrase(phrase: str) -> str:
    """Turn a phrase of tokens ('便 利 店') into its FTS5 form over grams."""
    tokens = phrase.split()
    if len(tokens) == 1:
        return f'"{tokens[0]}"'
    return '"' + " ".join(a + b for a, b in zip(tokens, tokens[1:], strict=False)) + '"'


def fts5_gram_expression(phrases: list[str]) -> str:
    # Tokens contain only letters, digits and CJK, so quoting cannot be broken.
    return " AND ".join(fts5_phrase(p) for p in phrases)


# Filter pseudo-words start with 〇 (U+3007), which no query token can contain
# (see _TOKEN_RE), so they never collide with words or bigrams of the text.
def filter_words(*, type_code: str, tier: str, community_id: int) -> str:
    """Pseudo-words that let the full-text index filter by type, tier and community."""
    return f"〇type{type_code.replace('_', '')} 〇tier{tier} 〇community{community_id}"


def fts5_filter_expression(*, type_code=None, tier=None, community_id=None) -> str:
    parts = []
    if type_code:
        parts.append(f"type{type_code.replace('_', '')}")
    if tier:
        parts.append(f"tier{tier}")
    if community_id:
        parts.append(f"community{int(community_id)}")
    return " AND ".join(f'"〇{p}"' for p in parts if p.isalnum())
