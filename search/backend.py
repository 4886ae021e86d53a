"""What the pipeline reads from an index, wherever the index lives: two retrievers, products, facets.

See docs/design.md#backends.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Protocol

from indexer import IndexVersion, Product
from indexer.vocabulary import Vocabulary
from models import Encoder
from search.facets import Facets, count_facets
from search.filters import FilterIndex, Filters
from search.live_index import Snapshot
from search.retrievers import DenseRetriever, KeywordRetriever, Retriever
from search.spelling import catalogue_words


@dataclass(frozen=True)
class Description:
    """What an index serves, as /healthz, the pages and the trainers read it."""

    products: int
    language: str  # the catalogue's analysis language: en or zh
    encoder: str
    dense: str  # the dense index kind, or where the vectors live

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Backend(Protocol):
    encoder: Encoder
    keyword: Retriever
    dense: Retriever

    @property
    def label(self) -> str:
        """The index version served, as responses and reports name it."""
        ...

    def products(self, ids: Sequence[str]) -> dict[str, Product]:
        """The products with these ids, by id; ids not in the index are left out."""
        ...

    def all_products(self, only: Collection[str] = ()) -> Iterable[Product]:
        """Every product the index serves, read as it is iterated; `only` names the fields the caller reads (a
        backend may leave the others at their defaults), none: every field."""
        ...

    def facets(self, ids: Sequence[str], category_prefix: tuple[str, ...]) -> Facets: ...

    def variants(self, group_ids: Collection[str]) -> dict[str, list[Product]]:
        """The products of each group (group_id), by group; groups with no product are left out."""
        ...

    @property
    def out_of_stock(self) -> bool:
        """Whether any product is out of stock: if none is, stock changes no ranking and costs nothing."""
        ...

    @property
    def words(self) -> Mapping[str, int]:
        """The catalogue's words and how many products use each, for spelling correction; empty: none."""
        ...

    @property
    def vocabulary(self) -> Vocabulary:
        """The catalogue's brands, categories, attribute values and currency, for query understanding."""
        ...

    def describe(self) -> Description:
        """What /healthz shows: products, language, encoder, dense index kind."""
        ...


class EmbeddedBackend:
    """An index version directory (tantivy, FAISS, product store), all in this process."""

    def __init__(self, version: IndexVersion | Snapshot, encoder: Encoder | None = None) -> None:
        self.version = version
        self.keyword = KeywordRetriever(version)
        filter_index = version.filter_index if isinstance(version, Snapshot) else FilterIndex(version.rows)
        self.dense = DenseRetriever(version, encoder, filter_index)
        self.encoder = self.dense.encoder

    @property
    def label(self) -> str:
        return self.version.manifest.version

    def products(self, ids: Sequence[str]) -> dict[str, Product]:
        row_of, products = self.version.row_of, self.version.rows
        return {product_id: products[row_of[product_id]] for product_id in ids if product_id in row_of}

    @property
    def sequence(self) -> int:
        """The last live change served (search.live_index); 0: none."""
        return self.version.sequence if isinstance(self.version, Snapshot) else self.version.manifest.live_sequence

    def all_products(self, only: Collection[str] = ()) -> list[Product]:
        return self.version.products

    def live_products(self) -> list[Product]:
        """The products written live since the version (search.live_index), as they are now."""
        return self.version.live_products if isinstance(self.version, Snapshot) else []

    def facets(self, ids: Sequence[str], category_prefix: tuple[str, ...]) -> Facets:
        return count_facets(self.products(ids).values(), category_prefix)

    @cached_property
    def out_of_stock(self) -> bool:
        return bool(self.dense.filter_index.mask(Filters(in_stock=False)).any())

    def variants(self, group_ids: Collection[str]) -> dict[str, list[Product]]:
        """The version's groups (made once per version), with the products live changes wrote since, as they are
        now: a variant deleted or moved to another group since is left out."""
        version = self.version
        live = isinstance(version, Snapshot)
        base = version.base.groups if live else version.groups
        ids = {product_id for group_id in group_ids for product_id in base.get(group_id, ())}
        if live:
            ids.update(product.id for product in version.live_products if product.group_id in group_ids)
        groups: dict[str, list[Product]] = {}
        for product in self.products(sorted(ids)).values():
            if product.group_id in group_ids:
                groups.setdefault(product.group_id, []).append(product)
        return groups

    @cached_property
    def words(self) -> Mapping[str, int]:
        if isinstance(self.version, Snapshot):
            return self.version.words
        return catalogue_words(self.version.products)

    @property
    def vocabulary(self) -> Vocabulary:
        return self.version.vocabulary

    def describe(self) -> Description:
        manifest = self.version.manifest
        products = len(self.version.row_of)
        return Description(products, self.version.settings.language, manifest.encoder, manifest.dense_kind)
