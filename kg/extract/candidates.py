"""Candidate relations: every pair of actor mentions a sentence links, with the evidence a decision reads.

A pair is a candidate when the dependency path between the two mentions' head words is short
(``MAX_PATH`` arcs): a verb and its arguments, an apposition, a relative clause, a coordination, a noun
complement, a parenthesis all give short paths. Its features describe that evidence in terms that
generalise beyond the exact words: both types and their order, the path's dependency labels and lemmas,
the prepositions on it, the words between, trigger words of the rule tables on the path (and which
predicate they point to), negation, conditional and hearsay cues, and, in the spaCy model's word
vectors, the trigger word nearest to a word of the path and the predicate it states (a verb never
listed but close to "soutenir" counts).

Pure functions of a sentence's tokens and mentions: the same code turns a candidate into features when
a model is trained (kg.train) and when it decides (kg.extract.decide), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.tokens import Token

from kg.extract.grammar import negated_or_alleged, prep
from kg.lexicon import PREDICATES, Rules, coarse
from kg.records import Mention

MAX_PATH = 6  # dependency arcs between the two head words
MAX_BETWEEN = 12  # tokens between the mentions whose words become features
_VECTOR_POS = ("VERB", "NOUN", "ADJ", "AUX")


@dataclass(frozen=True)
class Candidate:
    """Two mentions of one sentence, ``first`` before ``second`` in the text, and what links them."""

    first: Mention
    second: Mention
    features: dict[str, float]
    lca: int  # token index of the words' lowest common ancestor (for negation checks and the rule id)


def mention_spans(tok2m: dict[int, Mention]) -> list[tuple[Mention, int, int]]:
    """Each mention of a sentence once, with its token range, in text order."""
    spans: dict[int, list] = {}
    for i, m in tok2m.items():
        s = spans.setdefault(id(m), [m, i, i + 1])
        s[1], s[2] = min(s[1], i), max(s[2], i + 1)
    return sorted(((m, s, e) for m, s, e in spans.values()), key=lambda x: (x[1], x[2]))


def head_of(toks: list[Token], s: int, e: int) -> Token:
    """The word of a span whose head lies outside it (the span's syntactic head)."""
    for i in range(s, e):
        t = toks[i]
        if not (s <= t.head.i < e) or t.head.i == t.i:
            return t
    return toks[s]


def _ancestors(t: Token) -> list[Token]:
    out = [t]
    while out[-1].head.i != out[-1].i and len(out) < 40:
        out.append(out[-1].head)
    return out


def dep_path(a: Token, b: Token) -> tuple[list[Token], list[Token], Token] | None:
    """The path between two words: up from ``a`` to their lowest common ancestor, then down to ``b``."""
    up_a = _ancestors(a)
    index_b = {t.i: n for n, t in enumerate(_ancestors(b))}
    for n, t in enumerate(up_a):
        if t.i in index_b:
            up_b = _ancestors(b)[:index_b[t.i] + 1]
            return up_a[:n + 1], up_b, t
    return None


@lru_cache(maxsize=4)
def _trigger_table(vocab_id: int, triggers: tuple[tuple[str, tuple[str, ...]], ...], vocab
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every trigger word's unit vector in the model, and the index of the predicate it states."""
    rows, owner = [], []
    for k, (_, words) in enumerate(triggers):
        for w in words:
            if vocab.has_vector(w):
                v = vocab.get_vector(w)
                n = float(np.linalg.norm(v))
                if n:
                    rows.append(v / n)
                    owner.append(k)
    if not rows:
        return np.zeros((0, vocab.vectors_length or 1), dtype="float32"), np.zeros(0, dtype=int)
    return np.asarray(rows, dtype="float32"), np.asarray(owner)


def triggers_by_predicate(rules: Rules) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The rule tables' trigger words (verbs, nouns, titles), grouped by the predicate they state."""
    words: dict[str, set[str]] = {p: set() for p in PREDICATES}
    for lemma, r in rules.verbs.items():
        words[r.predicate].add(lemma)
    for lemma, r in rules.nouns.items():
        words[r.predicate].add(lemma)
    for title, p in rules.titles.items():
        if " " not in title:
            words[p].add(title)
    return tuple((p, tuple(sorted(words[p]))) for p in PREDICATES)


def _trigger_index(rules: Rules) -> dict[str, str]:
    out = {lemma: r.predicate for lemma, r in rules.verbs.items()}
    out.update({lemma: r.predicate for lemma, r in rules.nouns.items()})
    out.update({t: p for t, p in rules.titles.items() if " " not in t})
    return out


_TRIGGERS: dict[int, dict[str, str]] = {}


def _bucket(n: int) -> str:
    return str(n) if n < 4 else "4-6" if n < 7 else "7+"


def features(toks: list[Token], a: tuple[Mention, int, int], b: tuple[Mention, int, int], rules: Rules,
             path: tuple[list[Token], list[Token], Token], sims: tuple[np.ndarray, np.ndarray] | None
             ) -> dict[str, float]:
    """The evidence linking two mentions of one sentence (``a`` before ``b``), as named features."""
    (ma, sa, ea), (mb, sb, eb) = a, b
    up, down, lca = path
    ta, tb = coarse(ma.etype), coarse(mb.etype)
    trig = _TRIGGERS.setdefault(id(rules), _trigger_index(rules))
    f: dict[str, float] = {"bias": 1.0, f"ta={ta}": 1.0, f"tb={tb}": 1.0, f"tt={ta}|{tb}": 1.0,
                           f"fa={ma.etype}": 1.0, f"fb={mb.etype}": 1.0}
    length = len(up) + len(down) - 2
    f[f"len={_bucket(length)}"] = 1.0
    ups = [t.dep_ for t in up[:-1]]
    downs = [t.dep_ for t in down[:-1]]
    shape = "/".join(ups) + "^" + "/".join(reversed(downs))
    f[f"path={shape}"] = 1.0
    f[f"path={shape}|{ta}|{tb}"] = 1.0
    inner = up[1:] + down[1:-1] if lca.i not in (up[0].i, down[0].i) else up[1:-1] + down[1:-1]
    f[f"lca.dep={lca.dep_}"] = 1.0
    lca_in_mention = sa <= lca.i < ea or sb <= lca.i < eb
    if not lca_in_mention:
        f[f"lca={lca.lemma_.lower()}"] = 1.0
        f[f"lca.pos={lca.pos_}"] = 1.0
        f[f"lca={lca.lemma_.lower()}|{shape}"] = 1.0
    for t in inner:
        if sa <= t.i < ea or sb <= t.i < eb:
            continue
        f[f"on={t.lemma_.lower()}"] = 1.0
        p = trig.get(t.lemma_.lower()) or trig.get(t.lower_)
        if p:
            f[f"trig={p}"] = 1.0
            f[f"trig={p}|{ta}|{tb}"] = 1.0
    f[f"da={up[0].dep_}"] = 1.0
    f[f"db={down[0].dep_}"] = 1.0
    f[f"pa={prep(up[0]) or '-'}"] = 1.0
    f[f"pb={prep(down[0]) or '-'}"] = 1.0
    f[f"pab={prep(up[0]) or '-'}|{prep(down[0]) or '-'}"] = 1.0
    between = toks[ea:sb]
    f[f"gap={_bucket(len(between))}"] = 1.0
    if len(between) <= MAX_BETWEEN:
        for t in between:
            f[f"bw={t.lemma_.lower()}"] = 1.0
            p = trig.get(t.lemma_.lower()) or trig.get(t.lower_)
            if p:
                f[f"btrig={p}"] = 1.0
        if len(between) <= 3:
            f[f"bseq={' '.join(t.lower_ for t in between)}"] = 1.0
    if sa > 0:
        f[f"before={toks[sa - 1].lower_}"] = 1.0
    if eb < len(toks):
        f[f"after={toks[eb].lower_}"] = 1.0
    if negated_or_alleged(lca, rules) or any(negated_or_alleged(t, rules) for t in (up[0], down[0])):
        f["negated"] = 1.0
    if any("Fut" in t.morph.get("Tense") for t in (lca, *inner) if t.pos_ in ("VERB", "AUX")) or any(
            "Fut" in c.morph.get("Tense") for c in lca.children if c.dep_.startswith("aux")):
        f["future"] = 1.0
    if sims is not None and len(sims[0]):
        table, owner = sims
        words = [t for t in (lca, *inner, *between[:MAX_BETWEEN]) if t.pos_ in _VECTOR_POS and t.has_vector
                 and not (sa <= t.i < ea or sb <= t.i < eb) and not trig.get(t.lemma_.lower())]
        if words:  # the trigger word nearest to a word of the path, and the predicate it states
            mat = np.asarray([t.vector / (t.vector_norm or 1.0) for t in words], dtype="float32")
            cos = mat @ table.T
            w, k = np.unravel_index(int(np.argmax(cos)), cos.shape)
            best = float(cos[w, k])
            if best >= 0.5:
                p = PREDICATES[int(owner[k])]
                f[f"near={p}"] = round(best, 3)
                f[f"near={p}|{ta}|{tb}"] = 1.0
    return f


def sentence_candidates(toks: list[Token], tok2m: dict[int, Mention], rules: Rules,
                        vectors: bool = True) -> Iterable[Candidate]:
    """Every pair of distinct actors' mentions in one sentence within ``MAX_PATH`` dependency arcs.

    ``toks`` are all the tokens of the parsed segment (``tok2m`` and token ``i`` index into it); ``tok2m``
    holds the sentence's mentions only."""
    spans = mention_spans(tok2m)
    if len(spans) < 2:
        return
    sims = None
    if vectors:
        vocab = toks[0].vocab
        if vocab.vectors_length:
            sims = _trigger_table(id(vocab), triggers_by_predicate(rules), vocab)
    heads = [head_of(toks, s, e) for _, s, e in spans]
    for x in range(len(spans)):
        for y in range(x + 1, len(spans)):
            a, b = spans[x], spans[y]
            if a[0].name == b[0].name or (a[0].gaz_id and a[0].gaz_id == b[0].gaz_id):
                continue
            path = dep_path(heads[x], heads[y])
            if path is None or len(path[0]) + len(path[1]) - 2 > MAX_PATH:
                continue
            yield Candidate(a[0], b[0], features(toks, a, b, rules, path, sims), path[2].i)

