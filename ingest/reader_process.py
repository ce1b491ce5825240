"""Reading files in a child process, so that no single file can hang the ingest or exhaust memory.

Files are read, cleaned and split into chunks in one long-lived child process that runs under an
address-space limit. The ingest waits a bounded time for each document (each record of a
many-record file); a child that runs over that time, runs out of its memory or crashes is ended,
the file is reported by name, and a fresh child reads the next file. Python cannot interrupt a
parser or a regular expression stuck in C code any other way. On the normal path the cost is
one process start per ingest and one pickle per document.
"""

import logging
import multiprocessing
import resource
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.documents import chunk_with_sentences, iter_documents
from ingest.readers import ReadError, ReadLimits, RecordProblem
from ingest.records import Chunk, Document

# A fresh interpreter that has imported the readers, forked for each child: fast to start, and
# free of the model's threads that a plain fork would copy.
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload([__name__])


@dataclass(frozen=True)
class ReaderConfig:
    limits: ReadLimits
    timeout_seconds: float
    memory_bytes: int
    organization: str | None
    chunk_size: int
    with_sentences: bool
    # Content hashes of the documents in the serving index: unchanged documents are not chunked
    # again, their stored chunks and vectors are reused.
    known_hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class PreparedDocument:
    document: Document
    # Each chunk with its quotable sentence spans; None when the document is unchanged.
    chunks: list[tuple[Chunk, list[tuple[int, int]]]] | None


class ReaderProcess:
    """The child process that reads files; use as a context manager and call ``read``."""

    def __init__(self, config: ReaderConfig):
        self.config = config
        self.peak_memory_bytes = 0
        self._process = None
        self._connection: Connection | None = None

    def __enter__(self) -> "ReaderProcess":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    def read(self, path: Path) -> Iterator[PreparedDocument | RecordProblem]:
        """The documents of ``path`` and its skipped records. ``ReadError`` ends the iteration when
        the file as a whole failed (documents yielded before stay valid)."""
        connection = self._started()
        connection.send(str(path))
        failure = None
        while True:
            if not connection.poll(self.config.timeout_seconds):
                self._note_peak_of_running_child()
                self.close(kill=True)
                raise ReadError(f"reading took longer than {self.config.timeout_seconds:g} s "
                                "(setting EQUASS_FILE_TIMEOUT_SECONDS); the reader was stopped")
            try:
                kind, *payload = connection.recv()
            except (EOFError, OSError):
                code = self._process.exitcode if self._process is not None else None
                self.close(kill=True)
                raise ReadError(f"the reader crashed on this file (exit code {code}); it is skipped") from None
            if kind == "document":
                yield PreparedDocument(*payload)
            elif kind == "problem":
                yield RecordProblem(*payload)
            elif kind == "failed":
                failure = payload[0]
            else:  # "done", with the child's peak memory so far
                self.peak_memory_bytes = max(self.peak_memory_bytes, payload[0])
                if failure is not None:
                    raise ReadError(failure)
                return

    def close(self, kill: bool = False) -> None:
        if self._process is None:
            return
        if kill:
            self._process.kill()
        else:
            try:
                self._connection.send(None)
            except OSError:
                self._process.kill()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._connection.close()
        self._process = None
        self._connection = None

    def _started(self) -> Connection:
        if self._process is not None and not self._process.is_alive():
            self.close(kill=True)
        if self._process is None:
            parent, child = CONTEXT.Pipe()
            self._process = CONTEXT.Process(target=serve, args=(child, self.config), daemon=True,
                                            name="equass-reader")
            self._process.start()
            child.close()
            self._connection = parent
        return self._connection

    def _note_peak_of_running_child(self) -> None:
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_memory_bytes = max(self.peak_memory_bytes, int(line.split()[1]) * 1024)


def peak_memory_bytes() -> int:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def serve(connection: Connection, config: ReaderConfig) -> None:
    """The child: read each path sent, answer with its documents, until ``None`` arrives."""
    resource.setrlimit(resource.RLIMIT_AS, (config.memory_bytes, config.memory_bytes))
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    while (request := connection.recv()) is not None:
        out_of_memory = False
        try:
            for item in iter_documents(Path(request), config.limits, config.organization):
                if isinstance(item, RecordProblem):
                    connection.send(("problem", item.where, item.reason))
                    continue
                unchanged = config.known_hashes.get(item.document_id) == item.content_hash
                chunks = None if unchanged else chunk_with_sentences(item, config.chunk_size, config.with_sentences)
                connection.send(("document", item, chunks))
        except ReadError as error:
            connection.send(("failed", str(error)))
        except MemoryError:
            out_of_memory = True
            connection.send(("failed", f"reading it needs more than {config.memory_bytes / 2**30:.1f} GiB of memory "
                                       "(setting EQUASS_READER_MEMORY_BYTES)"))
        except RecursionError:
            connection.send(("failed", "the file's structure is nested too deeply to read"))
        except Exception as error:  # a reader library failing on input it did not expect
            connection.send(("failed", f"the reader failed on it ({type(error).__name__}: {str(error)[:200]})"))
        connection.send(("done", peak_memory_bytes()))
        if out_of_memory:
            sys.exit(0)  # a fresh child for the next file: memory after MemoryError is not to be trusted
