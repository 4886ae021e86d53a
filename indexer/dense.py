"""The dense index: FAISS over unit vectors, exact below a size threshold and HNSW above it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from indexer.errors import IndexerError

FILE = "dense.faiss"
KINDS = ("auto", "flat", "hnsw")
EF_CHOICES = (128, 256, 512, 1024)  # efSearch values a build tries, smallest first
RECALL_TARGET = 0.995  # of the exact scan's top 100, for the catalogue's own titles embedded as queries


@dataclass(frozen=True)
class DenseSettings:
    kind: str = "auto"  # auto: flat up to hnsw_threshold products, hnsw above
    hnsw_threshold: int = 20_000  # above: HNSW, hybrid p50 10.5 -> 4.1 ms at 54,667 products (docs/performance.md)
    hnsw_m: int = 32
    ef_construction: int = 200
    ef_search: int = 0  # 0: chosen at build by measured recall (DenseIndex.tune); versions before it say 128

    def resolve(self, count: int) -> str:
        if self.kind not in KINDS:
            raise IndexerError(f"unknown dense index kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.kind == "auto":
            return "hnsw" if count > self.hnsw_threshold else "flat"
        return self.kind


class DenseIndex:
    """Inner product over normalised vectors (= cosine); row i is the i-th stored product."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        self.index = index
        self.kind = kind
        self.dead = np.empty(0, dtype=np.int64)  # rows of products an update deleted or re-embedded: never found

    def exclude(self, rows: Sequence[int]) -> None:
        self.dead = np.asarray(sorted(rows), dtype=np.int64)

    def add(self, vectors: np.ndarray) -> None:
        """Appends rows (an update's new products and changed texts); an HNSW graph links them in."""
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def build(cls, vectors: np.ndarray, settings: DenseSettings) -> DenseIndex:
        kind = settings.resolve(len(vectors))
        dimension = vectors.shape[1]
        if kind == "flat":
            index = faiss.IndexFlatIP(dimension)
        else:
            index = faiss.IndexHNSWFlat(dimension, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = settings.ef_construction
            index.hnsw.efSearch = settings.ef_search or EF_CHOICES[0]
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, kind)

    def tune(self, queries: np.ndarray, k: int = 100) -> int:
        """Sets and returns the smallest efSearch of EF_CHOICES whose HNSW top k holds RECALL_TARGET of the exact
        scan's for these query vectors (multilingual-e5's Chinese queries need more than MiniLM's English ones)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = min(k, len(self))
        scores = queries @ self.matrix().T
        exact = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        hnsw = faiss.downcast_index(self.index).hnsw
        for ef in EF_CHOICES:
            hnsw.efSearch = ef
            _, found = self.index.search(queries, k)
            recall = np.mean([len(np.intersect1d(a, b)) / k for a, b in zip(exact, found, strict=True)])
            if recall >= RECALL_TARGET:
                break
        return ef

    def save(self, directory: Path) -> Path:
        path = directory / FILE
        faiss.write_index(self.index, str(path))
        return path

    @classmethod
    def load(cls, directory: Path, kind: str, ef_search: int | None = None) -> DenseIndex:
        index = faiss.read_index(str(directory / FILE))
        if kind == "hnsw" and ef_search:
            faiss.downcast_index(index).hnsw.efSearch = ef_search
        return cls(index, kind)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    def matrix(self) -> np.ndarray:
        """Every stored vector in row order, a read-only view of FAISS's own storage (no copy)."""
        flat = faiss.downcast_index(self.index if self.kind == "flat" else self.index.storage)
        view = faiss.rev_swig_ptr(flat.get_xb(), len(self) * self.dimension).reshape(len(self), self.dimension)
        view.flags.writeable = False
        return view

    def vector(self, row: int) -> np.ndarray:
        return self.matrix()[row]

    def vectors(self) -> np.ndarray:
        """A copy of every stored vector in row order (updates reuse them instead of embedding again)."""
        return self.matrix().copy()

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None, dead: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest rows, best first, ties by row; only among `rows` if given, else among
        all but the `dead` ones (sorted; default: the version's own). See docs/design.md#dense-index.
        """
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        dead = self.dead if dead is None else dead
        if rows is None and self.kind == "hnsw":
            parameters = None
            if len(dead):  # the graph walks past the dead rows instead of returning them
                selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(dead))
                parameters = faiss.SearchParametersHNSW(sel=selector, efSearch=self.index.hnsw.efSearch)
            scores, found = self.index.search(query.reshape(1, -1), k, params=parameters)
            keep = found[0] >= 0
            return scores[0][keep], found[0][keep]
        matrix = self.matrix()
        if rows is None:
            rows, scores = np.arange(len(self)), matrix @ query
            if len(dead):  # scored and then dropped: one product over the matrix, not a list of the live rows
                scores[dead] = -np.inf
                k = min(k, len(self) - len(dead))
        elif len(rows) * 8 < len(self):
            scores = matrix[rows] @ query  # a narrow filter: gather the few rows
        else:
            scores = (matrix @ query)[rows]
        top = np.argpartition(-scores, k)[:k] if k < len(scores) else np.arange(len(scores))
        order = top[np.lexsort((rows[top], -scores[top]))]
        return scores[order], rows[order]
