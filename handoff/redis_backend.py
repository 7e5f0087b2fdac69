"""The Redis handoff backend: queue, presence and load shared by many gateway processes.

Every mutating call is one Lua script, so Redis runs it atomically: two
processes can never both see the same free slot or both take the same waiting
conversation. The scripts carry the routing rule of :mod:`handoff.router` in
Lua (Python cannot run inside Redis); the contract suite runs both backends
through the same cases, and compares them on random operation sequences, to
keep the two rules one.

All state is in Redis under ``prefix``, so a gateway restart loses nothing.
Keys (``P`` is the prefix):

``P agents``          set of agent ids
``P agent:<id>``      hash: name, capacity, status, teams (JSON list), idle_order,
                      last_assigned_at, disconnected_at, grace_until ('' for none)
``P chats:<id>``      set of conversation ids the agent holds
``P conns:<id>``      set of the agent's open connection ids
``P holder``          hash: conversation id -> agent id, for held conversations
``P queue``           sorted set of waiting conversation ids, scored in serving order
``P conv``            hash: conversation id -> JSON queue data (waiting or held;
                      ``gone``: the visitor left, see ``visitor_left``)
``P seq``, ``P order`` counters: arrival numbers, agents' idle order

The scripts compute key names from the prefix, which a single Redis server
allows; Redis Cluster would need every key declared, which this does not do.
Times are passed in from the Python clock as strings and stored unchanged, so
both backends report identical floats.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from redis.asyncio import Redis

from handoff.backend import HandoffBackend
from handoff.errors import AgentUnavailable, HandoffError, NotAssigned, UnknownAgent
from handoff.values import (
    DEFAULT_AVG_HANDLE_SECONDS,
    DEFAULT_CAPACITY,
    DEFAULT_GRACE_SECONDS,
    AgentState,
    AgentStatus,
    Assignment,
    Changes,
    Clock,
    QueueEntry,
    check_capacity,
    check_id,
    check_priority,
    check_team,
    check_teams,
)

DEFAULT_PREFIX = "tsunagu:handoff:"

# Shared by every script: ARGV[1] is the key prefix, ARGV[2] the current time;
# an operation's own arguments start at ARGV[3]. Each script returns one JSON
# document: either {"error": code, "detail": ...} or the changes of the call.
_PRELUDE = r"""
local P = ARGV[1]
local NOW = ARGV[2]
local K_AGENTS = P .. 'agents'
local K_QUEUE = P .. 'queue'
local K_CONV = P .. 'conv'
local K_HOLDER = P .. 'holder'
local K_SEQ = P .. 'seq'
local K_ORDER = P .. 'order'
local function akey(id) return P .. 'agent:' .. id end
local function ckey(id) return P .. 'chats:' .. id end

-- Queue order as one exact score (doubles are exact below 2^53): returned
-- entries first, then priority descending (priority is -1000..1000), then
-- arrival; seq stays below 2^36. Same order as router.queue_key.
local function score(e)
  local bucket = 1
  if e.returned then bucket = 0 end
  local s = (bucket * 4096 + 2047 - e.priority) * 68719476736 + e.seq
  -- %.17g keeps every digit; Lua's default number-to-string keeps only 14.
  return string.format('%.17g', s)
end

local function ranks()
  local r = {}
  for i, cid in ipairs(redis.call('ZRANGE', K_QUEUE, 0, -1)) do r[cid] = i end
  return r
end

local BEFORE = ranks()
local ASSIGNED, UNASSIGNED, ENTERED = {}, {}, {}

local function fail(code, detail)
  return cjson.encode({error = code, detail = detail})
end

