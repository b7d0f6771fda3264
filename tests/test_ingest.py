"""Reading articles: encodings, bad files, boilerplate, repeated paragraphs."""

from __future__ import annotations

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
