"""Online half: retrieve, fuse, filter, rerank and explain over an index version."""

from search.backend import Backend, EmbeddedBackend
from search.filters import Filters
from search.pipeline import SearchPipeline, SearchRequest, SearchResponse, SearchSettings
from search.retrievers import DenseRetriever, Hit, KeywordRetriever, Retriever

__all__ = [
    "Backend",
    "EmbeddedBackend",
    "DenseRetriever",
    "Filters",
    "Hit",
    "KeywordRetriever",
    "Retriever",
    "SearchPipeline",
    "SearchRequest",
    "SearchResponse",
    "SearchSettings",
]
