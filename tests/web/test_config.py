"""The service's configuration: the environment read once by `ServiceConfig.from_env`, the flags above it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import IndexerError
from web.config import ConfigError, ServiceConfig

pytestmark = pytest.mark.fast

TOKEN = "a-long-random-test-token"


def test_each_variable_sets_its_field_and_flags_win() -> None:
    environ = {
        "PRODSEARCH_INDEX": "/srv/shop",
        "PRODSEARCH_RERANKER_DIR": "/srv/reranker",
        "PRODSEARCH_DEFAULT_MODE": "keyword",
        "PRODSEARCH_RELOAD_INTERVAL": "2.5",
        "PRODSEARCH_EVENTS_DB": "off",
        "PRODSEARCH_EVENTS_KEY": "a-long-random-test-key",
        "PRODSEARCH_EVENTS_TOKEN": TOKEN + "\n",
        "PRODSEARCH_ANALYTICS_TOKEN": TOKEN,
        "PRODSEARCH_ALSO_VIEWED_MIN_SESSIONS": "20",
    }
    config = ServiceConfig.from_env(environ, default_mode=None, reload_interval=0.5)
    assert config == ServiceConfig(
        index="/srv/shop",
        reranker_dir=Path("/srv/reranker"),
        default_mode="keyword",  # a flag left out (None) does not override
        reload_interval=0.5,
        events_db="off",
        events_key="a-long-random-test-key",
        events_token=TOKEN,  # stripped of the newline an environment file leaves
        analytics_token=TOKEN,
        also_viewed_min_sessions=20,
    )
    assert "a-long-random-test-key" not in repr(config)


def test_an_alias_reads_its_cluster_and_state_directory_once(tmp_path: Path) -> None:
    environ = {"ES_URL": "http://es:9200", "ES_TIMEOUT": "3", "XDG_STATE_HOME": str(tmp_path)}
    config = ServiceConfig.from_env(environ, index="shop", backend="elasticsearch")
    assert config.elastic is not None and config.elastic.url == "http://es:9200" and config.elastic.timeout == 3
    assert config.location().elastic == config.elastic
    assert config.events_location() == str(tmp_path / "prodsearch" / "shop-events.sqlite")
    flagged = ServiceConfig.from_env(environ, index="shop", backend="elasticsearch", es_url="http://other:9200")
    assert flagged.elastic is not None and flagged.elastic.url == "http://other:9200"
    assert ServiceConfig.from_env(environ, index="shop").elastic is None  # a directory needs no cluster


@pytest.mark.parametrize(
    ("environ", "error", "words"),
    [
        ({}, ConfigError, "PRODSEARCH_INDEX"),
        ({"PRODSEARCH_INDEX": "i", "PRODSEARCH_RELOAD_INTERVAL": "0"}, ConfigError, "PRODSEARCH_RELOAD_INTERVAL"),
        ({"PRODSEARCH_INDEX": "i", "PRODSEARCH_EVENTS_TOKEN": "short"}, ConfigError, "PRODSEARCH_EVENTS_TOKEN"),
        ({"PRODSEARCH_INDEX": "i", "PRODSEARCH_ALSO_VIEWED_MIN_SESSIONS": "0"}, ConfigError, "1 or more, got '0'"),
        ({"PRODSEARCH_INDEX": "i", "PRODSEARCH_ALSO_VIEWED_MIN_SESSIONS": "5.5"}, ConfigError, "MIN_SESSIONS must"),
        ({"PRODSEARCH_INDEX": "i", "PRODSEARCH_BACKEND": "elasticsearch", "ES_RETRIES": "x"}, IndexerError, "ES_"),
    ],
)
def test_a_bad_variable_is_named(environ: dict[str, str], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        ServiceConfig.from_env(environ)
