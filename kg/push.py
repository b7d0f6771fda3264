"""Load a graph into a remote triple store over the SPARQL 1.1 Graph Store HTTP Protocol (`kg push`).

Works with GraphDB, Fuseki, Virtuoso, Oxigraph server, Stardog: anything that takes
``PUT <endpoint>?graph=<IRI>``. Each document goes into its own named graph (the
document's IRI), with its relation triples, statements and mentions; the actors and
documents themselves go into ``ACTORS_GRAPH``, the ontology into ``ONTOLOGY_GRAPH``.
PUT replaces a graph, so pushing again after adding documents sends the same graphs
again and never duplicates anything; graphs are sent one at a time, each as
N-Triples (which every Turtle parser reads), so memory stays at one document's size.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import Graph, URIRef

from kg.errors import KgError
from kg.export import document_graph, documents, serialize, shared_graph
from kg.namespace import BASE
from kg.ontology import vocabulary_files
from kg.store import ONTOLOGY_GRAPH

ACTORS_GRAPH = URIRef(BASE + "graph/actors")


@dataclass
class PushReport:
    graphs: int
    triples: int


def named_graphs(graph: Graph, with_ontology: bool = True) -> Iterator[tuple[URIRef, Graph]]:
    """The graphs to send, in a fixed order: actors, then each document, then the ontology."""
    yield ACTORS_GRAPH, shared_graph(graph)
    for doc in documents(graph):
        yield doc, document_graph(graph, doc)
    if with_ontology:
        onto = Graph()
        for f in vocabulary_files():
            onto.parse(f, format="turtle")
        yield ONTOLOGY_GRAPH, onto


def _opener(endpoint: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    """Answers the service's challenge with Basic (Fuseki, GraphDB) or Digest (Virtuoso) credentials."""
    if user is None:
        return urllib.request.build_opener()
    mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    mgr.add_password(None, endpoint, user, password or "")
    return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(mgr),
                                       urllib.request.HTTPDigestAuthHandler(mgr))


def push(graph: Graph, endpoint: str, user: str | None = None, password: str | None = None,
         timeout: float = 60.0, with_ontology: bool = True) -> PushReport:
    """PUT every named graph to the Graph Store Protocol ``endpoint``; stops at the first refusal."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KgError(f"--endpoint {endpoint!r}: expected the http(s) URL of a Graph Store Protocol service, "
                      "e.g. http://localhost:7200/repositories/news/rdf-graphs/service")
    opener = _opener(endpoint, user, password)
    n_graphs = n_triples = 0
    total = 1 + len(documents(graph)) + int(with_ontology)
    for iri, g in named_graphs(graph, with_ontology):
        url = endpoint + ("&" if "?" in endpoint else "?") + "graph=" + urllib.parse.quote(str(iri), safe="")
        body = serialize(g, "nt")
        req = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "text/turtle; charset=utf-8"})
        try:
            with opener.open(req, timeout=timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())[:200]
            raise KgError(f"{endpoint} refused graph <{iri}>: HTTP {exc.code} {exc.reason}"
                          + (f": {detail}" if detail else "") + f" ({n_graphs} graph(s) sent before it)") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc.__class__.__name__ + (f": {exc}" if str(exc) else "")
            if not n_graphs:
                raise KgError(f"cannot reach {endpoint}: {reason}; nothing was replaced") from None
            raise KgError(f"lost {endpoint} while sending <{iri}>: {reason}; {n_graphs} of {total} graph(s) were "
                          "already replaced there: push again to finish (it replaces graphs, never duplicates "
                          "them)") from None
        n_graphs += 1
        n_triples += len(g)
    return PushReport(n_graphs, n_triples)
