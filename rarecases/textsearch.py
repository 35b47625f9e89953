"""Rare-case search tokens: Chinese segmented by jieba, English words, and codes normalised to single words.

A case's `search_tokens` is a space-separated list that PostgreSQL turns into a tsvector with the `simple`
configuration (no stemming, no stop words: the tokens are already what we want to match); a GIN index over
that expression (migration 0003) makes the match an index scan, and ts_rank_cd orders the results. SQLite,
which has no full-text type here, falls back to "every query token occurs in search_tokens".

Tokens:
- codes: ICD-10 `icde700` (E70.0) and its category `icde70`; ICD-10 block `blke70e90`; Orphanet `orpha716`;
  OMIM `mim261600`; HPO `hp0001250` for the case's terms and `hpa0001250` for them and all their ancestors
  (so a search for Seizure finds a case with Focal seizure); genes `genengly1`;
- Chinese: jieba's search-mode words (overlapping: 苯丙酮尿症 gives 苯丙, 丙酮, 尿症, 苯丙酮尿症) plus every
  character bigram, so a query word that jieba cuts differently still matches; the Chinese HPO and ICD
  names are added to jieba's dictionary, so medical words stay whole;
- English: lower-cased words of letters and digits.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[a-z0-9]+")
HPO = re.compile(r"\bHP:?(\d{7})\b", re.IGNORECASE)
ORPHA = re.compile(r"\b(?:ORPHA|Orphanet|ORDO):?(\d{1,7})\b", re.IGNORECASE)
MIM = re.compile(r"\b(?:O?MIM):?#?(\d{6})\b", re.IGNORECASE)
ICD = re.compile(r"\b([A-Z]\d\d)(?:\.(\d{1,2}))?\b", re.IGNORECASE)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _lock:
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word in _medical_words():
            tokenizer.add_word(word, freq=2000)
    return tokenizer


def _medical_words() -> list[str]:
    from .matching.ontology import zh_table

    words = {z.name_zh for z in zh_table().values()}
    from .vocab import ICD_ZH

    words |= set(ICD_ZH.values())
    return sorted(w for w in words if 2 <= len(w) <= 16 and CJK_RUN.fullmatch(w))


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def words(text: str) -> list[str]:
    """Index-side tokens of free text (English words, jieba search-mode words and bigrams of Chinese)."""
    text = (text or "").lower()
    out: list[str] = WORD.findall(CJK_RUN.sub(" ", text))
    for run in CJK_RUN.findall(text):
        out += [w for w in _jieba().cut_for_search(run) if CJK_RUN.fullmatch(w)]
        out += _bigrams(run) if len(run) > 2 else ([run] if len(run) == 2 else [])
        if len(run) == 1:
            out.append(run)
    return out


def icd_tokens(code: str) -> list[str]:
    m = ICD.fullmatch((code or "").strip())
    if not m:
        return []
    cat = m.group(1).lower()
    return [f"icd{cat}{m.group(2) or ''}", f"icd{cat}"] if m.group(2) else [f"icd{cat}"]


def code_token(kind: str, value: str) -> str:
    return f"{kind}{re.sub(r'[^a-z0-9]', '', value.lower())}"


def tokens_for(fields: dict[str, Any], *, hpo_closure: Iterable[int] = (), genes: Iterable[str] = (),
               disorders: Iterable[str] = ()) -> str:
    """The case's search tokens (de-duplicated, order kept)."""
    toks: list[str] = []
    for key in ("title", "findings", "treatment", "outcome", "region"):
        toks += words(str(fields.get(key) or ""))
    if fields.get("category"):
        toks.append(code_token("blk", fields["category"]))
    for c in fields.get("codes", []):
        toks += icd_tokens(c.get("code", ""))
        toks += words(c.get("name_en", "")) + words(c.get("name_zh", ""))
    for o in fields.get("orpha", []):
        m = ORPHA.search(o.get("id", ""))
        if m:
            toks.append(f"orpha{int(m.group(1))}")
        toks += words(o.get("name", ""))
    for key in disorders:
        prefix, num = key.split(":", 1)
        toks.append(f"{prefix.lower()}{int(num)}")
    for p in fields.get("phenotypes", []):
        m = HPO.search(p.get("id", ""))
        if m:
            toks.append(f"hp{m.group(1)}")
        toks += words(p.get("name", "")) + words(p.get("name_zh", ""))
    toks += [f"hpa{t:07d}" for t in sorted(hpo_closure)]
    toks += [code_token("gene", g) for g in genes]
    return " ".join(dict.fromkeys(t for t in toks if t))


