"""The keyword index: BM25 with tantivy (embedded, no server), title weighted above the rest.

See docs/design.md#keyword-index.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

import indexer.fields as fields
from indexer.analysis import Chinese, English, analysis_for
from indexer.fields import attribute_term, brand_key
from indexer.products import Product

DIRECTORY = "keyword"


@dataclass(frozen=True)
class KeywordSettings:
    field_boosts: dict[str, float] = field(default_factory=lambda: {fields.TITLE: fields.TITLE_BOOST})
    language: str = "en"  # indexes written before languages existed are English


def _schema(tokenizer: str) -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(fields.ROW, indexed=True, fast=True)
    for name in fields.TEXT:
        builder.add_text_field(name, tokenizer_name=tokenizer)
    builder.add_facet_field(fields.CATEGORY_PATH)
    builder.add_text_field(fields.BRAND_KEY, tokenizer_name="raw")
    builder.add_float_field(fields.PRICE, indexed=True, fast=True)
    builder.add_text_field(fields.ATTRIBUTE, tokenizer_name="raw")
    builder.add_boolean_field(fields.IN_STOCK, indexed=True)
    return builder.build()


def facet_path(parts: Sequence[str]) -> str:
    """A category path as a tantivy facet string, '/' inside a name escaped."""
    return "/" + "/".join(part.replace("\\", "\\\\").replace("/", "\\/") for part in parts)


def _document(row: int, product: Product, analysis: English | Chinese) -> tantivy.Document:
    document = tantivy.Document()
    document.add_unsigned(fields.ROW, row)
    document.add_text("title", analysis.index_text(product.title))
    if product.description:
        document.add_text("description", analysis.index_text(product.description))
    if product.brand:
        document.add_text("brand", analysis.index_text(product.brand))
        document.add_text(fields.BRAND_KEY, brand_key(product.brand))
    if product.category:
        document.add_text("category", analysis.index_text(" ".join(product.category)))
        document.add_facet(fields.CATEGORY_PATH, tantivy.Facet.from_string(facet_path(product.category)))
    if product.price is not None:
        document.add_float(fields.PRICE, product.price)
    for key, values in product.attributes.items():
        for value in values:
            document.add_text(fields.ATTRIBUTE, attribute_term(key, value))
    document.add_boolean(fields.IN_STOCK, product.in_stock)
    return document


class KeywordIndex:
    def __init__(self, index: tantivy.Index, settings: KeywordSettings) -> None:
        self.index = index
        self.settings = settings
        self.analysis = analysis_for(settings.language)
        self.searcher = index.searcher()

    @classmethod
    def build(cls, products: Sequence[Product], directory: Path, settings: KeywordSettings) -> KeywordIndex:
        path = directory / DIRECTORY
        path.mkdir()
        analysis = analysis_for(settings.language)
        index = _registered(tantivy.Index(_schema(analysis.tokenizer), path=str(path)))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for row, product in enumerate(products):
            writer.add_document(_document(row, product, analysis))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        return cls(index, settings)

    @classmethod
    def load(cls, directory: Path, settings: KeywordSettings) -> KeywordIndex:
        return cls(_registered(tantivy.Index.open(str(directory / DIRECTORY))), settings)

    def __len__(self) -> int:
        return int(self.searcher.num_docs)

    @property
    def schema(self) -> tantivy.Schema:
        return self.index.schema

    def parse(self, query: str) -> tantivy.Query | None:
        """The shopper's words as an OR of terms over the text fields; None when no word is left.

        See docs/design.md#keyword-index.
        """
        words = self.analysis.query_words(query)
        if not words:
            return None
        boosts = self.settings.field_boosts
        if isinstance(self.analysis, English):
            return self.index.parse_query(" ".join(words), list(fields.TEXT), field_boosts=boosts)
        schema = self.index.schema
        terms = [
            tantivy.Query.boost_query(tantivy.Query.term_query(schema, name, word), boosts.get(name, 1.0))
            for word in words
            for name in fields.TEXT
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, term) for term in terms])

    def search(self, query: str, k: int, clauses: Sequence[tantivy.Query] = ()) -> list[tuple[int, float]]:
        """(row, BM25 score) of the k best rows that also match every clause, best first."""
        parsed = self.parse(query)
        if parsed is None or k <= 0:
            return []
        if clauses:
            parsed = tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in (parsed, *clauses)])
        hits = self.searcher.search(parsed, limit=k, count=False).hits
        rows = self.searcher.fast_field_values(fields.ROW, [address for _, address in hits])
        return [(int(row), float(score)) for (score, _), row in zip(hits, rows, strict=True)]


class KeywordCopy:
    """A private, writable copy of a version's keyword index (hard links to its segments, which tantivy never
    changes), where live changes delete and add documents by row; the version's own files stay as built."""

    def __init__(self, directory: Path, work: Path, settings: KeywordSettings) -> None:
        work.mkdir(parents=True)
        for entry in (directory / DIRECTORY).iterdir():
            if entry.suffix == ".json" or entry.name.startswith("."):  # rewritten by tantivy: a copy of its own
                shutil.copyfile(entry, work / entry.name)
            else:
                try:
                    os.link(entry, work / entry.name)
                except OSError:  # another file system
                    shutil.copyfile(entry, work / entry.name)
        self.settings = settings
        self.analysis = analysis_for(settings.language)
        self.index = _registered(tantivy.Index.open(str(work)))
        self.writer = self.index.writer(heap_size=50_000_000, num_threads=1)

    def close(self) -> None:
        """Lets tantivy finish its merges and releases its writer."""
        self.writer.wait_merging_threads()
        del self.writer

    def apply(self, removed: Sequence[int], added: Sequence[tuple[int, Product]]) -> KeywordIndex:
        """Deletes the documents of `removed` rows and adds (row, product) ones; the index returned sees them."""
        if removed:  # by a query: a term of an int is signed, and would match nothing in the unsigned field
            rows = tantivy.Query.term_set_query(self.index.schema, fields.ROW, sorted(set(removed)))
            self.writer.delete_documents_by_query(rows)
        for row, product in added:
            self.writer.add_document(_document(row, product, self.analysis))
        self.writer.commit()
        self.index.reload()
        return KeywordIndex(self.index, self.settings)


def _registered(index: tantivy.Index) -> tantivy.Index:
    """The index with the analyzer of pre-segmented words that Chinese fields name (tantivy keeps no
    analyzers on disk: every open registers them again)."""
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build()
    index.register_tokenizer(Chinese.tokenizer, words)
    return index
