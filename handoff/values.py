"""The small typed values that cross the seam between handoff and the gateway.

Frozen dataclasses, so a snapshot handed to the gateway can never be changed
behind the backend's back. Validation helpers for what callers pass in live
here too, so both backends refuse exactly the same input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

#: Default number of chats an agent works at once.
DEFAULT_CAPACITY = 4
MIN_CAPACITY = 1
MAX_CAPACITY = 10
#: Seconds a disconnected agent keeps their chats before they are requeued.
DEFAULT_GRACE_SECONDS = 60.0
#: Average seconds an agent spends on one chat, used for the wait estimate.
DEFAULT_AVG_HANDLE_SECONDS = 300.0
#: Priorities are bounded so that the Redis backend can pack the queue order
#: into one exact sorted-set score (see ``redis_backend``).
MIN_PRIORITY = -1000
MAX_PRIORITY = 1000

Clock = Callable[[], float]
"""Returns the current time in seconds since the epoch.

Wall-clock time (not monotonic) because the Redis backend compares times
written by different processes and across restarts.
"""


class AgentStatus(StrEnum):
    """What an agent chose (or was put to) for receiving new chats."""

    ONLINE = "online"  # receives new chats while connected and below capacity
    AWAY = "away"  # keeps the chats they hold, receives no new ones
    OFFLINE = "offline"  # holds nothing; set explicitly or when the grace period ends


@dataclass(frozen=True, slots=True)
class AgentState:
    """A snapshot of one agent as the backend sees it.

    ``agent_id``: the gateway's id for the agent (a string, e.g. the database id).
    ``name``: display name, kept so the gateway can tell visitors who joined.
    ``capacity``: how many chats the agent may hold at once (1-10).
    ``status``: see :class:`AgentStatus`.
    ``teams``: the teams (skills) the agent belongs to; a conversation asking for
    a team only goes to a member.
    ``active``: ids of the conversations the agent holds now.
    ``idle_order``: the agent's place in the idle order; lower means idle for
    longer. Set when the agent registers and renewed on every assignment, so
    ties on load go to the agent assigned least recently. It is a counter, not
    a time, so two assignments in the same clock tick still order strictly.
    ``last_assigned_at``: clock time of the latest assignment, or ``None``.
    ``disconnected_at``: when the agent's last connection dropped, or ``None``
    when connected. A disconnected agent gets no new chats but keeps what they
    hold until ``grace_until``.
    ``connections``: how many connections (tabs, sockets) are open as far as
    the backend was told.
    """

    agent_id: str
    name: str
    capacity: int
    status: AgentStatus
    teams: frozenset[str]
    active: frozenset[str]
    idle_order: int
    last_assigned_at: float | None = None
    disconnected_at: float | None = None
    grace_until: float | None = None
    connections: int = 0

    @property
    def load(self) -> int:
        """Number of chats held now."""
        return len(self.active)

    @property
    def free(self) -> int:
        """Chats the agent could still take (0 when at or above capacity)."""
        return max(0, self.capacity - self.load)

    @property
    def connected(self) -> bool:
        """False between :meth:`HandoffBackend.agent_disconnected` and reconnect or expiry."""
        return self.disconnected_at is None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A conversation known to handoff, with what orders it in the queue.

    ``conversation_id``: the gateway's conversation id.
    ``priority``: higher is served first (complaints use 1, default 0).
    ``team``: the team the conversation must go to, or ``None`` for anyone.
    ``enqueued_at``: clock time of the escalation (kept when it is requeued).
    ``seq``: arrival number, unique per backend; breaks ties in arrival order.
    ``returned``: the conversation was already with an agent and came back
    (grace expired, agent went offline, transfer with no one free); returned
    conversations wait at the head of the queue, before any first-time arrival.
    ``excluded_agent_id``: an agent who must not get it (the one who
    transferred it away), or ``None``.
    ``visitor_gone``: the visitor closed every tab (the gateway called
    :meth:`~handoff.backend.HandoffBackend.visitor_left`); the conversation
    keeps its place but no agent is given it until the visitor is back.
    """

    conversation_id: str
    priority: int
    team: str | None
    enqueued_at: float
    seq: int
    returned: bool = False
    excluded_agent_id: str | None = None
    visitor_gone: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """A conversation held by an agent.

    In :attr:`Changes.assigned` it is a new holding; ``previous_agent_id`` is
    set when it was moved directly from another agent (transfer). In
    :attr:`Changes.unassigned` it is a holding that ended.
    """

    conversation_id: str
    agent_id: str
    previous_agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """What one mutating call changed, for the gateway to announce.

    ``assigned``: new holdings, in the order they were made. Tell the agent
    (``assigned``) and the visitor (``status: assigned``).
    ``unassigned``: holdings that ended (release, transfer, requeue). Tell the
    former agent the chat is no longer theirs.
    ``queued``: conversations that entered the queue in this call and still
    wait at its end (a new escalation with no agent free, a requeue).
    ``positions``: every waiting conversation whose 1-based queue position is
    new or differs from before the call. Send those visitors ``status:
    queued`` with the position (and :meth:`HandoffBackend.eta_seconds`).
    """

    assigned: tuple[Assignment, ...] = ()
    unassigned: tuple[Assignment, ...] = ()
    queued: tuple[QueueEntry, ...] = ()
    positions: Mapping[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.assigned or self.unassigned or self.queued or self.positions)


def check_capacity(capacity: int) -> int:
    """Return ``capacity`` if it is an int in 1..10, else raise ``ValueError``."""
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise ValueError(f"capacity must be an int, got {capacity!r}")
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise ValueError(f"capacity must be {MIN_CAPACITY}..{MAX_CAPACITY}, got {capacity}")
    return capacity


def check_priority(priority: int) -> int:
    """Return ``priority`` if it is an int in -1000..1000, else raise ``ValueError``."""
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValueError(f"priority must be an int, got {priority!r}")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority must be {MIN_PRIORITY}..{MAX_PRIORITY}, got {priority}")
    return priority


def check_id(value: str, what: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise ``ValueError``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def check_team(team: str | None) -> str | None:
    """Return ``team`` if it is ``None`` or a non-empty string, else raise ``ValueError``."""
    if team is None:
        return None
    return check_id(team, "team")


def check_teams(teams: Iterable[str]) -> frozenset[str]:
    """Validate team names; a bare string is refused because it would split into letters."""
    if isinstance(teams, str):
        raise ValueError("teams must be a collection of names, not a string")
    return frozenset(check_id(t, "team") for t in teams)
