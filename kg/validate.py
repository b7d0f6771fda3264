"""SHACL validation of a graph against the project's own shapes (ontology/shapes.ttl).

`kg build` refuses to write a graph that fails it, and `kg validate` checks any
graph file. The ontology (ontology/kg.ttl) is given to pyshacl as the ontology
graph so that `sh:class kgo:Agent` accepts a `kgo:Person` through
rdfs:subClassOf, without running RDFS inference over the whole data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

from kg.errors import KgError
from kg.query import ONTOLOGY_DIR


@dataclass(frozen=True, order=True)
class Violation:
    """One failed constraint: the node, its label if any, the property path, the shape's message."""

    node: str
    label: str
    path: str
    message: str

    def __str__(self) -> str:
        who = f"<{self.node}>" + (f' ("{self.label}")' if self.label else "")
        return f"{who}: {self.message}" + (f" [{self.path}]" if self.path else "")


@lru_cache(maxsize=1)
def _shapes() -> tuple[Graph, Graph]:
    shapes, ontology = ONTOLOGY_DIR / "shapes.ttl", ONTOLOGY_DIR / "kg.ttl"
    if not shapes.is_file() or not ontology.is_file():
        raise KgError(f"ontology files not found in {ONTOLOGY_DIR} (install kg from a clone: pip install -e .)")
    return Graph().parse(shapes, format="turtle"), Graph().parse(ontology, format="turtle")


def _short(g: Graph, term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        try:
            return g.namespace_manager.normalizeUri(term)
        except Exception:
            return str(term)
    return str(term)


def validate(graph: Graph) -> list[Violation]:
    """Every violation of the shapes in ``graph``, sorted; an empty list means the graph conforms."""
    import pyshacl

    shapes, ontology = _shapes()
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                    abort_on_first=False, allow_warnings=True)
    out = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        node = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage)
        if message is None:
            message = f"fails {_short(shapes, report.value(result, SH.sourceConstraintComponent))}"
        out.add(Violation(str(node), str(graph.value(node, RDFS.label) or ""),
                          _short(graph, report.value(result, SH.resultPath)), str(message)))
    return sorted(out)
