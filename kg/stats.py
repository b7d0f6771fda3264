"""`kg stats`: what a graph holds, at a glance, before any query is written.

Documents; actors by type; relations by predicate (and the statements behind them); the most
connected actors; and what is missing: documents from which no relation was extracted, actors
that take part in none. Read through triple patterns, so it is as cheap on a store as on a file.
"""

from __future__ import annotations

from collections import Counter

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS

from kg.namespace import KGO
from kg.render import PREDICATES, actor_types


def summary(g: Graph, top: int = 10) -> dict:
    """The figures ``kg stats`` prints, as plain data (``--format json`` writes it as it is)."""
    actors = actor_types(g)
    docs = sorted(g.subjects(RDF.type, KGO.Document), key=str)
    relations = Counter()
    degree: Counter = Counter()
    for pred in PREDICATES:
        for s, o in g.subject_objects(KGO[pred]):
            relations[pred] += 1
            degree[s] += 1
            degree[o] += 1
    statements = Counter(str(p).rsplit("#", 1)[-1] for st in g.subjects(RDF.type, KGO.Statement)
                         for p in g.objects(st, RDF.predicate))
    stated_in = {d for st in g.subjects(RDF.type, KGO.Statement) for d in g.objects(st, KGO.source)}

    def name(node) -> str:
        return str(g.value(node, RDFS.label) or node)

    def title(doc) -> str:
        return str(g.value(doc, DCTERMS.title) or g.value(doc, KGO.path) or doc)

    lonely = sorted((name(a) for a in actors if not degree[a]), key=str.casefold)
    return {
        "documents": len(docs),
        "actors": len(actors),
        "actors_by_type": dict(sorted(Counter(actors.values()).items(), key=lambda kv: (-kv[1], kv[0]))),
        "relations": sum(relations.values()),
        "relations_by_predicate": {p: {"relations": relations[p], "statements": statements[p]}
                                   for p in PREDICATES if relations[p] or statements[p]},
        "most_connected": [{"actor": name(a), "type": actors.get(a, ""), "relations": n}
                           for a, n in sorted(degree.items(), key=lambda kv: (-kv[1], name(kv[0])))[:top]],
        "documents_without_relation": sorted((title(d) for d in docs if d not in stated_in), key=str.casefold),
        "actors_without_relation": lonely,
    }


def format_summary(s: dict, listed: int = 10) -> str:
    """The summary as the lines a terminal shows; long lists are cut at ``listed`` with a count of the rest."""
    def cut(items: list[str]) -> str:
        more = len(items) - listed
        return "; ".join(items[:listed]) + (f"; … and {more} more" if more > 0 else "")

    lines = [f"{s['documents']} documents, {s['actors']} actors, {s['relations']} relations", "",
             "actors by type:"]
    lines += [f"  {t:<26} {n:>6}" for t, n in s["actors_by_type"].items()] or ["  (none)"]
    lines += ["", "relations by predicate (statements stating them):"]
    lines += [f"  {p:<26} {v['relations']:>6}  ({v['statements']})" for p, v in s["relations_by_predicate"].items()] \
        or ["  (none)"]
    lines += ["", "most connected actors:"]
    lines += [f"  {a['actor']} ({a['type']}): {a['relations']}" for a in s["most_connected"]] or ["  (none)"]
    lines += ["", f"documents with no relation: {len(s['documents_without_relation'])}"]
    if s["documents_without_relation"]:
        lines.append("  " + cut(s["documents_without_relation"]))
    lines += [f"actors with no relation: {len(s['actors_without_relation'])}"]
    if s["actors_without_relation"]:
        lines.append("  " + cut(s["actors_without_relation"]))
    return "\n".join(lines) + "\n"
