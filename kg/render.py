"""Interactive HTML explorer of a graph: one self-contained file that works offline.

pyvis computes the network (node sizes, colours, physics options); the page is our
own template because pyvis's pulls bootstrap and vis-network from CDNs, writes its
heading and menus into the page as markup, and keeps physics running forever. Here
vis-network is inlined from the pyvis package, the data goes in as JSON (with "<"
escaped so no text can close the script), and every label, alias, evidence
sentence, menu entry and legend row is set with textContent: article text never
becomes markup.

Small graphs stabilise in the browser within a bounded number of iterations and
then freeze; above ``LARGE`` nodes the page switches to a cheaper drawing (no edge
labels, no hover tooltips, edges hidden while dragging) with a shorter bounded
stabilisation, so 5,000 nodes stay responsive.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from kg.errors import KgError
from kg.namespace import KGO

PREDICATES = ("funds", "supports", "opposes", "attacks", "commands", "leads", "memberOf", "partOf",
              "locatedIn", "operatesIn")
FAMILIES = {"support": ("funds", "supports"), "hostility": ("opposes", "attacks"),
            "hierarchy": ("commands", "leads", "memberOf", "partOf"), "location": ("locatedIn", "operatesIn")}
FAMILY_LABELS = {"support": "Soutien et financement", "hostility": "Hostilité", "hierarchy": "Hiérarchie",
                 "location": "Localisation"}
TYPE_COLORS = {
    "Person": "#e15759", "Organization": "#4e79a7", "MilitaryOrganization": "#2f6b3a",
    "GovernmentOrganization": "#8e6bb8", "Company": "#f28e2b", "MediaOrganization": "#9c755f",
    "InternationalOrganization": "#2ba6a6", "Place": "#bab0ac", "Country": "#edc948", "City": "#b5d86b",
    "Region": "#d4a6c8", "Continent": "#c9c9a0",
}
PARENT_TYPE = {"MilitaryOrganization": "Organization", "GovernmentOrganization": "Organization",
               "Company": "Organization", "MediaOrganization": "Organization",
               "InternationalOrganization": "Organization", "Country": "Place", "City": "Place",
               "Region": "Place", "Continent": "Place"}
# One hue per family, one shade per predicate: green support, red hostility, blue hierarchy, grey location.
EDGE_COLORS = {"funds": "#1a7f37", "supports": "#5bb04f", "opposes": "#e15759", "attacks": "#a50f15",
               "commands": "#08519c", "leads": "#3182bd", "memberOf": "#6baed6", "partOf": "#9ecae1",
               "locatedIn": "#6e6e6e", "operatesIn": "#a8a8a8"}
SMALL = 150
LARGE = 1000
_WIKIDATA = re.compile(r"^https?://www\.wikidata\.org/entity/Q[0-9]+$")


ISOLATED_SHARE = 0.3  # above this share of actors with no relation, the page hides them until asked
MENTION_SENTENCES = 3  # sentences shown for an actor with no relation


@lru_cache(maxsize=1)
def french_labels() -> dict[str, str]:
    """The ontology's French labels of its classes and relations ("Personne", "finance"): the page is French."""
    from kg.ontology import vocabulary_files

    onto = Graph()
    for f in vocabulary_files():
        onto.parse(f, format="turtle")
    out = {}
    for term, label in onto.subject_objects(RDFS.label):
        if getattr(label, "language", None) == "fr" and str(term).startswith(str(KGO._NS)):
            out[str(term)[len(str(KGO._NS)):]] = str(label)
    return out


def family(predicate: str) -> str:
    """The colour family of a predicate."""
    return next(f for f, preds in FAMILIES.items() if predicate in preds)


def actor_types(g: Graph) -> dict[URIRef, str]:
    """Each actor's most specific class (subclasses come after their parent in TYPE_COLORS)."""
    actors: dict[URIRef, str] = {}
    for cls in TYPE_COLORS:
        for node in g.subjects(RDF.type, KGO[cls]):
            actors[node] = cls
    return actors


def check_names(names: Iterable[str], known: Iterable[str], what: str) -> set[str]:
    """Validate --types / --predicates values case-insensitively; return the canonical names."""
    canon = {k.lower(): k for k in known}
    out = set()
    for name in names:
        if name.strip().lower() not in canon:
            raise KgError(f"unknown {what} '{name}'; choose from: {', '.join(sorted(canon.values()))}")
        out.add(canon[name.strip().lower()])
    return out


def _documents(g: Graph) -> list[tuple[URIRef, str]]:
    docs = [(d, str(g.value(d, DCTERMS.title) or g.value(d, KGO.path) or d)) for d in g.subjects(RDF.type, KGO.Document)]
    return sorted(docs, key=lambda d: (d[1], str(d[0])))


