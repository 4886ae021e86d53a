"""Offline half: read catalogues, embed, and write and read versioned index directories."""

from indexer.catalogue import CatalogueError, read_catalogue
from indexer.jobs import DirectoryWriter
from indexer.products import Product
from indexer.reader import IndexVersion, encoder_for, open_index
from indexer.settings import BuildSettings
from indexer.writes import Source, Writer, WriteReport, build_from_file, update_from_files

__all__ = [
    "BuildSettings",
    "CatalogueError",
    "DirectoryWriter",
    "IndexVersion",
    "Product",
    "Source",
    "WriteReport",
    "Writer",
    "build_from_file",
    "encoder_for",
    "open_index",
    "read_catalogue",
    "update_from_files",
]
