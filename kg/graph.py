"""The only place that builds RDF: entities, relations with provenance, documents.

IRIs are minted here, from canonical names, so they are stable from run to run and
valid whatever the name holds (quotes, angle brackets, emoji, 10,000 characters).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from decimal import Decimal

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import __version__
from kg.namespace import KGO, KGR, WD
from kg.records import Document, Entity, Mention, Relation
from kg.validate import relation_allowed

_SLUG_MAX = 60


def _clean_literal(text: str) -> str:
    """Text safe for every RDF syntax: NFC, no lone surrogates, no control characters, and none of the
    other characters Python's line splitting breaks on (U+0085, U+2028, U+2029), which rdflib's
    N-Triples reader would take for the end of a line."""
    text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]", " ", text)


@lru_cache(maxsize=200_000)
def text_literal(text: str) -> Literal:
    """A cleaned string literal; cached, as a build writes the same sentence once per mention in it."""
    return Literal(_clean_literal(text))


@lru_cache(maxsize=200_000)
def int_literal(n: int) -> Literal:
    return Literal(n)


def decimal_literal(value: Decimal) -> Literal:
    """An xsd:decimal in one lexical form whatever path it took: at least one digit after the point, no
    trailing zeros ("16000000000.0", "1.5"). Turtle's shorthand adds the ".0" and Oxigraph drops it, so
    without one form a graph read from a file and the same graph read from a store export differently."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0")
    text = text + "0" if text.endswith(".") else text if "." in text else text + ".0"
    return Literal(text, datatype=XSD.decimal)


