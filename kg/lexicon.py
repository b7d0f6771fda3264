"""Load and validate the rule data files (gazetteer, triggers, boilerplate).

The files are the project's rules; this module only checks them and turns them into
plain lookup tables, so a typo in a user's file is reported with its file and line
instead of silently matching nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kg.errors import E_DATA, KgError

PREDICATES = ("funds", "supports", "opposes", "attacks", "commands", "leads",
              "memberOf", "partOf", "locatedIn", "operatesIn")
ENTITY_TYPES = {
    "Person": "Person",
    "Organization": "Organization",
    "MilitaryOrganization": "Organization",
    "GovernmentOrganization": "Organization",
    "Company": "Organization",
    "MediaOrganization": "Organization",
    "InternationalOrganization": "Organization",
    "Place": "Place",
    "Country": "Place",
    "City": "Place",
    "Region": "Place",
    "Continent": "Place",
}
_ID = re.compile(r"^[a-z0-9_]+$")


def coarse(etype: str) -> str:
    """Person, Organization or Place for any ontology class name."""
    return ENTITY_TYPES.get(etype, "Organization")


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path | str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise KgError(E_DATA.format(path=path, line=line, detail=f"not valid YAML: {exc}")) from None


def _packaged(name: str) -> tuple[str, str]:
    res = resources.files("kg") / "data" / name
    return str(res), res.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def cities() -> dict[str, int]:
    """GeoNames cities of at least 50,000 people by each of their names (kg/data/cities.tsv, made by
    tools/make_cities.py): normalised name -> GeoNames id. A name two cities share is kept for the larger only
    if it has five times the people of the other, else dropped: "Alexandria" is no one city."""
    _, text = _packaged("cities.tsv")
    best: dict[str, list[tuple[int, int]]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        gid, _, pop, names = line.split("\t")
        for n in names.split("|"):  # already normalised by the generator
            best.setdefault(n, []).append((int(pop), int(gid)))
    out = {}
    for n, found in best.items():
        found.sort(reverse=True)
        if len(found) == 1 or found[0][0] >= 5 * found[1][0]:
            out[n] = found[0][1]
    return out


@lru_cache(maxsize=500_000)  # called for every token by several rules; texts repeat a lot
def norm(text: str) -> str:
    """Comparison key for names: accents, case, apostrophes and spacing ignored."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("\u2019", "'").replace("\u02bc", "'").lower()
    return re.sub(r"\s+", " ", s).strip()


def inflect(adj: str) -> list[str]:
    """Masculine/feminine, singular/plural forms of a French nationality adjective."""
    a = adj.lower()
    if a.endswith("e"):
        return [a, a + "s"]
    if a.endswith(("ien", "éen")):
        return [a, a + "ne", a + "s", a + "nes"]
    if a.endswith("on"):
        return [a, a + "ne", a + "s", a + "nes"]
    if a.endswith("c"):  # turc, grec
        fem = a[:-1] + ("que" if a.endswith("rc") else "cque")
        return [a, fem, a + "s", fem + "s"]
    if a.endswith(("s", "x")):
        return [a, a + "e", a + "es"]
    return [a, a + "e", a + "s", a + "es"]


def plural(phrase: str) -> str:
    """The regular French plural of each word of a title ("premier ministre" -> "premiers ministres",
    "général" -> "généraux"); from a joining word on ("chef d'état-major", "commandant en chef") it stays."""
    out, joined = [], False
    for w in phrase.split(" "):
        joined = joined or w in ("de", "du", "des", "en", "et", "à") or "'" in w
        if joined or w.endswith(("s", "x", "z")):
            out.append(w)
        elif w.endswith("al"):
            out.append(w[:-2] + "aux")
        elif w.endswith(("au", "eu")):
            out.append(w + "x")
        else:
            out.append(w + "s")
    return " ".join(out)


def feminine(adj: str) -> str:
    """Feminine singular of a nationality adjective ("russe", "ukrainienne")."""
    forms = inflect(adj)
    return forms[1] if len(forms) > 2 else forms[0]