def network_data(g: Graph, selection: Graph | None = None, types: set[str] | None = None,
                 predicates: set[str] | None = None) -> dict:
    """Nodes (actors) and edges (relations with all their evidence) as plain data.

    ``selection`` is a subgraph (e.g. a CONSTRUCT result): only its actors and
    relations are drawn, but names, types and evidence still come from ``g`` so a
    query need not copy them. ``types`` keeps actors of those classes (a parent
    class keeps its subclasses); ``predicates`` keeps those relations.
    """
    actors = actor_types(g)
    if selection is not None:
        present = set(selection.subjects()) | {o for o in selection.objects() if isinstance(o, URIRef)}
        actors = {a: t for a, t in actors.items() if a in present}
    if types:
        actors = {a: t for a, t in actors.items() if t in types or PARENT_TYPE.get(t) in types}
    docs = _documents(g)
    doc_index = {d: i for i, (d, _) in enumerate(docs)}
    evidence = defaultdict(list)
    for st in g.subjects(RDF.type, KGO.Statement):
        key = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        amount = g.value(st, KGO.amount)
        evidence[key].append({
            "sentence": str(g.value(st, KGO.evidence) or ""),
            "doc": doc_index.get(g.value(st, KGO.source), -1),
            "amount": f"{float(amount):,.0f} {g.value(st, KGO.currency) or ''}".strip() if amount is not None else "",
            "items": ", ".join(sorted(str(g.value(i, RDFS.label) or "") for i in g.objects(st, KGO.item))),
        })
    source = selection if selection is not None else g
    edges = []
    for pred in PREDICATES:
        if predicates and pred not in predicates:
            continue
        for s, o in source.subject_objects(KGO[pred]):
            if s in actors and o in actors:
                ev = sorted(evidence.get((s, KGO[pred], o), []), key=lambda e: (e["doc"], e["sentence"]))
                edges.append({"from": str(s), "to": str(o), "predicate": pred, "family": family(pred),
                              "evidence": ev, "docs": sorted({e["doc"] for e in ev if e["doc"] >= 0})})
    edges.sort(key=lambda e: (e["from"], e["predicate"], e["to"]))
    degree: dict[str, int] = defaultdict(int)
    for e in edges:
        degree[e["from"]] += 1
        degree[e["to"]] += 1
    nodes = []
    for node, cls in sorted(actors.items(), key=lambda kv: str(kv[0])):
        same = sorted(str(x) for x in g.objects(node, OWL.sameAs) if _WIKIDATA.match(str(x)))
        n = {"id": str(node), "label": str(g.value(node, RDFS.label) or node), "type": cls,
             "aliases": sorted({str(a) for a in g.objects(node, SKOS.altLabel)}),
             "wikidata": same[0] if same else "", "degree": degree[str(node)],
             "docs": sorted(doc_index[d] for d in g.objects(node, KGO.mentionedIn) if d in doc_index)}
        if not n["degree"]:  # no relation to show: the sentences that name it say why it is here
            n["mentions"] = _mention_sentences(g, node, doc_index)
        nodes.append(n)
    return {"nodes": nodes, "edges": edges, "documents": [title for _, title in docs]}


def _mention_sentences(g: Graph, node: URIRef, doc_index: dict) -> list[dict]:
    """The first sentences (by document, then position) that mention an actor, each once."""
    found = {}
    for m in g.objects(node, KGO.mention):
        sentence = str(g.value(m, KGO.evidence) or "")
        doc = doc_index.get(g.value(m, KGO.document), -1)
        start = g.value(m, KGO.start)
        key = (doc, int(start) if start is not None else 0)
        if sentence and sentence not in {v["sentence"] for v in found.values()}:
            found[key] = {"sentence": sentence, "doc": doc, "amount": "", "items": ""}
    return [found[k] for k in sorted(found)][:MENTION_SENTENCES]


def _isolated_share(data: dict) -> float:
    return sum(1 for n in data["nodes"] if not n["degree"]) / len(data["nodes"]) if data["nodes"] else 0.0


def _title(data: dict, subgraph: bool, centres: list[str]) -> str:
    """The page title: the corpus, or for a drawn subgraph its centre and the documents its relations come from."""
    def n_docs(k: int) -> str:
        return f"{k} document{'s' if k != 1 else ''}"

    if not subgraph:
        return f"kg — {n_docs(len(data['documents']))}"
    names = {n["id"]: n["label"] for n in data["nodes"]}
    used = {d for e in data["edges"] for d in e["docs"]} or {d for n in data["nodes"] for d in n["docs"]}
    around = f"autour de {', '.join(names[c] for c in centres)}" if centres else "sélection"
    return (f"kg — {around} : {len(data['nodes'])} acteurs, {len(data['edges'])} relations, "
            f"{n_docs(len(used))} sur {len(data['documents'])}")


