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
from kg.namespace import KGO
from kg.ontology import ONTOLOGY_DIR


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
        raise KgError(f"ontology files not found in {ONTOLOGY_DIR}: this kg install is incomplete; "
                      "reinstall it (pip install . from a clone, or the wheel)")
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


@lru_cache(maxsize=1)
def mention_free() -> bool:
    """Whether no shape targets or inspects mentions (kgo:Mention nodes, kgo:mention links), so a validator
    may leave them out of the data it checks."""
    shapes, _ = _shapes()
    return not any(t in (KGO.Mention, KGO.mention) for t in shapes.all_nodes())


def validate(graph: Graph, inplace: bool = False) -> list[Violation]:
    """Every violation of the shapes in ``graph``, sorted; an empty list means the graph conforms.
    ``inplace`` lets pyshacl work on ``graph`` itself instead of a copy (for a graph the caller throws away)."""
    import pyshacl

    shapes, ontology = _shapes()
    if not graph.store.context_aware:  # pyshacl needs a context-aware store; it would copy the graph anyway
        copy = Graph()
        for t in graph:
            copy.add(t)
        graph, inplace = copy, True
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                    abort_on_first=False, allow_warnings=True, inplace=inplace)
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


def _superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Every class with all its superclasses (itself included), from the ontology's rdfs:subClassOf."""
    out: dict[URIRef, set[URIRef]] = {}
    classes = set(ontology.subjects(RDFS.subClassOf, None)) | set(ontology.objects(None, RDFS.subClassOf))
    for c in classes:
        seen, todo = {c}, [c]
        while todo:
            for sup in ontology.objects(todo.pop(), RDFS.subClassOf):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        out[c] = seen
    return out


def _class_test(shapes: Graph, node, supers: dict):
    """The shape's constraints on a node's class (sh:class, sh:or of them, sh:not), as a test on a class
    IRI; None if the shape says nothing about the class."""
    from rdflib.collection import Collection

    tests = []
    for c in shapes.objects(node, SH["class"]):
        tests.append(lambda t, c=c: c in supers.get(t, {t}))
    for lst in shapes.objects(node, SH["or"]):
        subs = [x for x in (_class_test(shapes, m, supers) for m in Collection(shapes, lst)) if x]
        if subs:
            tests.append(lambda t, subs=subs: any(s(t) for s in subs))
    for n in shapes.objects(node, SH["not"]):
        sub = _class_test(shapes, n, supers)
        if sub:
            tests.append(lambda t, sub=sub: not sub(t))
    return (lambda t: all(x(t) for x in tests)) if tests else None


@lru_cache(maxsize=1)
def _relation_checks() -> tuple:
    shapes, ontology = _shapes()
    supers = _superclasses(ontology)
    checks = []
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        test = _class_test(shapes, shape, supers)
        if test is None:
            continue
        for end, target in ((0, SH.targetSubjectsOf), (1, SH.targetObjectsOf)):
            for p in shapes.objects(shape, target):
                checks.append((str(p), end, test))
    return tuple(checks)


def relation_allowed(predicate: URIRef, subject_class: URIRef, object_class: URIRef) -> bool:
    """Whether a relation between actors of these classes meets the class constraints that ontology/shapes.ttl
    puts on the subjects and objects of the predicate (a funder is not a city, what one is a member of is an
    organisation...). The build drops a relation that does not, rather than state a wrong edge: the shapes
    are the one place these rules are written."""
    ends = (subject_class, object_class)
    return all(test(ends[end]) for p, end, test in _relation_checks() if p == str(predicate))
