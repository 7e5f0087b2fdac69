"""The errors handoff raises; the gateway maps each to a stable wire code."""

from __future__ import annotations


class HandoffError(Exception):
    """Base of the errors a backend raises; the gateway maps them to wire codes."""


class UnknownAgent(HandoffError, LookupError):
    """No agent with that id was registered (wire code ``not_found``)."""


class NotAssigned(HandoffError):
    """The conversation is held by no agent, so it cannot be transferred (``conflict``)."""


class AgentUnavailable(HandoffError):
    """The transfer target cannot take the chat now: not online, disconnected,
    at capacity, or already holding it (``conflict``)."""
