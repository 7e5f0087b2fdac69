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

Two queries, each one pass with ``SUM(CASE …)`` per threshold; ``LAG`` pairs
each message with the one before it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, Select, and_, case, exists, func, literal, select

from live_chat.reports.window import ReportWindow
from live_chat.store.models import Conversation, ConversationEvent, Message
from live_chat.store.repository import Store

OUT_OF_SCOPE = "out_of_scope"
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

    def falls_back(t: float) -> ColumnElement[int]:
        return case((and_(typed, handled.c.low < t), 1), else_=0)

    # Per conversation: its typed messages, fallbacks per threshold, and the
    # lowest threshold at which a pair escalates (the larger of the two lows).
    pair = case((handled.c.low > handled.c.prev_low, handled.c.low), else_=handled.c.prev_low)
    per_conversation = (
        select(
            func.sum(case((typed, 1), else_=0)).label("messages"),
            func.min(case((typed, pair), else_=None)).label("escalates_below"),
            *(func.sum(falls_back(t)).label(f"f{i}") for i, t in enumerate(thresholds)),
        )
        .group_by(handled.c.conversation_id)
        .subquery()
    )
    has_messages = per_conversation.c.messages > 0
    totals = select(
        func.coalesce(func.sum(per_conversation.c.messages), 0),
        func.sum(case((has_messages, 1), else_=0)),
        *(func.sum(per_conversation.c[f"f{i}"]) for i in range(len(thresholds))),
        *(func.sum(case((and_(has_messages, per_conversation.c.escalates_below < t), 1),
                        else_=0))
          for t in thresholds),
    )
    by_intent = (
        select(
            handled.c.intent,
            func.count(),
            *(func.sum(case((handled.c.low < t, 1), else_=0)) for t in thresholds),
        )
        .where(typed, handled.c.intent.is_not(None), handled.c.intent != OUT_OF_SCOPE)
        .group_by(handled.c.intent)
        .order_by(func.count().desc(), handled.c.intent)
    )
    async with store.begin() as tx:
        row = (await tx.session.execute(totals)).one()
        intent_rows = (await tx.session.execute(by_intent)).all()

    n = len(thresholds)
    messages, conversations = int(row[0]), int(row[1] or 0)
    fallbacks, escalations = row[2:2 + n], row[2 + n:2 + 2 * n]
    points = [{"threshold": t, "fallback_share": _share(f, messages),
               "escalation_share": _share(e, conversations)}
              for t, f, e in zip(thresholds, fallbacks, escalations, strict=True)]
    at_current = thresholds.index(round(current, 6)) if current is not None else None
    intents = [
        {"intent": r[0], "messages": int(r[1]),
         "fallback_share_at_current": None if at_current is None
         else _share(r[2 + at_current], int(r[1])),
         "points": [{"threshold": t, "fallback_share": _share(f, int(r[1]))}
                    for t, f in zip(thresholds, r[2:], strict=True)]}
        for r in intent_rows
    ]
    return {"current": current, "messages": messages, "points": points, "by_intent": intents}


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
            func.lag(low).over(partition_by=m.conversation_id, order_by=m.seq).label("prev_low"),
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
