"""One gateway-like process for the multi-process race test (not a test itself).

Usage: python race_worker.py REDIS_URL PREFIX TAG COUNT

Prints ``ready``, waits until the test pushes to ``PREFIX race:go`` (so both
processes start together), then escalates COUNT conversations named
``TAG-<i>`` all at once and prints one JSON line with what each call returned.
"""

from __future__ import annotations

import asyncio
import json
import sys

from redis.asyncio import Redis

from handoff.redis_backend import RedisBackend


async def main(url: str, prefix: str, tag: str, count: int) -> None:
    client = Redis.from_url(url)
    try:
        backend = RedisBackend(client, prefix=prefix)
        await client.ping()
        print("ready", flush=True)
        if not await client.blpop([prefix + "race:go"], timeout=30):
            raise SystemExit("no go signal")
        results = await asyncio.gather(*(backend.enqueue(f"{tag}-{i}") for i in range(count)))
        report = {
            "assigned": [[a.conversation_id, a.agent_id] for r in results for a in r.assigned],
            "queued": [e.conversation_id for r in results for e in r.queued],
        }
        print(json.dumps(report), flush=True)
    finally:
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
