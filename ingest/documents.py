"""From files to cleaned ``Document`` records, with provenance from the corpus manifest."""

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from ingest.chunking import find_sections
from ingest.cleaning import clean_text
from ingest.readers import SUPPORTED_SUFFIXES, RawDocument, ReadError, read_file
from ingest.records import Document

MANIFEST_NAME = "manifest.json"


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest under the given paths, in a stable order; manifests and hidden files skipped."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.is_file())
        else:
            candidates = [path]
        for candidate in candidates:
            if candidate.name == MANIFEST_NAME or any(part.startswith(".") for part in candidate.parts[-1:]):
                continue
            if path.is_dir() and candidate.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            found.append(candidate)
    return found


@lru_cache(maxsize=64)
def _manifest_entries(manifest_path: Path) -> dict[str, dict]:
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {entry["path"]: entry for entry in data.get("documents", [])}


def manifest_entry(path: Path) -> dict:
    """The provenance entry for ``path`` from the nearest manifest.json above it, if any."""
    path = path.resolve()
    for folder in path.parents:
        manifest = folder / MANIFEST_NAME
        if manifest.is_file():
            return _manifest_entries(manifest).get(path.relative_to(folder).as_posix(), {})
    return {}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def content_hash(document: Document) -> str:
    payload = json.dumps([document.title, document.organization, document.shared, document.text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_document(path: Path, raw: RawDocument, entry: dict, organization: str | None) -> Document:
    text = clean_text(raw.text)
    if not text:
        raise ReadError("no text left after cleaning (empty file, or a scanned PDF without a text layer)")
    law = raw.law or {}
    document_id = entry.get("id") or law.get("id") or slug(path.stem)
    first_line = text.split("\n", 1)[0][:120]
    document = Document(
        document_id=document_id,
        title=entry.get("title") or raw.title or law.get("title") or first_line,
        organization=entry.get("organization") or organization or "",
        text=text,
        source_path=str(path),
        url=f"/documents/{document_id}",
        source=entry.get("source_url") or law.get("url") or entry.get("source"),
        date=entry.get("date") or law.get("issued_date"),
        shared=bool(entry.get("shared", bool(law))),
        kind="law" if law else entry.get("kind", "policy"),
        sections=find_sections(text),
    )
    document.content_hash = content_hash(document)
    return document


def read_documents(path: Path, max_bytes: int, organization: str | None = None) -> list[Document]:
    """All documents in one file; ``ReadError`` says why a file cannot be used."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ReadError(f"cannot open the file ({error.strerror})") from error
    if size == 0:
        raise ReadError("the file is empty")
    if size > max_bytes:
        raise ReadError(f"the file is {size:,} bytes, over the limit of {max_bytes:,} (setting EQUASS_MAX_FILE_BYTES)")
    entry = manifest_entry(path)
    try:
        return [make_document(path, raw, entry, organization) for raw in read_file(path)]
    except OSError as error:
        raise ReadError(f"cannot read the file ({error})") from error
