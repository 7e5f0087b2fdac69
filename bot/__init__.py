"""The intent bot: NLU, dialogue policy, training. Knows nothing of the network or the store."""

from bot.assistant import Bot
from bot.decision import Action, Decision, QuickReply

__all__ = ["Action", "Bot", "Decision", "QuickReply"]