# --- queries ----------------------------------------------------------------------------------------------


def query_terms(text: str) -> list[list[str]]:
    """Parse a query into AND-ed groups of OR-ed alternatives (each alternative a list of tokens that must all
    occur). Codes become their tokens; a Chinese word matches as the jieba word or as all of its bigrams;
    an English word of 3+ letters also matches as a prefix (marked with a trailing '*'), or as a gene."""
    groups: list[list[str]] = []
    rest = text or ""
    for pattern, make in ((HPO, lambda m: [f"hpa{m.group(1)}"]),
                          (ORPHA, lambda m: [f"orpha{int(m.group(1))}"]),
                          (MIM, lambda m: [f"mim{int(m.group(1))}"])):
        for m in pattern.finditer(rest):
            groups.append(make(m))
        rest = pattern.sub(" ", rest)
    for m in ICD.finditer(rest):
        cat, sub = m.group(1).lower(), m.group(2) or ""
        groups.append([f"icd{cat}{sub}*"] + ([cat] if not sub else []))
    rest = ICD.sub(" ", rest).lower()
    for word in WORD.findall(CJK_RUN.sub(" ", rest)):
        # A word may also be a gene symbol (PAH, ATP7B): the case's gene tokens are "gene<symbol>".
        groups.append([word + "*" if len(word) >= 3 else word, f"gene{word}"])
    for run in CJK_RUN.findall(rest):
        for w in _jieba().cut(run):
            if not CJK_RUN.fullmatch(w):
                continue
            if len(w) == 1:
                groups.append([w + "*"])
            else:
                alts = [w] if len(w) == 2 else [w, "&".join(_bigrams(w))]
                groups.append(alts)
    return [g for g in groups if g][:12]


def to_tsquery(groups: list[list[str]]) -> str:
    """The groups as a PostgreSQL tsquery string. Every token is made of [a-z0-9] or CJK characters only (by
    construction), so the string cannot carry tsquery operators from the user."""
    def tok(t: str) -> str:
        if t.endswith("*"):
            return f"{t[:-1]}:*"
        return t

    def alt(a: str) -> str:
        parts = a.split("&")
        return tok(parts[0]) if len(parts) == 1 else "(" + " & ".join(tok(p) for p in parts) + ")"

    return " & ".join("(" + " | ".join(alt(a) for a in g) + ")" for g in groups)

def search_text_for(fields: dict[str, Any]) -> str:
    """Retrieval features (S400, S360): codes, names in both languages, category, Orphanet classes,
    phenotype ids and names, and the text, lower-cased, with `|code:` / `|orpha:` markers."""
    parts = [fields.get("title", ""), fields.get("findings", ""), fields.get("treatment", ""),
             fields.get("outcome", ""), fields.get("region", ""), f"|block:{fields.get('category', '')}"]
    for c in fields.get("codes", []):
        parts += [f"|code:{c.get('code', '')}", c.get("name_en", ""), c.get("name_zh", "")]
    for o in fields.get("orpha", []):
        parts += [f"|orpha:{o.get('id', '')}", o.get("name", "")]
    for p in fields.get("phenotypes", []):
        parts += [p.get("id", ""), p.get("name", ""), p.get("name_zh", "")]
    parts += [f"|tag:{t}" for t in fields.get("tags", [])]
    return " ".join(str(p) for p in parts if p).lower()
