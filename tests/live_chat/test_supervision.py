"""The supervisor feed's own loop (live_chat/supervision.py)."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from live_chat.supervision import SupervisorFeed


@pytest.mark.parametrize("shared", [False, True])
async def test_feed_stops_when_cancelled_just_as_a_change_arrives(shared: bool) -> None:
    """A change during shutdown (agents' sockets closing) used to swallow the cancel:
    the feed looped on, and the gateway's shutdown waited for it forever."""
    built: list[int] = []

    async def build() -> dict[str, int]:
        built.append(1)
        return {"n": len(built)}

    feed = SupervisorFeed(socketio.AsyncServer(async_mode="aiohttp"), build,
                          namespace="/agent", shared=shared, interval=0.01, refresh=10)
    task = asyncio.get_running_loop().create_task(feed.run())
    await asyncio.sleep(0.05)
    feed.changed()
    await asyncio.sleep(0)  # the change is delivered; the feed has not run yet
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
