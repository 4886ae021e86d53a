"""Text models behind narrow interfaces: bi-encoders `encode(texts)`, cross-encoders `score(pairs)`."""

from models.cross_encoders import CrossEncoder, load_cross_encoder
from models.encoders import DEFAULT_ENCODER, DEFAULT_ENCODERS, Encoder, encode_passages, encode_queries, load_encoder
from models.weights import minilm_dir

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_ENCODERS",
    "CrossEncoder",
    "Encoder",
    "encode_passages",
    "encode_queries",
    "load_cross_encoder",
    "load_encoder",
    "minilm_dir",
]
