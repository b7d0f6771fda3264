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


def _read_all(paths, timeout: float = 20.0) -> list:
    """read_documents in a thread: a reader that blocks (a FIFO) fails the test instead of hanging it."""
    import threading

    from kg.ingest import read_documents
    from kg.lexicon import default_lexicon

    box: list = []
    t = threading.Thread(target=lambda: box.append(list(read_documents(paths, default_lexicon().boilerplate))),
                         daemon=True)
    t.start()
    t.join(timeout)
    assert box, f"reading {paths} did not end within {timeout:g} s"
    return box[0]


def test_a_fifo_named_on_the_command_line_is_skipped_at_once_instead_of_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    [skip] = _read_all([str(fifo)])
    assert isinstance(skip, KgError) and "named pipe (FIFO)" in str(skip)


def test_a_link_to_an_endless_device_is_skipped_not_read_until_memory_runs_out(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    [skip] = _read_all([str(tmp_path / "zero.txt")])
    assert "character device" in str(skip)


def test_fifos_device_links_and_unreadable_folders_inside_a_folder_are_each_reported(tmp_path, monkeypatch):
    import os

    (tmp_path / "ok.txt").write_text("Le Pentagone soutient l'Ukraine depuis février dernier, selon Kiev.")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.txt").write_text("x")
    real = os.scandir

    def scandir(path="."):  # root reads any folder: make this one unreadable as it is for a user
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = _read_all([str(tmp_path)])
    skips = sorted(str(e) for e in items if isinstance(e, KgError))
    assert len([d for d in items if not isinstance(d, KgError)]) == 1
    assert len(skips) == 3
    assert any("locked: cannot read this folder (Permission denied)" in s for s in skips)
    assert any("pipe.txt: a named pipe" in s for s in skips) and any("zero.txt: a character device" in s
                                                                      for s in skips)


def test_a_file_over_the_size_limit_is_skipped_without_reading_it_all(tmp_path, monkeypatch):
    import kg.ingest

    monkeypatch.setattr(kg.ingest, "MAX_FILE_BYTES", 1000)
    (tmp_path / "big.txt").write_text("Le Pentagone soutient l'Ukraine. " * 100)
    [skip] = _read_all([str(tmp_path / "big.txt")])
    assert "too big for an article" in str(skip)


def test_one_stray_byte_does_not_make_a_utf8_article_binary(tmp_path, lex):
    body = ("Le Pentagone a annoncé une aide militaire à l'Ukraine. Les élus ont débattu à Washington. " * 30)
    f = tmp_path / "a.txt"
    f.write_bytes(body.encode("utf-8")[:1500] + b"\xff" + body.encode("utf-8")[1500:])
    doc = read_document(f, lex.boilerplate)
    assert "annoncé" in doc.text and "débattu" in doc.text and len(doc.text) > 2500


def test_a_file_name_with_a_newline_cannot_forge_an_extra_output_line(tmp_path):
    bad = tmp_path / "a\nkg: skipped: fake.txt"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    [skip] = _read_all([str(tmp_path)])
    assert "\n" not in str(skip) and "a\\nkg: skipped: fake.txt/empty.txt: empty file" in str(skip)


def test_a_pdf_is_named_as_such_with_what_to_do(tmp_path, lex):
    f = tmp_path / "report.txt"
    f.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    with pytest.raises(KgError, match="a PDF document; convert it to text first"):
        read_document(f, lex.boilerplate)


def test_html_pages_are_skipped_on_one_line_when_trafilatura_cannot_be_imported(tmp_path, monkeypatch, lex):
    """A broken optional install (lxml's cleaner missing) costs the HTML pages, not the build."""
    import builtins

    real = builtins.__import__

    def no_trafilatura(name, *a, **k):
        if name == "trafilatura":
            raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean.\nInstall it")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_trafilatura)
    (tmp_path / "p.html").write_text("<html><body><p>Le Pentagone soutient l'Ukraine.</p></body></html>")
    (tmp_path / "a.txt").write_text("Le Pentagone soutient l'Ukraine depuis février dernier, selon Kiev.")
    items = _read_all([str(tmp_path)])
    [skip] = [e for e in items if isinstance(e, KgError)]
    assert "p.html: cannot read HTML pages: trafilatura does not import" in str(skip) and "\n" not in str(skip)
    assert len(items) == 2


def test_an_english_article_beside_a_french_one_is_skipped_on_one_line_and_the_french_one_built(tmp_path, nlp):
    from click.testing import CliRunner

    from kg.cli import main

    (tmp_path / "en.txt").write_text(
        "The United States will send another 500 million dollars of military aid to Ukraine, officials said on "
        "Tuesday, including armoured vehicles and missiles for air defence systems.\n", encoding="utf-8")
    (tmp_path / "fr.txt").write_text(
        "Le Pentagone a annoncé mardi une aide militaire supplémentaire de 500 millions de dollars à l'Ukraine, "
        "selon des responsables américains.\n", encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["build", str(tmp_path / "en.txt"), str(tmp_path / "fr.txt"), "--out", str(out),
                                    "--no-html"])
    assert res.exit_code == 2, res.output  # built, with a skip
    skips = [line for line in res.output.splitlines() if line.startswith("kg: skipped:")]
    assert skips == [f"kg: skipped: {(tmp_path / 'en.txt').as_posix()}: written in English (en), not French; "
                     "skipped (--lang en builds it anyway)"]
    assert "1 documents" in res.output and "fr.txt" in (out / "graph.ttl").read_text(encoding="utf-8")
    res = CliRunner().invoke(main, ["build", str(tmp_path / "en.txt"), "--out", str(tmp_path / "o2"), "--no-html",
                                    "--lang", "any"])
    assert res.exit_code == 0 and "1 documents" in res.output


def test_a_short_text_is_not_judged_by_its_language():
    from kg.ingest import language_of

    assert language_of("NIGER : la junte rencontre la CEDEAO") is None
    assert language_of("Le Canada soutient le Mali depuis plusieurs années, selon le ministère des Affaires "
                       "étrangères, qui a publié un communiqué mardi à Ottawa.") == "fr"
