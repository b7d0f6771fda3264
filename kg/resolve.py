"""Entity resolution: which mentions name the same real-world actor.

Known actors merge on their gazetteer id. Other names merge on a normalised key;
a person's surname alone ("Cavoli") joins the one full name that ends with it,
comparing French and English transliterations ("Prigojine" ~ "Prigozhin"); full
names with one surname join when their given names agree ("Mohammed Deif" /
"Muhammed Deif", "Tod Wolters" / "Tod D. Wolters"); a
surface form once attached to an actor (an acronym in parentheses, a
description) names that actor wherever else it appears.

The steps are written as small per-mention functions (what key a mention has on
its own, which alias it declares, which surname pool it feeds or reads) and
additive per-entity statistics, so that the persistent store (kg.store) can
resolve a new batch against what it holds and get exactly what ``resolve`` gives
over all documents at once.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from kg.lexicon import Lexicon, coarse, norm
from kg.records import Entity, Mention, Relation

_LEAD = re.compile(r"^(le |la |les |l'|du |des |de la |de l'|de |d')")
_TYPE_RANK = {"pattern": 0, "role": 0, "gazetteer": 0, "class": 1, "acronym": 1, "ner": 2}
_NOT_A_NAME = ("adjective", "description", "acronym", "demonstrative")
# "russe", "ministre russe de la Défense", "ce mouvement" stand for an actor, not named
_NOT_ITS_TEXT = ("adjective", "role", "demonstrative")


def _kind(m: Mention) -> str:
    return m.source.split("|", 1)[0]


def translit(word: str, surname: bool = True) -> str:
    """A key that French and English spellings of a transliterated name share. A surname's final "e" is
    dropped ("Prigojine" ~ "Prigozhin"); a given name's is kept: "Louise" is not "Louis"."""
    s = norm(word).replace("-", "")
    for a, b in (("zh", "j"), ("kh", "h"), ("sch", "sh"), ("ch", "sh"), ("ou", "u"), ("y", "i"),
                 ("ck", "k"), ("ph", "f"), ("ii", "i")):
        s = s.replace(a, b)
    return s[:-1] if surname and s.endswith("e") and len(s) > 3 else s


def name_key(name: str) -> str:
    s = norm(name)
    prev = None
    while prev != s:
        prev, s = s, _LEAD.sub("", s).strip()
    return s


def order(m: Mention) -> tuple:
    """A total order on mentions (document, position, then every field), so ties never depend on input order."""
    return (m.doc_id, m.start, m.end, m.text, m.name, m.etype, m.gaz_id or "", m.source)


def base_key(m: Mention) -> str:
    """The key a mention has on its own, before aliases and surnames are looked at."""
    if m.gaz_id:
        return f"gaz:{m.gaz_id}"
    if "|" in m.source:
        return m.source.split("|", 1)[1]
    if m.etype == "Person":
        words = name_key(m.name).split()
        return "person:" + " ".join(translit(w, surname=n == len(words) - 1) for n, w in enumerate(words))
    return "name:" + name_key(m.name)


def declared_alias(m: Mention) -> str | None:
    """The surface form this mention attaches to its actor ("SHAPE" in "... (SHAPE)"), if any."""
    if _kind(m) not in _NOT_ITS_TEXT and name_key(m.text) != name_key(m.name):
        return name_key(m.text)
    return None


def alias_reader(m: Mention, key: str) -> str | None:
    """The alias this mention would be redirected by (its own name), if its key may be redirected."""
    return name_key(m.name) if key.startswith(("name:", "person:")) else None


# Particles of a surname: "Di Paola", "Le Pen", "von der Leyen" are surnames alone, not a given name and one.
_PARTICLES = frozenset({"di", "de", "da", "del", "della", "van", "von", "der", "den", "le", "la", "al", "el",
                        "ben", "bin", "ibn", "abu", "du", "des", "dos", "das", "mac", "mc", "o", "ter", "ten"})


def _bare_surname(words: list[str]) -> bool:
    return len(words) == 1 or all(w in _PARTICLES for w in words[:-1])


def surname_of_full_name(m: Mention) -> str | None:
    """A full person name feeds the pool of its surname."""
    if m.etype != "Person":
        return None
    words = name_key(m.name).split()
    return translit(words[-1]) if words and not _bare_surname(words) else None


