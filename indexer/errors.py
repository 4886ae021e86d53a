"""The indexer's errors: what a user gave that cannot be indexed or served, and jobs that cannot run now.

See docs/design.md#errors-and-exit-codes.
"""

from __future__ import annotations


class IndexerError(ValueError):
    """Bad input to the indexer: a catalogue, an index path, a setting."""


class IndexFormatError(IndexerError):
    """A version directory that cannot be served as it is; the message names the file."""


class IndexNotFoundError(IndexerError, FileNotFoundError):
    """No index, or no such version, where one was named."""


class CatalogueNotFoundError(IndexerError, FileNotFoundError):
    """No catalogue file where one was named."""


class JobError(RuntimeError):
    """An indexing job that could not run or finish: another job holds the lock, a cluster refused writes."""


class ClusterUnavailable(JobError):
    """Elasticsearch did not answer (down, slow, refusing the credentials)."""
