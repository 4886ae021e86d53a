"""What shoppers do: searches answered and actions on their results, stored for analytics and training."""

from events.errors import EventsError
from events.log import EventLog
from events.privacy import hashed_session, session_key
from events.records import Event, SearchRecord
from events.store import EventStore

__all__ = ["Event", "EventLog", "EventStore", "EventsError", "SearchRecord", "hashed_session", "session_key"]