local function finish()
  local queued, positions = {}, {}
  for _, cid in ipairs(ENTERED) do
    if redis.call('ZSCORE', K_QUEUE, cid) then
      queued[#queued + 1] = {cid, redis.call('HGET', K_CONV, cid)}
    end
  end
  for i, cid in ipairs(redis.call('ZRANGE', K_QUEUE, 0, -1)) do
    if BEFORE[cid] ~= i then positions[#positions + 1] = {cid, i} end
  end
  return cjson.encode({assigned = ASSIGNED, unassigned = UNASSIGNED,
                       queued = queued, positions = positions})
end

local function get_entry(cid) return cjson.decode(redis.call('HGET', K_CONV, cid)) end
local function put_entry(cid, e) redis.call('HSET', K_CONV, cid, cjson.encode(e)) end

-- An agent as the routing rule needs it, or nil if unknown.
local function agent_view(id)
  local f = redis.call('HMGET', akey(id), 'status', 'capacity', 'idle_order', 'teams',
                       'disconnected_at')
  if not f[1] then return nil end
  local teams = {}
  for _, t in ipairs(cjson.decode(f[4])) do teams[t] = true end
  return {id = id, status = f[1], cap = tonumber(f[2]), order = tonumber(f[3]),
          teams = teams, connected = (not f[5]) or f[5] == '',
          load = redis.call('SCARD', ckey(id))}
end

local function all_agents()
  local pool = {}
  for _, id in ipairs(redis.call('SMEMBERS', K_AGENTS)) do pool[#pool + 1] = agent_view(id) end
  return pool
end

-- router.can_take: team and exclude are '' for none.
local function can_take(a, team, exclude)
  return a.status == 'online' and a.connected and a.load < a.cap
     and (team == '' or a.teams[team] == true) and a.id ~= exclude
end

-- router.choose_agent: fewest chats, then lowest idle order (unique).
local function choose(pool, team, exclude)
  local best = nil
  for _, a in ipairs(pool) do
    if can_take(a, team, exclude) and (best == nil or a.load < best.load
        or (a.load == best.load and a.order < best.order)) then
      best = a
    end
  end
  return best
end

local function give(cid, a)
  redis.call('HSET', K_HOLDER, cid, a.id)
  redis.call('SADD', ckey(a.id), cid)
  redis.call('ZREM', K_QUEUE, cid)
  local order = redis.call('INCR', K_ORDER)
  redis.call('HSET', akey(a.id), 'idle_order', order, 'last_assigned_at', NOW)
  a.load = a.load + 1
  a.order = order
end

local function take(cid)
  local id = redis.call('HGET', K_HOLDER, cid)
  redis.call('HDEL', K_HOLDER, cid)
  redis.call('SREM', ckey(id), cid)
  UNASSIGNED[#UNASSIGNED + 1] = {cid, id}
  return id
end

local function requeue(cid, team, exclude)
  take(cid)
  local e = get_entry(cid)
  e.team = team
  e.returned = true
  e.excluded = exclude
  put_entry(cid, e)
  redis.call('ZADD', K_QUEUE, score(e), cid)
  ENTERED[#ENTERED + 1] = cid
end

-- Make these agents offline and requeue all their chats, oldest arrival first
-- (sorted by seq, a number: Lua string order follows the server's locale).
local function requeue_agents(ids)
  local chats = {}
  for _, id in ipairs(ids) do
    for _, cid in ipairs(redis.call('SMEMBERS', ckey(id))) do
      chats[#chats + 1] = {cid = cid, e = get_entry(cid)}
    end
    redis.call('HSET', akey(id), 'status', 'offline', 'disconnected_at', '', 'grace_until', '')
    redis.call('DEL', P .. 'conns:' .. id)
  end
  table.sort(chats, function(x, y) return x.e.seq < y.e.seq end)
  for _, c in ipairs(chats) do requeue(c.cid, c.e.team, '') end
end

-- router.plan_assignments, applied as it goes.
local function drain()
  local pool = all_agents()
  local free = 0
  for _, a in ipairs(pool) do
    if can_take(a, '', '') then free = free + a.cap - a.load end
  end
  if free <= 0 then return end
  for _, cid in ipairs(redis.call('ZRANGE', K_QUEUE, 0, -1)) do
    local e = get_entry(cid)
    -- A visitor who has gone is given to nobody (router.plan_assignments).
    local a = nil
    if not e.gone then a = choose(pool, e.team, e.excluded) end
    if a then
      give(cid, a)
      ASSIGNED[#ASSIGNED + 1] = {cid, a.id, ''}
      free = free - 1
      if free <= 0 then break end
    end
  end
end
"""

_OPS: dict[str, str] = {
    # ARGV[3] agent id, [4] name, [5] capacity, [6] teams as a JSON list
    "register": r"""
local id = ARGV[3]
if redis.call('SISMEMBER', K_AGENTS, id) == 0 then
  redis.call('SADD', K_AGENTS, id)
  redis.call('HSET', akey(id), 'name', ARGV[4], 'capacity', ARGV[5], 'teams', ARGV[6],
             'status', 'offline', 'idle_order', redis.call('INCR', K_ORDER),
             'last_assigned_at', '', 'disconnected_at', '', 'grace_until', '')
else
  redis.call('HSET', akey(id), 'name', ARGV[4], 'capacity', ARGV[5], 'teams', ARGV[6])
end
drain()
return finish()
""",
    # ARGV[3] agent id, [4] status
    "set_status": r"""
local id, status = ARGV[3], ARGV[4]
if redis.call('SISMEMBER', K_AGENTS, id) == 0 then return fail('unknown_agent', id) end
if status == 'offline' then
  requeue_agents({id})
else
  redis.call('HSET', akey(id), 'status', status)
end
drain()
return finish()
""",
    # ARGV[3] agent id, [4] connection id, [5] end of the grace period
    "disconnect": r"""
local id = ARGV[3]
if redis.call('SISMEMBER', K_AGENTS, id) == 0 then return fail('unknown_agent', id) end
redis.call('SREM', P .. 'conns:' .. id, ARGV[4])
local d = redis.call('HGET', akey(id), 'disconnected_at')
if redis.call('SCARD', P .. 'conns:' .. id) == 0 and ((not d) or d == '') then
  redis.call('HSET', akey(id), 'disconnected_at', NOW, 'grace_until', ARGV[5])
end
return finish()
""",
    # ARGV[3] agent id, [4] connection id
    "connect": r"""
local id = ARGV[3]
if redis.call('SISMEMBER', K_AGENTS, id) == 0 then return fail('unknown_agent', id) end
redis.call('SADD', P .. 'conns:' .. id, ARGV[4])
redis.call('HSET', akey(id), 'disconnected_at', '', 'grace_until', '')
drain()
return finish()
""",
    "expire": r"""
local due = {}
local now = tonumber(NOW)
for _, id in ipairs(redis.call('SMEMBERS', K_AGENTS)) do
  local g = redis.call('HGET', akey(id), 'grace_until')
  if g and g ~= '' and tonumber(g) <= now then due[#due + 1] = id end
end
requeue_agents(due)
drain()
return finish()
""",
    # ARGV[3] conversation id, [4] priority, [5] team ('' for anyone)
    "enqueue": r"""
local cid = ARGV[3]
if redis.call('HEXISTS', K_CONV, cid) == 1 then return finish() end
local e = {priority = tonumber(ARGV[4]), team = ARGV[5], enqueued_at = NOW,
           seq = redis.call('INCR', K_SEQ), returned = false, excluded = '', gone = false}
put_entry(cid, e)
redis.call('ZADD', K_QUEUE, score(e), cid)
ENTERED[#ENTERED + 1] = cid
drain()
return finish()
""",
    # ARGV[3] conversation id, [4] '1' to touch only a waiting conversation
    "release": r"""
local cid = ARGV[3]
if redis.call('ZSCORE', K_QUEUE, cid) then
  redis.call('ZREM', K_QUEUE, cid)
  redis.call('HDEL', K_CONV, cid)
elseif ARGV[4] ~= '1' and redis.call('HEXISTS', K_HOLDER, cid) == 1 then
  take(cid)
  redis.call('HDEL', K_CONV, cid)
  drain()
end
return finish()
""",
    # ARGV[3] conversation id, [4] '1' the visitor left, '0' they are back.
    # The mark is not part of the queue score: the conversation keeps its place.
    "visitor": r"""
local cid, gone = ARGV[3], ARGV[4] == '1'
if redis.call('HEXISTS', K_CONV, cid) == 0 then return finish() end
local e = get_entry(cid)
if (e.gone == true) == gone then return finish() end
e.gone = gone
put_entry(cid, e)
if not gone then drain() end
return finish()
""",
    # ARGV[3] conversation id, [4] agent id, [5] priority, [6] team ('' for anyone).
    # Not give(): the agent's idle order is theirs from before the loss.
    "restore": r"""
local cid, id = ARGV[3], ARGV[4]
if redis.call('HEXISTS', K_CONV, cid) == 1 or redis.call('SISMEMBER', K_AGENTS, id) == 0 then
  if redis.call('HGET', K_HOLDER, cid) == id then return finish() end
  return fail('agent_unavailable', id)
end
put_entry(cid, {priority = tonumber(ARGV[5]), team = ARGV[6], enqueued_at = NOW,
                seq = redis.call('INCR', K_SEQ), returned = false, excluded = '',
                gone = false})
redis.call('HSET', K_HOLDER, cid, id)
redis.call('SADD', ckey(id), cid)
return finish()
""",
    # ARGV[3] conversation id, [4] target agent ('' for none), [5] team ('' for none),
    # [6] '1' for a take-over (the target need only be connected)
    "transfer": r"""
local cid, to_agent, to_team, take_over = ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1'
local old = redis.call('HGET', K_HOLDER, cid)
if not old then return fail('not_assigned', cid) end
local e = get_entry(cid)
local target = nil
local team = to_team
if to_agent ~= '' then
  target = agent_view(to_agent)
  if not target then return fail('unknown_agent', to_agent) end
  local allowed = can_take(target, '', '')
  if take_over then allowed = target.connected end
  if to_agent == old or not allowed then
    return fail('agent_unavailable', to_agent)
  end
  if to_team == '' then team = e.team end
else
  target = choose(all_agents(), team, old)
end
if target == nil then
  requeue(cid, team, old)
else
  take(cid)
  e.team = team
  e.excluded = old
  put_entry(cid, e)
  give(cid, target)
  ASSIGNED[#ASSIGNED + 1] = {cid, target.id, old}
end
drain()
return finish()
""",
}

# Read-only snapshots, also scripts so that what they return is consistent.
_READ_AGENTS = r"""
local P = ARGV[1]
local ids
if ARGV[2] == '' then
  ids = redis.call('SMEMBERS', P .. 'agents')
else
  ids = {ARGV[2]}
  if redis.call('SISMEMBER', P .. 'agents', ARGV[2]) == 0 then ids = {} end
end
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'agent:' .. id, 'name', 'capacity', 'status', 'teams',
                       'idle_order', 'last_assigned_at', 'disconnected_at', 'grace_until')
  out[#out + 1] = {id, f, redis.call('SMEMBERS', P .. 'chats:' .. id),
                   redis.call('SCARD', P .. 'conns:' .. id)}
end
return cjson.encode(out)
"""

_READ_QUEUE = r"""
local P = ARGV[1]
local out = {}
for _, cid in ipairs(redis.call('ZRANGE', P .. 'queue', 0, -1)) do
  out[#out + 1] = {cid, redis.call('HGET', P .. 'conv', cid)}
end
return cjson.encode(out)
"""

_ERRORS: dict[str, type[HandoffError]] = {
    "unknown_agent": UnknownAgent,
    "not_assigned": NotAssigned,
    "agent_unavailable": AgentUnavailable,
}


def _text(value: bytes | str) -> str:
    """Redis replies are bytes unless the client decodes them; accept both."""
    return value.decode() if isinstance(value, bytes) else value


def _opt_float(value: str) -> float | None:
    return float(value) if value else None


def _list(value: Any) -> list[Any]:
    # cjson encodes an empty Lua table as {} rather than [].
    return list(value) if value else []


def _entry(cid: str, raw: str) -> QueueEntry:
    data = json.loads(raw)
    return QueueEntry(
        conversation_id=cid,
        priority=int(data["priority"]),
        team=data["team"] or None,
        enqueued_at=float(data["enqueued_at"]),
        seq=int(data["seq"]),
        returned=bool(data["returned"]),
        excluded_agent_id=data["excluded"] or None,
        # Entries written before the mark existed have no "gone".
        visitor_gone=bool(data.get("gone")),
    )


class RedisBackend(HandoffBackend):
    """Handoff state in Redis, safe for any number of gateway processes.

    ``client``: a ``redis.asyncio.Redis`` (``decode_responses`` either way);
    the caller owns it and closes it. ``prefix``: prepended to every key, so
    several deployments (or tests) can share one Redis. ``grace_seconds``,
    ``avg_handle_seconds``, ``clock``: see :class:`HandoffBackend`; give every
    process the same values.

    Example::

        client = redis.asyncio.Redis.from_url(os.environ["REDIS_URL"])
        backend = RedisBackend(client, prefix="tsunagu:handoff:")
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        grace_seconds: float = DEFAULT_GRACE_SECONDS,
        avg_handle_seconds: float = DEFAULT_AVG_HANDLE_SECONDS,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            grace_seconds=grace_seconds, avg_handle_seconds=avg_handle_seconds, clock=clock
        )
        check_id(prefix, "prefix")
        self.client = client
        self.prefix = prefix
        # register_script sends EVALSHA and loads the script on NOSCRIPT, so a
        # Redis restart (which empties its script cache) is handled too.
        self._ops = {name: client.register_script(_PRELUDE + body) for name, body in _OPS.items()}
        self._read_agents = client.register_script(_READ_AGENTS)
        self._read_queue = client.register_script(_READ_QUEUE)

    async def _run(self, op: str, *args: str | int, now: float | None = None) -> Changes:
        when = self.clock() if now is None else now
        raw = await self._ops[op](keys=[], args=[self.prefix, repr(float(when)), *args])
        data = json.loads(raw)
        if "error" in data:
            raise _ERRORS[data["error"]](data.get("detail"))
        return Changes(
            assigned=tuple(
                Assignment(cid, agent, prev or None) for cid, agent, prev in _list(data["assigned"])
            ),
            unassigned=tuple(Assignment(cid, agent) for cid, agent in _list(data["unassigned"])),
            queued=tuple(_entry(cid, raw) for cid, raw in _list(data["queued"])),
            positions={cid: int(pos) for cid, pos in _list(data["positions"])},
        )

    # -- agents ---------------------------------------------------------------

    async def register_agent(
        self,
        agent_id: str,
        name: str,
        capacity: int = DEFAULT_CAPACITY,
        teams: Iterable[str] = (),
    ) -> Changes:
        check_id(agent_id, "agent_id")
        check_capacity(capacity)
        team_list = sorted(check_teams(teams))
        return await self._run("register", agent_id, name, capacity, json.dumps(team_list))

    async def set_status(self, agent_id: str, status: AgentStatus | str) -> Changes:
        return await self._run("set_status", agent_id, AgentStatus(status).value)

    async def agent_disconnected(self, agent_id: str, connection_id: str = "") -> Changes:
        now = self.clock()
        grace_until = repr(float(now + self.grace_seconds))
        return await self._run("disconnect", agent_id, connection_id, grace_until, now=now)

    async def agent_connected(self, agent_id: str, connection_id: str = "") -> Changes:
        return await self._run("connect", agent_id, connection_id)

    async def expire_grace(self, now: float | None = None) -> Changes:
        return await self._run("expire", now=now)

    # -- conversations ----------------------------------------------------------

    async def enqueue(
        self, conversation_id: str, priority: int = 0, team: str | None = None
    ) -> Changes:
        check_id(conversation_id, "conversation_id")
        check_priority(priority)
        check_team(team)
        return await self._run("enqueue", conversation_id, priority, team or "")

    async def release(self, conversation_id: str) -> Changes:
        return await self._run("release", conversation_id, "0")

    async def dequeue(self, conversation_id: str) -> Changes:
        return await self._run("release", conversation_id, "1")

    async def visitor_left(self, conversation_id: str) -> Changes:
        return await self._run("visitor", conversation_id, "1")

    async def visitor_back(self, conversation_id: str) -> Changes:
        return await self._run("visitor", conversation_id, "0")

    async def transfer(
        self,
        conversation_id: str,
        to_agent_id: str | None = None,
        to_team: str | None = None,
        take_over: bool = False,
    ) -> Changes:
        check_team(to_team)
        if to_agent_id is not None:
            check_id(to_agent_id, "to_agent_id")
        return await self._run("transfer", conversation_id, to_agent_id or "", to_team or "",
                               "1" if take_over else "0")

    async def restore(
        self, conversation_id: str, agent_id: str, priority: int = 0, team: str | None = None
    ) -> bool:
        check_id(conversation_id, "conversation_id")
        check_priority(priority)
        check_team(team)
        try:
            await self._run("restore", conversation_id, agent_id, priority, team or "")
        except AgentUnavailable:
            return False
        return True

    # -- reading ----------------------------------------------------------------

    async def holder(self, conversation_id: str) -> str | None:
        value = await self.client.hget(self.prefix + "holder", conversation_id)
        return None if value is None else _text(value)

    async def position(self, conversation_id: str) -> int | None:
        rank = await self.client.zrank(self.prefix + "queue", conversation_id)
        return None if rank is None else int(rank) + 1

    async def _agents(self, agent_id: str) -> list[AgentState]:
        raw = await self._read_agents(keys=[], args=[self.prefix, agent_id])
        out = []
        for aid, f, chats, connections in _list(json.loads(raw)):
            name, capacity, status, teams, order, last, disc, grace = f
            out.append(
                AgentState(
                    agent_id=aid,
                    name=name,
                    capacity=int(capacity),
                    status=AgentStatus(status),
                    teams=frozenset(_list(json.loads(teams))),
                    active=frozenset(_list(chats)),
                    idle_order=int(order),
                    last_assigned_at=_opt_float(last),
                    disconnected_at=_opt_float(disc),
                    grace_until=_opt_float(grace),
                    connections=int(connections),
                )
            )
        return sorted(out, key=lambda a: a.agent_id)

    async def agent(self, agent_id: str) -> AgentState | None:
        check_id(agent_id, "agent_id")
        found = await self._agents(agent_id)
        return found[0] if found else None

    async def agents(self) -> list[AgentState]:
        return await self._agents("")

    async def queue(self) -> list[QueueEntry]:
        raw = await self._read_queue(keys=[], args=[self.prefix])
        return [_entry(cid, entry) for cid, entry in _list(json.loads(raw))]

    async def reset(self) -> None:
        # Escape glob characters so a prefix like "t[1]:" matches only itself.
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix) + "*"
        keys = [key async for key in self.client.scan_iter(match=pattern, count=500)]
        for i in range(0, len(keys), 500):
            await self.client.delete(*keys[i : i + 500])
