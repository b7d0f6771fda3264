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
