"""What goes wrong with events: bad input (a malformed location, event or key), or a database that fails."""


class EventsError(ValueError):
    """The message names the database or the field, the value seen and the fix."""


class EventsUnavailable(EventsError):
    """The database did not answer or refused the work: the input may be fine, try again."""
