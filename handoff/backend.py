"""The handoff interface: the backend contract (values and errors re-exported).

A backend owns three things and nothing else: agent presence and capacity, the
waiting queue, and which agent holds which conversation. It knows nothing of
Socket.IO or SQL; the gateway calls it and turns what each call returns into
emits and event rows.

Every mutating method returns a :class:`Changes` describing what moved, so the
gateway can notify exactly the clients concerned without reading state back
(which, with several gateway processes, could already be stale).

Two implementations pass the same contract suite (``tests/handoff``):
:class:`handoff.memory.MemoryBackend` (one process) and
:class:`handoff.redis_backend.RedisBackend` (any number of processes sharing
one Redis).
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterable

from handoff import router
from handoff.errors import AgentUnavailable, HandoffError, NotAssigned, UnknownAgent
from handoff.values import (
    DEFAULT_AVG_HANDLE_SECONDS,
    DEFAULT_CAPACITY,
    DEFAULT_GRACE_SECONDS,
    AgentState,
    AgentStatus,
    Assignment,
    Changes,
    Clock,
    QueueEntry,
)

__all__ = [
    "AgentState",
    "AgentStatus",
    "AgentUnavailable",
    "Assignment",
    "Changes",
    "HandoffBackend",
    "HandoffError",
    "NotAssigned",
    "QueueEntry",
    "UnknownAgent",
]


class HandoffBackend(abc.ABC):
    """The contract every handoff backend fulfils.

    All methods are coroutines and safe to call concurrently; each mutating
    call is atomic (in the Redis backend: across processes). Conversation and
    agent ids are opaque non-empty strings chosen by the gateway.

    Parameters common to the constructors:

    ``grace_seconds``: how long a disconnected agent keeps their chats
    (default 60). Read at :meth:`agent_disconnected`, so it may be changed on
    the instance (tests do) and applies to the next disconnect.
    ``avg_handle_seconds``: the average time an agent spends on one chat,
    used by :meth:`eta_seconds`.
    ``clock``: returns the current time in seconds; tests inject a fake one.
    """

    def __init__(
        self,
        *,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        avg_handle_seconds: float = DEFAULT_AVG_HANDLE_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        if grace_seconds < 0:
            raise ValueError("grace_seconds must be >= 0")
        if avg_handle_seconds <= 0:
            raise ValueError("avg_handle_seconds must be > 0")
        self.grace_seconds = float(grace_seconds)
        self.avg_handle_seconds = float(avg_handle_seconds)
        self.clock = clock

    # -- agents ---------------------------------------------------------------

    @abc.abstractmethod
    async def register_agent(
        self,
        agent_id: str,
        name: str,
        capacity: int = DEFAULT_CAPACITY,
        teams: Iterable[str] = (),
    ) -> Changes:
        """Add an agent, or update the name, capacity and teams of a known one.

        A new agent starts ``offline`` and connected; call :meth:`set_status`
        to make them receive chats. Updating keeps status and held chats (an
        agent whose capacity drops below their load keeps their chats and gets
        no new ones until below it). A raised capacity or a new team may let
        waiting conversations be assigned at once, hence the return value.
        """

    @abc.abstractmethod
    async def set_status(self, agent_id: str, status: AgentStatus | str) -> Changes:
        """Set an agent's status.

        ``online``: waiting conversations are assigned to them at once if they
        are connected and have room. ``away``: they keep their chats and get
        no new ones. ``offline`` (sign-off): their chats go back to the head of
        the queue immediately and are reassigned if anyone has room, and the
        connections remembered for them are forgotten (also the way for an
        admin to clear connections left by a gateway process that crashed).
        Raises :class:`UnknownAgent`.
        """

    @abc.abstractmethod
    async def agent_disconnected(self, agent_id: str, connection_id: str = "") -> Changes:
        """One of the agent's connections dropped; if it was the last, start the grace period.

        ``connection_id``: the id given to :meth:`agent_connected` for this
        connection (e.g. the Socket.IO sid), so an agent with two tabs, maybe
        on two gateway processes, keeps working when one closes. Callers that
        track one connection per agent may leave it out.

        When no connection is left the agent keeps their chats until
        ``now + grace_seconds`` and gets no new ones meanwhile; a second
        call keeps the first deadline. Nothing moves now (the result is
        empty); :meth:`expire_grace` does the requeueing. Raises
        :class:`UnknownAgent`.
        """

    @abc.abstractmethod
    async def agent_connected(self, agent_id: str, connection_id: str = "") -> Changes:
        """The agent opened a connection: remember it and cancel any grace period.

        ``connection_id`` as in :meth:`agent_disconnected`. Call it on every
        connect; for an agent who never dropped it only re-checks the queue.
        If the agent is ``online`` with room, waiting conversations are
        assigned. An agent whose grace already expired is ``offline`` and
        holds nothing; call :meth:`set_status` to go online. Raises
        :class:`UnknownAgent`.
        """

    @abc.abstractmethod
    async def expire_grace(self, now: float | None = None) -> Changes:
        """Requeue the chats of agents whose grace period ended by ``now``.

        ``now`` defaults to the clock. Those agents become ``offline`` and
        connected-state is cleared; their chats go to the head of the queue
        (keeping priority and team) and are reassigned at once to anyone with
        room. The gateway calls this periodically (every second or so); in the
        Redis backend any number of processes may call it concurrently.
        """

    # -- conversations --------------------------------------------------------

    @abc.abstractmethod
    async def enqueue(
        self, conversation_id: str, priority: int = 0, team: str | None = None
    ) -> Changes:
        """Escalate a conversation: assign it now if an agent has room, else queue it.

        ``priority``: higher first (-1000..1000). ``team``: only members of
        that team may take it; ``None`` for anyone. A conversation already
        waiting or held is left as it is and the result is empty, so retries
        never assign twice.
        """

    @abc.abstractmethod
    async def release(self, conversation_id: str) -> Changes:
        """The conversation is done with handoff (closed, or handed back to the bot).

        If held, the agent's capacity frees and the next waiting conversation
        they can take is assigned to them at once. If waiting, it leaves the
        queue. Unknown conversations give an empty result (idempotent).
        """

    @abc.abstractmethod
    async def dequeue(self, conversation_id: str) -> Changes:
        """A waiting visitor left (abandoned): remove the conversation from the queue.

        A conversation held by an agent is not touched (use :meth:`release`).
        Returns the new positions of those who moved up.
        """

    @abc.abstractmethod
    async def visitor_left(self, conversation_id: str) -> Changes:
        """The visitor of a waiting or held conversation closed every tab.

        The conversation keeps its place in the queue (and a held one its
        agent), but no agent is given it while the visitor is gone: it takes
        nobody's slot. The mark stays if the chat goes back to the queue later
        (grace expired, transfer with no one free). Nothing moves now, so the
        result is empty; unknown conversations are ignored.
        """

    @abc.abstractmethod
    async def visitor_back(self, conversation_id: str) -> Changes:
        """The visitor of a conversation marked by :meth:`visitor_left` is back.

        A waiting conversation is served again from the place it kept, so it
        is assigned at once if an agent has room. Unknown or unmarked
        conversations give an empty result.
        """

    @abc.abstractmethod
    async def transfer(
        self,
        conversation_id: str,
        to_agent_id: str | None = None,
        to_team: str | None = None,
        take_over: bool = False,
    ) -> Changes:
        """Move a held conversation to another agent or team.

        ``to_agent_id``: that agent takes it now; they must be online,
        connected, below capacity and not already holding it, else
        :class:`AgentUnavailable` (:class:`UnknownAgent` if unknown) and
        nothing changes. A ``to_team`` given with it becomes the
        conversation's team. ``take_over`` (with ``to_agent_id``): a
        supervisor taking the chat over; they need only be connected and not
        already holding it, whatever their status or load.

        Otherwise the conversation's team becomes ``to_team`` (``None``: anyone)
        and the best other agent with room takes it now; if none has room it
        waits at the head of the queue, never to be given back to the agent
        who transferred it.

        In every case the former agent's freed slot is offered to the queue.
        Raises :class:`NotAssigned` when no agent holds the conversation.
        """

    @abc.abstractmethod
    async def restore(
        self, conversation_id: str, agent_id: str, priority: int = 0, team: str | None = None
    ) -> bool:
        """Hold ``conversation_id`` for ``agent_id`` again, as the gateway's record says.

        For a backend that lost its state (Redis restarted empty, the
        in-process backend after a restart): the chat goes back to the agent
        who had it, whatever their status, load or connection, instead of
        to the queue. ``priority`` and ``team`` as in :meth:`enqueue`.
        Nothing else moves and no change is reported (the record already has
        the chat assigned to them). Returns False, changing nothing, when the
        agent is unknown or the conversation is already waiting or held by
        someone else; True when the agent holds it (also already before).
        """

    # -- reading --------------------------------------------------------------

    @abc.abstractmethod
    async def holder(self, conversation_id: str) -> str | None:
        """The id of the agent holding the conversation, or ``None``."""

    @abc.abstractmethod
    async def agent(self, agent_id: str) -> AgentState | None:
        """One agent's state, or ``None`` if unknown."""

    @abc.abstractmethod
    async def agents(self) -> list[AgentState]:
        """Every registered agent, sorted by id."""

    @abc.abstractmethod
    async def queue(self) -> list[QueueEntry]:
        """The waiting conversations, first to be served first."""

    @abc.abstractmethod
    async def reset(self) -> None:
        """Forget everything (agents, queue, holdings). For tests and admin tools."""

    async def position(self, conversation_id: str) -> int | None:
        """The 1-based queue position of a waiting conversation, or ``None``."""
        return (await self.queue_positions()).get(conversation_id)

    async def queue_positions(self) -> dict[str, int]:
        """Every waiting conversation's 1-based position."""
        return router.positions(await self.queue())

    async def eta_seconds(self, position: int) -> int | None:
        """Estimated wait in seconds for the conversation at ``position``.

        ``None`` when no agent is online and connected (the gateway then
        offers to leave a message). See :func:`handoff.router.estimate_wait`.
        """
        capacity = router.online_capacity(await self.agents())
        return router.estimate_wait(position, capacity, self.avg_handle_seconds)
