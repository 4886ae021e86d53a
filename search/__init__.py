"""Online half: retrieve products for a query from an index directory."""

from search.retrievers import DenseRetriever, Hit, KeywordRetriever, Retriever

__all__ = ["DenseRetriever", "Hit", "KeywordRetriever", "Retriever"]
