"""A matrix of vectors on disk (a ``.npy`` file) whose rows are read when asked for.

An answer reads the vectors of a few dozen quote units scattered over a file of a million rows.
Memory-mapping it would count every page the kernel maps around those rows (large page-cache
folios of a freshly written file: most of the file after a few hundred questions) in the
replica's resident memory; reading the rows with ``pread`` leaves them in the page cache,
shared and reclaimable, and the process holds only what it asked for.
"""

import os
import weakref
from pathlib import Path

import numpy as np


class VectorFile:
    """Rows of a 2-D C-ordered ``.npy`` file: ``vectors[rows]`` for an int, a slice or a list of rows."""

    def __init__(self, path: Path):
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(handle)
            self.offset = handle.tell()
        if fortran_order or len(shape) != 2:
            raise ValueError(f"{path} is not a C-ordered matrix")
        self.path = Path(path)
        self.shape: tuple[int, int] = shape
        self.dtype = np.dtype(dtype)
        self.row_bytes = shape[1] * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (int, np.integer)):
            return self[[int(key)]][0]
        rows = np.arange(*key.indices(len(self))) if isinstance(key, slice) else np.asarray(key, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"row out of range for {self.path.name} of {len(self)} rows")
        if not rows.size:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        unique, inverse = np.unique(rows, return_inverse=True)
        found = np.empty((len(unique), self.shape[1]), dtype=self.dtype)
        # One read per run of consecutive rows.
        breaks = np.flatnonzero(np.diff(unique) != 1) + 1
        for start, end in zip(np.concatenate([[0], breaks]), np.concatenate([breaks, [len(unique)]])):
            first, count = int(unique[start]), int(end - start)
            found[start:end] = np.frombuffer(self._read(count * self.row_bytes, self.offset + first * self.row_bytes),
                                             dtype=self.dtype).reshape(count, self.shape[1])
        return found[inverse.reshape(-1)]

    def _read(self, size: int, position: int) -> bytes:
        parts = []
        while size:
            part = os.pread(self._fd, min(size, 1 << 30), position)
            if not part:
                raise OSError(f"{self.path} is shorter than its header says")
            parts.append(part)
            size -= len(part)
            position += len(part)
        return b"".join(parts)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)