def _pyvis_network(data: dict, labels: dict[str, str] | None = None):
    """The pyvis Network for the data: pyvis sizes nodes and carries the vis-network options."""
    from pyvis.network import Network

    large = len(data["nodes"]) > LARGE
    net = Network(directed=True, cdn_resources="in_line")
    if data["nodes"]:
        net.add_nodes([n["id"] for n in data["nodes"]], label=[n["label"] for n in data["nodes"]],
                      color=[TYPE_COLORS[n["type"]] for n in data["nodes"]],
                      value=[1 + n["degree"] for n in data["nodes"]])
    for e in data["edges"]:
        # pyvis's add_edge scans the node list per edge; append the same record directly.
        shown = (labels or {}).get(e["predicate"], e["predicate"])
        net.edges.append({"from": e["from"], "to": e["to"], "label": "" if large else shown,
                          "color": EDGE_COLORS[e["predicate"]], "arrows": "to"})
    n = len(data["nodes"])
    options = {
        # Bounded stabilisation, then the page turns physics off: the drawing never drifts.
        "physics": {"solver": "barnesHut", "minVelocity": 1.0,
                    "stabilization": {"enabled": True, "iterations": 400 if n <= SMALL else 200 if not large else 100,
                                      "updateInterval": 25, "fit": True},
                    "barnesHut": {"gravitationalConstant": -3000 if large else -6000,
                                  "springLength": 90 if large else 160, "springConstant": 0.04,
                                  "damping": 0.3, "theta": 0.5 if n <= SMALL else 1.0}},
        # vis-network's improved layout clusters the graph first: worth it only for small graphs.
        "layout": {"improvedLayout": n <= SMALL, "randomSeed": 7},
        "nodes": {"shape": "dot", "scaling": {"min": 6 if large else 10, "max": 30 if large else 40,
                                              "label": {"enabled": False}},
                  "font": {"size": 16, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"}},
        "edges": {"font": {"size": 11, "align": "middle"}, "smooth": False, "width": 0.6 if large else 1.5,
                  "arrows": {"to": {"scaleFactor": 0.6}}},
        # On large graphs drawing 15,000 edges takes most of a frame: hide them while panning or zooming.
        "interaction": {"hover": not large, "tooltipDelay": 120, "hideEdgesOnDrag": large,
                        "hideEdgesOnZoom": large},
    }
    net.set_options(json.dumps(options))
    return net


def _json_for_script(obj) -> str:
    """JSON that is safe inside a <script> element: no "<", ">", "&" or line separators left raw."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_html(g: Graph, title: str | None = None, selection: Graph | None = None,
                types: set[str] | None = None, predicates: set[str] | None = None,
                centres: Iterable[URIRef] = ()) -> str:
    """The whole explorer page as a string (see ``network_data`` for the filters)."""
    data = network_data(g, selection, types, predicates)
    centres = sorted(str(c) for c in centres if str(c) in {n["id"] for n in data["nodes"]})
    if title is None:
        title = _title(data, selection is not None, centres)
    labels = french_labels()
    net = _pyvis_network(data, labels)
    vis_nodes = [{k: v for k, v in n.items() if k in ("id", "label", "color", "value")} for n in net.nodes]
    vis_edges = []
    parallel: dict[frozenset, int] = defaultdict(int)
    for e in net.edges:
        pair = frozenset((e["from"], e["to"]))
        k = parallel[pair]
        parallel[pair] += 1
        edge = {"from": e["from"], "to": e["to"], "label": e["label"], "color": e["color"]}
        if k:  # several relations between the same two actors: bend them apart
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.25 * k}
        vis_edges.append(edge)
    options = net.options if isinstance(net.options, dict) else json.loads(net.options.to_json())
    payload = {"nodes": vis_nodes, "edges": vis_edges, "info": data, "typeColors": TYPE_COLORS,
               "parentType": PARENT_TYPE, "edgeColors": EDGE_COLORS, "families": [[f, list(p)] for f, p in FAMILIES.items()],
               "familyLabels": FAMILY_LABELS, "options": options, "title": title,
               "large": len(vis_nodes) > LARGE, "centres": centres, "labels": labels,
               "hideIsolated": _isolated_share(data) > ISOLATED_SHARE}
    lib = Path(resources.files("pyvis")) / "templates" / "lib" / "vis-9.1.2"
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    vis_css = (lib / "vis-network.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    template = (resources.files("kg") / "templates" / "graph.html").read_text(encoding="utf-8")
    return (template.replace("/*VIS_CSS*/", vis_css).replace("/*VIS_JS*/", vis_js)
            .replace("/*DATA*/", _json_for_script(payload)))