def surname_alone(m: Mention, key: str) -> str | None:
    """A surname alone ("Cavoli", "Di Paola") reads the pool of full names ending with it."""
    if m.etype != "Person" or not key.startswith("person:"):
        return None
    words = name_key(m.name).split()
    return translit(words[-1]) if words and _bare_surname(words) else None


GIVEN_SIMILARITY = 0.85  # given names this alike (difflib ratio, transliteration keys) may be one person's
_FEMININE_ENDINGS = ("e", "ne", "le", "te", "tte", "lle")


def _given(name: str) -> tuple[str, list[str]]:
    """A full name's given names as one transliteration key without spaces ("Abdel Rahim" = "Abdelrahim"),
    and as words."""
    words = [translit(w, surname=False) for w in name_key(name).replace(".", " ").split()[:-1]]
    return "".join(words), words


def given_names_agree(a: str, b: str) -> bool:
    """Whether two full names with one surname may name one person: given names spelled alike ("Mohammed" /
    "Muhammed", "Dmitri" / "Dimitriy", "Christopher" / "Christophe"), or one's words all among the other's,
    initials included ("Tod Wolters" / "Tod D. Wolters", "Ali Karti" / "Ali Ahmed Karti")."""
    (ja, wa), (jb, wb) = _given(a), _given(b)
    if not ja or not jb:
        return False
    ra, rb = sorted((name_key(a).split()[0], name_key(b).split()[0]), key=len)
    if rb != ra and rb.startswith(ra) and rb[len(ra):] in _FEMININE_ENDINGS:
        return False  # "Jean" / "Jeanne", "Louis" / "Louise": two people
    if any(_alike(ja, "".join(wb[:n])) for n in range(1, len(wb) + 1)) or \
            any(_alike(jb, "".join(wa[:n])) for n in range(1, len(wa) + 1)):
        return True  # "Abdul Rahim" / "Abdel Rahim Hamdan": middle names left out
    short, long_ = sorted((wa, wb), key=len)
    if short[0] == long_[0] and all(any(w == x or (len(w) == 1 and x.startswith(w)) for x in long_) for w in short):
        return True
    return False


def _alike(a: str, b: str) -> bool:
    return a == b or SequenceMatcher(None, a, b).ratio() >= GIVEN_SIMILARITY


def join_full_names(keys: dict[Mention, str]) -> dict[str, str]:
    """Person keys to join across documents: full names with one surname (transliteration key) whose given
    names agree. A group is joined only if every two of its names agree (a clique): "Ali Karti" between
    "Ali Ahmed Karti" and "Ali Hassan Karti" joins neither. The group takes its smallest key."""
    by_surname: dict[str, dict[str, str]] = defaultdict(dict)
    for m, k in keys.items():
        last = surname_of_full_name(m)
        if last is not None and k.startswith("person:"):
            by_surname[last].setdefault(k, m.name)
    out: dict[str, str] = {}
    for names in by_surname.values():
        if len(names) < 2:
            continue
        ks = sorted(names)
        near = {k: {j for j in ks if j != k and given_names_agree(names[k], names[j])} for k in ks}
        seen: set[str] = set()
        for k in ks:
            if k in seen or not near[k]:
                continue
            group, todo = set(), [k]
            while todo:
                x = todo.pop()
                if x not in group:
                    group.add(x)
                    todo.extend(near[x] - group)
            seen |= group
            if all(near[x] >= group - {x} for x in group):
                out.update({x: min(group) for x in group if x != min(group)})
    return out


def alias_map(mentions: list[Mention], base: dict[Mention, str]) -> dict[str, tuple[tuple, str]]:
    """Declared alias -> (order of the first mention declaring it, its key); the first declaration wins."""
    out: dict[str, tuple[tuple, str]] = {}
    for m in sorted(mentions, key=order):
        a = declared_alias(m)
        if a is not None and a not in out:
            out[a] = (order(m), base[m])
    return out


def pick_surname(m: Mention, key: str, by_doc: dict[tuple[str, str], set[str]],
                 pool: dict[str, set[str]], joined: dict[str, str] | None = None) -> str:
    """The final key: the single full name of the same document, else of all documents, for a surname alone
    (full names that ``joined`` makes one count once); a full name's join (join_full_names) otherwise."""
    joined = joined or {}
    last = surname_alone(m, key)
    if last is None:
        return joined.get(key, key)
    for candidates in (by_doc.get((m.doc_id, last), set()), pool.get(last, set())):
        found = {joined.get(c, c) for c in candidates}
        if len(found) == 1:
            return next(iter(found))
    return key


