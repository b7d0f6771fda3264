"""Candidate relations: every pair of actor mentions a sentence links, with the evidence a decision reads.

A pair is a candidate when the dependency path between the two mentions' head words is short
(``MAX_PATH`` arcs): a verb and its arguments, an apposition, a relative clause, a coordination, a noun
complement, a parenthesis all give short paths. Its features describe that evidence in terms that
generalise beyond the exact words: both types and their order, the path's dependency labels and lemmas,
the prepositions on it, the words between, trigger words of the rule tables on the path (and which
predicate they point to), and, in the spaCy model's word vectors, the trigger word nearest to the path's
top word and the predicate it states (a verb never listed but close to "soutenir" counts). Negation,
denial, the conditional of allegation and the future are not features but a verdict (``Candidate.hedge``),
asked only of the pairs a model would keep.

Pure functions of a sentence's tokens and mentions: the same code turns a candidate into features when
a model is trained (kg.train) and when it decides (kg.extract.decide), so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from spacy.tokens import Token

from kg.extract.grammar import future_tense, negated_or_alleged, prep
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
    hedge: Callable[[], str | None]  # "negated", "future" or None, worked out only when asked


def mention_spans(tok2m: dict[int, Mention]) -> list[tuple[Mention, int, int]]:
    """Each mention of a sentence once, with its token range, in text order."""
    spans: dict[int, list] = {}
    for i, m in tok2m.items():
        s = spans.setdefault(id(m), [m, i, i + 1])
        s[1], s[2] = min(s[1], i), max(s[2], i + 1)
    return sorted(((m, s, e) for m, s, e in spans.values()), key=lambda x: (x[1], x[2]))


class _Lazy(dict):
    """A token attribute by index, read from spaCy on first use."""

    def __init__(self, read) -> None:
        super().__init__()
        self.read = read

    def __missing__(self, i: int):
        self[i] = value = self.read(i)
        return value


_NEAREST: dict[tuple[int, int], tuple[float, int]] = {}  # (trigger table, word) -> _Sentence.nearest


class _Sentence:
    """A sentence's tokens as read once (heads, labels, lemmas), and what the features read of a token (its
    preposition, negation, tense, nearest trigger) worked out once: a token sits on many paths."""

    def __init__(self, toks: list[Token], start: int, end: int, rules: Rules,
                 sims: tuple[np.ndarray, np.ndarray] | None, lemmas: list[str] | None = None,
                 lowers: list[str] | None = None) -> None:
        self.toks, self.start, self.end, self.rules, self.sims = toks, start, end, rules, sims
        # read lazily: most words of a long sentence are on no pair's path
        self.head = _Lazy(lambda i: toks[i].head.i)
        self.dep = _Lazy(lambda i: toks[i].dep_)
        self.pos = _Lazy(lambda i: toks[i].pos_)
        self.lemma = lemmas if lemmas is not None else _Lazy(lambda i: toks[i].lemma_.lower())
        self.lower = lowers if lowers is not None else _Lazy(lambda i: toks[i].lower_)
        self._memo: dict[tuple[str, int], object] = {}

    def _once(self, kind: str, i: int, work):
        key = (kind, i)
        if key not in self._memo:
            self._memo[key] = work(self.toks[i])
        return self._memo[key]

    def prep(self, i: int) -> str:
        return self._once("prep", i, lambda t: prep(t) or "-")

    def negated(self, i: int) -> bool:
        return self._once("neg", i, lambda t: negated_or_alleged(t, self.rules))

    def future(self, i: int) -> bool:
        return self._once("fut", i, lambda t: t.pos_ in ("VERB", "AUX") and future_tense(t, self.rules)
                          or any(c.dep_.startswith("aux") and future_tense(c, self.rules) for c in t.children))

    def nearest(self, i: int) -> tuple[float, int]:
        """The cosine to the nearest trigger word in the word vectors, and its predicate's index (0.0, -1)."""
        def work(t: Token) -> tuple[float, int]:
            if self.sims is None or not len(self.sims[0]) or t.pos_ not in _VECTOR_POS:
                return 0.0, -1
            key = (id(self.sims[0]), t.orth)  # a word's nearest trigger is the same wherever it stands
            hit = _NEAREST.get(key)
            if hit is None:
                hit = (0.0, -1)
                if t.has_vector:
                    table, owner = self.sims
                    cos = table @ (t.vector / (t.vector_norm or 1.0))
                    k = int(np.argmax(cos))
                    hit = round(float(cos[k]), 3), int(owner[k])
                if len(_NEAREST) < 100_000:
                    _NEAREST[key] = hit
            return hit

        return self._once("near", i, work)

    def up(self, i: int) -> list[int]:
        out = [i]
        while self.head[out[-1]] != out[-1] and len(out) < 40:
            out.append(self.head[out[-1]])
        return out

    def path(self, a: int, b: int) -> tuple[list[int], list[int], int] | None:
        """Up from ``a`` to the lowest common ancestor, and up from ``b`` to it (both end with it)."""
        up_a, up_b = self.up(a), self.up(b)
        where = {t: n for n, t in enumerate(up_b)}
        for n, t in enumerate(up_a):
            if t in where:
                return up_a[:n + 1], up_b[:where[t] + 1], t
        return None

    def head_of(self, s: int, e: int) -> int:
        """The word of a span whose head lies outside it."""
        for i in range(s, e):
            h = self.head[i]
            if not (s <= h < e) or h == i:
                return i
        return s


