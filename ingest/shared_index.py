"""Index generations kept in PostgreSQL, so that several service replicas serve the same index.

With ``EQUASS_DATABASE_URL`` pointing at PostgreSQL the database is the store of record. An ingest
still builds a complete generation folder locally (ingest/index_store.py) and then publishes it in
one transaction: a row in ``index_generations`` (its name and manifest), its files split into parts
kept content-addressed in ``index_blobs`` (a part that did not change between generations is stored
once), and a ``NOTIFY`` on ``CHANNEL`` with its name, delivered when the transaction commits. The
newest published generation is the current one; the two newest are kept, like the local ones.
Documents, chunks and vectors are in the generation's files (documents.jsonl, chunks.jsonl,
embeddings.npy, quotes.npy), so the database alone can rebuild every replica's index folder.

The files of the upload folders (service/uploads.py) are published the same way, in the same
transaction as the generation they were ingested into, so an ingest on any replica starts from them.

Ingests on different replicas are serialised with a PostgreSQL advisory lock, and each first brings
its local index folder to the database's current generation (``materialise``): it builds on the
newest generation and never drops what another replica added.
"""

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (BigInteger, Column, Engine, Float, ForeignKey, Integer, LargeBinary, MetaData, String, Table,
                        Text, create_engine, delete, exists, func, insert, inspect, select)
from sqlalchemy.engine import make_url

from ingest.index_store import (IndexWriteError, current_generation, ingest_lock, point_current, prune_generations,
                                remove_partial_generations)

log = logging.getLogger(__name__)

# The channel a published generation is announced on; the payload is its name.
CHANNEL = "equass_index_generation"
# Every ingest of every replica takes this advisory lock (an arbitrary constant of the product).
INGEST_LOCK_KEY = 4_730_512_019
KEEP_GENERATIONS = 2
# Files are stored in parts: a PostgreSQL value holds at most 1 GB, and a part is read into memory.
PART_BYTES = 64 * 2**20

metadata = MetaData()

index_generations = Table(
    "index_generations", metadata,
    Column("id", Integer, primary_key=True),  # publication order: the highest is current
    Column("name", String(40), nullable=False, unique=True),
    Column("published_at", Float, nullable=False),
    Column("manifest", Text, nullable=False),  # the generation's manifest.json
)

