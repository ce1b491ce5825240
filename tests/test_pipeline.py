"""Ingest with the real model: incremental updates, bad files, and an index that never breaks."""

import errno
import subprocess
import sys
import time

import pytest

from ingest import index_store
from ingest.index_store import IndexWriteError, current_generation, ingest_lock, load_index
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
        assert 0 <= chunk.char_start < chunk.char_end <= len(document.text)
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


def test_ids_are_unique_across_folders_and_the_indexed_file_keeps_its_id(folder, tmp_path, base_settings):
    index_dir = tmp_path / "index"
    ingest([folder], index_dir, base_settings, show_progress=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "mokymai.txt").write_text("Kitos organizacijos mokymų tvarka: mokymai vyksta kas ketvirtį.", encoding="utf-8")

    report = ingest([other], index_dir, base_settings, show_progress=False)

    [problem] = report.problems
    assert problem.path == str(other / "mokymai.txt")
    assert "id 'mokymai' is already used by" in problem.reason and str(folder / "mokymai.txt") in problem.reason
    assert "bent dviejuose mokymuose" in load_index(index_dir).documents["mokymai"].text

    (folder / "mokymai.txt").rename(folder / "mokymai.md")
    renamed = ingest([folder], index_dir, base_settings, show_progress=False)
    assert renamed.problems == [] and sorted(renamed.unchanged) == ["mokymai", "skundai"]
    assert load_index(index_dir).documents["mokymai"].source_path == str(folder / "mokymai.md")


def test_a_failed_write_leaves_the_serving_index_and_no_partial_generation(folder, tmp_path, base_settings, monkeypatch):
    index_dir = tmp_path / "index"
    ingest([folder], index_dir, base_settings, show_progress=False)
    serving = current_generation(index_dir)
    stale = index_dir / "generations" / ".20200101T000000000000Z.partial"
    stale.mkdir()  # what an ingest killed half-way leaves behind
    (folder / "naujas.txt").write_text("Naujas dokumentas apie savanorius.", encoding="utf-8")

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_store.faiss, "write_index", disk_full)
    with pytest.raises(IndexWriteError, match="disk holding .* is full"):
        ingest([folder], index_dir, base_settings, show_progress=False)

    assert current_generation(index_dir) == serving
    assert [p.name for p in (index_dir / "generations").iterdir()] == [serving.name]
    assert set(load_index(index_dir).documents) == {"mokymai", "skundai"}


def test_an_index_folder_that_cannot_be_written_fails_before_any_work(folder, tmp_path, base_settings):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--index", str(blocker / "index")],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert result.returncode == 1
    assert "Cannot write the index in" in result.stderr and "--index" in result.stderr
    assert "Reading documents" not in result.stderr


def test_a_second_ingest_into_a_busy_index_gives_up_with_a_message(tmp_path):
    with ingest_lock(tmp_path / "index", 1.0, print):
        waited = []
        started = time.monotonic()
        with pytest.raises(IndexWriteError, match=r"Another ingest \(process \d+\) is still writing"):
            with ingest_lock(tmp_path / "index", 0.5, waited.append):
                pass
        assert time.monotonic() - started >= 0.5
    assert waited and "waiting up to 0.5 s" in waited[0]
    with ingest_lock(tmp_path / "index", 0.5, waited.append):
        pass  # free again once the first has finished


def test_two_concurrent_ingests_into_one_index_lose_no_document(folder, tmp_path):
    """Both start while the index is busy; each waits its turn and the index ends with both folders."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "savanoriai.txt").write_text("Savanorių tvarka: savanoriai pasirašo sutartį.", encoding="utf-8")
    index_dir = tmp_path / "index"
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with ingest_lock(index_dir, 1.0, print):
        runs = [subprocess.Popen([sys.executable, "-m", "ingest", str(path), "--index", str(index_dir), "--quiet"],
                                 stdout=subprocess.DEVNULL, stderr=open(log, "w"), cwd=PROJECT_ROOT)
                for path, log in zip((folder, other), logs)]
        deadline = time.monotonic() + 240
        while not all("waiting" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.5)
    assert [run.wait(timeout=600) for run in runs] == [0, 0], [log.read_text() for log in logs]
    assert set(load_index(index_dir).documents) == {"mokymai", "skundai", "savanoriai"}


def test_cli_prints_hostile_file_names_as_text(tmp_path):
    folder = tmp_path / "policies"
    (folder / "a[").mkdir(parents=True)
    (folder / "apie [red]raudona[").mkdir()
    for name in ("a[/bold].txt", "eilutė\nsu lūžiu.txt", "spalva\x1b[31m.txt"):
        (folder / name).write_text(POLICY, encoding="utf-8")
    (folder / "sugadintas\x1b]0;pwned\x07.pdf").write_bytes(b"not a pdf")
    (folder / "apie [red]raudona[/red].pdf").write_bytes(b"not a pdf either")
    result = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--index", str(tmp_path / "index"), "--quiet"],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    output = result.stderr
    assert "\x1b" not in output and "\x07" not in output
    assert "sugadintas\\x1b]0;pwned\\x07.pdf" in output
    assert "apie [red]raudona[/red].pdf" in output
    assert "Indexed 3 documents" in output
    assert "eilutė\\nsu lūžiu" not in output  # indexed without problems, so not listed at all
