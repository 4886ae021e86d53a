"""Offline half: read catalogues, embed, and write and read versioned index directories."""

from indexer.catalogue import CatalogueError, read_catalogue
from indexer.jobs import build_index, update_index
from indexer.products import Product
from indexer.reader import IndexVersion, encoder_for, open_index
from indexer.settings import BuildSettings

__all__ = [
    "BuildSettings",
    "CatalogueError",
    "IndexVersion",
    "Product",
    "build_index",
    "encoder_for",
    "open_index",
    "read_catalogue",
    "update_index",
]
