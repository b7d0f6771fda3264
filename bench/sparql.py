"""Benchmark: SPARQL on an Oxigraph store (what `kg build --store` writes) against in-memory rdflib.

    python bench/sparql.py [--sizes 10000,100000,1000000] [--repeat 5]

For each size, a generated graph of the shape kg builds (bench/graphgen.py: actors,
relations, statements with evidence, documents), with one actor named "Ukraine" that
many actors fund, and one named "Wagner" that some lead and that opposes others, so
the README's questions have answers. The same triples are loaded into an rdflib
``Graph()`` in memory and into an on-disk Oxigraph store opened through rdflib with
the ``oxrdflib`` plugin, exactly as `kg query STORE` opens it. Each of kg's named
queries (the README's three questions and the two-hop neighbourhood) runs through
kg's own query path (``kg.query.execute``: check, run, results to SPARQL JSON; only the
forked time-limit wrapper is left out) with the same bindings on both; the time is the median of
``--repeat`` runs, results consumed, after one warm-up run; a query still running after ``--limit``
seconds is reported as such, with the ratio as a lower bound. The row counts must agree.
Prints one line per query and size with both times and the ratio rdflib/Oxigraph.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graphgen import generated_graph  # noqa: E402
from rdflib import RDF, RDFS, Graph, Literal  # noqa: E402
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID  # noqa: E402

from kg.export import serialize  # noqa: E402
from kg.namespace import KGO, KGR  # noqa: E402
from kg.errors import KgError  # noqa: E402
from kg.query import PREFIXES, execute, named_query, run_query  # noqa: E402

QUERIES = [("funders-of", "target=Ukraine"), ("leaders-of", "group=Wagner"), ("opposed-by", "actor=Wagner"),
           ("two-hops", "center=Wagner")]


def graph_of(n_triples: int, seed: int = 7) -> Graph:
    """About ``n_triples`` triples: 4 per actor, 7 per relation, hubs named Ukraine and Wagner."""
    n_edges = int(n_triples / 7.8)
    n_nodes = max(50, n_triples // 40)
    g = generated_graph(n_nodes, n_edges, n_docs=max(50, n_nodes // 20), seed=seed)
    rng = random.Random(seed)
    ukraine, wagner = KGR["actor-00000"], KGR["actor-00001"]
    g.set((ukraine, RDFS.label, Literal("Ukraine")))
    g.set((wagner, RDFS.label, Literal("Wagner")))
    g.set((ukraine, RDF.type, KGO.Country))
    g.set((wagner, RDF.type, KGO.MilitaryOrganization))
    for i in range(60):
        a = KGR[f"actor-{rng.randrange(2, n_nodes):05d}"]
        for s, p, o in ((a, KGO.funds, ukraine), (a, KGO.leads, wagner) if i < 3 else (wagner, KGO.opposes, a)):
            st = KGR[f"stmt/hub-{i}-{p.split('#')[-1]}"]
            g.add((s, p, o))
            for pp, oo in ((RDF.type, KGO.Statement), (RDF.subject, s), (RDF.predicate, p), (RDF.object, o),
                           (KGO.source, KGR["doc/0000"]), (KGO.evidence, Literal(f"Phrase {i}."))):
                g.add((st, pp, oo))
    return g


def oxigraph_graph(g: Graph, folder: Path) -> Graph:
    import pyoxigraph as ox
    from oxrdflib.store import OxigraphStore

    store = ox.Store(str(folder))
    store.bulk_load(serialize(g, "nt"), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    store.flush()
    del store
    og = Graph(store=OxigraphStore(store=ox.Store.read_only(str(folder))), identifier=DATASET_DEFAULT_GRAPH_ID)
    for prefix, ns in PREFIXES.items():
        og.bind(prefix, ns)
    return og


def timed(g: Graph, sparql: str, bindings: dict, repeat: int, limit: float) -> tuple[float | None, int]:
    """Median time of ``repeat`` runs after a warm-up, or None if the warm-up ran past ``limit`` seconds
    (checked in a forked child with kg's own time limit, so a hopeless query does not stall the run)."""
    def once() -> int:
        res = execute(g, sparql, bindings)
        return len(res["rows"]) if res["type"] == "SELECT" else res["turtle"].count(" .\n")

    t = time.perf_counter()
    try:
        run_query(g, sparql, bindings, timeout=limit)
    except KgError:
        return None, -1
    first = time.perf_counter() - t
    rows = once()
    times = []
    for _ in range(repeat if first < 5 else 1):
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    return statistics.median(times), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--limit", type=float, default=300, help="seconds before a query counts as 'did not finish'")
    args = ap.parse_args()
    print(f"{'triples':>9} {'query':12} {'rows':>6} {'rdflib':>10} {'oxigraph':>10} {'ratio':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        mem = graph_of(size)
        for prefix, ns in PREFIXES.items():
            mem.bind(prefix, ns)
        with tempfile.TemporaryDirectory() as tmp:
            ox_g = oxigraph_graph(mem, Path(tmp) / "ox")
            for name, param in QUERIES:
                sparql, bindings = named_query(name, [param])
                t_ox, rows_ox = timed(ox_g, sparql, bindings, args.repeat, args.limit)
                t_mem, rows_mem = timed(mem, sparql, bindings, args.repeat, args.limit)
                if t_mem is None:
                    print(f"{len(mem):>9} {name:12} {rows_ox:>6} {'>' + str(int(args.limit)) + ' s':>10} "
                          f"{t_ox * 1000:>8.2f}ms {'>' + str(int(args.limit / t_ox)):>6}x", flush=True)
                    continue
                assert rows_mem == rows_ox, (name, rows_mem, rows_ox)
                print(f"{len(mem):>9} {name:12} {rows_ox:>6} {t_mem * 1000:>8.1f}ms {t_ox * 1000:>8.2f}ms "
                      f"{t_mem / t_ox:>6.0f}x", flush=True)
            del ox_g
        del mem


if __name__ == "__main__":
    main()
