"""From files to cleaned ``Document`` records, with provenance from the corpus manifest."""

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from ingest.chunking import chunk_document, find_sections
from ingest.cleaning import clean_line, clean_text
from ingest.readers import (DOCUMENT_ID_PATTERN, SUPPORTED_SUFFIXES, RawDocument, ReadError, ReadLimits,
                            RecordProblem, read_file, validation_reason)
from ingest.records import Chunk, Document
from ingest.quote_units import QuoteUnit, layout_of, units_of_chunk

MANIFEST_NAME = "manifest.json"


@dataclass
class Discovery:
    """The files to ingest under the given paths, and what was passed over and why."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _is_inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def discover(paths: list[Path]) -> Discovery:
    """Files to ingest, in a stable order. Folders are walked without following links out of
    them; hidden files and folders and manifests are passed over silently, everything else that
    is not read (links out, unsupported types, pipes and devices) is reported."""
    found = Discovery()
    roots = [path.resolve() for path in paths if path.is_dir()]
    seen: set[Path] = set()
    links: list[Path] = []

    def consider(candidate: Path, named: bool) -> None:
        if not named and candidate.suffix.lower() not in SUPPORTED_SUFFIXES:
            found.skipped.append((candidate, f"unsupported file type '{candidate.suffix or candidate.name}'; "
                                             f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"))
            return
        try:
            mode = candidate.stat().st_mode
        except OSError as error:
            found.skipped.append((candidate, f"cannot open the file ({error.strerror})"))
            return
        if not stat.S_ISREG(mode):
            found.skipped.append((candidate, "not a regular file (a pipe, socket or device); it is not read"))
            return
        if not _utf8(str(candidate)):
            found.skipped.append((candidate, "its name is not valid UTF-8 text; rename the file"))
            return
        resolved = candidate.resolve()
        if resolved not in seen:
            seen.add(resolved)
            found.files.append(candidate)

    for path in paths:
        if not path.is_dir():
            consider(path, named=True)
            continue
        for folder, folders, names in os.walk(path, followlinks=False):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in folders:
                if (Path(folder) / name).is_symlink():
                    links.append(Path(folder) / name)
            for name in sorted(names):
                candidate = Path(folder) / name
                if name.startswith(".") or name == MANIFEST_NAME:
                    continue
                if candidate.is_symlink():
                    links.append(candidate)
                else:
                    consider(candidate, named=False)
    # Links last, so that a file reached both directly and through a link is read under its own name.
    for link in links:
        target = link.resolve()
        if not link.exists():
            found.skipped.append((link, "a broken link; it is not read"))
        elif not _is_inside(target, roots):
            found.skipped.append((link, "a link to something outside the given folders; links out are not followed"))
        elif link.is_file():
            consider(link, named=False)
    return found


class ManifestEntry(BaseModel):
    """Provenance of one file, as written in a manifest.json."""

    model_config = ConfigDict(extra="ignore")

    path: StrictStr
    id: StrictStr | None = Field(None, pattern=DOCUMENT_ID_PATTERN)
    title: StrictStr | None = None
    organization: StrictStr | None = None
    source: StrictStr | None = None
    source_url: StrictStr | None = None
    date: StrictStr | None = Field(None, max_length=40)
    shared: StrictBool | None = None
    kind: StrictStr | None = Field(None, pattern=r"^[a-z_]{1,40}$")
    visibility: Literal["public", "internal"] | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    documents: list[ManifestEntry] = []


@lru_cache(maxsize=64)
def _manifest_entries(manifest_path: Path) -> dict[str, ManifestEntry]:
    try:
        manifest = Manifest.model_validate_json(manifest_path.read_bytes())
    except ValidationError as error:
        raise ReadError(f"its manifest {manifest_path} is not valid ({validation_reason(error)}); "
                        "fix the manifest and ingest again") from error
    except OSError as error:
        raise ReadError(f"its manifest {manifest_path} cannot be read ({error.strerror})") from error
    return {entry.path: entry for entry in manifest.documents}


def manifest_entry(path: Path) -> ManifestEntry:
    """The provenance entry for ``path`` from the nearest manifest.json above it, if any."""
    path = path.resolve()
    for folder in path.parents:
        manifest = folder / MANIFEST_NAME
        if manifest.is_file():
            return _manifest_entries(manifest).get(path.relative_to(folder).as_posix(), ManifestEntry(path=""))
    return ManifestEntry(path="")


def slug(text: str) -> str:
    """A document id from a file name: Lithuanian letters without their marks ("Žmogaus teisės"
    -> "zmogaus-teises"); a name with no Latin letters gets a stable id from its hash."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:100].strip("-")
    if value:
        return value
    return "document-" + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def content_hash(document: Document) -> str:
    payload = json.dumps([document.title, document.organization, document.shared, document.text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_document(path: Path, raw: RawDocument, entry: ManifestEntry, organization: str | None) -> Document:
    text = clean_text(raw.text)
    if not text:
        raise ReadError("no text left after cleaning (empty file, or a scanned PDF without a text layer)")
    law = raw.law
    document_id = entry.id or (law.id if law else None) or slug(path.stem)
    title = clean_line(entry.title or raw.title or "") or clean_line(text.split("\n", 1)[0], 120)
    document = Document(
        document_id=document_id,
        title=title,
        organization=clean_line(entry.organization or organization or "", 200),
        text=text,
        source_path=str(path),
        url=f"/documents/{document_id}",
        source=entry.source_url or (law.url if law else None) or entry.source,
        date=entry.date or (law.issued_date if law else None),
        shared=entry.shared if entry.shared is not None else law is not None,
        kind="law" if law else entry.kind or "policy",
        sections=find_sections(text),
        visibility=entry.visibility or "internal",
    )
    document.content_hash = content_hash(document)
    return document


@dataclass
class FileContents:
    """The documents of one file, and the records of it that were skipped (lines of a .jsonl)."""

    documents: list[Document] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)


def iter_documents(path: Path, limits: ReadLimits, organization: str | None = None) -> Iterator[Document | RecordProblem]:
    """The documents of one file, one by one, and the records of it that were skipped.
    ``ReadError`` says why the file cannot be used; a many-record file may raise it part-way."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ReadError(f"cannot open the file ({error.strerror})") from error
    if size == 0:
        raise ReadError("the file is empty")
    if size > limits.max_file_bytes:
        raise ReadError(f"the file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} (setting EQUASS_MAX_FILE_BYTES)")
    entry = manifest_entry(path)
    try:
        for item in read_file(path, limits):
            if isinstance(item, RecordProblem):
                yield item
            elif item.law is None:
                yield make_document(path, item, entry, organization)
            else:
                try:
                    yield make_document(path, item, entry, organization)
                except ReadError as error:
                    yield RecordProblem(f"law {item.law.id}", str(error))
    except OSError as error:
        raise ReadError(f"cannot read the file ({error})") from error


def read_documents(path: Path, limits: ReadLimits, organization: str | None = None) -> FileContents:
    """All documents of one file. When a many-record file breaks part-way, the documents before
    the break are kept and the break is reported as a problem of the whole file."""
    contents = FileContents()
    try:
        for item in iter_documents(path, limits, organization):
            if isinstance(item, RecordProblem):
                contents.problems.append(item)
            else:
                contents.documents.append(item)
    except ReadError as error:
        if not contents.documents:
            raise
        contents.problems.append(RecordProblem("", f"{error}; the {len(contents.documents)} documents before it were read"))
    if not contents.documents and contents.problems:
        raise ReadError("no record could be read; " + "; ".join(
            f"{problem.where}: {problem.reason}" for problem in contents.problems[:3]))
    return contents


def chunk_with_units(document: Document, chunk_size: int, with_units: bool) -> list[tuple[Chunk, list[QuoteUnit]]]:
    """The chunks of a document, each with its quote units (when they are stored)."""
    chunks = chunk_document(document.document_id, document.text, document.sections, chunk_size)
    if not with_units:
        return [(chunk, []) for chunk in chunks]
    layout = layout_of(document)
    return [(chunk, units_of_chunk(document, chunk, layout)) for chunk in chunks]
