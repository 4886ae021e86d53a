"""A BERT graph on onnxruntime, run over tokenized texts (or text pairs) as fast as two cores allow.

See docs/design.md#running-a-graph.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tokenizers import Encoding

from models.progress import bar as progress_bar

# What a batch's graph output becomes, one row per text: (output, attention mask) -> rows.
Finish = Callable[[np.ndarray, np.ndarray], np.ndarray]

MIN_SPLIT = 8  # texts a batch keeps when a few are split over the workers
_thread = threading.local()


def modest_thread() -> None:
    """Single batches run in the calling thread from now on: the session's own threads would not share its priority."""
    _thread.modest = True


def in_modest_thread() -> bool:
    return getattr(_thread, "modest", False)


class OnnxRunner:
    def __init__(self, graph: Path) -> None:
        import onnxruntime

        self.workers = max(1, os.cpu_count() or 1)
        self.session = _session(onnxruntime, graph, threads=1)  # many batches: one per worker
        self.single_session = _session(onnxruntime, graph, threads=self.workers)  # one batch: every core

    def run(self, encodings: Sequence[Encoding], batch_size: int, finish: Finish, progress: bool = False) -> np.ndarray:
        """finish(output) of every encoding, in their order; at least one encoding."""
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))  # batch mates of one length
        batches = [[encodings[i] for i in batch] for batch in batched(order, batch_size, self.workers)]
        if len(batches) == 1:
            rows = _run_batch(batches[0], self.one_batch_session(), finish)
        else:
            with (
                ThreadPoolExecutor(self.workers) as pool,
                progress_bar(total=len(encodings), desc="embedding", unit="text", disable=not progress) as bar,
            ):
                parts = []
                for part in pool.map(lambda batch: _run_batch(batch, self.session, finish), batches):
                    parts.append(part)
                    bar.update(len(part))
            rows = np.concatenate(parts)
        out = np.empty_like(rows)
        out[order] = rows
        return out

    def one_batch_session(self):
        return self.session if in_modest_thread() else self.single_session


def batched(items: list[int], batch_size: int, workers: int) -> list[list[int]]:
    """`items` in order, in batches of `batch_size`; a few of them (a reranked page) split evenly over the
    workers instead (30 on two: 15 + 15, not 16 + 14; 20: 10 + 10, not 16 + 4), in batches of MIN_SPLIT at
    least, so that many cores do not each run a sliver."""
    if len(items) <= batch_size * workers:
        pieces = min(workers, -(-len(items) // MIN_SPLIT))
        batch_size = max(1, -(-len(items) // max(1, pieces)))
    return [items[start : start + batch_size] for start in range(0, len(items), batch_size)]


def _run_batch(encodings: Sequence[Encoding], session, finish: Finish) -> np.ndarray:
    ids = np.zeros((len(encodings), max(len(encoding.ids) for encoding in encodings)), dtype=np.int64)
    types = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        types[row, : len(encoding.ids)] = encoding.type_ids
    mask = (ids != 0).astype(np.int64)  # [PAD] is id 0 and never a real token
    (output,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    return finish(output, mask)


def _session(onnxruntime, path: Path, threads: int):
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    # Idle threads sleep instead of spinning: spinning stole the core that the dense scan
    # right after a query's encoding needs (hybrid p50 18 -> see benchmarks/search_latency).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