def mention_keys(mentions: list[Mention]) -> dict[Mention, str]:
    """The entity key of every mention."""
    base = {m: base_key(m) for m in mentions}
    aliases = alias_map(mentions, base)
    keys = {}
    for m, k in base.items():
        a = alias_reader(m, k)
        keys[m] = aliases[a][1] if a is not None and a in aliases else k
    joined = join_full_names(keys)
    pool: dict[str, set[str]] = defaultdict(set)
    by_doc: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m, k in keys.items():
        last = surname_of_full_name(m)
        if last is not None:
            pool[last].add(k)
            by_doc[(m.doc_id, last)].add(k)
    return {m: pick_surname(m, k, by_doc, pool, joined) for m, k in keys.items()}


@dataclass
class Stats:
    """What an entity's name, type and aliases are chosen from; adding mentions only adds to it."""

    first: tuple = ()
    first_etype: str = ""
    names: Counter = field(default_factory=Counter)  # names written as names (not adjectives, acronyms...)
    all_names: Counter = field(default_factory=Counter)
    votes: Counter = field(default_factory=Counter)
    surfaces: set = field(default_factory=set)

    def add(self, m: Mention) -> None:
        if not self.first or order(m) < self.first:
            self.first, self.first_etype = order(m), m.etype
        if m.source not in _NOT_A_NAME and _kind(m) not in ("role", "demonstrative"):
            self.names[m.name] += 1
        self.all_names[m.name] += 1
        weight = 3 - _TYPE_RANK.get(m.source.split("|")[0], 2)
        self.votes[m.etype] += weight * 10 + (1 if m.etype not in ("Place", "Organization") else 0)
        if _kind(m) not in _NOT_ITS_TEXT:
            self.surfaces.add(m.text)
        self.surfaces.add(m.name)

    def to_json(self) -> dict:
        return {"first": list(self.first), "first_etype": self.first_etype, "names": dict(self.names),
                "all_names": dict(self.all_names), "votes": dict(self.votes), "surfaces": sorted(self.surfaces)}

    @classmethod
    def from_json(cls, d: dict) -> Stats:
        return cls(tuple(d["first"]), d["first_etype"], Counter(d["names"]), Counter(d["all_names"]),
                   Counter(d["votes"]), set(d["surfaces"]))


def _pick_name(stats: Stats) -> str:
    counts = stats.names or stats.all_names
    person = stats.first_etype == "Person"
    return sorted(counts, key=lambda n: (-len(n.split()) if person else 0, -counts[n], -len(n), n))[0]


def _pick_type(stats: Stats) -> str:
    votes = stats.votes
    # a specific class of the winning coarse type beats its generic parent
    best = sorted(votes, key=lambda t: (-votes[t], t))[0]
    sub = [t for t in votes if coarse(t) == coarse(best) and t not in ("Place", "Organization")]
    return sorted(sub, key=lambda t: (-votes[t], t))[0] if sub else best


def make_entity(key: str, stats: Stats, lex: Lexicon, mentions: list[Mention] | None = None) -> Entity:
    """The entity of a key, from the statistics of its mentions (the gazetteer decides for known actors)."""
    gid = key[4:] if key.startswith("gaz:") else None
    if gid:
        entry = lex.gazetteer.entries[gid]
        name, etype, qid = entry.name, entry.type, entry.qid
        aliases = {entry.name, *entry.names}
    else:
        name, etype, qid = _pick_name(stats), _pick_type(stats), None
        aliases = set()
    aliases |= stats.surfaces
    aliases.discard(name)
    return Entity(key=key, name=name, etype=etype, gaz_id=gid, qid=qid, aliases=aliases,
                  mentions=[m for m in mentions or [] if m.source != "adjective"])


def resolve(mentions: list[Mention], relations: list[Relation], lex: Lexicon
            ) -> tuple[dict[str, Entity], dict[Mention, str]]:
    """Entities keyed by resolution key, and the key of each mention."""
    all_mentions = list(dict.fromkeys(list(mentions) + [x for r in relations for x in (r.subject, r.object)]))
    keys = mention_keys(all_mentions)
    groups: dict[str, list[Mention]] = defaultdict(list)
    for m in all_mentions:
        groups[keys[m]].append(m)
    entities: dict[str, Entity] = {}
    for key in sorted(groups):
        ms = sorted(groups[key], key=order)
        stats = Stats()
        for m in ms:
            stats.add(m)
        entities[key] = make_entity(key, stats, lex, ms)
    return entities, keys
