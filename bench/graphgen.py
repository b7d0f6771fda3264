"""A generated graph of the shape kg builds (actors, relations, statements, documents), for benchmarks and tests.

Names are random French-looking words so the search and the layout have real work
to do; every relation has a Statement with an evidence sentence and a document, as
in a built graph. Deterministic for a given seed.
"""

from __future__ import annotations

import random

from rdflib import RDF, RDFS, Literal
from rdflib.namespace import DCTERMS, SKOS

from kg.graph import new_graph
from kg.namespace import KGO, KGR
from kg.render import PREDICATES

TYPES = ("Person", "MilitaryOrganization", "GovernmentOrganization", "Company", "Country", "City")
SYLLABLES = ("ba", "be", "cha", "da", "de", "fo", "ga", "gui", "la", "le", "lou", "ma", "mi", "na", "no",
             "pa", "pi", "ra", "re", "sa", "se", "ta", "ti", "va", "vé", "zo")


def _name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
                    for _ in range(rng.randint(1, 2)))


def generated_graph(n_nodes: int, n_edges: int, n_docs: int = 50, seed: int = 1):
    """A graph with ``n_nodes`` actors and ``n_edges`` distinct relations between them."""
    rng = random.Random(seed)
    g = new_graph()
    docs = [KGR[f"doc/{i:04d}"] for i in range(n_docs)]
    for i, d in enumerate(docs):
        g.add((d, RDF.type, KGO.Document))
        g.add((d, DCTERMS.title, Literal(f"Article {i}")))
    nodes = [KGR[f"actor-{i:05d}"] for i in range(n_nodes)]
    for i, n in enumerate(nodes):
        g.add((n, RDF.type, KGO[rng.choice(TYPES)]))
        g.add((n, RDFS.label, Literal(f"{_name(rng)} {i}")))
        if i % 5 == 0:
            g.add((n, SKOS.altLabel, Literal(_name(rng))))
        g.add((n, KGO.mentionedIn, rng.choice(docs)))
    seen = set()
    while len(seen) < n_edges:
        s, o, p = rng.randrange(n_nodes), rng.randrange(n_nodes), rng.choice(PREDICATES)
        if s == o or (s, p, o) in seen:
            continue
        seen.add((s, p, o))
        g.add((nodes[s], KGO[p], nodes[o]))
        st = KGR[f"stmt/{len(seen):06d}"]
        for pp, oo in ((RDF.type, KGO.Statement), (RDF.subject, nodes[s]), (RDF.predicate, KGO[p]),
                       (RDF.object, nodes[o]), (KGO.source, rng.choice(docs)),
                       (KGO.evidence, Literal(f"Phrase {len(seen)} : {s} {p} {o}."))):
            g.add((st, pp, oo))
    return g
