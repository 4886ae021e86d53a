"""The fields every index writes, named once: the keyword index and the Elasticsearch mapping write them,
and the searchers' filters, facets and keyword queries read them from here."""

from __future__ import annotations

TEXT = ("title", "description", "brand", "category")  # searched by BM25
TITLE = "title"
TITLE_BOOST = 2.0  # a title word counts twice a description word
ROW = "row"  # the keyword document's row in the store and the dense index
CATEGORY_PATH = "category_path"  # every prefix of the category path, for the category filter
CATEGORY_LEVELS = 8  # Elasticsearch keeps each level in its own field for facets, this deep
BRAND_KEY = "brand_key"  # the brand as brand_key() writes it, for the brand filter
BRAND_NAME = "brand_name"  # the brand as written, for facet values (Elasticsearch)
PRICE = "price"
PRODUCT = "product"  # the canonical product record (Elasticsearch), returned as it is
VECTOR = "vector"  # the embedding (Elasticsearch)
ATTRIBUTE = "attribute"  # attribute_term(key, value), for attribute filters
IN_STOCK = "in_stock"  # for the stock filter
GROUP_ID = "group_id"  # the variants of one product (Elasticsearch)


def category_level(depth: int) -> str:
    """The Elasticsearch field holding the category path down to `depth` (1-based)."""
    return f"category_level_{depth}"


def brand_key(brand: str) -> str:
    return brand.strip().lower()


def attribute_term(key: str, value: str) -> str:
    return f"{key.strip().lower()}={value.strip().lower()}"
