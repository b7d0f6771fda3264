"""Reading articles: encodings, bad files, boilerplate, repeated paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import KgError
from kg.ingest import find_files, read_document, segments


def test_latin1_file_is_decoded(tmp_path, lex):
    f = tmp_path / "a.txt"
    f.write_bytes("La Pologne soutient l'Ukraine depuis février. Les élus ont débattu à Varsovie.".encode("latin-1"))
    doc = read_document(f, lex.boilerplate)
    assert "février" in doc.text and "élus" in doc.text


def test_utf8_bom_does_not_stick_to_first_word(tmp_path, lex):
    f = tmp_path / "a.txt"
    f.write_bytes("\ufeffLe Canada soutient le Mali.".encode("utf-8"))
    assert read_document(f, lex.boilerplate).text.startswith("Le Canada")


def test_a_stray_nul_inside_a_word_is_dropped_so_the_name_stays_whole(tmp_path, lex):
    """A NUL or two in a text file (a bad export, a copy from a PDF) is noise, not a word break."""
    f = tmp_path / "a.txt"
    f.write_bytes("Le Penta\x00gone soutient l'Ukraine.\nLe Canada soutient le\x00 Mali.".encode("utf-8"))
    assert read_document(f, lex.boilerplate).text == "Le Pentagone soutient l'Ukraine.\nLe Canada soutient le Mali."


def test_empty_file_is_skipped_with_reason(tmp_path, lex):
    f = tmp_path / "empty.txt"
    f.write_text("  \n")
    with pytest.raises(KgError, match="empty file"):
        read_document(f, lex.boilerplate)


def test_binary_file_is_skipped_with_reason(tmp_path, lex):
    f = tmp_path / "bin.txt"
    f.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(KgError, match="binary"):
        read_document(f, lex.boilerplate)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(KgError, match="no such file"):
        find_files([str(tmp_path / "nope")])


def test_breadcrumb_cookie_banner_and_byline_are_dropped(lex):
    text = ("Home » MONDE » La Pologne soutient l'Ukraine.\n\npar\n\nRelated Articles\n\n"
            "This website uses cookies to improve your experience. Accept Read More\n")
    segs = segments(text, lex.boilerplate)
    assert [s.text for s in segs] == ["La Pologne soutient l'Ukraine."]
    assert text[segs[0].start:segs[0].start + len(segs[0].text)] == segs[0].text


def test_truncated_teaser_sentence_is_dropped(lex):
    segs = segments("Le Mali accuse la France. Mais récemment, il a…\n", lex.boilerplate)
    assert [s.text for s in segs] == ["Le Mali accuse la France."]


def test_repeated_paragraph_is_kept_once(lex):
    segs = segments("La Pologne soutient l'Ukraine.\nLa Pologne soutient l’Ukraine.\n", lex.boilerplate)
    assert len(segs) == 1


def test_a_line_longer_than_spacys_max_length_is_cut_at_sentence_ends_with_exact_offsets():
    from kg.ingest import MAX_SEGMENT, segments
    from kg.lexicon import default_lexicon

    sentence = "Le Pentagone soutient l'Ukraine depuis février. "
    text = "Titre\n" + sentence * 32_000  # one line of 1.5 million characters, over nlp.max_length
    segs = segments(text, default_lexicon().boilerplate)
    assert len(text) > 1_000_000 and len(segs) > 70
    assert all(len(s.text) <= MAX_SEGMENT for s in segs)
    assert all(text[s.start:s.start + len(s.text)] == s.text for s in segs)
    assert all(s.text.endswith("février.") for s in segs[1:])  # cut after a sentence, never inside one


def test_a_long_single_line_article_builds_with_evidence_at_its_offsets(tmp_path, nlp):
    from kg.pipeline import build

    filler = "Les discussions se poursuivent entre les délégations depuis plusieurs semaines. " * 400
    text = "Titre\n" + filler + "Le Pentagone soutient l'Ukraine depuis février. " + filler
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    result = build([str(tmp_path / "long.txt")])
    rel = [r for r in result.relations if r.predicate == "supports"]
    assert rel and all(text[r.sent_start:r.sent_end] == r.sentence for r in rel)


DATA = Path(__file__).resolve().parent / "data" / "inputs"


def test_jsonl_records_become_documents_and_each_bad_line_is_one_skip_with_its_line_number():
    from kg.ingest import read_documents
    from kg.lexicon import default_lexicon

    items = list(read_documents([str(DATA / "records.jsonl")], default_lexicon().boilerplate))
    docs = [d for d in items if not isinstance(d, Exception)]
    skips = [str(e) for e in items if isinstance(e, Exception)]
    assert [d.path.rsplit("/", 1)[1] for d in docs] == ["records.jsonl#a1", "records.jsonl#a4", "records.jsonl#5"]
    assert docs[0].title == "Wagner" and docs[0].text.startswith("Evgueni Prigojine dirige")
    assert docs[2].title == "<script>alert(1)</script>"  # kept as text; the outputs escape it
    assert [s.split(": ", 1)[0].rsplit("/", 1)[1] for s in skips] == [
        "records.jsonl:2", "records.jsonl:3", "records.jsonl:4", "records.jsonl:6"]
    assert "not a JSON object" in skips[0] and '"text" string' in skips[1] and "empty" in skips[2]


def test_an_html_page_gives_its_article_text_without_navigation_scripts_or_footer():
    from kg.ingest import read_documents
    from kg.lexicon import default_lexicon

    [doc] = list(read_documents([str(DATA / "page.html")], default_lexicon().boilerplate))
    assert doc.title == "Le Pentagone annonce une aide à l'Ukraine"
    assert "1,1 milliard de dollars à l'Ukraine" in doc.text
    for junk in ("tracker", "Accueil", "newsletter", "Publicité", "Mentions légales", "color:red", "<"):
        assert junk not in doc.text


def test_a_folder_of_txt_html_and_jsonl_builds_one_graph_and_reports_the_bad_lines(tmp_path, nlp):
    import shutil

    from click.testing import CliRunner
    from rdflib import Graph

    from kg.cli import main
    from kg.namespace import KGO, KGR

    for f in ("page.html", "records.jsonl"):
        shutil.copy(DATA / f, tmp_path / f)
    res = CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "o"), "--no-html"])
    assert res.exit_code == 2  # built, but something was skipped
    assert res.output.count("kg: skipped:") == 4
    g = Graph().parse(tmp_path / "o" / "graph.ttl")
    assert (KGR["pentagone"], KGO.funds, KGR["ukraine"]) in g
    assert (KGR["evgueni-prigojine"], KGO.leads, KGR["groupe-wagner"]) in g
