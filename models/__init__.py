"""Text models behind narrow interfaces: bi-encoders `encode(texts)`, cross-encoders `score(pairs)`."""

from models.cross_encoders import CrossEncoder, load_cross_encoder
from models.encoders import DEFAULT_ENCODER, Encoder, load_encoder
from models.weights import minilm_dir

__all__ = ["DEFAULT_ENCODER", "CrossEncoder", "Encoder", "load_cross_encoder", "load_encoder", "minilm_dir"]
