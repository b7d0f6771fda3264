"""The only place that builds RDF: entities, relations with provenance, documents.

IRIs are minted here, from canonical names, so they are stable from run to run and
valid whatever the name holds (quotes, angle brackets, emoji, 10,000 characters).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import Decimal

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import __version__
from kg.namespace import KGO, KGR, WD
from kg.records import Document, Entity, Mention, Relation

_SLUG_MAX = 60


def _clean_literal(text: str) -> str:
    """Text safe for every RDF syntax: NFC, no lone surrogates, no control characters."""
    text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)


def slug(name: str) -> str:
    """ASCII slug of a name; long or non-Latin names get a hash so two names never collide by accident."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8")).hexdigest()[:10]
    if not s:
        return "x-" + digest
    if len(s) > _SLUG_MAX:
        return s[:_SLUG_MAX].rstrip("-") + "-" + digest
    return s


def entity_iris(entities: dict[str, Entity]) -> dict[str, URIRef]:
    """One IRI per entity key: the slug of its canonical name, disambiguated on a clash."""
    taken: dict[str, str] = {}
    out: dict[str, URIRef] = {}
    # gazetteer entities first, so a known actor always keeps the plain slug of its name
    for key in sorted(entities, key=lambda k: (not k.startswith("gaz:"), k)):
        s = slug(entities[key].name)
        if s in taken:
            s = f"{s}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
        taken[s] = key
        out[key] = KGR[s]
    return out


def doc_iri(doc_id: str) -> URIRef:
    return KGR[f"doc/{doc_id}"]


def _stmt_iri(r: Relation, s_key: str, o_key: str) -> URIRef:
    h = hashlib.sha256(f"{r.doc_id}|{s_key}|{r.predicate}|{o_key}|{r.sent_start}".encode("utf-8")).hexdigest()
    return KGR[f"stmt/{h[:20]}"]


def _mention_iri(m: Mention) -> URIRef:
    return KGR[f"mention/{m.doc_id}-{m.start}-{m.end}"]


def new_graph() -> Graph:
    g = Graph()
    g.bind("kgo", KGO._NS)
    g.bind("kgr", KGR)
    g.bind("skos", SKOS)
    g.bind("owl", OWL)
    g.bind("dcterms", DCTERMS)
    g.bind("wd", WD)
    return g


def build_graph(documents: list[Document], entities: dict[str, Entity], keys: dict[Mention, str],
                relations: list[Relation], model: str) -> Graph:
    """The knowledge graph of a build, as an rdflib Graph."""
    g = new_graph()
    iris = entity_iris(entities)
    build = KGR["build"]
    g.add((build, RDF.type, KGO.Build))
    g.add((build, KGO.software, Literal(f"kg {__version__}")))
    g.add((build, KGO.model, Literal(model)))
    for d in documents:
        node = doc_iri(d.doc_id)
        g.add((node, RDF.type, KGO.Document))
        g.add((node, KGO.path, Literal(_clean_literal(d.path))))
        g.add((node, KGO.sha256, Literal(d.sha256)))
        g.add((node, DCTERMS.title, Literal(_clean_literal(d.title))))
    for key, e in entities.items():
        node = iris[key]
        g.add((node, RDF.type, KGO[e.etype]))
        g.add((node, RDFS.label, Literal(_clean_literal(e.name))))
        for a in e.aliases:
            g.add((node, SKOS.altLabel, Literal(_clean_literal(a))))
        if e.qid:
            g.add((node, OWL.sameAs, WD[e.qid]))
        for m in e.mentions:
            mn = _mention_iri(m)
            g.add((node, KGO.mentionedIn, doc_iri(m.doc_id)))
            g.add((node, KGO.mention, mn))
            g.add((mn, RDF.type, KGO.Mention))
            g.add((mn, KGO.document, doc_iri(m.doc_id)))
            g.add((mn, KGO.surface, Literal(_clean_literal(m.text))))
            g.add((mn, KGO.start, Literal(m.start)))
            g.add((mn, KGO.end, Literal(m.end)))
            g.add((mn, KGO.evidence, Literal(_clean_literal(m.sentence))))
    for r in relations:
        s_key, o_key = keys[r.subject], keys[r.object]
        s, p, o = iris[s_key], KGO[r.predicate], iris[o_key]
        if s == o:
            continue
        g.add((s, p, o))
        st = _stmt_iri(r, s_key, o_key)
        g.add((st, RDF.type, KGO.Statement))
        g.add((st, RDF.subject, s))
        g.add((st, RDF.predicate, p))
        g.add((st, RDF.object, o))
        g.add((st, KGO.source, doc_iri(r.doc_id)))
        g.add((st, KGO.evidence, Literal(_clean_literal(r.sentence))))
        g.add((st, KGO.start, Literal(r.sent_start)))
        g.add((st, KGO.end, Literal(r.sent_end)))
        g.add((st, KGO.rule, Literal(r.rule)))
        if r.amount is not None:
            value = Decimal(int(r.amount)) if r.amount == int(r.amount) else Decimal(repr(r.amount))
            g.add((st, KGO.amount, Literal(value, datatype=XSD.decimal)))
            if r.currency:
                g.add((st, KGO.currency, Literal(r.currency)))
    return g
