"""Documents without a terminal: files a coordinator uploads are checked, kept in the
organisation's upload folder with their provenance, and ingested in the background.

Each organisation has a folder under ``EQUASS_UPLOAD_DIR`` (administrators' shared documents have
``shared/``) with a ``manifest.json`` that gives every file its document id, organisation and
visibility. A job ingests that one folder with the ordinary pipeline (files read in a bounded child
process, one ingest at a time under the index lock, a complete new generation or none), tells its
progress to the database as it goes, and is done when the service serves the new generation. A
file the ingest refuses is taken back out of the folder (a replaced one is put back), so the folder
and the index always agree. Who uploaded or withdrew what is kept in the audit log.

With PostgreSQL as the store of record (several replicas), the folders live in the database too: a
job holds the database's ingest lock, starts from the newest generation and from the folder as the
database holds it (whichever replica it was uploaded through), and publishes the new generation
and the folder in one transaction. Every replica's upload folder must then have the same path
(``EQUASS_UPLOAD_DIR``), as a document's file is known by its path.
"""

import json
import logging
import queue
import shutil
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from ingest.documents import MANIFEST_NAME, slug
from ingest.index_store import IndexWriteError, current_generation
from ingest.pipeline import IngestReport, NothingToIndex, ingest
from ingest.settings import Settings
from ingest.shared_index import SharedIndex
from service.accounts.store import Account, AccountStore, Job

log = logging.getLogger(__name__)

# What a coordinator may upload: an organisation's own documents. Administrators may also upload
# laws in the register's JSON format, as shared documents.
DOCUMENT_SUFFIXES = (".pdf", ".docx", ".txt", ".md", ".html", ".htm")
LAW_SUFFIXES = (".json", ".jsonl", ".gz")
# The first bytes each binary format must start with.
SIGNATURES = {".pdf": (b"%PDF-",), ".docx": (b"PK\x03\x04",), ".gz": (b"\x1f\x8b",)}
SHARED_FOLDER = "shared"
# How long a job waits for the service to serve the generation it wrote.
SERVE_WAIT_SECONDS = 300
# Each service process says every HEARTBEAT_SECONDS that it is alive; the unfinished jobs of one
# silent for RUNNER_SILENT_SECONDS are failed by whichever replica notices first.
HEARTBEAT_SECONDS = 10.0
RUNNER_SILENT_SECONDS = 60.0
ORPHANED_JOB_MESSAGE = "The service process running this job stopped before it finished; upload the files again."


@dataclass
class Received:
    """One uploaded file as it arrived: its name and where its bytes were spooled."""

    name: str
    path: Path | None = None  # the staged copy; None when refused at once
    reason: str | None = None  # why it was refused


def check_file(name: str, size: int, head: bytes, max_bytes: int, laws_allowed: bool) -> str | None:
    """Why a file is refused before anything reads it (None: accepted): its type by name and first
    bytes, and its size."""
    suffix = Path(name).suffix.lower()
    allowed = DOCUMENT_SUFFIXES + (LAW_SUFFIXES if laws_allowed else ())
    if suffix not in allowed:
        return f"the type '{suffix or name}' is not accepted; upload one of: {', '.join(allowed)}"
    if size == 0:
        return "the file is empty"
    if size > max_bytes:
        return f"the file is {size:,} bytes, over the limit of {max_bytes:,}"
    if suffix in SIGNATURES and not head.startswith(SIGNATURES[suffix]):
        return f"the file is named {suffix} but its contents are not in that format"
    return None


def folder_name(organization: str | None) -> str:
    return SHARED_FOLDER if organization is None else slug(organization)


def document_id(organization: str | None, name: str) -> str:
    """An uploaded file's document id: the organisation's and the file's names, so two
    organisations' "kokybes-politika.pdf" never meet."""
    stem = slug(Path(name).stem)
    return stem if organization is None else f"{slug(organization)[:60]}-{stem}"[:128]


def manifest_entries(manifest: bytes) -> dict[str, dict]:
    return {entry["path"]: entry for entry in json.loads(manifest)["documents"]}


