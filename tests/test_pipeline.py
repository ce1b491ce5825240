"""Ingest with the real model: incremental updates, bad files, and an index that never breaks."""

import subprocess
import sys

import pytest

from ingest.index_store import current_generation, load_index
from ingest.pipeline import ingest
from ingest.readers import ReadError
from ingest.settings import PROJECT_ROOT
from tests.documents_factory import make_encrypted_pdf, make_pdf

POLICY = """Darbuotojų mokymo tvarka

I. BENDROSIOS NUOSTATOS

1. Ši tvarka nustato, kaip Centro darbuotojai kelia kvalifikaciją.

2. Kiekvienas darbuotojas per metus dalyvauja bent dviejuose mokymuose.

II. ATSAKOMYBĖ

3. Už mokymų planą atsako direktoriaus pavaduotojas.
"""

COMPLAINTS = """Skundų nagrinėjimo tvarka

1. Paslaugų gavėjo skundas išnagrinėjamas per dešimt darbo dienų.

2. Atsakymas pateikiamas raštu.
"""


@pytest.fixture
def folder(tmp_path):
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "mokymai.txt").write_text(POLICY, encoding="utf-8")
    (corpus / "skundai.md").write_text(COMPLAINTS, encoding="utf-8")
    return corpus


def test_chunks_point_at_their_exact_text(folder, tmp_path, base_settings):
    report = ingest([folder], tmp_path / "index", base_settings, organization="Bandomasis centras", show_progress=False)
    assert sorted(report.added) == ["mokymai", "skundai"] and report.problems == []
    index = load_index(tmp_path / "index")
    for chunk in index.chunks:
        document = index.documents[chunk.document_id]
        assert document.text[chunk.char_start:chunk.char_end] == chunk.text
        assert document.organization == "Bandomasis centras"
    sections = {c.section for c in index.chunks_of("mokymai")}
    assert any(s.startswith("II. ATSAKOMYBĖ") for s in sections)
    assert index.manifest["dimension"] == 384 and set(index.manifest["documents"]) == {"mokymai", "skundai"}


def test_reingest_embeds_only_what_changed(folder, tmp_path, base_settings):
    index_dir = tmp_path / "index"
    ingest([folder], index_dir, base_settings, show_progress=False)
    first = current_generation(index_dir)

    again = ingest([folder], index_dir, base_settings, show_progress=False)
    assert again.embedded_chunks == 0 and sorted(again.unchanged) == ["mokymai", "skundai"]
    assert current_generation(index_dir) == first

    (folder / "skundai.md").write_text(COMPLAINTS + "\n3. Skundą galima pateikti ir el. paštu.\n", encoding="utf-8")
    changed = ingest([folder], index_dir, base_settings, show_progress=False)
    assert changed.updated == ["skundai"] and changed.unchanged == ["mokymai"]
    index = load_index(index_dir)
    assert changed.embedded_chunks == len(index.chunks_of("skundai"))
    assert current_generation(index_dir) != first
    assert "el. paštu" in index.documents["skundai"].text

    (folder / "skundai.md").unlink()
    removed = ingest([folder], index_dir, base_settings, show_progress=False)
    assert removed.removed == ["skundai"]
    assert set(load_index(index_dir).documents) == {"mokymai"}


def test_bad_files_are_reported_and_the_rest_is_indexed(folder, tmp_path, base_settings):
    (folder / "tuscias.txt").write_text("   \n", encoding="utf-8")
    (folder / "sugadintas.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    make_encrypted_pdf(folder / "uzrakintas.pdf", make_pdf(tmp_path / "plain.pdf", ["Slaptas tekstas."]))
    (folder / "didelis.txt").write_text("žodis " * 2000, encoding="utf-8")
    settings = base_settings.model_copy(update={"max_file_bytes": 10_000})

    report = ingest([folder], tmp_path / "index", settings, show_progress=False)
    reasons = {problem.path.rsplit("/", 1)[-1]: problem.reason for problem in report.problems}
    assert set(reasons) == {"tuscias.txt", "sugadintas.pdf", "uzrakintas.pdf", "didelis.txt"}
    assert "encrypted" in reasons["uzrakintas.pdf"]
    assert "empty" in reasons["tuscias.txt"] or "no text" in reasons["tuscias.txt"]
    assert sorted(report.added) == ["mokymai", "skundai"]


def test_a_file_that_breaks_keeps_its_last_good_version(folder, tmp_path, base_settings):
    index_dir = tmp_path / "index"
    ingest([folder], index_dir, base_settings, show_progress=False)
    (folder / "skundai.md").write_text("", encoding="utf-8")

    report = ingest([folder], index_dir, base_settings, show_progress=False)
    assert [p.path.rsplit("/", 1)[-1] for p in report.problems] == ["skundai.md"]
    index = load_index(index_dir)
    assert "dešimt darbo dienų" in index.documents["skundai"].text


def test_an_empty_upload_leaves_the_serving_index_alone(folder, tmp_path, base_settings):
    index_dir = tmp_path / "index"
    ingest([folder], index_dir, base_settings, show_progress=False)
    serving = current_generation(index_dir)
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "tuscias.txt").write_text("", encoding="utf-8")
    report = ingest([upload], index_dir, base_settings, show_progress=False)
    assert [p.path.rsplit("/", 1)[-1] for p in report.problems] == ["tuscias.txt"]
    assert current_generation(index_dir) == serving
    assert set(load_index(index_dir).documents) == {"mokymai", "skundai"}


def test_nothing_readable_and_no_index_yet_is_an_error(tmp_path, base_settings):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "tuscias.txt").write_text("", encoding="utf-8")
    with pytest.raises(ReadError, match="nothing to index"):
        ingest([upload], tmp_path / "index", base_settings, show_progress=False)
    assert current_generation(tmp_path / "index") is None


def test_cli_reports_bad_files_by_name(folder, tmp_path):
    (folder / "sugadintas.pdf").write_bytes(b"not a pdf at all")
    result = subprocess.run(
        [sys.executable, "-m", "ingest", str(folder), "--index", str(tmp_path / "index")],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "sugadintas.pdf" in output
    assert "Indexed 2 documents" in output
