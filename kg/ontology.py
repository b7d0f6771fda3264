"""Where the ontology lives and the prefixes every query, export and store shares.

The Turtle files ship inside the package (``kg/data/ontology/``; the repository's
``ontology/`` is a link to that folder), so an installed kg — a wheel, ``pip install .``
— finds them as a clone does. Kept apart from kg.query so that graph, validation, store
and query all read it without importing each other.
"""

from __future__ import annotations

from pathlib import Path

from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg.namespace import KGO, KGR, WD

ONTOLOGY_DIR = Path(__file__).resolve().parent / "data" / "ontology"
PREFIXES = {"kgo": KGO._NS, "kgr": KGR, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "owl": OWL, "xsd": XSD,
            "dcterms": DCTERMS, "wd": WD, "schema": "http://schema.org/"}


def ontology_files() -> list[Path]:
    """The ontology's Turtle files (the OWL ontology and the SHACL shapes), sorted."""
    return sorted(ONTOLOGY_DIR.glob("*.ttl")) if ONTOLOGY_DIR.is_dir() else []


def vocabulary_files() -> list[Path]:
    """The files a query sees beside the data: the ontology without the shapes."""
    return [f for f in ontology_files() if f.name != "shapes.ttl"]
