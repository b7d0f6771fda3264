"""The kg ontology and resource namespaces.

Terms go through a DefinedNamespace, so a typo in a term is an error at import time
rather than a silent new IRI in the graph.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

BASE = "https://w3id.org/kg-news/"
KGR = Namespace(BASE + "id/")
WD = Namespace("http://www.wikidata.org/entity/")


class KGO(DefinedNamespace):
    """Classes and properties of ontology/kg.ttl."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # classes
    Agent: URIRef
    Person: URIRef
    Organization: URIRef
    MilitaryOrganization: URIRef
    GovernmentOrganization: URIRef
    Company: URIRef
    MediaOrganization: URIRef
    InternationalOrganization: URIRef
    Place: URIRef
    Country: URIRef
    City: URIRef
    Region: URIRef
    Continent: URIRef
    Document: URIRef
    Statement: URIRef
    Mention: URIRef
    Equipment: URIRef
    Build: URIRef
    # relations between actors
    funds: URIRef
    supports: URIRef
    opposes: URIRef
    attacks: URIRef
    commands: URIRef
    leads: URIRef
    memberOf: URIRef
    partOf: URIRef
    locatedIn: URIRef
    operatesIn: URIRef
    # provenance
    source: URIRef
    evidence: URIRef
    start: URIRef
    end: URIRef
    rule: URIRef
    confidence: URIRef
    item: URIRef
    amount: URIRef
    currency: URIRef
    path: URIRef
    sha256: URIRef
    mentionedIn: URIRef
    mention: URIRef
    surface: URIRef
    document: URIRef
    model: URIRef
    software: URIRef
