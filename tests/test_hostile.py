"""A folder of hostile files (tests/data/hostile/, plus links made here): every file is read correctly or
skipped with one line saying why; the build goes on; the graph parses in rdflib and pyoxigraph, conforms to
the shapes, and renders without any article text becoming markup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import DCTERMS

from kg.cli import main
from kg.namespace import KGO, KGR

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"


@pytest.fixture(scope="module")
def built(tmp_path_factory, nlp):
    src = tmp_path_factory.mktemp("hostile") / "in"
    shutil.copytree(HOSTILE, src)
    (src / "loop").symlink_to(src, target_is_directory=True)  # a folder walk must not follow it forever
    (src / "dangling.txt").symlink_to(src / "nowhere.txt")
    out = src.parent / "out"
    res = CliRunner().invoke(main, ["build", str(src), "--out", str(out)])
    return src, out, res


def test_the_build_goes_on_and_reports_each_bad_file_once_with_its_reason(built):
    src, out, res = built
    assert res.exit_code == 2, res.output  # built, with skips
    skips = {line.split(": ", 3)[2]: line for line in res.output.splitlines() if line.startswith("kg: skipped:")}
    expected = {"empty.txt": "empty file", "only-spaces.txt": "empty file", "binary.txt": "binary file",
                "dangling.txt": "cannot read", "empty.html": "no article text", "records.jsonl:2": '"text" string',
                "records.jsonl:3": "not a JSON object", "records.jsonl:5": '"text" string'}
    assert {Path(k).name for k in skips} == set(expected)
    for k, line in skips.items():
        assert expected[Path(k).name] in line and line.count("\n") == 0
    assert "documents" in res.output and (out / "graph.ttl").is_file()


def test_every_readable_encoding_gives_the_same_relation(built):
    _, out, _ = built
    g = Graph().parse(out / "graph.ttl")
    docs = {str(o).rsplit("/", 1)[-1] for o in g.objects(None, KGO.path)}
    for name in ("utf8-bom.txt", "utf16-bom.txt", "cp1252.txt", "crlf.txt", "nul-inside.txt", "bidi.txt",
                 "page.html", "records.jsonl#ok"):
        assert name in docs, name
    stated_in = {str(g.value(st, KGO.source)) for st in g.subjects(KGO.rule, None)
                 if g.value(st, KGO.evidence) and (KGR["pentagone"], KGO.supports, KGR["ukraine"]) in g}
    assert len(stated_in) >= 6
    titles = {str(t) for t in g.objects(None, DCTERMS.title)}
    assert not any(t.startswith("\ufeff") for t in titles)  # the BOM does not stick to the first word


def test_the_graph_parses_in_both_parsers_conforms_and_renders_without_markup_from_the_text(built):
    import pyoxigraph as ox

    from kg.validate import validate

    _, out, _ = built
    data = (out / "graph.ttl").read_bytes()
    g = Graph().parse(data=data.decode("utf-8"), format="turtle")
    assert len(list(ox.parse(data, format=ox.RdfFormat.TURTLE))) == len(g) > 100
    assert validate(g) == []
    html = (out / "graph.html").read_text(encoding="utf-8")
    for raw in ("<script>alert", "<img src=x", "</script><script>", "<b>gras</b>", "<http://evil>"):
        assert raw not in html


def test_a_50_mb_file_is_read_and_cut_into_parseable_pieces_not_refused(tmp_path):
    import time

    from kg.ingest import MAX_SEGMENT, read_document
    from kg.lexicon import default_lexicon

    line = "Le Pentagone soutient l'Ukraine depuis février, selon plusieurs responsables. " * 700
    big = tmp_path / "big.txt"
    with open(big, "w", encoding="utf-8") as fh:
        fh.write("Titre\n")
        for i in range(1000):  # ~55 MB, in paragraphs of ~55,000 characters
            fh.write(f"{i} {line}\n")
    t = time.perf_counter()
    doc = read_document(big, default_lexicon().boilerplate)
    assert big.stat().st_size > 50_000_000 and time.perf_counter() - t < 60
    assert all(len(s.text) <= MAX_SEGMENT for s in doc.segments) and len(doc.segments) > 2000


# -- the whole pipeline, spaCy included, on generated French sentences with arbitrary names ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAME = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=25),
    st.sampled_from(["<script>alert(1)</script>", 'Jean "Le" Dupont', "Marc </b> Roy", "Léa 👩‍🚀 Martin",
                     "שלום Cohen", "Ali \u202eevil\u202c", "Zoé\u0085Blanc", "x" * 500, "{}[]<>#%\\"]),
).map(lambda s: s.strip() or "X").map(lambda s: s[0].upper() + s[1:])
_SENTENCES = ["{a}, président de {b}, a annoncé que {b} soutient {c}.", "{a} dirige {b} depuis 2019.",
              "Les forces de {b} ont attaqué {c} dans la nuit.", "{b} a financé {c} à hauteur de 5 millions d'euros.",
              "{a} est membre de {b}.", "Selon {a}, {b} s'oppose à {c}."]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(names=st.lists(_NAME, min_size=3, max_size=3), picks=st.lists(st.integers(0, 5), min_size=2, max_size=4))
def test_any_names_through_the_whole_pipeline_give_a_graph_that_parses_conforms_and_renders(
        tmp_path_factory, nlp, names, picks):
    import pyoxigraph as ox

    from kg.export import serialize
    from kg.pipeline import build
    from kg.render import render_html
    from kg.validate import validate

    a, b, c = names
    text = f"Titre avec {a}\n\n" + " ".join(_SENTENCES[i].format(a=a, b=b, c=c) for i in picks) + "\n"
    d = tmp_path_factory.mktemp("prop")
    (d / "a.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
    result = build([str(d / "a.txt")])
    data = serialize(result.graph, "nt")
    assert len(Graph().parse(data=data.decode("utf-8"), format="nt")) == len(result.graph)
    assert len(list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))) == len(result.graph)
    assert validate(result.graph) == []
    html = render_html(result.graph)
    for name in names:
        if "<" in name:
            assert name not in html  # never raw markup in the page