def slug(name: str) -> str:
    """ASCII slug of a name; long or non-Latin names get a hash so two names never collide by accident.

    A plain slug never holds "--" (runs of other characters become one "-"), so the
    hashed forms below, which do, can never equal the plain slug of another name.
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8")).hexdigest()[:10]
    if not s:
        return "x--" + digest
    if len(s) > _SLUG_MAX:
        return s[:_SLUG_MAX].rstrip("-") + "--" + digest
    return s


def slug_iris(keys_by_slug: dict[str, list[str]]) -> dict[str, URIRef]:
    """IRIs of the entities sharing each slug: the first key (gazetteer first, then key order) keeps the
    plain slug, the others get a hash of their key. Depends only on the keys sharing a slug, so the store
    can re-assign one slug without looking at the others."""
    out: dict[str, URIRef] = {}
    for s, keys in keys_by_slug.items():
        for i, key in enumerate(sorted(keys, key=lambda k: (not k.startswith("gaz:"), k))):
            out[key] = KGR[s if i == 0 else f"{s}--{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"]
    return out


def entity_iris(entities: dict[str, Entity]) -> dict[str, URIRef]:
    """One IRI per entity key: the slug of its canonical name, disambiguated on a clash."""
    by_slug: dict[str, list[str]] = {}
    for key, e in entities.items():
        by_slug.setdefault(slug(e.name), []).append(key)
    return slug_iris(by_slug)


@lru_cache(maxsize=100_000)
def doc_iri(doc_id: str) -> URIRef:
    return KGR[f"doc/{doc_id}"]


def _stmt_key(r: Relation, s_key: str, o_key: str) -> tuple:
    """What makes a statement one: its document, actors, predicate and sentence."""
    return r.doc_id, s_key, r.predicate, o_key, r.sent_start


def _stmt_iri(r: Relation, s_key: str, o_key: str) -> URIRef:
    h = hashlib.sha256("|".join(map(str, _stmt_key(r, s_key, o_key))).encode("utf-8")).hexdigest()
    return KGR[f"stmt/{h[:20]}"]


def equipment_iri(name: str) -> URIRef:
    """Equipment is named the same wherever it appears: one node per name."""
    return KGR[f"equipment/{slug(name)}"]


def _mention_iri(m: Mention) -> URIRef:
    return KGR[f"mention/{m.doc_id}-{m.start}-{m.end}"]


def new_graph() -> Graph:
    """An empty graph with the project's prefixes. rdflib's context-free store: a build's graph has no named
    graphs, and this store adds, serialises and answers SPARQL 1.5-3x faster than the default one."""
    g = Graph(store="SimpleMemory")
    g.bind("kgo", KGO._NS)
    g.bind("kgr", KGR)
    g.bind("skos", SKOS)
    g.bind("owl", OWL)
    g.bind("dcterms", DCTERMS)
    g.bind("wd", WD)
    return g


Triple = tuple[URIRef, URIRef, URIRef | Literal]
BUILD = KGR["build"]


# KGO terms of the per-mention and per-relation triples, made once: rdflib's DefinedNamespace checks the
# name and builds (and validates) a new URIRef at every attribute access, a third of the graph stage's time
_MENTIONED_IN, _MENTION, _MENTION_CLASS, _DOCUMENT, _SURFACE, _START, _END, _EVIDENCE = (
    KGO.mentionedIn, KGO.mention, KGO.Mention, KGO.document, KGO.surface, KGO.start, KGO.end, KGO.evidence)
_STATEMENT, _SOURCE, _RULE, _AMOUNT, _CURRENCY = KGO.Statement, KGO.source, KGO.rule, KGO.amount, KGO.currency
_CONFIDENCE, _ITEM, _EQUIPMENT = KGO.confidence, KGO.item, KGO.Equipment
_TYPE, _SUBJECT, _PREDICATE, _OBJECT, _LABEL, _ALT_LABEL = (
    RDF.type, RDF.subject, RDF.predicate, RDF.object, RDFS.label, SKOS.altLabel)
_KGO: dict[str, URIRef] = {}


def kgo(name: str) -> URIRef:
    """KGO[name], made once per name (classes and predicates named by records)."""
    term = _KGO.get(name)
    if term is None:
        term = _KGO[name] = KGO[name]
    return term


def header_triples(model: str) -> Iterator[Triple]:
    """The build record: software and model versions."""
    yield BUILD, RDF.type, KGO.Build
    yield BUILD, KGO.software, Literal(f"kg {__version__}")
    yield BUILD, KGO.model, Literal(model)


def document_triples(d: Document) -> Iterator[Triple]:
    node = doc_iri(d.doc_id)
    yield node, RDF.type, KGO.Document
    yield node, KGO.path, text_literal(d.path)
    yield node, KGO.sha256, Literal(d.sha256)
    yield node, DCTERMS.title, text_literal(d.title)


def entity_triples(e: Entity, node: URIRef) -> Iterator[Triple]:
    """What is said of an actor itself: class, canonical name, other names, Wikidata identity."""
    yield node, _TYPE, kgo(e.etype)
    yield node, _LABEL, text_literal(e.name)
    for a in e.aliases:
        yield node, _ALT_LABEL, text_literal(a)
    if e.qid:
        yield node, OWL.sameAs, WD[e.qid]
    if e.key.startswith("geo:"):  # a city GeoNames knows (kg/data/cities.tsv)
        yield node, OWL.sameAs, URIRef(f"https://sws.geonames.org/{int(e.key[4:])}/")


def mention_triples(m: Mention, node: URIRef) -> Iterator[Triple]:
    """One occurrence of an actor in a document, with its sentence."""
    mn = _mention_iri(m)
    doc = doc_iri(m.doc_id)
    yield node, _MENTIONED_IN, doc
    yield node, _MENTION, mn
    yield mn, _TYPE, _MENTION_CLASS
    yield mn, _DOCUMENT, doc
    yield mn, _SURFACE, text_literal(m.text)
    yield mn, _START, int_literal(m.start)
    yield mn, _END, int_literal(m.end)
    yield mn, _EVIDENCE, text_literal(m.sentence)


def one_per_statement(relations: list[Relation], key: Callable[[Mention], str]) -> list[Relation]:
    """One relation per statement: two rules of one sentence may state one relation between mentions that
    resolve to the same actors ("le Comité militaire (CMC) de l'OTAN"); the most confident one speaks for
    the sentence (then the first rule by name), so a statement never has two confidences."""
    best: dict[tuple, Relation] = {}
    for r in relations:
        k = _stmt_key(r, key(r.subject), key(r.object))
        if k not in best or (-r.confidence, r.rule) < (-best[k].confidence, best[k].rule):
            best[k] = r
    keep = {id(r) for r in best.values()}
    return [r for r in relations if id(r) in keep]


def relation_triples(r: Relation, s_key: str, o_key: str, s: URIRef, o: URIRef, s_type: str,
                     o_type: str) -> Iterator[Triple]:
    """The direct edge, and the statement that says which sentence states it; nothing if the actors'
    classes break the shapes' rules for this relation (a wrong edge is worse than a missing one)."""
    p = kgo(r.predicate)
    if s == o or not relation_allowed(p, kgo(s_type), kgo(o_type)):
        return
    yield s, p, o
    st = _stmt_iri(r, s_key, o_key)
    yield st, _TYPE, _STATEMENT
    yield st, _SUBJECT, s
    yield st, _PREDICATE, p
    yield st, _OBJECT, o
    yield st, _SOURCE, doc_iri(r.doc_id)
    yield st, _EVIDENCE, text_literal(r.sentence)
    yield st, _START, int_literal(r.sent_start)
    yield st, _END, int_literal(r.sent_end)
    yield st, _RULE, Literal(r.rule)
    yield st, _CONFIDENCE, decimal_literal(Decimal(f"{r.confidence:.3f}"))
    for name in r.items:
        node = equipment_iri(name)
        yield st, _ITEM, node
        yield node, _TYPE, _EQUIPMENT
        yield node, _LABEL, text_literal(name)
    if r.amount is not None:
        value = Decimal(int(r.amount)) if r.amount == int(r.amount) else Decimal(repr(r.amount))
        yield st, _AMOUNT, decimal_literal(value)
        if r.currency:
            yield st, _CURRENCY, Literal(r.currency)


def graph_triples(documents: list[Document], entities: dict[str, Entity], keys: dict[Mention, str],
                  relations: list[Relation], model: str) -> Iterator[Triple]:
    """Every triple of a build's graph, in a fixed order."""
    iris = entity_iris(entities)
    yield from header_triples(model)
    for d in documents:
        yield from document_triples(d)
    for key, e in entities.items():
        yield from entity_triples(e, iris[key])
        for m in e.mentions:
            yield from mention_triples(m, iris[key])
    for m, key in keys.items():  # "les forces russes" mentions Russia, though not by name
        if m.source == "adjective":
            yield iris[key], _MENTIONED_IN, doc_iri(m.doc_id)
    for r in one_per_statement(relations, keys.__getitem__):
        s_key, o_key = keys[r.subject], keys[r.object]
        yield from relation_triples(r, s_key, o_key, iris[s_key], iris[o_key], entities[s_key].etype,
                                    entities[o_key].etype)


def build_graph(documents: list[Document], entities: dict[str, Entity], keys: dict[Mention, str],
                relations: list[Relation], model: str) -> Graph:
    """The knowledge graph of a build, as an rdflib Graph."""
    g = new_graph()
    add = g.store.add  # Graph.add re-checks every term's type; these terms are all made above
    for t in graph_triples(documents, entities, keys, relations, model):
        add(t, g)
    return g
