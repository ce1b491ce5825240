"""Hostile files: the generated suite in one real ingest, and the reader's time and memory limits."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evaluation.hostile_files import (GOOD_POLICY, deflated, docx, docx_streamed, judge, law, paragraph,
                                      text_pdf, word_xml, write_suite)
from ingest.index_store import load_index
from ingest.pipeline import ingest
from ingest.reader_process import ReaderConfig, ReaderProcess
from ingest.readers import ReadError, ReadLimits
from service.app import create_app

LIMITS = ReadLimits(max_file_bytes=50_000_000, max_unpacked_bytes=256_000_000)


def reader(timeout: float = 10.0, memory: int = 3 * 2**30) -> ReaderProcess:
    return ReaderProcess(ReaderConfig(LIMITS, timeout, memory, None, 1400, True))


def test_hostile_suite_in_one_ingest(tmp_path, base_settings):
    """Every case of the generated suite, with good files, in one ingest: each bad file reported by
    name with its reason, good ones indexed, no file past the time limit, and the index serves."""
    suite_dir = tmp_path / "hostile"
    suite = write_suite(suite_dir)
    assert len(suite) >= 60
    good = tmp_path / "good"
    good.mkdir()
    (good / "mokymai.txt").write_text(GOOD_POLICY, encoding="utf-8")
    settings = base_settings.model_copy(update={"index_dir": tmp_path / "index", "file_timeout_seconds": 10.0,
                                                "conversation_db": tmp_path / "conversations.sqlite3"})

    report = ingest([suite_dir, good], settings.index_dir, settings, organization="Bandomasis centras",
                    show_progress=False)

    index = load_index(settings.index_dir)
    outcomes = judge(suite_dir, suite, [(p.path, p.reason) for p in report.problems],
                     {d.document_id: (d.source_path, d.text) for d in index.documents.values()})
    wrong = [f"{o.case.name!r}: expected {o.case.expect} {o.case.reason!r}, got {o.observed}" for o in outcomes if not o.ok]
    assert not wrong, "\n".join(wrong)
    assert "mokymai" in index.documents
    assert max(report.read_seconds.values()) < settings.file_timeout_seconds + 5
    assert 0 < report.reader_peak_memory_bytes < settings.reader_memory_bytes

    with TestClient(create_app(settings)) as client:
        documents = client.get("/api/documents")
        assert documents.status_code == 200
        assert len(documents.json()["documents"]) == len(index.documents)
        for query in ("dešimt darbo dienų", "procédure", "bandymų tvarką"):
            assert client.get("/api/search", params={"q": query}).status_code == 200


@pytest.mark.parametrize("name, write, text", [
    ("long-word.txt", lambda p: p.write_text("a" * 600_000 + " pabaiga.", encoding="utf-8"), "pabaiga."),
    ("long-word-with-at.txt", lambda p: p.write_text("a" * 300_000 + "@" + "b" * 300_000 + " galas.",
                                                     encoding="utf-8"), "galas."),
    ("bookmarks.txt", lambda p: p.write_text("[bookmark: " * 100_000 + "\n\nTekstas.", encoding="utf-8"), "Tekstas."),
    ("emphasis.md", lambda p: p.write_text("# A\n\n" + "**a " * 100_000 + "pabaiga.", encoding="utf-8"), "pabaiga."),
    ("table-rules.md", lambda p: p.write_text("# A\n\n" + "|---" * 100_000 + "x\n\nTekstas.", encoding="utf-8"), "Tekstas."),
    ("nested.html", lambda p: p.write_text("<div>" * 60_000 + "Gilus." + "</div>" * 60_000, encoding="utf-8"), "Gilus."),
    ("paragraphs.docx", lambda p: docx(p, word_xml("<w:p/>" * 100_000 + paragraph("Sakinys."))), "Sakinys."),
    ("long-law.json", lambda p: p.write_text(json.dumps(law("lt-long", provisions=[
        {"title": f"{i} straipsnis.", "content": "Sakinys apie paslaugas. " * 40} for i in range(1_000)])),
        encoding="utf-8"), "Sakinys apie paslaugas."),
])
def test_inputs_that_were_quadratic_are_read_within_the_time_limit(tmp_path, name, write, text):
    """Each of these took minutes to hours before (a quadratic pattern, tree edit or style lookup);
    the reader would stop it at the limit and the file would be refused."""
    path = tmp_path / name
    write(path)
    with reader(timeout=10.0) as process:
        [prepared] = list(process.read(path))
    assert text in prepared.document.text
    assert prepared.chunks


def test_a_file_past_the_time_limit_is_stopped_and_the_next_one_is_read(tmp_path):
    enormous = tmp_path / "enormous.json"
    enormous.write_text(json.dumps(law("lt-enormous", provisions=[
        {"title": "1 straipsnis.", "content": "Sakinys apie paslaugas. " * 100_000}])), encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(GOOD_POLICY, encoding="utf-8")
    with reader(timeout=2.0) as process:
        with pytest.raises(ReadError, match="longer than 2 s"):
            list(process.read(enormous))
        [prepared] = list(process.read(good))
    assert prepared.document.document_id == "good"


def test_a_file_past_the_memory_limit_is_refused_and_the_next_one_is_read(tmp_path):
    """A .docx under the unpacked-size limit whose XML still needs more memory than allowed."""
    heavy = tmp_path / "heavy.docx"
    docx_streamed(heavy, word_xml("").split("</w:body>")[0], "<w:p/>", 60_000_000, "</w:body></w:document>")
    good = tmp_path / "good.txt"
    good.write_text(GOOD_POLICY, encoding="utf-8")
    with reader(memory=512 * 2**20) as process:
        with pytest.raises(ReadError, match="more than 0.5 GiB of memory"):
            list(process.read(heavy))
        [prepared] = list(process.read(good))
        assert process.peak_memory_bytes < 600 * 2**20
    assert "mokymo tvarka" in prepared.document.text


def test_a_pdf_stream_past_the_decompression_limit_is_a_per_file_error(tmp_path):
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(text_pdf([], b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data := deflated(100_000_000))
                              + data + b"\nendstream"))
    with reader() as process, pytest.raises(ReadError, match="safety limit"):
        list(process.read(bomb))


def test_unchanged_documents_are_not_chunked_again(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(GOOD_POLICY, encoding="utf-8")
    with reader() as process:
        [first] = list(process.read(good))
    config = ReaderConfig(LIMITS, 10.0, 3 * 2**30, None, 1400, True, {"good": first.document.content_hash})
    with ReaderProcess(config) as process:
        [again] = list(process.read(good))
    assert first.chunks and again.chunks is None
    assert Path(again.document.source_path) == good
