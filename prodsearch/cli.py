"""One console script, one verb per stage; the verbs live in prodsearch.commands, one module per group.

See docs/design.md#errors-and-exit-codes.
"""

from __future__ import annotations

import sys

import click

from prodsearch.commands.analytics import analytics
from prodsearch.commands.events import events
from prodsearch.commands.experiment import experiment
from prodsearch.commands.index import index
from prodsearch.commands.intents import intents
from prodsearch.commands.merchandising import ranking, rules, synonyms
from prodsearch.commands.products import products
from prodsearch.commands.relevance import evaluate, tune
from prodsearch.commands.search import search, serve
from prodsearch.commands.train import train


def error_exit_code(error: Exception) -> int | None:
    """2 for bad input, 1 for a job that could not run, None for anything else (a bug).

    See docs/design.md#errors-and-exit-codes.
    """
    from evaluation.judgments import JudgmentsError
    from events.errors import EventsError, EventsUnavailable
    from indexer.errors import IndexerError, JobError
    from models.errors import ModelError
    from search.errors import SearchError
    from training.errors import TrainingError
    from web.config import ConfigError

    if isinstance(error, EventsUnavailable):  # the database did not answer: the input may be fine
        return 1
    if isinstance(error, IndexerError | ModelError | SearchError | JudgmentsError | TrainingError | ConfigError):
        return 2
    if isinstance(error, EventsError):
        return 2
    if isinstance(error, JobError | OSError):  # OSError: a file the user named cannot be read or written
        return 1
    return None


class Command(click.Group):
    """The top group: maps the library's errors to one line and an exit code, unless --debug."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # click's own: --help, usage errors (exit 2), Ctrl+C
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            from indexer.elastic import ElasticConfig

            message = ElasticConfig.redacted(str(error))  # ES_URL may carry a user and password
            code = error_exit_code(error)
            if code is not None:
                click.echo(f"error: {message}", err=True)
                sys.exit(code)
            click.echo(
                f"error: unexpected {type(error).__name__}: {message} (run again with --debug for the traceback)",
                err=True,
            )
            sys.exit(1)


@click.group(cls=Command)
@click.version_option(package_name="prodsearch")
@click.option("--debug", is_flag=True, envvar="PRODSEARCH_DEBUG", help="Show the traceback of any error.")
def main(debug: bool) -> None:
    """Semantic product search: index a catalogue, search it, serve it."""
    from models.weights import library_defaults

    library_defaults()  # before any verb loads a model


for command in (
    index, search, serve, evaluate, tune, intents, train, events, analytics, products, synonyms, rules, ranking,
    experiment,
):  # fmt: skip
    main.add_command(command)
