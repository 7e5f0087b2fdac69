"""Summarise a py-spy ``--format raw`` profile: where the samples go, by function.

Prints the functions with the most samples, inclusive (the function or
anything it calls) and self (the function itself), as shares of all samples.
``--under NAME`` keeps only stacks through a function whose name contains
NAME (e.g. ``visitor_message``), to read one path.

    .venv/bin/python -m bench.profile_summary PROFILE [--top 30] [--under NAME]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# py-spy frames look like "visitor_message (live_chat/conversations.py:131)".
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def frame_key(frame: str) -> str:
    """Function and file, without the line, so a function's lines add up."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


def summarise(path: Path, top: int, under: str | None) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_key(f) for f in stack.split(";")]
        if under is not None and not any(under in f for f in frames):
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    print(f"{total} samples" + (f" through '{under}'" if under else ""))
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        for name, n in counter.most_common(top):
            print(f"{100 * n / max(total, 1):6.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--under")
    args = parser.parse_args()
    summarise(args.profile, args.top, args.under)


if __name__ == "__main__":
    main()
