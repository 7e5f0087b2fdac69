"""``python -m bot train|parse|evaluate``: the bot's commands without the gateway."""

import sys

from bot.cli import main

sys.exit(main())
