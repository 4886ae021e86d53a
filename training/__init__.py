"""Fine-tuning the reranker and the bi-encoder on a shop's judgments."""

from training.distil import DistilSettings, distil_reranker
from training.encoder import EncoderTrainingSettings, train_encoder
from training.reranker import TrainingSettings, train_reranker

__all__ = [
    "DistilSettings",
    "EncoderTrainingSettings",
    "TrainingSettings",
    "distil_reranker",
    "train_encoder",
    "train_reranker",
]