@lru_cache(maxsize=4)
def _trigger_table(vocab_id: int, triggers: tuple[tuple[str, tuple[str, ...]], ...], vocab
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every trigger word's unit vector in the model, and the index of the predicate it states. A new table
    empties the nearest-trigger cache, which is keyed by table ids: an evicted table's id may be reused."""
    _NEAREST.clear()
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


_BY_PREDICATE: dict[int, tuple] = {}


def _triggers_of(rules: Rules) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """triggers_by_predicate, once per rule set (it keys the cached vector table)."""
    if id(rules) not in _BY_PREDICATE:
        _BY_PREDICATE[id(rules)] = triggers_by_predicate(rules)
    return _BY_PREDICATE[id(rules)]


def _trigger_index(rules: Rules) -> dict[str, str]:
    out = {lemma: r.predicate for lemma, r in rules.verbs.items()}
    out.update({lemma: r.predicate for lemma, r in rules.nouns.items()})
    out.update({t: p for t, p in rules.titles.items() if " " not in t})
    return out


_TRIGGERS: dict[int, dict[str, str]] = {}


def _hedged(sent: _Sentence, path: tuple[list[int], list[int], int]) -> str | None:
    """Why a pair's statement cannot stand whatever a model says: "negated" (negation, denial, the
    conditional of allegation, on the path's top word or either end) or "future"; None if neither."""
    up, down, lca = path
    if sent.negated(lca) or sent.negated(up[0]) or sent.negated(down[0]):
        return "negated"
    if any(sent.future(t) for t in (lca, *up[1:], *down[1:])):
        return "future"
    return None


def _bucket(n: int) -> str:
    return str(n) if n < 4 else "4-6" if n < 7 else "7+"


def features(sent: _Sentence, a: tuple[Mention, int, int], b: tuple[Mention, int, int],
             path: tuple[list[int], list[int], int]) -> dict[str, float]:
    """The evidence linking two mentions of one sentence (``a`` before ``b``), as named features."""
    (ma, sa, ea), (mb, sb, eb) = a, b
    up, down, lca = path
    dep, lemma, lower = sent.dep, sent.lemma, sent.lower
    ta, tb = coarse(ma.etype), coarse(mb.etype)
    trig = _TRIGGERS.get(id(sent.rules)) or _TRIGGERS.setdefault(id(sent.rules), _trigger_index(sent.rules))
    f: dict[str, float] = {"bias": 1.0, f"ta={ta}": 1.0, f"tb={tb}": 1.0, f"tt={ta}|{tb}": 1.0,
                           f"fa={ma.etype}": 1.0, f"fb={mb.etype}": 1.0}
    f[f"len={_bucket(len(up) + len(down) - 2)}"] = 1.0
    shape = "/".join(dep[t] for t in up[:-1]) + "^" + "/".join(dep[t] for t in reversed(down[:-1]))
    f[f"path={shape}"] = 1.0

    def outside(i: int) -> bool:
        return not (sa <= i < ea or sb <= i < eb)

    inner = [t for t in up[1:] + down[1:-1] if outside(t)]
    f[f"lca.dep={dep[lca]}"] = 1.0
    if outside(lca):
        f[f"lca={lemma[lca]}"] = 1.0
        f[f"lca.pos={sent.pos[lca]}"] = 1.0
    for t in inner:
        f[f"on={lemma[t]}"] = 1.0
        p = trig.get(lemma[t]) or trig.get(lower[t])
        if p:
            f[f"trig={p}"] = 1.0
            f[f"trig={p}|{ta}|{tb}"] = 1.0
    f[f"da={dep[up[0]]}"] = 1.0
    f[f"db={dep[down[0]]}"] = 1.0
    pa, pb = sent.prep(up[0]), sent.prep(down[0])
    f[f"pa={pa}"] = 1.0
    f[f"pb={pb}"] = 1.0
    f[f"pab={pa}|{pb}"] = 1.0
    between = range(ea, sb)
    f[f"gap={_bucket(len(between))}"] = 1.0
    if len(between) <= MAX_BETWEEN:
        for t in between:
            f[f"bw={lemma[t]}"] = 1.0
            p = trig.get(lemma[t]) or trig.get(lower[t])
            if p:
                f[f"btrig={p}"] = 1.0
        if len(between) <= 3:
            f[f"bseq={' '.join(lower[t] for t in between)}"] = 1.0
    if sa > sent.start:
        f[f"before={lower[sa - 1]}"] = 1.0
    if eb < sent.end:
        f[f"after={lower[eb]}"] = 1.0
    # the trigger word nearest, in the word vectors, to the path's top word, and the predicate it states
    best = sent.nearest(lca) if outside(lca) and not trig.get(lemma[lca]) else (0.0, -1)
    if best[0] >= 0.5:
        p = PREDICATES[best[1]]
        f[f"near={p}"] = best[0]
        f[f"near={p}|{ta}|{tb}"] = 1.0
    return f


def sentence_candidates(toks: list[Token], tok2m: dict[int, Mention], rules: Rules, start: int, end: int,
                        vectors: bool = True, skip=None, lemmas: list[str] | None = None,
                        lowers: list[str] | None = None) -> Iterable[Candidate]:
    """Every pair of distinct actors' mentions in one sentence within ``MAX_PATH`` dependency arcs.

    ``toks`` are all the tokens of the parsed segment (``tok2m`` and token ``i`` index into it), the sentence
    being ``toks[start:end]``; ``tok2m`` holds the sentence's mentions only. ``skip(first, second)`` leaves out
    pairs already decided, before any feature is worked out. ``lemmas`` and ``lowers`` are the segment's
    lower-cased lemmas and words if the caller has read them already."""
    spans = mention_spans(tok2m)
    if len(spans) < 2:
        return
    sims = None
    if vectors:
        vocab = toks[start].vocab
        if vocab.vectors_length:
            sims = _trigger_table(id(vocab), _triggers_of(rules), vocab)
    sent = _Sentence(toks, start, end, rules, sims, lemmas, lowers)
    heads = [sent.head_of(s, e) for _, s, e in spans]
    for x in range(len(spans)):
        for y in range(x + 1, len(spans)):
            a, b = spans[x], spans[y]
            if a[0].name == b[0].name or (a[0].gaz_id and a[0].gaz_id == b[0].gaz_id):
                continue
            if skip is not None and skip(a[0], b[0]):
                continue
            path = sent.path(heads[x], heads[y])
            if path is None or len(path[0]) + len(path[1]) - 2 > MAX_PATH:
                continue
            if all(sent.dep[t] == "conj" for t in path[0][:-1] + path[1][:-1]):
                continue  # members of one list ("les États-Unis, l'Allemagne et les Pays-Bas") state nothing
                # of each other
            yield Candidate(a[0], b[0], features(sent, a, b, path), lambda path=path: _hedged(sent, path))
