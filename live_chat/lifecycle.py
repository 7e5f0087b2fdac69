"""A conversation's state machine: which moves are legal, and what each is called.

::

    bot ──escalate──▶ queued ──assign──▶ assigned ──close──▶ closed
     ▲                  │  ▲                │ │
     └────handback──────┘  └────requeue─────┘ └─transfer (to another agent)
    queued ──abandon──▶ abandoned        any open state ──close──▶ closed

Every move is stored as a conversation event named by :data:`EVENT_NAMES`, so
wait, handle time and abandonment are queries over those rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from live_chat.errors import Conflict

if TYPE_CHECKING:
    from live_chat.store.models import Conversation

State = Literal["bot", "queued", "assigned", "closed", "abandoned"]
Move = Literal["escalate", "assign", "transfer", "requeue", "handback", "close", "abandon"]

TRANSITIONS: Final[dict[tuple[State, Move], State]] = {
    ("bot", "escalate"): "queued",
    ("queued", "assign"): "assigned",
    ("assigned", "transfer"): "assigned",
    ("assigned", "requeue"): "queued",
    ("queued", "handback"): "bot",
    ("assigned", "handback"): "bot",
    ("bot", "close"): "closed",
    ("queued", "close"): "closed",
    ("assigned", "close"): "closed",
    ("queued", "abandon"): "abandoned",
}

EVENT_NAMES: Final[dict[Move, str]] = {
    "escalate": "escalated",
    "assign": "assigned",
    "transfer": "transferred",
    "requeue": "requeued",
    "handback": "handed_back",
    "close": "closed",
    "abandon": "abandoned",
}


def next_state(state: str, move: Move) -> State:
    """The state after ``move`` from ``state``; :class:`Conflict` when the move is not allowed."""
    try:
        return TRANSITIONS[(state, move)]  # type: ignore[index]
    except KeyError:
        raise Conflict(f"cannot {move} a conversation that is {state}") from None


def is_open(state: str) -> bool:
    return state in ("bot", "queued", "assigned")


def rateable(conversation: Conversation) -> bool:
    """Whether the visitor may rate the conversation (``csat``): only when a person
    took part (an agent was assigned at some point) and it was not closed by a
    left message. Chats the bot alone had, or nobody answered, are not rated."""
    return conversation.assigned_at is not None and conversation.resolution != "offline_message"


def enter_state(conversation: Conversation, to_state: str, now: datetime) -> str:
    """Set ``conversation``'s state and the moments the reports read; the state it left."""
    from_state = conversation.state
    conversation.state = to_state
    conversation.updated_at = now
    if to_state == "queued":
        conversation.queued_at = now
    if to_state == "assigned" and from_state == "queued":
        conversation.assigned_at = now
    if to_state in ("closed", "abandoned"):
        conversation.closed_at = now
    return from_state


class Mover(Protocol):
    """What records a move: a store transaction, or a group commit's batch of turns."""

    async def set_state(self, conversation: Conversation, to_state: str, *, event: str,
                        actor: str | None = None, data: dict[str, Any] | None = None) -> Any: ...


async def apply_move(tx: Mover, conversation: Conversation, move: Move, *, actor: str,
                     data: dict[str, Any] | None = None) -> None:
    """Make ``move`` on ``conversation`` inside ``tx`` and record it as an event.

    Leaving ``assigned`` clears the agent, so the record never shows an agent
    on a conversation nobody holds.
    """
    to_state = next_state(conversation.state, move)
    if to_state != "assigned":
        conversation.agent_id = None
        conversation.agent_name = None
    await tx.set_state(conversation, to_state, event=EVENT_NAMES[move], actor=actor, data=data)
