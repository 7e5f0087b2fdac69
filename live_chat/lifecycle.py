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

from typing import Final, Literal

from live_chat.errors import Conflict

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