index_blobs = Table(
    "index_blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

index_generation_files = Table(
    "index_generation_files", metadata,
    Column("generation_id", Integer, ForeignKey("index_generations.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(300), primary_key=True),  # relative to the generation folder
    Column("part", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
)

upload_files = Table(
    "upload_files", metadata,
    Column("folder", String(200), primary_key=True),  # an upload folder's name (one per organisation)
    Column("path", String(300), primary_key=True),  # relative to the folder (manifest.json included)
    Column("part", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
)


def is_postgres(url: str) -> bool:
    return bool(url) and make_url(url).get_backend_name() == "postgresql"


def postgres_url(url: str) -> str:
    """``url`` with the psycopg driver (a bare ``postgresql://`` would ask SQLAlchemy for psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Published:
    """The current generation in the database."""

    name: str
    manifest: dict


class SharedIndex:
    """The index generations and upload folders of one PostgreSQL database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> "SharedIndex":
        """With its own pool (the command line); the service passes the engine it already has."""
        return cls(create_engine(postgres_url(url), pool_pre_ping=True, hide_parameters=True))

    def check_schema(self) -> None:
        """Fail with what to run when the database has no index tables yet."""
        if not inspect(self.engine).has_table(index_generations.name):
            raise IndexWriteError("The database has no index tables yet. Start a service replica once, or run: "
                                  "python -m service.accounts migrate")

    # -- the ingest lock ----------------------------------------------------------------------

    @contextmanager
    def lock(self, wait_seconds: float, on_wait: Callable[[str], None]) -> Iterator[None]:
        """Hold the database's ingest lock (one ingest at a time across all replicas). It is tied to
        a connection, so it dies with the process that holds it."""
        with self.engine.connect() as connection:
            deadline = time.monotonic() + wait_seconds
            waiting = False
            while not connection.execute(select(func.pg_try_advisory_lock(INGEST_LOCK_KEY))).scalar():
                connection.rollback()
                if time.monotonic() >= deadline:
                    raise IndexWriteError("Another ingest (on some replica) is still running; nothing was changed. "
                                          "Run this ingest again when it has finished.")
                if not waiting:
                    on_wait(f"Another ingest (on some replica) is running; waiting up to {wait_seconds:g} s for it "
                            "to finish")
                    waiting = True
                time.sleep(0.2)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(select(func.pg_advisory_unlock(INGEST_LOCK_KEY)))
                connection.commit()

    @contextmanager
    def writing(self, index_dir: Path, wait_seconds: float, on_wait: Callable[[str], None]) -> Iterator[None]:
        """Hold the ingest lock with the local index folder at the database's current generation:
        what is ingested now builds on the newest generation, whichever replica published it."""
        self.check_schema()
        with self.lock(wait_seconds, on_wait):
            self.materialise(index_dir, wait_seconds, on_wait)
            yield

    # -- generations --------------------------------------------------------------------------

    def current(self) -> Published | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(index_generations.c.name, index_generations.c.manifest)
                                     .order_by(index_generations.c.id.desc()).limit(1)).first()
        return Published(row.name, json.loads(row.manifest)) if row else None

    def names(self) -> list[str]:
        """Names of the kept generations, oldest first."""
        with self.engine.connect() as connection:
            return list(connection.execute(select(index_generations.c.name).order_by(index_generations.c.id)).scalars())

    def publish(self, generation: Path | None, folders: dict[str, Path] | None = None) -> None:
        """In one transaction: the generation (unless it is already current) and the given upload
        folders (name -> local folder) as they are now; then prune and announce. ``generation`` None
        publishes the folders only."""
        folders = folders or {}
        with self.engine.begin() as connection:
            newest = connection.execute(select(index_generations.c.name)
                                        .order_by(index_generations.c.id.desc()).limit(1)).scalar()
            announce = generation is not None and generation.name != newest
            if announce:
                manifest = (generation / "manifest.json").read_text(encoding="utf-8")
                generation_id = connection.execute(insert(index_generations).values(
                    name=generation.name, published_at=time.time(), manifest=manifest)).inserted_primary_key[0]
                for relative, part, digest, size in self._store_files(connection, generation):
                    connection.execute(insert(index_generation_files).values(
                        generation_id=generation_id, path=relative, part=part, sha256=digest, size=size))
                kept = select(index_generations.c.id).order_by(index_generations.c.id.desc()).limit(KEEP_GENERATIONS)
                connection.execute(delete(index_generations).where(index_generations.c.id.not_in(kept.scalar_subquery())))
            for name, folder in folders.items():
                connection.execute(delete(upload_files).where(upload_files.c.folder == name))
                for relative, part, digest, size in self._store_files(connection, folder):
                    connection.execute(insert(upload_files).values(
                        folder=name, path=relative, part=part, sha256=digest, size=size))
            connection.execute(delete(index_blobs).where(
                ~exists().where(index_generation_files.c.sha256 == index_blobs.c.sha256),
                ~exists().where(upload_files.c.sha256 == index_blobs.c.sha256)))
            if announce:
                connection.execute(select(func.pg_notify(CHANNEL, generation.name)))
        if announce:
            log.info("Published index generation %s to the database", generation.name)

    def _store_files(self, connection, folder: Path) -> Iterator[tuple[str, int, str, int]]:
        """Store every file under ``folder`` (hidden ones aside) part by part; yield (path, part,
        sha256, size) of each part. A part the database already holds is not sent again."""
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or any(piece.startswith(".") for piece in relative.parts):
                continue
            with open(path, "rb") as source:
                part = 0
                while True:
                    content = source.read(PART_BYTES)
                    if not content and part > 0:
                        break
                    digest = hashlib.sha256(content).hexdigest()
                    held = connection.execute(select(index_blobs.c.sha256).where(index_blobs.c.sha256 == digest)).first()
                    if held is None:
                        connection.execute(insert(index_blobs).values(sha256=digest, content=content))
                    yield relative.as_posix(), part, digest, len(content)
                    part += 1
                    if len(content) < PART_BYTES:
                        break

    def materialise(self, index_dir: Path, wait_seconds: float,
                    on_wait: Callable[[str], None] = log.info) -> Path | None:
        """Make the database's current generation the local current one (written completely, then
        ``current`` switched), unless it already is; return the local current generation."""
        with self.engine.connect() as connection:
            row = connection.execute(select(index_generations.c.id, index_generations.c.name)
                                     .order_by(index_generations.c.id.desc()).limit(1)).first()
            local = current_generation(index_dir)
            if row is None or (local is not None and local.name == row.name):
                return local
            with ingest_lock(index_dir, wait_seconds, on_wait):
                remove_partial_generations(index_dir)
                final = index_dir / "generations" / row.name
                if not final.is_dir():
                    staging = index_dir / "generations" / f".{row.name}.{uuid.uuid4().hex[:8]}.partial"
                    try:
                        files = connection.execute(
                            select(index_generation_files.c.path, index_generation_files.c.sha256)
                            .where(index_generation_files.c.generation_id == row.id)
                            .order_by(index_generation_files.c.path, index_generation_files.c.part)).all()
                        self._write_files(connection, files, staging)
                        os.replace(staging, final)
                    finally:
                        shutil.rmtree(staging, ignore_errors=True)
                point_current(index_dir, row.name)
                prune_generations(index_dir, keep=final)
        log.info("Index generation %s taken from the database", row.name)
        return final

    @staticmethod
    def _write_files(connection, files, target: Path) -> None:
        """Write the parts of each file in order, checking each part against its hash."""
        target.mkdir(parents=True)
        opened: dict[str, object] = {}
        try:
            for relative, digest in files:
                content = connection.execute(select(index_blobs.c.content)
                                             .where(index_blobs.c.sha256 == digest)).scalar_one()
                if hashlib.sha256(content).hexdigest() != digest:
                    raise IndexWriteError(f"A part of {relative} in the database does not match its hash; "
                                          "the local index is unchanged.")
                if relative not in opened:
                    (target / relative).parent.mkdir(parents=True, exist_ok=True)
                    opened[relative] = open(target / relative, "wb")
                opened[relative].write(content)
        finally:
            for handle in opened.values():
                handle.close()

    # -- upload folders -----------------------------------------------------------------------

    def has_folder(self, name: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(upload_files.c.folder).where(upload_files.c.folder == name)
                                      .limit(1)).first() is not None

    def read_file(self, folder: str, path: str) -> bytes | None:
        """One file of an upload folder as the database holds it; None when it holds none."""
        with self.engine.connect() as connection:
            digests = connection.execute(select(upload_files.c.sha256).where(
                upload_files.c.folder == folder, upload_files.c.path == path).order_by(upload_files.c.part)).scalars().all()
            if not digests:
                return None
            return b"".join(connection.execute(select(index_blobs.c.content).where(index_blobs.c.sha256 == digest))
                            .scalar_one() for digest in digests)

    def restore_folder(self, name: str, folder: Path) -> None:
        """Make the local upload folder what the database holds (files it lacks are written, files it
        does not hold are removed); a folder the database has never held is left as it is."""
        with self.engine.connect() as connection:
            files = connection.execute(select(upload_files.c.path, upload_files.c.sha256)
                                       .where(upload_files.c.folder == name)
                                       .order_by(upload_files.c.path, upload_files.c.part)).all()
            if not files:
                return
            staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.partial")
            try:
                self._write_files(connection, files, staging)
                if folder.exists():
                    shutil.rmtree(folder)
                os.replace(staging, folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)


def shared_index(url: str) -> SharedIndex | None:
    """The shared index of a PostgreSQL database URL; None for no URL or another database (files then)."""
    return SharedIndex.open(url) if is_postgres(url) else None

