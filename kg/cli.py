"""The `kg` command: a thin layer over the library (kg.pipeline, kg.query, kg.render, kg.export)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click

from kg.errors import KgError


class _Group(click.Group):
    """Turns a user's mistake into one line on stderr and exit status 1: KgError, and an OSError (a folder
    that cannot be created, a full disk), which is about the machine, not a bug to show a traceback for.
    Ctrl-C gets one line and status 130; every output is written by an atomic rename, so none is half-written."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgError as exc:
            click.echo(f"kg: error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"kg: error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("kg: interrupted; no output was half-written (files written before stay as they were, "
                       "a store keeps its finished batches)", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def main() -> None:
    """Build a knowledge graph of actors and their relations from French news articles.

    \b
    Typical session:
      kg build seeds/ --out exports/          # articles -> exports/graph.ttl + graph.html
      kg query exports/graph.ttl "SELECT ..." # ask it questions in SPARQL
      kg render exports/graph.ttl --out g.html
      kg export exports/graph.ttl --format jsonld --out graph.jsonld
      kg stats exports/                      # what the graph holds, at a glance

    Articles are .txt files (any common encoding), .html pages (main text
    extracted) and .jsonl records {id, title, text, url, date}.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for graph.ttl and graph.html (created if missing).")
@click.option("--store", "store_dir", type=click.Path(file_okay=False),
              help="Persistent Oxigraph store to add the documents to (incremental: known texts are skipped).")
@click.option("--gazetteer", "gazetteers", multiple=True, type=click.Path(),
              help="Extra gazetteer YAML (same format as kg/data/gazetteer.yaml); may repeat.")
@click.option("--strict", is_flag=True, help="Fail if any file had to be skipped.")
@click.option("--no-html", is_flag=True, help="Write graph.ttl only.")
@click.option("--no-validate", is_flag=True, help="Skip the SHACL check of the graph before writing (not advised).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="spaCy processes parsing in parallel (about one per core).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False),
              help="Folder for a parse cache: texts already parsed with this model are not parsed again.")
@click.option("--scheduler", metavar="tcp://HOST:PORT|local:N",
              help="Parse and extract on a Dask cluster (its scheduler's address), or on N local Dask workers.")
@click.option("--batch", "batch_size", type=click.IntRange(1), default=500, show_default=True,
              help="With --store: documents per transaction (a crash keeps the finished batches).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="Keep only statements at least this sure (0-1). Higher: fewer, surer relations. Default: the "
                   "relation model's own cut, chosen on held-out data (see the README).")
@click.option("--lang", default="fr", show_default=True, metavar="CODE|any",
              help="Language of the articles (ISO 639-1). A document identified as written in another is "
                   "skipped on one line; 'any' keeps every document (kg's rules and model read French).")
def build(paths: tuple[str, ...], out_dir: str | None, store_dir: str | None, gazetteers: tuple[str, ...],
          strict: bool, no_html: bool, no_validate: bool, workers: int, cache_dir: str | None,
          scheduler: str | None, batch_size: int, min_confidence: float | None, lang: str) -> None:
    """Read PATHS (.txt articles, .html pages, .jsonl records, or folders of them) and write the graph.

    --out writes OUT/graph.ttl (Turtle, with the provenance of every relation) and
    OUT/graph.html (interactive network, works offline). --store adds the new
    documents to a persistent Oxigraph store (see `kg query STORE`). Files that
    cannot be read (empty, binary, undecodable) are reported on one line each and
    skipped, and so is a document whose statements would break the SHACL shapes; the
    exit status is 2 if anything was skipped. Outputs are replaced only by a finished
    build (or, for a store, batch), each file by an atomic rename; a second build into
    the same --out or --store fails at once.
    """
    from kg.export import folder_lock

    if not out_dir and not store_dir:
        raise KgError("give --out DIR (graph.ttl + graph.html), --store DIR (persistent store), or both")
    with ExitStack() as held:
        if out_dir:  # two builds into one folder would leave a graph.ttl and a graph.html from different runs
            held.enter_context(folder_lock(Path(out_dir), f"{out_dir} is being written by another kg build; "
                                                          "try again when it ends, or use another --out"))
        _build(paths, out_dir, store_dir, gazetteers, strict, no_html, no_validate, workers, cache_dir, scheduler,
               batch_size, min_confidence, lang)


def _build(paths: tuple[str, ...], out_dir: str | None, store_dir: str | None, gazetteers: tuple[str, ...],
           strict: bool, no_html: bool, no_validate: bool, workers: int, cache_dir: str | None,
           scheduler: str | None, batch_size: int, min_confidence: float | None, lang: str) -> None:
    from kg.export import serialize, write_together
    from kg.pipeline import build as run_build
    from kg.namespace import KGO
    from kg.render import PREDICATES, render_html

    def progress(items):
        with click.progressbar(items, label="Extracting", file=sys.stderr) as bar:
            yield from bar

    many = sum(1 for p in paths if Path(p).is_dir()) > 0 or len(paths) > 20
    bar = progress if many and sys.stderr.isatty() else None
    if store_dir:
        from kg.pipeline import build_store
        from kg.store import open_store

        stored = build_store(paths, store_dir, gazetteers, progress=bar, workers=workers, cache_dir=cache_dir,
                             scheduler=scheduler, batch_size=batch_size, validate=not no_validate,
                             min_confidence=min_confidence, lang=lang)
        for line in stored.skipped:
            click.echo(f"kg: skipped: {line}", err=True)
        if strict and stored.skipped:
            raise KgError(f"{len(stored.skipped)} file(s) skipped and --strict is set")
        if not stored.added:
            click.echo(f"no new document; store {store_dir} unchanged ({stored.total} documents)")
        else:
            click.echo(f"store {store_dir}: {stored.added} new document(s), {stored.total} in all, "
                       f"in {stored.seconds:.1f} s")
        if out_dir:
            graph = open_store(store_dir, with_ontology=False)
            out = Path(out_dir)
            files = {out / "graph.ttl": serialize(graph, "turtle")}
            if not no_html:
                files[out / "graph.html"] = render_html(graph).encode("utf-8")
            write_together(files)  # both or neither: never a new graph beside an old page
            click.echo(f"-> {out / 'graph.ttl'}" + ("" if no_html else f", {out / 'graph.html'}"))
        if stored.skipped:
            sys.exit(2)
        return
    result = run_build(paths, gazetteers, progress=bar, workers=workers, cache_dir=cache_dir, scheduler=scheduler,
                       min_confidence=min_confidence, lang=lang,
                       validate=not no_validate)  # a document that breaks the shapes is skipped, not the build
    for line in result.skipped:
        click.echo(f"kg: skipped: {line}", err=True)
    if strict and result.skipped:
        raise KgError(f"{len(result.skipped)} file(s) skipped and --strict is set; nothing written")
    ttl = serialize(result.graph, "turtle")
    html = None if no_html else render_html(result.graph).encode("utf-8")
    out = Path(out_dir)
    write_together({out / "graph.ttl": ttl, **({out / "graph.html": html} if html is not None else {})})
    relation_props = {KGO[p] for p in PREDICATES}
    n_rel = len({(s, p, o) for s, p, o in result.graph if p in relation_props})
    click.echo(f"{len(result.documents)} documents, {len(result.entities)} entities, {n_rel} relations "
               f"in {result.seconds:.1f} s -> {out / 'graph.ttl'}" + ("" if no_html else f", {out / 'graph.html'}"))
    if result.skipped:
        sys.exit(2)


def _query_source(sparql: str | None, qfile: str | None, name: str | None, params: tuple[str, ...],
                  required: bool = True) -> tuple[str | None, dict]:
    """The query text and its bindings from exactly one of: argument, --file, --name."""
    from kg.query import named_query

    given = [x for x in (sparql, qfile, name) if x is not None]
    if len(given) > 1 or (required and not given):
        raise KgError("give a query either as an argument, with --file or with --name (exactly one)")
    if params and not name:
        raise KgError("--param goes with --name (a named query); see `kg queries`")
    if name:
        return named_query(name, list(params))
    if qfile:
        try:
            return Path(qfile).read_text(encoding="utf-8"), {}
        except OSError as exc:
            raise KgError(f"cannot read query file {qfile}: {exc.strerror}") from None
    return sparql, {}


@main.command()
@click.argument("graph", type=click.Path())
@click.argument("sparql", required=False)
@click.option("--file", "qfile", type=click.Path(), help="Read the query from a .rq file.")
@click.option("--name", help="Run a named query shipped with kg (list them with `kg queries`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Value for a named query's parameter; may repeat. Bound, never pasted into the query.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output for SELECT results (CONSTRUCT/DESCRIBE always print Turtle).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Wall-clock limit in seconds.")
def query(graph: str, sparql: str | None, qfile: str | None, name: str | None, params: tuple[str, ...], fmt: str,
          timeout: float) -> None:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE) on GRAPH.

    The ontology (ontology/*.ttl) is loaded with the graph so class and property
    labels resolve. The kgo:, kgr:, rdfs:, skos:, owl: prefixes are predefined.
    Queries that would reach outside the graph (SERVICE, LOAD, FROM) are refused.

    \b
    Examples:
      kg query exports/graph.ttl "SELECT ?who WHERE { ?who kgo:leads ?x . ?x rdfs:label 'Groupe Wagner' }"
      kg query exports/graph.ttl --name funders-of --param target=Ukraine
    """
    from kg.query import ROW_CAP, format_result, load_graph, match_names, run_query

    text, bindings = _query_source(sparql, qfile, name, params)
    g = load_graph(graph)
    if name:
        bindings, _ = match_names(g, name, bindings)
    res = run_query(g, text, bindings, timeout=timeout)
    _warn(res)
    click.echo(format_result(res, fmt), nl=False)
    if res.get("truncated"):
        click.echo(f"kg: warning: the result was cut at {ROW_CAP:,} rows; narrow the query", err=True)


def _warn(res: dict) -> None:
    """A query's warnings (unknown ontology terms) on stderr, so an empty answer says why."""
    for w in res.get("warnings", []):
        click.echo(f"kg: warning: {w}", err=True)


def _refuse_invalid(graph, consequence: str) -> None:
    """Print each SHACL violation on its own line and stop with one summary line."""
    from kg.validate import validate as run_validate

    violations = run_validate(graph)
    for v in violations:
        click.echo(f"kg: violation: {v}", err=True)
    if violations:
        raise KgError(f"the graph breaks {len(violations)} constraint(s) of ontology/shapes.ttl; {consequence}")


@main.command()
@click.argument("graph", type=click.Path())
def validate(graph: str) -> None:
    """Check GRAPH against the SHACL shapes in ontology/shapes.ttl.

    Prints one line per violation (node, constraint, property) and exits 1 if there
    is any; prints a one-line summary and exits 0 if the graph conforms.
    """
    from kg.query import load_graph

    g = load_graph(graph, with_ontology=False)
    _refuse_invalid(g, "see the lines above")
    click.echo(f"{graph}: conforms to ontology/shapes.ttl ({len(g)} triples)")


@main.command()
@click.argument("graph", type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; loopback by default. Anything else exposes the graph to the network.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Wall-clock limit per query, seconds.")
@click.option("--max-rows", type=click.IntRange(1), default=10_000, show_default=True, help="Row cap per result.")
@click.option("--max-bytes", type=click.IntRange(1000), default=16_000_000, show_default=True,
              help="Byte cap per result (values), so one row cannot be a gigabyte.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Queries run at once, each in its own process; others wait in a queue.")
@click.option("--queue", type=click.IntRange(0), default=64, show_default=True,
              help="Queries that may wait for a worker (at most --timeout); past that, 503 at once.")
@click.option("--max-memory", type=click.IntRange(16), default=1024, show_default=True,
              help="Extra memory a query's worker may use, MB (over it: 503).")
@click.option("--max-connections", type=click.IntRange(1), default=64, show_default=True,
              help="Open connections served at once (past that: 503 and close).")
@click.option("--idle-timeout", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds a connection may stay silent before it is closed.")
@click.option("--quiet", is_flag=True, help="Do not log requests.")
def serve(graph: str, host: str, port: int, timeout: float, max_rows: int, max_bytes: int, workers: int, queue: int,
          max_memory: int, max_connections: int, idle_timeout: float, quiet: bool) -> None:
    """Serve GRAPH as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql.

    GET ?query=... or POST (form or application/sparql-query); results as SPARQL
    JSON, XML, CSV, TSV, and Turtle / N-Triples / JSON-LD / RDF/XML for CONSTRUCT,
    chosen from the Accept header or ?format=. Updates, SERVICE, LOAD and FROM are
    refused with status 400; a query over --timeout or --max-memory gets 503, and so
    does a request when every worker is busy and the queue is full. A query page is at /.
    """
    from kg.query import load_graph
    from kg.serve import make_server

    server = make_server(load_graph(graph), host, port, timeout, max_rows, quiet, workers=workers,
                         max_bytes=max_bytes, max_memory=max_memory, max_connections=max_connections,
                         idle=idle_timeout, queue=queue)
    h, p = server.server_address[:2]
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"kg: warning: listening on {host}, not loopback: anyone who can reach it can query the graph",
                   err=True)
    click.echo(f"SPARQL endpoint: http://{h}:{p}/sparql  (query page: http://{h}:{p}/; Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.option("--annotated", "annotated", multiple=True, metavar="GOLD.yaml=TEXTS/",
              help="A gold file in kg's format and the folder of its texts; may repeat. Default: the team's "
                   "development set, ../shared/eval/dev.gold.yaml=../shared/eval/dev (if present).")
@click.option("--popcorn", "popcorn", multiple=True, metavar="FILE.json",
              help="POPCORN-format annotation; may repeat. Default: training/popcorn/train.json (if present).")
@click.option("--popcorn-weight", type=click.FloatRange(0), default=1.0, show_default=True,
              help="Weight of POPCORN's examples against the news annotation's.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Model file to write (default: the one kg ships, kg/data/relations-model.json).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), help="Parse cache folder (as kg build).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=None,
              help="The model's default cut (default 0.4: see `python bench/quality.py` to choose yours).")
def train(annotated: tuple[str, ...], popcorn: tuple[str, ...], popcorn_weight: float, out: str | None,
          cache_dir: str | None, min_confidence: float | None) -> None:
    """Rebuild the relation model from annotated French text (writes the model and its card).

    \b
    Your own examples: annotate articles in the format of ../shared/eval/*.gold.yaml
    (entities with their names, relations with doc, s, p, o and an evidence quote),
    put the texts in a folder, and add --annotated mine.yaml=mytexts/.
    """
    from kg.extract.decide import MODEL_FILE
    from kg.lexicon import load_lexicon
    from kg.train import train as run_train

    here = Path.cwd()
    if not annotated and (here / "../shared/eval/dev.gold.yaml").is_file():
        annotated = ("../shared/eval/dev.gold.yaml=../shared/eval/dev",)
    if not popcorn and (here / "training/popcorn/train.json").is_file():
        popcorn = ("training/popcorn/train.json",)
    sets = []
    for item in annotated:
        gold, sep, texts = item.partition("=")
        if not sep or not Path(gold).is_file() or not Path(texts).is_dir():
            raise KgError(f"--annotated {item}: expected GOLD.yaml=TEXTS/, an existing file and folder")
        sets.append((Path(gold).stem.replace(".gold", ""), "annotated", (gold, texts), 1.0))
    for f in popcorn:
        if not Path(f).is_file():
            raise KgError(f"--popcorn {f}: no such file")
        sets.append((Path(f).stem if len(popcorn) > 1 else "popcorn", "popcorn", f, popcorn_weight))
    if not sets:
        raise KgError("no annotated data: give --annotated GOLD.yaml=TEXTS/ and/or --popcorn FILE.json")
    run_train(sets, load_lexicon(rules_only=True), Path(out) if out else MODEL_FILE, cache_dir=cache_dir,
              log=lambda line: click.echo(line, err=True), min_confidence=min_confidence)


@main.command()
@click.argument("graph", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="How many actors to list.")
def stats(graph: str, fmt: str, top: int) -> None:
    """Summarise GRAPH: documents, actors by type, relations by predicate, the most connected actors,
    and the documents and actors with no relation."""
    import json

    from kg.query import load_graph
    from kg.stats import format_summary, summary

    s = summary(load_graph(graph, with_ontology=False), top)
    click.echo(json.dumps(s, ensure_ascii=False, indent=2) if fmt == "json" else format_summary(s, top), nl=fmt == "json")


@main.command()
def queries() -> None:
    """List the named queries shipped with kg and their parameters."""
    from kg.query import named_queries

    for q in named_queries().values():
        click.echo(f"{q.name}: {q.description}")
        for k, v in q.params.items():
            click.echo(f"    --param {k}=...   {v}")


@main.command()
@click.argument("graph", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--query", "qfile", type=click.Path(dir_okay=False),
              help="Draw only the subgraph this SPARQL CONSTRUCT (.rq file) returns.")
@click.option("--name", help="Draw what a named CONSTRUCT query returns, e.g. two-hops (see `kg queries`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Parameter of --name; may repeat.")
@click.option("--types", default="", help="Comma-separated actor types to keep, e.g. Person,MilitaryOrganization.")
@click.option("--predicates", default="", help="Comma-separated relations to keep, e.g. funds,supports.")
@click.option("--title", default=None, help="Page title (default: the number of documents).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Wall-clock limit for --query.")
def render(graph: str, out: str, qfile: str | None, name: str | None, params: tuple[str, ...], types: str,
           predicates: str, title: str | None, timeout: float) -> None:
    """Write GRAPH as an interactive HTML explorer that works offline (one file).

    The page has a search box (names and aliases, accents ignored), type and
    relation filters, a minimum-degree slider, a document filter, and a side panel
    with the evidence sentences of every relation.

    \b
    Example: everything within two hops of an actor
      kg render exports/graph.ttl --out wagner.html --name two-hops --param center=Wagner
    """
    from rdflib import Graph

    from kg.export import write_atomic
    from kg.query import load_graph, match_names, run_query
    from kg.render import PREDICATES, TYPE_COLORS, check_names, render_html

    keep_types = check_names([t for t in types.split(",") if t.strip()], TYPE_COLORS, "type")
    keep_preds = check_names([p for p in predicates.split(",") if p.strip()], PREDICATES, "predicate")
    sparql, bindings = _query_source(None, qfile, name, params, required=False)
    g = load_graph(graph, with_ontology=False)
    selection, centres = None, set()
    if name:
        bindings, centres = match_names(g, name, bindings)
    if sparql is not None:
        res = run_query(g, sparql, bindings, timeout=timeout)
        _warn(res)
        if res["type"] not in ("CONSTRUCT", "DESCRIBE"):
            raise KgError(f"render needs a CONSTRUCT or DESCRIBE query (got {res['type']})")
        selection = Graph().parse(data=res["turtle"], format="turtle")
        if not len(selection):
            raise KgError("the query returned nothing to draw; no page written")
    html = render_html(g, title, selection, keep_types or None, keep_preds or None, centres=centres)
    write_atomic(Path(out), html.encode("utf-8"))
    click.echo(f"wrote {out}")


@main.command()
@click.argument("graph", type=click.Path())
@click.option("--format", "fmt", default="turtle", show_default=True,
              type=click.Choice(["turtle", "nt", "nquads", "trig", "jsonld", "xml", "graphml", "gexf", "csv"]))
@click.option("--out", required=True, type=click.Path(), help="File to write (a folder for csv).")
def export(graph: str, fmt: str, out: str) -> None:
    """Write GRAPH for another tool.

    \b
    turtle, nt, xml   RDF for triple stores (GraphDB, Jena, Oxigraph, Neo4j n10s)
    nquads, trig      RDF with one named graph per source document
    jsonld            JSON-LD with a context of short names (label, funds, evidence...)
    graphml, gexf     actors and relations as a property graph (Gephi, Cytoscape, networkx)
    csv               OUT/nodes.csv + OUT/edges.csv for Neo4j's and Kuzu's bulk importers
    """
    from kg.export import export as do_export
    from kg.query import load_graph

    written = do_export(load_graph(graph, with_ontology=False), Path(out), fmt)
    click.echo("wrote " + ", ".join(str(p) for p in written))


if __name__ == "__main__":
    main()


@main.command()
@click.argument("graph", type=click.Path())
@click.option("--endpoint", required=True, metavar="URL",
              help="Graph Store Protocol URL, e.g. http://localhost:3030/news/data (Fuseki), "
                   "http://localhost:8890/sparql-graph-crud-auth (Virtuoso).")
@click.option("--user", help="User name, if the service needs one (Basic or Digest authentication).")
@click.option("--password-env", default="KG_PUSH_PASSWORD", show_default=True, metavar="VAR",
              help="Environment variable holding the password (never on the command line).")
@click.option("--no-ontology", is_flag=True, help="Do not send the ontology graph.")
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds to wait for the service on each graph.")
def push(graph: str, endpoint: str, user: str | None, password_env: str, no_ontology: bool, timeout: float) -> None:
    """Load GRAPH (a graph file or a --store folder) into a remote triple store, one named graph per document.

    Uses the SPARQL 1.1 Graph Store HTTP Protocol (PUT ?graph=IRI): the actors and
    documents go to <https://w3id.org/kg-news/graph/actors>, each document's
    relations, statements and mentions to a graph named by the document's IRI, the
    ontology to <https://w3id.org/kg-news/graph/ontology>. Pushing again replaces
    those graphs, so nothing is duplicated.
    """
    import os

    from kg.push import push as do_push
    from kg.query import load_graph

    password = os.environ.get(password_env) if user else None
    if user and password is None:
        raise KgError(f"--user {user} given but ${password_env} is not set (put the password there)")
    report = do_push(load_graph(graph, with_ontology=False), endpoint, user, password, timeout, not no_ontology)
    click.echo(f"pushed {report.graphs} graph(s), {report.triples} triples to {endpoint}")
