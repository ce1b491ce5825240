"""Reading files in a child process, so that no single file can hang the ingest or exhaust memory.

Files are read, cleaned and split into chunks in one long-lived child process that runs under an
address-space limit. The ingest waits a bounded time for each document (each record of a
many-record file); a child that runs over that time, runs out of its memory or crashes is ended,
the file is reported by name, and a fresh child reads the next file. Python cannot interrupt a
parser or a regular expression stuck in C code any other way. On the normal path the cost is
one process start per ingest and one pickle per document.

As with any multiprocessing code, a script that calls the ingest must keep its top-level code
under ``if __name__ == "__main__":`` (``python -m ingest`` does): the child imports the script.
"""

import logging
import multiprocessing
import resource
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.documents import chunk_with_units, iter_documents
from ingest.readers import ReadError, ReadLimits, RecordProblem
from ingest.quote_units import QuoteUnit
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
    with_units: bool
    # Content hashes of the documents in the serving index: unchanged documents are not chunked
    # again, their stored chunks and vectors are reused.
    known_hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class PreparedDocument:
    document: Document
    # Each chunk with its quote units; None when the document is unchanged.
    chunks: list[tuple[Chunk, list[QuoteUnit]]] | None


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
                self._process.join(timeout=5)
                code = self._process.exitcode
                self.close(kill=True)
                raise ReadError(f"the reader crashed on this file (exit code {code}); it is skipped") from None
            if kind == "document":
                yield PreparedDocument(*payload)
            elif kind == "problem":
                yield RecordProblem(*payload)
            elif kind == "failed":
                failure = payload[0]
            else:  # "done", with the child's peak memory so far and whether it is ending
                peak, retiring = payload
                self.peak_memory_bytes = max(self.peak_memory_bytes, peak)
                if retiring:
                    self.close(kill=True)
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
            process = CONTEXT.Process(target=serve, args=(child, self.config), daemon=True, name="equass-reader")
            try:
                process.start()
            finally:
                child.close()
            self._process, self._connection = process, parent
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


def _near_memory_limit(limit: int) -> bool:
    """Whether this process has come within 10% of its address-space limit."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    peak = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmPeak:")), 0)
    return peak >= 0.9 * limit


def _memory_message(limit: int) -> str:
    return f"reading it needs more than {limit / 2**30:.1f} GiB of memory (setting EQUASS_READER_MEMORY_BYTES)"


def serve(connection: Connection, config: ReaderConfig) -> None:
    """The child: read each path sent, answer with its documents, until ``None`` arrives."""
    resource.setrlimit(resource.RLIMIT_AS, (config.memory_bytes, config.memory_bytes))
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    while (request := connection.recv()) is not None:
        if failure := _read_one(Path(request), config, connection):
            connection.send(("failed", failure))
        # A child that came near its memory limit is replaced: the next file gets the whole allowance.
        retiring = _near_memory_limit(config.memory_bytes)
        connection.send(("done", peak_memory_bytes(), retiring))
        if retiring:
            return


def _read_one(path: Path, config: ReaderConfig, connection: Connection) -> str | None:
    """Send the documents and skipped records of ``path``; return why the file failed, if it did."""
    documents = 0
    try:
        for item in iter_documents(path, config.limits, config.organization):
            if isinstance(item, RecordProblem):
                connection.send(("problem", item.where, item.reason))
                continue
            unchanged = config.known_hashes.get(item.document_id) == item.content_hash
            chunks = None if unchanged else chunk_with_units(item, config.chunk_size, config.with_units)
            connection.send(("document", item, chunks))
            documents += 1
    except MemoryError:
        return _memory_message(config.memory_bytes)
    except ReadError as error:
        if _near_memory_limit(config.memory_bytes):  # libxml2 reports a failed allocation as a parse error
            return _memory_message(config.memory_bytes)
        return f"{error}; the {documents} documents before it were read" if documents else str(error)
    except RecursionError:
        return "the file's structure is nested too deeply to read"
    except Exception as error:  # a reader library failing on input it did not expect
        return f"the reader failed on it ({type(error).__name__}: {str(error)[:200]})"
    return None
