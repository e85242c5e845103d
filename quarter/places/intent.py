"""What a resident means by a search: everyday words to business types.

A query such as 剪头发, 感冒药, 寄快递, `lifa`, `lf` or 理法 (a wrong character)
is turned into an `Intent`: the business types it asks for, each with a
weight in (0, 1], and the words worth matching in merchants' text.

How, in order (all from the reviewable lexicon `data/search_lexicon.json`,
plus each type's Chinese name and catalogue keywords):

1. Words: every lexicon word found in the query counts for its types; a longer
   word counts more (weight = its length / the longest found, so 感冒药 beats 药).
2. Pairs: a verb and an object anywhere in the query (剪 + 头发, 寄 + 东西).
3. Pinyin: a Latin query is read as pinyin. Whole-query initials (`lf`) or
   full pinyin (`lifa`) equal to a word's; else words whose pinyin occurs in
   the query (`jiantoufa` holds `toufa`, 头发).
4. One wrong character: if nothing matched, a Chinese query is read by its
   pinyin (理法 → lifa → 理发), then words of two or more characters that
   differ from a part of the query in exactly one character.

`jieba` segments the query (with the lexicon's words added to its dictionary)
into the words matched against merchants' names, services and introductions;
stop words (我想, 附近 …) are dropped. jieba and the lexicon load once per
process, on first use, with jieba's log silenced and its cache in the var dir.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON = Path(__file__).resolve().parent / "data" / "search_lexicon.json"
CATALOGUE = Path(__file__).resolve().parent / "data" / "business_types.json"

_LATIN_RE = re.compile(r"^[a-z0-9 ]+$")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()
_jieba = None
_warming = False


@dataclass
class Intent:
    """The types a query asks for (code → weight) and its words for text search."""

    types: dict[str, float] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)  # lexicon words recognised
    how: str = ""  # "words", "pinyin", "initials", "typo" or ""

    @property
    def best_type(self) -> str | None:
        if not self.types:
            return None
        return max(self.types.items(), key=lambda kv: (kv[1], kv[0]))[0]


@dataclass(frozen=True)
class Lexicon:
    word_types: dict[str, frozenset[str]]  # word → type codes
    pairs: tuple[tuple[frozenset[str], frozenset[str], str], ...]
    stopwords: frozenset[str]
    pinyin: dict[str, frozenset[str]]  # full pinyin (no tones) → words
    initials: dict[str, frozenset[str]]  # initials → words


def normalise(query: str) -> str:
    """Lower-case, full-width to half-width, spaces collapsed."""
    out = []
    for ch in query or "":
        code = ord(ch)
        if code == 0x3000:
            ch = " "
        elif 0xFF01 <= code <= 0xFF5E:
            ch = chr(code - 0xFEE0)
        out.append(ch)
    return " ".join("".join(out).lower().split())


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the lexicon and the catalogue's names and keywords (once)."""
    from pypinyin import Style, lazy_pinyin

    data = json.loads(LEXICON.read_text(encoding="utf-8"))
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))["types"]
    word_types: dict[str, set[str]] = {}

    def add(word: str, code: str) -> None:
        word = normalise(word)
        if word:
            word_types.setdefault(word, set()).add(code)

    for item in catalogue:
        add(item["zh"].split("(")[0], item["code"])
        for word in item["keywords"].split():
            add(word, item["code"])
    pairs = []
    for code, entry in data["types"].items():
        for word in entry["words"]:
            add(word, code)
        for verbs, objects in entry["pairs"]:
            pairs.append((frozenset(verbs.split()), frozenset(objects.split()), code))
    pinyin: dict[str, set[str]] = {}
    initials: dict[str, set[str]] = {}
    for word in word_types:
        if not _CJK_RE.search(word):
            continue
        pinyin.setdefault("".join(lazy_pinyin(word)), set()).add(word)
        if len(word) >= 2:
            letters = "".join(lazy_pinyin(word, style=Style.FIRST_LETTER))
            initials.setdefault(letters, set()).add(word)
    return Lexicon(
        word_types={w: frozenset(c) for w, c in word_types.items()},
        pairs=tuple(pairs),
        stopwords=frozenset(data["stopwords"]),
        pinyin={p: frozenset(w) for p, w in pinyin.items()},
        initials={p: frozenset(w) for p, w in initials.items()},
    )