@dataclass(frozen=True)
class GazEntry:
    id: str
    type: str
    name: str
    names: tuple[str, ...]
    weak: tuple[str, ...]
    when: tuple[str, ...]
    adjectives: tuple[str, ...]
    descriptions: tuple[str, ...]
    qid: str | None


@dataclass
class Gazetteer:
    entries: dict[str, GazEntry] = field(default_factory=dict)

    def adjective_index(self) -> dict[str, str]:
        """Every inflected nationality adjective -> country id."""
        out: dict[str, str] = {}
        for e in self.entries.values():
            for adj in e.adjectives:
                for form in inflect(adj):
                    out.setdefault(norm(form), e.id)
        return out


def _as_tuple(v: Any, path: str, line: int, what: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise KgError(E_DATA.format(path=path, line=line, detail=f"'{what}' must be a list of strings"))
    return tuple(v)


def parse_gazetteer(path: str, text: str, into: Gazetteer | None = None) -> Gazetteer:
    """Validate a gazetteer file; entries of a later file replace earlier ones with the same id."""
    gaz = into or Gazetteer()
    data = _load_yaml(path, text)
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        raise KgError(E_DATA.format(path=path, line=1, detail="expected a mapping with a list 'entities'"))
    allowed = {"id", "type", "name", "names", "weak", "when", "adjectives", "descriptions", "qid", "__line__"}
    for item in data["entities"]:
        line = item.get("__line__", 0) if isinstance(item, dict) else 0
        if not isinstance(item, dict):
            raise KgError(E_DATA.format(path=path, line=line, detail="each entity must be a mapping"))
        unknown = set(item) - allowed
        if unknown:
            raise KgError(E_DATA.format(path=path, line=line, detail=f"unknown field(s) {sorted(unknown)}"))
        for req in ("id", "type", "name"):
            if not isinstance(item.get(req), str) or not item[req].strip():
                raise KgError(E_DATA.format(path=path, line=line, detail=f"missing '{req}'"))
        if not _ID.match(item["id"]):
            raise KgError(E_DATA.format(path=path, line=line, detail=f"id '{item['id']}' must match [a-z0-9_]+"))
        if item["type"] not in ENTITY_TYPES:
            raise KgError(E_DATA.format(path=path, line=line,
                                        detail=f"type '{item['type']}' is not one of {sorted(ENTITY_TYPES)}"))
        qid = item.get("qid")
        if qid is not None and not re.match(r"^Q[0-9]+$", str(qid)):
            raise KgError(E_DATA.format(path=path, line=line, detail=f"qid '{qid}' must look like Q123"))
        gaz.entries[item["id"]] = GazEntry(
            id=item["id"], type=item["type"], name=item["name"],
            names=_as_tuple(item.get("names"), path, line, "names"),
            weak=_as_tuple(item.get("weak"), path, line, "weak"),
            when=_as_tuple(item.get("when"), path, line, "when") or (item["id"],),
            adjectives=_as_tuple(item.get("adjectives"), path, line, "adjectives"),
            descriptions=_as_tuple(item.get("descriptions"), path, line, "descriptions"),
            qid=qid,
        )
    return gaz


@dataclass(frozen=True)
class VerbRule:
    predicate: str
    object: tuple[str, ...]  # ("obj",) or prepositions
    gift: bool
    passive_only: bool
    context: tuple[str, ...]
    sides: bool = False  # no actor as subject: the direct object and the other argument are the two sides
    inverse: bool = False  # the object is the subject ("Halane, qui abrite le QG de X": X is located in Halane)
    where: tuple[str, ...] = ()  # prepositions of a place the subject operates in ("combattre en Ukraine")


@dataclass(frozen=True)
class NounRule:
    predicate: str
    patient: tuple[str, ...]
    agent_verbs: frozenset[str]
    governors: frozenset[str]


@dataclass
class Rules:
    verbs: dict[str, VerbRule]
    nouns: dict[str, NounRule]
    gift_funds: frozenset[str]
    gift_supports: frozenset[str]
    titles: dict[str, str]
    ranks: frozenset[str]
    group_nouns: frozenset[str]
    org_parts: frozenset[str]
    class_nouns: dict[str, str]
    national_actors: dict[str, str]
    negation_words: frozenset[str]
    denial_verbs: frozenset[str]
    alleged_conditional: bool
    conditional_stems: frozenset[str] = frozenset()
    state_nouns: frozenset[str] = frozenset()
    compass_words: frozenset[str] = frozenset()
    agent_participles: frozenset[str] = frozenset()
    agent_nouns: frozenset[str] = frozenset()  # "les ambitions du Rwanda": "de X" is the doer, not the target
    naming_verbs: frozenset[str] = frozenset()  # "X a été nommé commandant de Y": X holds the title
    naming_words: frozenset[str] = frozenset()
    role_nouns: frozenset[str] = frozenset()
    army_nouns: frozenset[str] = frozenset()
    generic_words: frozenset[str] = frozenset()
    equipment_nouns: frozenset[str] = frozenset()
    alias_markers: tuple[tuple[str, ...], ...] = ()  # word sequences, longest first
    document_nouns: frozenset[str] = frozenset()  # "l'Accord de ...", "la Loi sur ...": texts, not actors
    person_nouns: tuple[tuple[str, ...], ...] = ()  # "l'homme d'affaires X": word sequences, longest first
    part_nouns: frozenset[str] = frozenset()  # "le Conseil d'administration du FMI": a body of the organisation
    feature_nouns: frozenset[str] = frozenset()  # "la mer Rouge", "le fleuve Niger": part of a place's name
    office_titles: dict[str, str] = field(default_factory=dict)  # "ministre" -> "ministère"
    honorifics: frozenset[str] = frozenset()  # "M.", "Mme", "MM.": the name after them is a person's
    real_name_markers: tuple[tuple[str, ...], ...] = ()


def _word_sequences(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Phrases as lower-case word sequences the way spaCy's French tokenizer splits them ("d'" apart), longest
    first so "également connu sous le nom de" is tried before "connu sous le nom de"."""
    seqs = {tuple(re.sub(r"([dl]['’])", r"\1 ", norm(p)).split()) for p in phrases}
    return tuple(sorted(seqs, key=lambda s: (-len(s), s)))


def _check_pred(p: Any, path: str, line: int) -> str:
    if p not in PREDICATES:
        raise KgError(E_DATA.format(path=path, line=line, detail=f"predicate '{p}' is not one of {list(PREDICATES)}"))
    return p


def _check_type(t: Any, path: str, line: int) -> str:
    if t not in ENTITY_TYPES:
        raise KgError(E_DATA.format(path=path, line=line, detail=f"type '{t}' is not one of {sorted(ENTITY_TYPES)}"))
    return t


def _check_offices(offices: dict, heads: dict, path: str, line: int) -> dict[str, str]:
    """office_titles: each title's institution must be a national_actors head ("ministre" -> "ministère")."""
    line = offices.get("__line__", line)
    for title, head in offices.items():
        if title != "__line__" and head not in heads:
            raise KgError(E_DATA.format(path=path, line=line, detail=f"office title '{title}': '{head}' is not a "
                                                                     f"national_actors head"))
    return {k: v for k, v in offices.items() if k != "__line__"}


def parse_rules(path: str, text: str) -> Rules:
    """Validate the trigger lexicon and turn it into lookup tables."""
    d = _load_yaml(path, text)
    if not isinstance(d, dict):
        raise KgError(E_DATA.format(path=path, line=1, detail="expected a mapping"))
    top = d.get("__line__", 1)
    for key in ("verbs", "nouns", "titles", "class_nouns", "national_actors", "gift_nouns"):
        if not isinstance(d.get(key), dict):
            raise KgError(E_DATA.format(path=path, line=top, detail=f"missing mapping '{key}'"))
    verbs = {}
    for lemma, spec in d["verbs"].items():
        if lemma == "__line__":
            continue
        line = spec.get("__line__", top) if isinstance(spec, dict) else top
        if not isinstance(spec, dict):
            raise KgError(E_DATA.format(path=path, line=line, detail=f"verb '{lemma}' needs a mapping"))
        verbs[lemma] = VerbRule(
            predicate=_check_pred(spec.get("predicate"), path, line),
            object=_as_tuple(spec.get("object", ["obj"]), path, line, "object"),
            gift=bool(spec.get("gift", False)),
            passive_only=bool(spec.get("passive_only", False)),
            context=_as_tuple(spec.get("context"), path, line, "context"),
            sides=bool(spec.get("sides", False)),
            where=_as_tuple(spec.get("where"), path, line, "where"),
            inverse=bool(spec.get("inverse", False)),
        )
    nouns = {}
    for lemma, spec in d["nouns"].items():
        if lemma == "__line__":
            continue
        line = spec.get("__line__", top) if isinstance(spec, dict) else top
        if not isinstance(spec, dict):
            raise KgError(E_DATA.format(path=path, line=line, detail=f"noun '{lemma}' needs a mapping"))
        nouns[lemma] = NounRule(
            predicate=_check_pred(spec.get("predicate"), path, line),
            patient=_as_tuple(spec.get("patient"), path, line, "patient"),
            agent_verbs=frozenset(_as_tuple(spec.get("agent_verbs"), path, line, "agent_verbs")),
            governors=frozenset(_as_tuple(spec.get("governors"), path, line, "governors")),
        )
    gl = d["gift_nouns"].get("__line__", top)
    titles = {norm(k): _check_pred(v, path, d["titles"].get("__line__", top))
              for k, v in d["titles"].items() if k != "__line__"}
    # each title holds in the plural too: "les Premiers ministres polonais et suédois, X et Y"
    titles = {**{plural(k): v for k, v in titles.items()}, **titles}
    cl = d["class_nouns"].get("__line__", top)
    nl = d["national_actors"].get("__line__", top)
    return Rules(
        verbs=verbs,
        nouns=nouns,
        gift_funds=frozenset(_as_tuple(d["gift_nouns"].get("funds"), path, gl, "gift_nouns.funds")),
        gift_supports=frozenset(_as_tuple(d["gift_nouns"].get("supports"), path, gl, "gift_nouns.supports")),
        titles=titles,
        ranks=frozenset(norm(x) for x in _as_tuple(d.get("ranks"), path, top, "ranks")),
        group_nouns=frozenset(_as_tuple(d.get("group_nouns"), path, top, "group_nouns")),
        org_parts=frozenset(_as_tuple(d.get("org_parts"), path, top, "org_parts")),
        class_nouns={k: _check_type(v, path, cl) for k, v in d["class_nouns"].items() if k != "__line__"},
        national_actors={k: _check_type(v, path, nl) for k, v in d["national_actors"].items() if k != "__line__"},
        negation_words=frozenset(norm(x) for x in _as_tuple(d.get("negation_words"), path, top, "negation_words")),
        denial_verbs=frozenset(_as_tuple(d.get("denial_verbs"), path, top, "denial_verbs")),
        alleged_conditional=bool(d.get("alleged_conditional", False)),
        conditional_stems=frozenset(_as_tuple(d.get("conditional_stems"), path, top, "conditional_stems")),
        state_nouns=frozenset(norm(x) for x in _as_tuple(d.get("state_nouns"), path, top, "state_nouns")),
        compass_words=frozenset(norm(x) for x in _as_tuple(d.get("compass_words"), path, top, "compass_words")),
        agent_participles=frozenset(_as_tuple(d.get("agent_participles"), path, top, "agent_participles")),
        agent_nouns=frozenset(_as_tuple(d.get("agent_nouns"), path, top, "agent_nouns")),
        naming_verbs=frozenset(_as_tuple(d.get("naming_verbs"), path, top, "naming_verbs")),
        naming_words=frozenset(_as_tuple(d.get("naming_words"), path, top, "naming_words")),
        role_nouns=frozenset(norm(x) for x in _as_tuple(d.get("role_nouns"), path, top, "role_nouns")),
        army_nouns=frozenset(_as_tuple(d.get("army_nouns"), path, top, "army_nouns")),
        generic_words=frozenset(norm(x) for x in _as_tuple(d.get("generic_words"), path, top, "generic_words")),
        equipment_nouns=frozenset(_as_tuple(d.get("equipment_nouns"), path, top, "equipment_nouns")),
        document_nouns=frozenset(norm(x) for x in _as_tuple(d.get("document_nouns"), path, top, "document_nouns")),
        person_nouns=_word_sequences(_as_tuple(d.get("person_nouns"), path, top, "person_nouns")),
        part_nouns=frozenset(norm(x) for x in _as_tuple(d.get("part_nouns"), path, top, "part_nouns")),
        feature_nouns=frozenset(norm(x) for x in _as_tuple(d.get("feature_nouns"), path, top, "feature_nouns")),
        office_titles=_check_offices(d.get("office_titles") or {}, d["national_actors"], path, top),
        honorifics=frozenset(norm(x) for x in _as_tuple(d.get("honorifics"), path, top, "honorifics")),
        alias_markers=_word_sequences(_as_tuple(d.get("alias_markers"), path, top, "alias_markers")),
        real_name_markers=_word_sequences(_as_tuple(d.get("real_name_markers"), path, top, "real_name_markers")),
    )


@dataclass(frozen=True)
class Boilerplate:
    drop_lines: tuple[re.Pattern, ...]
    strip_prefixes: tuple[re.Pattern, ...]
    drop_truncated: bool


def parse_boilerplate(path: str, text: str) -> Boilerplate:
    d = _load_yaml(path, text)
    line = d.get("__line__", 1) if isinstance(d, dict) else 1

    def compile_all(key: str) -> tuple[re.Pattern, ...]:
        out = []
        for rx in _as_tuple(d.get(key), path, line, key):
            try:
                out.append(re.compile(rx, re.I))
            except re.error as exc:
                raise KgError(E_DATA.format(path=path, line=line, detail=f"bad regex {rx!r}: {exc}")) from None
        return tuple(out)

    return Boilerplate(compile_all("drop_lines"), compile_all("strip_prefixes"), bool(d.get("drop_truncated", True)))


@dataclass(eq=False)
class Lexicon:
    """All rule data, loaded once per run."""

    gazetteer: Gazetteer
    rules: Rules
    boilerplate: Boilerplate
    model: Any = None  # kg.extract.decide.RelationModel: the learned decision, or None for the rules alone
    min_confidence: float | None = None  # statements below it are left out (None: the model's own cut)
    lang: str | None = "fr"  # documents in another language are skipped ("any" or None: none is)


def load_lexicon(extra_gazetteers: tuple[str, ...] = (), model: str | None = None, rules_only: bool = False,
                 min_confidence: float | None = None, lang: str | None = "fr") -> Lexicon:
    """The packaged rules plus any user gazetteer files (which win on the same id), and the relation model
    (the shipped one, or the file ``model``; none with ``rules_only``); ``min_confidence`` overrides the
    model's cut for the statements it decides and drops rule statements below it too."""
    from kg.extract.decide import load_model

    gaz = parse_gazetteer(*_packaged("places.yaml"))  # reference data first: the hand entries win
    parse_gazetteer(*_packaged("gazetteer.yaml"), into=gaz)
    for p in extra_gazetteers:
        try:
            text = Path(p).read_text(encoding="utf-8")
        except OSError as exc:
            raise KgError(f"cannot read gazetteer {p}: {exc.strerror}") from None
        parse_gazetteer(p, text, into=gaz)
    return Lexicon(gaz, parse_rules(*_packaged("rules.yaml")), parse_boilerplate(*_packaged("boilerplate.yaml")),
                   None if rules_only else load_model(model), min_confidence, lang)


def rules_fingerprint(extra_gazetteers: tuple[str, ...] = (), min_confidence: float | None = None) -> str:
    """What extraction records depend on besides the text: kg's version, the rule files and gazetteers.
    A store refuses records made under another fingerprint (they would not match what the rules say now)."""
    import hashlib

    from kg import __version__

    from kg.extract.decide import MODEL_FILE

    h = hashlib.sha256(__version__.encode())
    for name in ("places.yaml", "gazetteer.yaml", "rules.yaml", "boilerplate.yaml"):
        h.update(b"\0" + _packaged(name)[1].encode("utf-8"))
    if MODEL_FILE.is_file():
        h.update(b"\0" + MODEL_FILE.read_bytes())
    for p in extra_gazetteers:
        h.update(b"\0" + Path(p).read_bytes())
    if min_confidence is not None:
        h.update(f"\0min-confidence={min_confidence}".encode())
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return load_lexicon()
