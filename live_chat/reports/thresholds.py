"""The threshold simulator: what the bot would have done under another out-of-scope threshold.

It replays the stored confidences of the visitor's typed messages (the
conversations created in the window) against thresholds 0.05, 0.10, …, 0.95
and the current one:

* a typed message falls back at threshold ``t`` when its confidence is below
  ``t`` — or when the model itself chose ``out_of_scope`` (stored intent
  ``out_of_scope`` with a confidence at or above the current threshold, which
  a threshold cannot have caused), which falls back at any threshold;
* a conversation escalates at ``t`` when two messages the bot handled in a row
  both fall back (bot/policy.py: the second fallback in a row escalates). A
  clicked quick reply between them is answered and breaks the run, as it
  does in the policy.

At the current threshold this reproduces what happened (for messages the
current model classified). Messages stored as ``out_of_scope`` keep no other
intent, so ``by_intent`` (the intent stored on the message) leaves them out:
what an intent would lose at a higher threshold is there, what it would gain
at a lower one is not.

One query: ``LAG`` pairs each message with the one before it; each message
and each conversation is counted once, under the first threshold at which it
falls back (escalates), and the counts are summed up the thresholds here.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    select,
    union_all,
)

from bot.nlu import OUT_OF_SCOPE
from live_chat.reports.window import ReportWindow
from live_chat.store.models import Conversation, ConversationEvent, Message
from live_chat.store.portable import unindexed
from live_chat.store.reports import read_connection
from live_chat.store.repository import Store

#: The thresholds every simulation covers (the current one is added to them).
GRID = tuple(round(i * 0.05, 2) for i in range(1, 20))


def current_threshold(bot: Any) -> float | None:
    """The out-of-scope threshold of ``bot`` (``ctx.bot.current``); None if its engine has none."""
    value = getattr(getattr(bot, "classifier", None), "threshold", None)
    return float(value) if isinstance(value, int | float) else None


async def simulate(store: Store, window: ReportWindow, current: float | None) -> dict[str, Any]:
    """The simulator's answer for ``GET /api/reports/thresholds`` (without ``ok``).

    ``store``: the record. ``window``: the conversations created in
    ``[since, until)``, narrowed by its filters — ``locale`` and ``team`` of
    the conversation, ``agent`` (conversations assigned to that agent),
    ``intent`` (the intent stored on the message). ``current``: the active
    model's threshold, or None when unknown.

    Returns ``{"current", "messages", "points": [{"threshold",
    "fallback_share", "escalation_share"}], "by_intent": [{"intent",
    "messages", "fallback_share_at_current", "points": [{"threshold",
    "fallback_share"}]}]}``; ``points`` are in threshold order, ``by_intent``
    by messages (most first). Shares are None when there is nothing to share.
    """
    thresholds = sorted({*GRID, *([round(current, 6)] if current is not None else [])})
    handled = _handled_messages(window, current).cte("handled")
    typed = handled.c.typed == 1
    if window.intent is not None:
        typed = and_(typed, handled.c.intent == window.intent)
    # A message falls back at every threshold above its ``low``: it is counted
    # once, under the index of the first threshold it falls back at, and the
    # counts are summed up the thresholds afterwards (a few dozen numbers).
    first_low = _first_above(handled.c.low, thresholds).label("first")
    messages = (
        select(handled.c.intent, first_low, func.count().label("n"))
        .where(typed)
        .group_by(handled.c.intent, first_low)
    )
    # A conversation escalates at every threshold above the smaller, over its
    # pairs of consecutive handled messages, of the pair's larger ``low``.
    pair = case((handled.c.low > handled.c.prev_low, handled.c.low), else_=handled.c.prev_low)
    per_conversation = (
        select(func.min(case((typed, pair), else_=None)).label("escalates_below"))
        .where(typed)
        .group_by(handled.c.conversation_id)
        .subquery("per_conversation")
    )
    first_pair = _first_above(per_conversation.c.escalates_below, thresholds).label("first")
    conversations = select(literal_column("NULL", String).label("intent"), first_pair,
                           func.count().label("n")).group_by(first_pair)
    statement = union_all(
        select(literal_column("'m'", String).label("part"), messages.subquery()),
        select(literal_column("'c'", String).label("part"), conversations.subquery()),
    )
    async with read_connection(store) as conn:
        rows = (await conn.execute(statement)).all()

    n = len(thresholds)
    per_intent: dict[str | None, list[int]] = {}
    escalating = [0] * (n + 1)
    for part, intent, first, count in rows:
        if part == "c":
            escalating[n if first is None else int(first)] += int(count)
        else:
            per_intent.setdefault(intent, [0] * (n + 1))[int(first)] += int(count)
    totals = [sum(column) for column in zip(*per_intent.values(), strict=True)] or [0] * (n + 1)
    messages_n, conversations_n = sum(totals), sum(escalating)
    fallbacks, escalations = _cumulative(totals, n), _cumulative(escalating, n)
    points = [{"threshold": t, "fallback_share": _share(f, messages_n),
               "escalation_share": _share(e, conversations_n)}
              for t, f, e in zip(thresholds, fallbacks, escalations, strict=True)]
    at_current = thresholds.index(round(current, 6)) if current is not None else None
    intents = []
    for intent, counts in sorted(
            ((k, v) for k, v in per_intent.items() if k is not None and k != OUT_OF_SCOPE),
            key=lambda item: (-sum(item[1]), item[0])):
        total = sum(counts)
        falling = _cumulative(counts, n)
        intents.append({
            "intent": intent, "messages": total,
            "fallback_share_at_current": None if at_current is None
            else _share(falling[at_current], total),
            "points": [{"threshold": t, "fallback_share": _share(f, total)}
                       for t, f in zip(thresholds, falling, strict=True)],
        })
    return {"current": current, "messages": messages_n, "points": points, "by_intent": intents}


def _first_above(low: ColumnElement[Any], thresholds: list[float]) -> ColumnElement[int]:
    """The index of the first threshold above ``low`` (``len(thresholds)`` if none is;
    NULL ``low``, a conversation with no pair, is none)."""
    return case(*((low < t, i) for i, t in enumerate(thresholds)), else_=len(thresholds))


def _cumulative(firsts: list[int], n: int) -> list[int]:
    """Per threshold index, how many fall back (or escalate) there: those counted under
    an index at or below it (index ``n``: never)."""
    return list(accumulate(firsts[:n]))


def _handled_messages(window: ReportWindow, current: float | None) -> Select[Any]:
    """Every visitor message the bot handled in the window's conversations, in order.

    Columns: ``conversation_id``, ``intent``, ``typed`` (1 for a typed
    message, 0 for a clicked quick reply), ``low`` (the value a threshold must
    exceed for the message to fall back: its confidence; -1 when it falls
    back at any threshold; NULL for a quick reply, which never does) and
    ``prev_low``, the same for the message before it in its conversation.
    """
    m, c = Message, Conversation
    typed = m.payload.is_(None)
    low: ColumnElement[float | None]
    if current is None:
        low = case((typed, m.confidence), else_=None)
    else:
        low = case(
            (and_(typed, m.intent == OUT_OF_SCOPE, m.confidence >= current),
             literal(-1.0, Float())),
            (typed, m.confidence),
            else_=None,
        )
    query = (
        select(
            m.conversation_id,
            m.intent,
            case((typed, 1), else_=0).label("typed"),
            low.label("low"),
            # Unindexed: SQLite would otherwise walk every message in the order of
            # an index on conversation_id to save this sort, instead of seeking
            # the window's conversations' messages.
            func.lag(low).over(partition_by=unindexed(m.conversation_id), order_by=m.seq
                               ).label("prev_low"),
        )
        .join(c, c.id == m.conversation_id)
        # A message with a confidence is one the bot classified: typed, or a
        # quick reply it took at its word (confidence 1).
        .where(m.sender == "visitor", m.confidence.is_not(None),
               c.created_at >= window.since, c.created_at < window.until)
    )
    if window.locale is not None:
        query = query.where(c.locale == window.locale)
    if window.team is not None:
        query = query.where(c.team == window.team)
    if window.agent is not None:
        ce = ConversationEvent
        query = query.where(exists().where(
            ce.conversation_id == c.id, ce.type.in_(("assigned", "transferred")),
            ce.data["agent_id"].as_string() == window.agent,
        ))
    return query


def _share(part: Any, whole: int) -> float | None:
    return None if not whole else round(int(part or 0) / whole, 4)
