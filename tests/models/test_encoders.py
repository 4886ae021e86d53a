"""The shipped encoders, loaded for real: the fast ONNX forms stay close to the reference model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.encoders import (
    DEFAULT_ENCODERS,
    INT8,
    MULTILINGUAL,
    ONNX,
    QUERY_TOKENS,
    REFERENCE,
    OnnxEncoder,
    encode_passages,
    encode_queries,
    load_encoder,
)
from models.weights import minilm_dir

TEXTS = [
    "Red kettle",
    "Brevilla Aero Electric Kettle 1.7 l - Red. Rapid boil with automatic shut-off.",
    "waterproof walking boots size 10",
    "Noise cancelling over-ear headphones with a 40-hour battery and USB-C fast charging. " * 6,
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return load_encoder(REFERENCE).encode(TEXTS)


@pytest.mark.parametrize(("name", "fidelity"), [(ONNX, 0.999), (INT8, 0.99)])
def test_onnx_encoders_match_the_reference(reference: np.ndarray, name: str, fidelity: float) -> None:
    encoder = load_encoder(name)
    vectors = encoder.encode(TEXTS * 10, batch_size=3)  # several batches, run on the worker threads
    assert vectors.shape == (40, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors[:4] * reference).sum(axis=1).min() >= fidelity
    np.testing.assert_allclose(vectors[:4], vectors[4:8], atol=1e-5)  # batch make-up does not change a vector


def test_a_model_directory_runs_as_an_exported_int8_graph(
    reference: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # all-MiniLM-L6-v2's own folder stands in for a fine-tuned one: same shape, known reference vectors
    monkeypatch.chdir(minilm_dir().parent)
    encoder = load_encoder(f"./{minilm_dir().name}")
    assert isinstance(encoder, OnnxEncoder) and encoder.dimension == 384
    assert encoder.name == str(minilm_dir().resolve())  # what an index records: the same folder from anywhere
    vectors = encoder.encode(TEXTS * 2, batch_size=3)
    # 0.9875 for 'Red kettle' (the shortest text, the most sensitive), >= 0.997 for the others
    assert (vectors[:4] * reference).sum(axis=1).min() >= 0.985
    np.testing.assert_allclose(vectors[:4], vectors[4:], atol=1e-5)
    assert encoder.weights_sha256() == load_encoder(REFERENCE).weights_sha256()  # an index built on torch opens


@pytest.mark.parametrize("name", [INT8, REFERENCE])
def test_queries_are_embedded_to_query_tokens_at_most(name: str) -> None:
    encoder = load_encoder(name)
    long = TEXTS[3]  # 6 x 17 words: over 100 tokens
    clipped = encoder.clip(long, QUERY_TOKENS)
    assert long.startswith(clipped) and len(clipped) < len(long) and encoder.clip("Red kettle", 64) == "Red kettle"
    np.testing.assert_allclose(encode_queries(encoder, [long]), encoder.encode([clipped]), atol=1e-6)
    assert not np.allclose(encode_queries(encoder, [long]), encoder.encode([long]), atol=1e-3)


def test_unknown_encoder_names_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown encoder 'bert-huge'; use one of all-MiniLM-L6-v2"):
        load_encoder("bert-huge")


OFFLINE_CHECK = """
import os, socket, sys
def refuse(sock, address):
    raise AssertionError(f"a model load tried to connect to {address}")
socket.socket.connect = refuse
before = dict(os.environ)
from models.encoders import encode_queries, load_encoder
assert dict(os.environ) == before, "importing models.encoders changed the environment"
for name in sys.argv[1:]:
    assert encode_queries(load_encoder(name), ["red kettle"]).shape == (1, 384)
"""


def test_the_shipped_encoders_load_without_a_hub_or_a_change_to_the_environment() -> None:
    # HF_HUB_OFFLINE unset and a hub that cannot answer: the weights come from installed packages
    environ = {key: value for key, value in os.environ.items() if key != "TOKENIZERS_PARALLELISM"}
    environ |= {"HF_HUB_OFFLINE": "", "HF_ENDPOINT": "http://127.0.0.1:9"}
    command = [sys.executable, "-c", OFFLINE_CHECK, INT8, REFERENCE]
    result = subprocess.run(command, capture_output=True, text=True, env=environ, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr[-2000:]


class Recording:
    """An encoder that keeps the texts it was given."""

    name, dimension, query_prefix, passage_prefix = "recording", 2, "query: ", "passage: "

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts, batch_size: int = 8, progress: bool = False) -> np.ndarray:
        self.seen += texts
        return np.zeros((len(texts), self.dimension), dtype=np.float32)


@pytest.mark.fast
def test_queries_and_products_are_embedded_behind_their_prefixes() -> None:
    encoder = Recording()
    encode_queries(encoder, ["红色连衣裙"])
    encode_passages(encoder, ["Kettle"])
    assert encoder.seen == ["query: 红色连衣裙", "passage: Kettle"]


@pytest.mark.fast
def test_each_language_has_its_default_encoder() -> None:
    from indexer.settings import BuildSettings

    assert BuildSettings().for_catalogue(["红色连衣裙 夏季新款"]).encoder == DEFAULT_ENCODERS["zh"] == MULTILINGUAL
    assert BuildSettings().for_catalogue(["Red dress"]).encoder == DEFAULT_ENCODERS["en"] == INT8
    assert BuildSettings(encoder=REFERENCE).for_catalogue(["红色连衣裙"]).encoder == REFERENCE


@pytest.mark.fast
def test_a_model_folder_declares_its_prompts(tmp_path: Path) -> None:
    from models.encoders import prompts

    assert prompts(tmp_path) == ("", "")
    (tmp_path / "config_sentence_transformers.json").write_text(
        '{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}'
    )
    assert prompts(tmp_path) == ("query: ", "passage: ")
