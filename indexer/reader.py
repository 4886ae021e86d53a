"""Loading a version directory, checking that its parts agree, and the encoder it was built with."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from indexer.checksums import DAMAGED, check, verify
from indexer.dense import FILE as DENSE_FILE
from indexer.dense import DenseIndex
from indexer.errors import IndexFormatError
from indexer.keyword import DIRECTORY as KEYWORD_DIRECTORY
from indexer.keyword import KeywordIndex
from indexer.manifest import Manifest
from indexer.products import Product
from indexer.settings import BuildSettings
from indexer.store import FILE as STORE_FILE
from indexer.store import read_store
from indexer.versions import IndexRoot
from indexer.vocabulary import FILE as VOCABULARY_FILE
from indexer.vocabulary import Vocabulary
from models import Encoder, load_encoder

T = TypeVar("T")

log = logging.getLogger(__name__)
KEYWORD_META = f"{KEYWORD_DIRECTORY}/meta.json"  # tantivy's list of segments: the keyword index's root file


@dataclass(frozen=True)
class IndexVersion:
    path: Path
    manifest: Manifest
    rows: list[Product | None]  # by row, as the dense and keyword indexes number them; None: a deleted product
    dense: DenseIndex
    keyword: KeywordIndex
    row_of: dict[str, int]
    vocabulary: Vocabulary

    @cached_property
    def products(self) -> list[Product]:
        """Every product, in row order."""
        return [product for product in self.rows if product is not None]

    @cached_property
    def groups(self) -> dict[str, list[str]]:
        """The ids of each group's variants (group_id), made the first time they are asked for."""
        groups: dict[str, list[str]] = {}
        for product in self.products:
            if product.group_id is not None:
                groups.setdefault(product.group_id, []).append(product.id)
        return groups

    @property
    def settings(self) -> BuildSettings:
        return BuildSettings.from_dict(self.manifest.settings)


def open_version(path: Path) -> IndexVersion:
    """A version directory, loaded and checked part by part against its manifest.

    See docs/design.md#manifest-checksums-and-loading.
    """
    manifest = Manifest.read(path)
    settings = BuildSettings.from_dict(manifest.settings)
    for part in (STORE_FILE, DENSE_FILE, KEYWORD_DIRECTORY):
        if not (path / part).exists():
            raise IndexFormatError(f"{path / part} is missing; {DAMAGED}")
    expected = _expected_checksums(path, manifest)
    verify(path, expected, [name for name in expected if name != STORE_FILE])
    rows, store_sha256 = _part(path / STORE_FILE, lambda: read_store(path))
    manifest.check_count(path / STORE_FILE, len(rows), rows=True)
    check(path, STORE_FILE, store_sha256, expected[STORE_FILE])
    manifest.check_count(path / STORE_FILE, sum(product is not None for product in rows))
    dense_index = _part(path / DENSE_FILE, lambda: DenseIndex.load(path, manifest.dense_kind, settings.dense.ef_search))
    manifest.check_count(path / DENSE_FILE, len(dense_index), rows=True)
    dense_index.exclude([row for row, product in enumerate(rows) if product is None])
    if dense_index.dimension != manifest.dimension:
        raise IndexFormatError(
            f"{path / DENSE_FILE} has dimension {dense_index.dimension}, manifest says {manifest.dimension}"
        )
    keyword_index = _part(path / KEYWORD_DIRECTORY, lambda: KeywordIndex.load(path, settings.keyword))
    manifest.check_count(path / KEYWORD_DIRECTORY, len(keyword_index))
    row_of = {product.id: row for row, product in enumerate(rows) if product is not None}
    vocabulary_path = path / VOCABULARY_FILE
    if vocabulary_path.exists():
        vocabulary = _part(vocabulary_path, lambda: Vocabulary.read(path))
    else:  # a version from before vocabularies
        vocabulary = Vocabulary.of(product for product in rows if product is not None)
    return IndexVersion(path, manifest, rows, dense_index, keyword_index, row_of, vocabulary)


def _expected_checksums(path: Path, manifest: Manifest) -> dict[str, str]:
    """The sha256 of each file the version must hold, by its path inside the version."""
    if manifest.format_version == 1:
        log.warning(
            "%s was written before per-file checksums (manifest format 1): only %s is checked, not the dense "
            "and keyword indexes; rebuild the index to have every file checked",
            path,
            STORE_FILE,
        )
        return {STORE_FILE: manifest.store_sha256}
    listed = manifest.checksums if isinstance(manifest.checksums, dict) else {}
    for name in (STORE_FILE, DENSE_FILE, KEYWORD_META, VOCABULARY_FILE):
        if not isinstance(listed.get(name), str):
            raise IndexFormatError(f"{path / 'manifest.json'} lists no checksum for {name}; {DAMAGED}")
    return dict(listed)


def _part(path: Path, load: Callable[[], T]) -> T:
    """One part of a version, loaded; whatever its reader raises over a damaged file names that file."""
    try:
        return load()
    except IndexFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:  # faiss raises RuntimeError
        raise IndexFormatError(f"{path} cannot be read ({error}); the version is damaged: rebuild it") from error


def open_index(root: Path) -> IndexVersion:
    """The version that ROOT/CURRENT names."""
    return open_version(IndexRoot(root).current())


def encoder_for(manifest: Manifest) -> Encoder:
    """The encoder an index was built with; refuses installed weights that differ from the build's."""
    return checked_encoder(manifest.encoder, manifest.encoder_sha256, manifest.version)


def checked_encoder(name: str, sha256: str, index: str) -> Encoder:
    """The encoder `name`, if its installed weights are the ones (`sha256`) that embedded `index`."""
    encoder = load_encoder(name)
    installed = encoder.weights_sha256()
    if installed != sha256:
        raise IndexFormatError(
            f"the index {index} was embedded with {name} weights {sha256[:12]}, "
            f"but the installed weights are {installed[:12]}; reinstall the same model or rebuild the index"
        )
    return encoder
