"""Embedding chunks and their quote units at ingest, resumably.

Each chunk is one job: its passage text (for retrieval) and its quote units (for choosing what to
quote). Units are embedded one of two ways (``EQUASS_UNIT_VECTORS``):

* ``context``: each unit's own text with its context (title, section, a list item's lead-in) is
  encoded in a pass of its own;
* ``late``: the unit's vector is pooled from the token outputs of the chunk's own pass that fall
  inside the unit (and inside the title and section at the head of the passage), so every token
  is encoded once. A unit the chunk's pass did not read whole (a chunk cut at 512 tokens, a unit
  running past the chunk's end) is encoded in context instead.

Jobs are run longest first (batches of similar length waste no padding) in groups; each finished
group is written to ``DIR/.embedded/`` at once, so an ingest stopped after an hour (a crash,
Ctrl-C) keeps what it embedded and the next run continues from there. The folder is removed when a
generation is written; it is discarded when the model or the way vectors are made changes.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.embedding import Embedder

RESUME_FOLDER = ".embedded"
# Chunks per saved group: about half a minute of work on two cores.
GROUP = 256


@dataclass
class ChunkJob:
    passage: str
    # Per unit: its text in context (for ``context``), and its ranges in ``passage`` (for ``late``).
    unit_texts: list[str]
    unit_ranges: list[list[tuple[int, int]]]

    @property
    def key(self) -> str:
        data = json.dumps([self.passage, self.unit_texts, self.unit_ranges], ensure_ascii=False)
        return hashlib.sha1(data.encode("utf-8")).hexdigest()


@dataclass
class ChunkVectors:
    chunk: np.ndarray
    units: np.ndarray  # (units, dimension)


@dataclass
class EmbedStats:
    chunks: int = 0
    units: int = 0
    # Units late pooling could not serve, encoded in their context instead.
    units_in_context: int = 0
    # Chunks whose vectors came from an earlier, interrupted run.
    resumed: int = 0


class ResumeStore:
    """Finished groups of an ingest, kept on disk until the generation is written."""

    def __init__(self, index_dir: Path, setup: dict):
        self.folder = index_dir / RESUME_FOLDER
        self.setup = setup
        self.saved: dict[str, ChunkVectors] = {}
        setup_file = self.folder / "setup.json"
        if self.folder.is_dir():
            try:
                same = json.loads(setup_file.read_text(encoding="utf-8")) == setup
            except (OSError, ValueError):
                same = False
            if not same:
                shutil.rmtree(self.folder, ignore_errors=True)
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("group-*.npz")):
                self._load(path)
        self.groups = len(list(self.folder.glob("group-*.npz"))) if self.folder.is_dir() else 0

    def _load(self, path: Path) -> None:
        try:
            with np.load(path) as data:
                keys, chunks, counts, units = data["keys"], data["chunks"], data["counts"], data["units"]
        except (OSError, ValueError, KeyError, EOFError):
            path.unlink(missing_ok=True)  # cut short by a crash while it was written
            return
        bounds = np.concatenate([[0], np.cumsum(counts)])
        for n, key in enumerate(keys.tolist()):
            self.saved[key] = ChunkVectors(chunks[n], units[bounds[n]:bounds[n + 1]])

    def save(self, results: dict[str, ChunkVectors]) -> None:
        if not results:
            return
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True)
            (self.folder / "setup.json").write_text(json.dumps(self.setup), encoding="utf-8")
        keys = list(results)
        dimension = next(iter(results.values())).chunk.shape[0]
        units = [results[k].units for k in keys]
        path = self.folder / f"group-{self.groups:06d}.npz"
        partial = self.folder / f".group-{self.groups:06d}.partial.npz"
        np.savez(partial, keys=np.array(keys), chunks=np.vstack([results[k].chunk for k in keys]),
                 counts=np.array([len(u) for u in units], dtype=np.int64),
                 units=np.vstack(units) if sum(len(u) for u in units) else np.zeros((0, dimension), np.float32))
        os.replace(partial, path)
        self.groups += 1
        self.saved.update(results)

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def embed_jobs(embedder: Embedder, jobs: list[ChunkJob], method: str, store: ResumeStore,
               advance: Callable[[int], None]) -> tuple[list[ChunkVectors], EmbedStats]:
    """Vectors of every job, in order; groups already in ``store`` are not embedded again."""
    stats = EmbedStats(chunks=len(jobs), units=sum(len(job.unit_texts) for job in jobs))
    keys = [job.key for job in jobs]
    todo = [i for i, key in enumerate(keys) if key not in store.saved]
    stats.resumed = len(jobs) - len(todo)
    advance(stats.resumed)
    todo.sort(key=lambda i: -len(jobs[i].passage))
    for offset in range(0, len(todo), GROUP):
        group = [jobs[i] for i in todo[offset:offset + GROUP]]
        vectors = _embed_group(embedder, group, method, stats)
        store.save({job.key: result for job, result in zip(group, vectors)})
        advance(len(group))
    return [store.saved[key] for key in keys], stats


def _embed_group(embedder: Embedder, jobs: list[ChunkJob], method: str, stats: EmbedStats) -> list[ChunkVectors]:
    dimension = embedder.dimension
    units = [np.zeros((len(job.unit_texts), dimension), np.float32) for job in jobs]
    in_context: list[tuple[int, int]] = []  # (job, unit) encoded from their text in context
    if method == "late":
        chunk_vectors = np.zeros((len(jobs), dimension), np.float32)
        size = embedder.batch_size
        for offset in range(0, len(jobs), size):
            batch = jobs[offset:offset + size]
            vectors, pooled = embedder.encode_passages_with_spans([job.passage for job in batch],
                                                                  [job.unit_ranges for job in batch])
            chunk_vectors[offset:offset + len(batch)] = vectors
            for n, parts in enumerate(pooled):
                for u, vector in enumerate(parts):
                    if vector is None:
                        in_context.append((offset + n, u))
                    else:
                        units[offset + n][u] = vector
    else:
        chunk_vectors = embedder.encode_passages([job.passage for job in jobs])
        in_context = [(n, u) for n, job in enumerate(jobs) for u in range(len(job.unit_texts))]
    if in_context:
        encoded = embedder.encode_passages([jobs[n].unit_texts[u] for n, u in in_context])
        for (n, u), vector in zip(in_context, encoded):
            units[n][u] = vector
    if method == "late":
        stats.units_in_context += len(in_context)
    return [ChunkVectors(chunk_vectors[n], units[n]) for n in range(len(jobs))]