class UploadFolder:
    """One organisation's (or the shared) upload folder and its manifest."""

    def __init__(self, root: Path, organization: str | None):
        self.organization = organization
        self.path = root / folder_name(organization)
        self.manifest_path = self.path / MANIFEST_NAME

    def entries(self) -> dict[str, dict]:
        """Manifest entries by file name."""
        if not self.manifest_path.exists():
            return {}
        return manifest_entries(self.manifest_path.read_bytes())

    def write(self, entries: dict[str, dict]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        staged = self.manifest_path.with_suffix(".tmp")
        staged.write_text(json.dumps({"documents": list(entries.values())}, ensure_ascii=False, indent=1), "utf-8")
        staged.replace(self.manifest_path)

    def file_of(self, document: str) -> str | None:
        return next((name for name, entry in self.entries().items() if entry["id"] == document), None)


class UploadManager:
    """Runs upload and withdrawal jobs one after another in a background thread."""

    def __init__(self, settings: Settings, store: AccountStore, watcher, shared: SharedIndex | None = None):
        self.settings = settings
        self.store = store
        self.watcher = watcher
        self.shared = shared
        self.staging = settings.upload_dir / ".staging"
        self.queue: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        # This process's name on its jobs: other replicas leave them alone while it says it is alive.
        self.runner = uuid.uuid4().hex
        self._keep_alive()
        self.thread = threading.Thread(target=self._work, name="upload-ingest", daemon=True)
        self.thread.start()
        self.heartbeat = threading.Thread(target=self._beat, name="upload-heartbeat", daemon=True)
        self.heartbeat.start()

    def stop(self) -> None:
        self._stopping.set()
        self.queue.put(None)
        self.thread.join(timeout=5)
        self.heartbeat.join(timeout=5)

    def _keep_alive(self) -> None:
        """Say this runner is alive, and fail the jobs of runners that stopped (a restart, a crashed
        replica) without touching those a live replica is running."""
        self.store.runner_alive(self.runner)
        failed = self.store.fail_orphaned_jobs(RUNNER_SILENT_SECONDS, ORPHANED_JOB_MESSAGE)
        if failed:
            log.warning("%d upload jobs were failed: the service process running them stopped", failed)

    def _beat(self) -> None:
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            try:
                self._keep_alive()
            except Exception as error:  # the database is away for a moment: the next beat tries again
                log.warning("Upload jobs' heartbeat failed: %s", type(error).__name__)

    def entries(self, organization: str | None) -> dict[str, dict]:
        """The manifest entries of an organisation's upload folder, as the store of record holds them."""
        folder = UploadFolder(self.settings.upload_dir, organization)
        held = self.shared.read_file(folder.path.name, MANIFEST_NAME) if self.shared is not None else None
        return folder.entries() if held is None else manifest_entries(held)

    def uploaded(self, organization: str | None, document: str) -> bool:
        return any(entry["id"] == document for entry in self.entries(organization).values())

    # -- submitting ---------------------------------------------------------------------------

    def submit_upload(self, actor: Account, organization: str | None, visibility: str,
                      files: list[Received]) -> Job:
        """A job for ``files`` (refused ones are listed with their reason and not ingested)."""
        results = [{"file": f.name, "document_id": document_id(organization, f.name) if f.path else None,
                    "result": "pending" if f.path else "refused", "reason": f.reason}
                   for f in files]
        job = self.store.add_job(organization, actor, results, self.runner)
        for item in results:
            if item["result"] == "refused":
                self.store.audit(actor, "document.refused", item["file"], organization, reason=item["reason"])
        accepted = [f for f in files if f.path is not None]
        if accepted:
            self.queue.put(("upload", job.id, actor, organization, visibility, accepted))
        else:
            self.store.update_job(job.id, state="done", stage="done", message="No file was accepted.")
        return self.store.job(job.id)

    def submit_withdrawal(self, actor: Account, organization: str | None, document: str) -> Job:
        job = self.store.add_job(organization, actor, [{"file": None, "document_id": document, "result": "pending",
                                                        "reason": None}], self.runner)
        self.queue.put(("withdraw", job.id, actor, organization, document))
        return job

    # -- running ------------------------------------------------------------------------------

    def _work(self) -> None:
        while not self._stopping.is_set():
            task = self.queue.get()
            if task is None:
                return
            kind, job_id, organization = task[0], task[1], task[3]
            try:
                folder = UploadFolder(self.settings.upload_dir, organization)
                with self._holding(folder):
                    report = (self._upload if kind == "upload" else self._withdraw)(job_id, *task[2:])
                    if report is not None and self.shared is not None:
                        self.shared.publish(Path(report.generation) if report.generation else None,
                                            {folder.path.name: folder.path})
                if report is not None:
                    self._wait_until_served(job_id, report)
            except Exception as error:  # the job fails, the service goes on
                log.error("Ingest job %s failed: %s", job_id, type(error).__name__, exc_info=True)
                self.store.update_job(job_id, state="failed", stage="failed",
                                      message="The ingest failed; the service log has the details. The index "
                                              "being served is unchanged.")

    def _holding(self, folder: UploadFolder):
        """With PostgreSQL: the database's ingest lock, the newest generation in the local index
        folder, and the upload folder as the database holds it."""
        if self.shared is None:
            return nullcontext()
        return self._shared_folder(folder)

    @contextmanager
    def _shared_folder(self, folder: UploadFolder):
        with self.shared.writing(self.settings.index_dir, self.settings.ingest_lock_wait_seconds, log.info):
            self.shared.restore_folder(folder.path.name, folder.path)
            yield

    def _progress(self, job_id: str):
        last = [0.0]

        def tell(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.5 or done == total:
                last[0] = now
                self.store.update_job(job_id, state="running", stage=stage, done=done, total=total)
        return tell

    def _ingest(self, job_id: str, folder: UploadFolder) -> IngestReport | None:
        try:
            return ingest([folder.path], self.settings.index_dir, self.settings, organization=folder.organization,
                          show_progress=False, on_progress=self._progress(job_id),
                          keep_missing_files=self.shared is not None)
        except NothingToIndex as error:
            return error.report
        except IndexWriteError as error:
            self.store.update_job(job_id, state="failed", stage="failed", message=str(error))
            return None

    def _upload(self, job_id: str, actor: Account, organization: str | None, visibility: str,
                files: list[Received]) -> IngestReport | None:
        folder = UploadFolder(self.settings.upload_dir, organization)
        folder.path.mkdir(parents=True, exist_ok=True)
        backup = self.staging / job_id / "previous"
        backup.mkdir(parents=True, exist_ok=True)
        entries = folder.entries()
        previous_entries = dict(entries)
        placed: dict[str, str] = {}  # document id -> file name in the folder
        for received in files:
            document = document_id(organization, received.name)
            name = slug(Path(received.name).stem) + Path(received.name).suffix.lower()
            for old_name, entry in list(entries.items()):  # the same document in another format is replaced
                if entry["id"] == document:
                    shutil.move(str(folder.path / old_name), backup / old_name)
                    del entries[old_name]
            shutil.move(str(received.path), folder.path / name)
            entries[name] = {"path": name, "id": document, "title": None, "organization": organization,
                             "visibility": visibility, "shared": organization is None, "file": received.name}
            placed[document] = name
        folder.write({k: {f: v for f, v in e.items() if v is not None} for k, e in entries.items()})
        report = self._ingest(job_id, folder)
        if report is None:
            self._restore(folder, placed, backup, previous_entries)
            return None
        refused = {Path(problem.path).name: problem.reason for problem in report.problems}
        results = self.store.job(job_id).files
        for item in results:
            if item["result"] != "pending":
                continue
            name = placed[item["document_id"]]
            if name in refused:
                item.update(result="refused", reason=refused[name])
                self._take_back(folder, name, backup, previous_entries)
            elif item["document_id"] in report.added:
                item["result"] = "added"
            elif item["document_id"] in report.updated:
                item["result"] = "updated"
            else:
                item["result"] = "unchanged"
            action = "document.refused" if item["result"] == "refused" else f"document.{item['result']}"
            self.store.audit(actor, action, item["document_id"], organization, file=item["file"],
                             visibility=visibility, reason=item.get("reason"))
        shutil.rmtree(self.staging / job_id, ignore_errors=True)
        self.store.update_job(job_id, files=results)
        return report

    def _take_back(self, folder: UploadFolder, name: str, backup: Path, previous_entries: dict) -> None:
        """A refused file leaves the folder; the version it replaced (if any) comes back."""
        entries = folder.entries()
        refused = entries.pop(name)
        (folder.path / name).unlink(missing_ok=True)
        for old_name, entry in previous_entries.items():
            if entry["id"] == refused["id"] and (backup / old_name).exists():
                shutil.move(str(backup / old_name), folder.path / old_name)
                entries[old_name] = entry
        folder.write(entries)

    def _restore(self, folder: UploadFolder, placed: dict[str, str], backup: Path, previous_entries: dict) -> None:
        for name in placed.values():
            (folder.path / name).unlink(missing_ok=True)
        for old in backup.iterdir():
            shutil.move(str(old), folder.path / old.name)
        folder.write(previous_entries)

    def _withdraw(self, job_id: str, actor: Account, organization: str | None, document: str) -> IngestReport | None:
        folder = UploadFolder(self.settings.upload_dir, organization)
        entries = folder.entries()
        name = folder.file_of(document)
        results = self.store.job(job_id).files
        if name is None:
            results[0].update(result="refused", reason="it was not uploaded here, so it cannot be withdrawn here")
            self.store.update_job(job_id, state="done", stage="done", files=results)
            return None
        entry = entries.pop(name)
        backup = self.staging / job_id
        backup.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder.path / name), backup / name)
        folder.write(entries)
        report = self._ingest(job_id, folder)
        if report is None:
            shutil.move(str(backup / name), folder.path / name)
            folder.write({**folder.entries(), name: entry})
            return None
        shutil.rmtree(backup, ignore_errors=True)
        results[0].update(result="withdrawn", file=entry.get("file", name))
        self.store.audit(actor, "document.withdrawn", document, organization, file=entry.get("file", name))
        self.store.update_job(job_id, files=results)
        return report

    def _wait_until_served(self, job_id: str, report: IngestReport) -> None:
        """Done when the service answers from the new generation (no restart); the generation was
        written completely before ``current`` pointed at it, so nothing half-built is ever served."""
        self.store.update_job(job_id, state="loading", stage="loading", done=0, total=1)
        target = Path(report.generation).resolve() if report.generation else current_generation(self.settings.index_dir)
        if target is None:
            self.store.update_job(job_id, state="done", stage="done", message="The index holds no documents.")
            return
        deadline = time.monotonic() + SERVE_WAIT_SECONDS
        while time.monotonic() < deadline and not self._stopping.is_set():
            self.watcher.check()
            if self.watcher.serving == target:
                self.store.update_job(job_id, state="done", stage="done", done=1, total=1,
                                      message=f"Served from index generation {target.name}.")
                return
            if self.watcher.failed == target:
                break
            time.sleep(0.2)
        self.store.update_job(job_id, state="failed", stage="failed",
                              message="The new index was written but the service could not load it; "
                                      "the service log has the details.")
