"""The `prodsearch` command line; the engine itself lives in indexer/, search/ and web/."""
