"""Fine-tuning the reranker and the bi-encoder on a shop's judgments."""

from training.encoder import EncoderTrainingSettings, train_encoder
from training.reranker import TrainingSettings, train_reranker

__all__ = ["EncoderTrainingSettings", "TrainingSettings", "train_encoder", "train_reranker"]
