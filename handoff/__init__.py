"""Human handoff: the waiting queue, agent presence and capacity, routing, transfers.

Plain Python with one interface (:class:`HandoffBackend`) and two
implementations: :class:`MemoryBackend` for one process and
:class:`RedisBackend` for several sharing a Redis. ``handoff/README.md`` shows
how a gateway drives it.
"""

from handoff.backend import HandoffBackend
from handoff.errors import AgentUnavailable, HandoffError, NotAssigned, UnknownAgent
from handoff.hours import BusinessHours
from handoff.memory import MemoryBackend
from handoff.redis_backend import RedisBackend
from handoff.values import AgentState, AgentStatus, Assignment, Changes, QueueEntry

__all__ = [
    "AgentState",
    "AgentStatus",
    "AgentUnavailable",
    "Assignment",
    "BusinessHours",
    "Changes",
    "HandoffBackend",
    "HandoffError",
    "MemoryBackend",
    "NotAssigned",
    "QueueEntry",
    "RedisBackend",
    "UnknownAgent",
]
