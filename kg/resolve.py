"""Entity resolution: which mentions name the same real-world actor.

Known actors merge on their gazetteer id. Other names merge on a normalised key;
a person's surname alone ("Cavoli") joins the one full name that ends with it,
comparing French and English transliterations ("Prigojine" ~ "Prigozhin"); a
surface form once attached to an actor (an acronym in parentheses, a
description) names that actor wherever else it appears.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from kg.lexicon import Lexicon, coarse, norm
from kg.records import Entity, Mention, Relation

_LEAD = re.compile(r"^(le |la |les |l'|du |des |de la |de l'|de |d')")
_TYPE_RANK = {"pattern": 0, "gazetteer": 0, "acronym": 1, "ner": 2}


def translit(word: str) -> str:
    """A key that French and English spellings of a transliterated name share."""
    s = norm(word).replace("-", "")
    for a, b in (("zh", "j"), ("kh", "h"), ("sch", "sh"), ("ch", "sh"), ("ou", "u"), ("y", "i"),
                 ("ck", "k"), ("ph", "f"), ("ii", "i")):
        s = s.replace(a, b)
    return s[:-1] if s.endswith("e") and len(s) > 3 else s


def _name_key(name: str) -> str:
    s = norm(name)
    prev = None
    while prev != s:
        prev, s = s, _LEAD.sub("", s).strip()
    return s


def _base_key(m: Mention) -> str:
    if m.gaz_id:
        return f"gaz:{m.gaz_id}"
    if "|" in m.source:
        return m.source.split("|", 1)[1]
    if m.etype == "Person":
        return "person:" + " ".join(translit(w) for w in _name_key(m.name).split())
    return "name:" + _name_key(m.name)


def mention_keys(mentions: list[Mention]) -> dict[Mention, str]:
    """The entity key of every mention."""
    keys = {m: _base_key(m) for m in mentions}
    # a surface form merged into an actor names it elsewhere too ("SHAPE" after "... (SHAPE)")
    alias: dict[str, str] = {}
    for m, k in sorted(keys.items(), key=lambda kv: (kv[0].doc_id, kv[0].start)):
        if _name_key(m.text) != _name_key(m.name) and m.source != "adjective":
            alias.setdefault(_name_key(m.text), k)
    for m, k in keys.items():
        if k.startswith(("name:", "person:")) and _name_key(m.name) in alias:
            keys[m] = alias[_name_key(m.name)]
    # a surname alone joins the single full name ending with it (same document first)
    full: dict[str, set[str]] = defaultdict(set)
    full_by_doc: dict[tuple[str, str], set[str]] = defaultdict(set)
    gaz_surnames: dict[str, set[str]] = defaultdict(set)
    for m, k in keys.items():
        if m.etype != "Person":
            continue
        words = _name_key(m.name).split()
        if len(words) > 1:
            last = translit(words[-1])
            full[last].add(k)
            full_by_doc[(m.doc_id, last)].add(k)
            if k.startswith("gaz:"):
                gaz_surnames[last].add(k)
    for m, k in list(keys.items()):
        if m.etype != "Person" or not k.startswith("person:"):
            continue
        words = _name_key(m.name).split()
        if len(words) != 1:
            continue
        last = translit(words[0])
        for pool in (full_by_doc.get((m.doc_id, last), set()), full.get(last, set())):
            if len(pool) == 1:
                keys[m] = next(iter(pool))
                break
    return keys


def _pick_name(mentions: list[Mention]) -> str:
    counts = Counter(m.name for m in mentions if m.source not in ("adjective", "description", "acronym"))
    if not counts:
        counts = Counter(m.name for m in mentions)
    return sorted(counts, key=lambda n: (-len(n.split()) if mentions[0].etype == "Person" else 0,
                                         -counts[n], -len(n), n))[0]


def _pick_type(mentions: list[Mention]) -> str:
    votes: Counter[str] = Counter()
    for m in mentions:
        weight = 3 - _TYPE_RANK.get(m.source.split("|")[0], 2)
        specific = 1 if m.etype not in ("Place", "Organization") else 0
        votes[m.etype] += weight * 10 + specific
    # a specific class of the winning coarse type beats its generic parent
    best = sorted(votes, key=lambda t: (-votes[t], t))[0]
    sub = [t for t in votes if coarse(t) == coarse(best) and t not in ("Place", "Organization")]
    return sorted(sub, key=lambda t: (-votes[t], t))[0] if sub else best


def resolve(mentions: list[Mention], relations: list[Relation], lex: Lexicon
            ) -> tuple[dict[str, Entity], dict[Mention, str]]:
    """Entities keyed by resolution key, and the key of each mention."""
    all_mentions = list(mentions) + [x for r in relations for x in (r.subject, r.object)]
    keys = mention_keys(all_mentions)
    groups: dict[str, list[Mention]] = defaultdict(list)
    for m in all_mentions:
        groups[keys[m]].append(m)
    entities: dict[str, Entity] = {}
    for key in sorted(groups):
        ms = sorted(set(groups[key]), key=lambda m: (m.doc_id, m.start, m.end, m.source))
        gid = key[4:] if key.startswith("gaz:") else None
        if gid:
            entry = lex.gazetteer.entries[gid]
            name, etype, qid = entry.name, entry.type, entry.qid
            aliases = {entry.name, *entry.names}
        else:
            name, etype, qid = _pick_name(ms), _pick_type(ms), None
            aliases = set()
        aliases |= {m.text for m in ms if m.source != "adjective"}
        aliases |= {m.name for m in ms}
        aliases.discard(name)
        entities[key] = Entity(key=key, name=name, etype=etype, gaz_id=gid, qid=qid,
                               aliases=aliases, mentions=[m for m in ms if m.source != "adjective"])
    return entities, keys
