"""The suggester reads the same catalogue from an Elasticsearch alias (by a scroll) as from the embedded index."""

from __future__ import annotations

from pathlib import Path

from indexer import open_index
from search import EmbeddedBackend
from search.elastic import ElasticBackend
from search.suggest import Suggester

TYPED = ["kett", "kettel", "run", "yoga m", "Nova", "headph", "stainless steel k", "x"]


def test_an_elasticsearch_alias_gives_the_embedded_index_suggestions(
    sample_index: Path, elastic, elastic_sample: str
) -> None:
    embedded = EmbeddedBackend(open_index(sample_index))
    over_elastic = Suggester.of(ElasticBackend(elastic, elastic_sample, embedded.encoder))
    over_embedded = Suggester.of(embedded)
    assert len(over_elastic) == len(over_embedded) > 300  # categories, brands and a phrase of most titles
    assert sorted(over_elastic.texts) == sorted(over_embedded.texts)
    for typed in TYPED:
        assert over_elastic.suggest(typed, 20) == over_embedded.suggest(typed, 20), typed
