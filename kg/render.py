"""Interactive HTML network of a graph, one self-contained file that works offline.

pyvis computes the network (nodes, edges, options); the page is our own template
because pyvis's pulls bootstrap and vis-network from CDNs and writes labels into the
page as markup. Here vis-network is inlined from the pyvis package, the data goes in
as JSON (with "<" escaped so no text can close the script), and every label,
tooltip and legend entry is set with textContent: article text never becomes markup.
"""

from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS, OWL, SKOS

from kg.namespace import KGO

PREDICATES = ("funds", "supports", "opposes", "attacks", "commands", "leads", "memberOf", "partOf",
              "locatedIn", "operatesIn")
TYPE_COLORS = {
    "Person": "#e15759", "Organization": "#4e79a7", "MilitaryOrganization": "#2f6b3a",
    "GovernmentOrganization": "#8e6bb8", "Company": "#f28e2b", "MediaOrganization": "#9c755f",
    "InternationalOrganization": "#2ba6a6", "Place": "#bab0ac", "Country": "#edc948", "City": "#b5d86b",
    "Region": "#d4a6c8", "Continent": "#c9c9a0",
}
EDGE_COLORS = {"funds": "#2e9d48", "supports": "#59a14f", "opposes": "#e15759", "attacks": "#b0172b",
               "commands": "#1f4e9c", "leads": "#4e79a7", "memberOf": "#76a4d6", "partOf": "#76a4d6",
               "locatedIn": "#8c8c8c", "operatesIn": "#a0a0a0"}


def _label(g: Graph, node) -> str:
    return str(g.value(node, RDFS.label) or node)


def network_data(g: Graph) -> dict:
    """Nodes (actors) and edges (relations with all their evidence), as plain data."""
    actors = {}
    for cls in TYPE_COLORS:
        for node in g.subjects(RDF.type, KGO[cls]):
            actors[node] = cls
    evidence = defaultdict(list)
    for st in g.subjects(RDF.type, KGO.Statement):
        key = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        doc = g.value(st, KGO.source)
        amount = g.value(st, KGO.amount)
        evidence[key].append({
            "sentence": str(g.value(st, KGO.evidence) or ""),
            "document": str(g.value(doc, DCTERMS.title) or g.value(doc, KGO.path) or doc or ""),
            "amount": f"{float(amount):,.0f} {g.value(st, KGO.currency) or ''}".strip() if amount is not None else "",
        })
    nodes = []
    for node, cls in sorted(actors.items(), key=lambda kv: str(kv[0])):
        aliases = sorted({str(a) for a in g.objects(node, SKOS.altLabel)})
        same = [str(x) for x in g.objects(node, OWL.sameAs)]
        nodes.append({"id": str(node), "label": _label(g, node), "type": cls, "aliases": aliases,
                      "wikidata": same[0] if same else ""})
    edges = []
    for pred in PREDICATES:
        for s, o in g.subject_objects(KGO[pred]):
            if s in actors and o in actors:
                ev = sorted(evidence.get((s, KGO[pred], o), []), key=lambda e: (e["document"], e["sentence"]))
                edges.append({"from": str(s), "to": str(o), "predicate": pred, "evidence": ev})
    edges.sort(key=lambda e: (e["from"], e["predicate"], e["to"]))
    return {"nodes": nodes, "edges": edges}


def _pyvis_network(data: dict):
    """The pyvis Network for the data: pyvis sizes nodes and sets the physics options."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line")
    degree = defaultdict(int)
    for e in data["edges"]:
        degree[e["from"]] += 1
        degree[e["to"]] += 1
    for n in data["nodes"]:
        net.add_node(n["id"], label=n["label"], color=TYPE_COLORS[n["type"]], value=1 + degree[n["id"]])
    for e in data["edges"]:
        net.add_edge(e["from"], e["to"], label=e["predicate"], color=EDGE_COLORS[e["predicate"]], arrows="to")
    net.set_options(json.dumps({
        "physics": {"stabilization": {"enabled": True, "iterations": 400, "fit": True},
                    "barnesHut": {"gravitationalConstant": -6000, "springLength": 160}},
        "nodes": {"shape": "dot", "scaling": {"min": 12, "max": 40, "label": {"enabled": False}},
                  "font": {"size": 16, "face": "sans-serif"}},
        "edges": {"font": {"size": 11, "align": "middle"}, "smooth": False},
        "interaction": {"hover": True, "tooltipDelay": 120},
    }))
    return net


def _json_for_script(obj) -> str:
    """JSON that is safe inside a <script> element: no "<", ">", "&" or line separators left raw."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_html(g: Graph, title: str = "kg graph") -> str:
    """The whole page as a string."""
    data = network_data(g)
    net = _pyvis_network(data)
    vis_nodes = [{k: v for k, v in n.items() if k in ("id", "label", "color", "value")} for n in net.nodes]
    vis_edges = []
    parallel: dict[frozenset, int] = defaultdict(int)
    for e in net.edges:
        pair = frozenset((e["from"], e["to"]))
        k = parallel[pair]
        parallel[pair] += 1
        edge = {"from": e["from"], "to": e["to"], "label": e["label"], "color": e["color"], "arrows": "to"}
        if k:  # several relations between the same two actors: bend them apart
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.25 * k}
        vis_edges.append(edge)
    payload = {"nodes": vis_nodes, "edges": vis_edges, "info": data, "typeColors": TYPE_COLORS,
               "edgeColors": EDGE_COLORS, "options": net.options if isinstance(net.options, dict) else json.loads(net.options.to_json()), "title": title}
    lib = Path(resources.files("pyvis")) / "templates" / "lib" / "vis-9.1.2"
    vis_js = (lib / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    vis_css = (lib / "vis-network.css").read_text(encoding="utf-8").replace("</style", "<\\/style")
    template = (resources.files("kg") / "templates" / "graph.html").read_text(encoding="utf-8")
    return (template.replace("/*VIS_CSS*/", vis_css).replace("/*VIS_JS*/", vis_js)
            .replace("/*DATA*/", _json_for_script(payload)))