def _segmenter():
    """Return jieba's tokenizer, initialised once with the lexicon's words."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                from django.conf import settings

                with warnings.catch_warnings():
                    # jieba 0.42 has regex strings Python 3.12 warns about.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", SyntaxWarning)
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                var_dir = getattr(settings, "VAR_DIR", None)
                if var_dir:
                    tokenizer.tmp_dir = str(var_dir)
                tokenizer.initialize()
                for word in lexicon().word_types:
                    if _CJK_RE.search(word) and len(word) >= 2:
                        tokenizer.add_word(word, freq=20000)
                _jieba = tokenizer
    return _jieba


def warm_up_in_background() -> None:
    """Start loading jieba and the lexicon in a thread, once, if not yet loaded.

    Pages with a search box call this so the first search does not wait for
    jieba's dictionary (about a second on a quiet machine).
    """
    global _warming
    if _jieba is not None or _warming:
        return
    _warming = True
    threading.Thread(target=_segmenter, name="jieba-warm-up", daemon=True).start()


def segment(query: str) -> list[str]:
    """Cut a query into words (jieba), dropping stop words and punctuation."""
    stop = lexicon().stopwords
    words = []
    for word in _segmenter().lcut(normalise(query)):
        word = word.strip()
        if word and word not in stop and (_CJK_RE.search(word) or word.isalnum()):
            words.append(word)
    return words


def understand(query: str) -> Intent:
    """Return the types and words a query asks for (see the module docstring)."""
    text = normalise(query)
    if not text:
        return Intent()
    lex = lexicon()
    words = segment(text)
    compact = text.replace(" ", "")
    intent = _by_words(compact, lex)
    intent.words = words
    if intent.types:
        return intent
    if _LATIN_RE.match(text):
        found, how = _by_pinyin(compact, lex)
    elif _CJK_RE.search(compact):
        found, how = _by_wrong_character(compact, lex)
    else:
        found, how = [], ""
    if found:
        fuzzy = _weigh(found, lex)
        fuzzy.words = words + [w for w in found if w not in words]
        fuzzy.how = how
        return fuzzy
    return intent


def _by_words(compact: str, lex: Lexicon) -> Intent:
    found = [w for w in lex.word_types if w in compact]
    # A word inside a longer found word (药 in 感冒药) adds nothing of its own.
    found = [w for w in found if not any(w != o and w in o for o in found)]
    intent = _weigh(found, lex)
    longest = max((len(w) for w in found), default=1)
    for verbs, objects, code in lex.pairs:
        verb = max((len(v) for v in verbs if v in compact), default=0)
        thing = max(
            (len(o) for o in objects if o in compact and not _covered(o, code, found)),
            default=0,
        )
        if verb and thing:
            weight = min(1.0, (verb + thing) / longest)
            intent.types[code] = max(intent.types.get(code, 0.0), weight)
    if intent.types:
        intent.how = "words"
    return intent


def _covered(part: str, code: str, found: list[str]) -> bool:
    """Whether `part` only occurs inside a longer found word of other types."""
    lex = lexicon()
    return any(
        len(w) > len(part) and part in w and code not in lex.word_types[w]
        for w in found
    )


def _weigh(found: list[str], lex: Lexicon) -> Intent:
    intent = Intent(matched=sorted(found, key=lambda w: (-len(w), w)))
    if not found:
        return intent
    longest = max(len(w) for w in found)
    for word in found:
        for code in lex.word_types[word]:
            weight = len(word) / longest
            intent.types[code] = max(intent.types.get(code, 0.0), weight)
    return intent


def _by_pinyin(latin: str, lex: Lexicon) -> tuple[list[str], str]:
    if latin in lex.pinyin:
        return sorted(lex.pinyin[latin]), "pinyin"
    if latin in lex.initials:
        return sorted(lex.initials[latin]), "initials"
    if len(latin) >= 4:
        inside = [
            w
            for p, words in lex.pinyin.items()
            if len(p) >= 4 and p in latin
            for w in words
            if len(w) >= 2
        ]
        return sorted(set(inside)), "pinyin"
    return [], ""


def _by_wrong_character(compact: str, lex: Lexicon) -> tuple[list[str], str]:
    from pypinyin import lazy_pinyin

    cjk = "".join(_CJK_RE.findall(compact))
    found, how = _by_pinyin("".join(lazy_pinyin(cjk)), lex)
    if found:
        return found, "typo"
    near = set()
    for word in lex.word_types:
        n = len(word)
        if n < 2 or not _CJK_RE.search(word):
            continue
        for start in range(0, len(cjk) - n + 1):
            part = cjk[start : start + n]
            if sum(a != b for a, b in zip(part, word, strict=True)) == 1:
                near.add(word)
    return sorted(near), "typo" if near else ""
