"""The journal on Redis: one task list for a fleet of workers on many machines.

Layout under ``prefix`` (default ``gateway-kit:tasks``), every value JSON-encoded:

* ``{p}:row:<id>`` a hash per record; ``{p}:next`` the id counter;
* ``{p}:all``, ``{p}:gw:<gateway>``, ``{p}:st:<state>``, ``{p}:gs:<gateway>:<state>``: sorted
  sets of ids (score = id) for newest-first listings and pages without scans;
* ``{p}:fp:<fingerprint>`` ids by fingerprint (dedup); ``{p}:task:<gateway> <protocol> <id>``
  the record of a gateway task.

Every change is one Lua script, so it is atomic on the server: of any number of workers
claiming one fingerprint, exactly one creates the row. Scripts name keys they build from the
prefix, so this targets one Redis (or one cluster slot via a ``{hash tag}`` in the prefix).

When Redis cannot be reached, every call raises
:class:`~gateway_core.errors.GatewayConnectionError`: a paid create is then never sent
(fail closed), since nothing could prove it was not sent already by another worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import GatewayConnectionError
from ..tasks.types import TaskRecord, TaskSnapshot
from .journal_base import Claim, Journal, UnknownRecordError, result_of

__all__ = ["RedisJournal"]

T = TypeVar("T")
_FIELDS = ("local_id", "task_id", "protocol", "gateway", "kind", "model", "fingerprint", "state",
           "status", "progress", "meta", "request", "result", "reason", "created_at",
           "updated_at", "lease_owner", "lease_until")

# Shared Lua helpers: index maintenance when a row is created, changes state or goes away.
_LUA_HELPERS = r"""
local p = KEYS[1]
local function unjson(s) if s == false or s == nil then return nil end return cjson.decode(s) end
local function index(id, gateway, state, add)
  local function apply(key) if add then redis.call('ZADD', key, id, id)
                            else redis.call('ZREM', key, id) end end
  apply(p .. ':st:' .. state)
  apply(p .. ':gs:' .. gateway .. ':' .. state)
end
"""
_CLAIM = _LUA_HELPERS + r"""
-- ARGV: search(0/1), fingerprint, since, then field/value pairs of the new row
local search, fp, since = ARGV[1], ARGV[2], tonumber(ARGV[3])
local fpkey = p .. ':fp:' .. fp
if search == '1' then
  local ids = redis.call('ZREVRANGE', fpkey, 0, -1)
  for _, id in ipairs(ids) do
    local row = redis.call('HMGET', p .. ':row:' .. id, 'created_at', 'state')
    if row[1] == false then
      redis.call('ZREM', fpkey, id)
    else
      if tonumber(row[1]) < since then break end
      if unjson(row[2]) ~= 'failed' then return {0, tonumber(id)} end
    end
  end
end
local id = redis.call('INCR', p .. ':next')
local key = p .. ':row:' .. id
redis.call('HSET', key, 'local_id', id)
local gateway, state
for i = 4, #ARGV, 2 do
  redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'gateway' then gateway = unjson(ARGV[i + 1]) end
  if ARGV[i] == 'state' then state = unjson(ARGV[i + 1]) end
end
redis.call('ZADD', fpkey, id, id)
redis.call('ZADD', p .. ':all', id, id)
redis.call('ZADD', p .. ':gw:' .. gateway, id, id)
index(id, gateway, state, true)
return {1, id}
"""
_SET = _LUA_HELPERS + r"""
-- ARGV: id, then field/value pairs; -1 when the row is not there
local id = ARGV[1]
local key = p .. ':row:' .. id
local old = redis.call('HMGET', key, 'gateway', 'state', 'protocol')
if old[1] == false then return -1 end
local gateway, state = unjson(old[1]), unjson(old[2])
for i = 2, #ARGV, 2 do
  redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  if ARGV[i] == 'state' then
    local new = unjson(ARGV[i + 1])
    if new ~= state then index(id, gateway, state, false); index(id, gateway, new, true) end
    state = new
  end
  if ARGV[i] == 'task_id' then
    redis.call('SET', p .. ':task:' .. gateway .. ' ' .. unjson(old[3]) .. ' '
               .. unjson(ARGV[i + 1]), id)
  end
end
return 1
"""
_DISCARD = _LUA_HELPERS + r"""
local id = ARGV[1]
local key = p .. ':row:' .. id
local row = redis.call('HMGET', key, 'gateway', 'state', 'fingerprint', 'protocol', 'task_id')
if row[1] == false then return 0 end
local gateway = unjson(row[1])
index(id, gateway, unjson(row[2]), false)
redis.call('ZREM', p .. ':fp:' .. unjson(row[3]), id)
redis.call('ZREM', p .. ':all', id)
redis.call('ZREM', p .. ':gw:' .. gateway, id)
local task = unjson(row[5])
if task and task ~= cjson.null then
  redis.call('DEL', p .. ':task:' .. gateway .. ' ' .. unjson(row[4]) .. ' ' .. task)
end
redis.call('DEL', key)
return 1
"""
_LEASE = r"""
local key = KEYS[1] .. ':row:' .. ARGV[1]
local row = redis.call('HMGET', key, 'lease_owner', 'lease_until')
if row[1] == false then return -1 end
local owner, untl = cjson.decode(row[1]), cjson.decode(row[2])
local free = owner == cjson.null or owner == ARGV[2] or untl == cjson.null
             or tonumber(untl) <= tonumber(ARGV[4])
if not free then return 0 end
redis.call('HSET', key, 'lease_owner', cjson.encode(ARGV[2]), 'lease_until', ARGV[3])
return 1
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class RedisJournal(Journal):
    """The task journal in Redis (``GATEWAY_TASK_JOURNAL=redis://host:6379/0``).

    Args:
        url: A ``redis://`` / ``rediss://`` / ``unix://`` URL (a password in it stays out of
            ``repr``).
        prefix: The key prefix; two applications sharing a Redis use two prefixes.
        client: A ready ``redis.Redis`` (tests, or custom connection settings).
    """

    def __init__(self, url: str = "redis://localhost:6379/0", *, prefix: str = "gateway-kit:tasks",
                 client: Any = None) -> None:
        self.url = url
        self.prefix = prefix
        self._client = client
        self._scripts: dict[str, Any] = {}

    def __repr__(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or parts.path
        return f"RedisJournal('{parts.scheme}://{host}:{parts.port or ''}', prefix={self.prefix!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (RedisJournal, (self.url,), {"prefix": self.prefix})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.prefix = state["prefix"]

    # ------------------------------------------------------------------ plumbing

    @property
    def redis(self) -> Any:
        if self._client is None:
            from .redis_support import redis_client

            self._client = redis_client(self.url)
        return self._client

    def _run(self, call: Callable[[], T]) -> T:
        from .redis_support import redis_errors

        try:
            return call()
        except redis_errors() as error:
            raise GatewayConnectionError(
                f"The task journal's Redis ({self!r}) cannot be reached ({error}). Paid tasks "
                "are not submitted without it (another worker may already have sent the same "
                "request); check Redis, or set GATEWAY_TASK_JOURNAL to a local file.") from error

    def _script(self, name: str, source: str, *args: Any) -> Any:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.redis.register_script(source)
        return self._run(lambda: script(keys=[self.prefix], args=list(args)))

    def _set(self, local_id: int, **fields: Any) -> None:
        pairs = [item for name, value in fields.items() for item in (name, _dumps(value))]
        if self._script("set", _SET, local_id, *pairs) == -1:
            raise UnknownRecordError(local_id)

    def _decode(self, raw: dict[Any, Any]) -> TaskRecord:
        values = {(k.decode() if isinstance(k, bytes) else k): json.loads(v)
                  for k, v in raw.items()}
        extra = values.pop("extra", None)
        fields: dict[str, Any] = {name: values.get(name) for name in _FIELDS}
        record = TaskRecord(**fields)
        record.meta = dict(record.meta or {})
        if extra:
            record.meta["extra"] = extra
        record.request = record.request or {}
        record.result = record.result if isinstance(record.result, list) else []
        return record

    def _rows(self, ids: list[Any]) -> list[TaskRecord]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for local_id in ids:
            pipe.hgetall(f"{self.prefix}:row:{int(local_id)}")
        return [self._decode(raw) for raw in self._run(pipe.execute) if raw]

    # ------------------------------------------------------------------ the interface

    def _create(self, search: bool, fingerprint: str, since: float, row: dict[str, Any]
                ) -> tuple[bool, int]:
        pairs = [item for name, value in row.items() for item in (name, _dumps(value))]
        created, local_id = self._script("claim", _CLAIM, "1" if search else "0", fingerprint,
                                         repr(since), *pairs)
        return bool(created), int(local_id)

    @staticmethod
    def _new_row(protocol: str, gateway: str, kind: str, model: str | None, fingerprint: str,
                 request: dict[str, Any], lease: tuple[str, float] | None) -> dict[str, Any]:
        now = time.time()
        owner, until = lease if lease else (None, None)
        return {"protocol": protocol, "gateway": gateway, "kind": kind, "model": model,
                "fingerprint": fingerprint, "state": "submitting", "request": request,
                "meta": {}, "result": [], "created_at": now, "updated_at": now,
                "task_id": None, "status": None, "progress": None, "reason": None,
                "lease_owner": owner, "lease_until": until}

    def begin(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any],
              lease: tuple[str, float] | None = None) -> TaskRecord:
        row = self._new_row(protocol, gateway, kind, model, fingerprint, request, lease)
        _, local_id = self._create(False, fingerprint, 0.0, row)
        return self._get_or_raise(local_id)

    def claim(self, *, protocol: str, gateway: str, kind: str, model: str | None,
              fingerprint: str, request: dict[str, Any], since: float,
              lease: tuple[str, float]) -> Claim:
        row = self._new_row(protocol, gateway, kind, model, fingerprint, request, lease)
        created, local_id = self._create(True, fingerprint, since, row)
        return Claim(self._get_or_raise(local_id), created=created)

    def _get_or_raise(self, local_id: int) -> TaskRecord:
        record = self.get(local_id)
        if record is None:
            raise UnknownRecordError(local_id)
        return record

    def submitted(self, local_id: int, task_id: str, meta: dict[str, Any]) -> TaskRecord:
        self._set(local_id, task_id=task_id, meta=meta, state="pending", lease_owner=None,
                  lease_until=None, updated_at=time.time())
        return self._get_or_raise(local_id)

    def mark(self, local_id: int, state: str, reason: str | None = None) -> None:
        self._set(local_id, state=state, reason=reason, updated_at=time.time())

    def discard(self, local_id: int) -> None:
        self._script("discard", _DISCARD, local_id)

    def update(self, local_id: int, snapshot: TaskSnapshot) -> None:
        fields: dict[str, Any] = {"state": snapshot.state, "status": snapshot.status,
                                  "progress": snapshot.progress, "reason": snapshot.reason,
                                  "updated_at": time.time()}
        if snapshot.extra:
            fields["extra"] = dict(snapshot.extra)  # kept apart: meta is never rewritten here
        if snapshot.done:
            fields["result"] = result_of(snapshot)
        self._set(local_id, **fields)

    def lease(self, local_id: int, owner: str, until: float, now: float) -> bool:
        taken = self._script("lease", _LEASE, local_id, owner, repr(until), repr(now))
        if taken == -1:
            raise UnknownRecordError(local_id)
        return bool(taken)

    def get(self, local_id: int) -> TaskRecord | None:
        rows = self._rows([local_id])
        return rows[0] if rows else None

    def find_task(self, gateway: str, protocol: str, task_id: str) -> TaskRecord | None:
        local_id = self._run(lambda: self.redis.get(
            f"{self.prefix}:task:{gateway} {protocol} {task_id}"))
        return self.get(int(local_id)) if local_id is not None else None

    def find_recent(self, fingerprint: str, since: float) -> TaskRecord | None:
        ids = self._run(lambda: self.redis.zrevrange(f"{self.prefix}:fp:{fingerprint}", 0, -1))
        for record in self._rows(list(ids)):
            if record.created_at < since:
                return None
            if record.state != "failed":
                return record
        return None

    def records(self, gateway: str | None = None, states: tuple[str, ...] | None = None,
                limit: int = 100, before: int | None = None) -> list[TaskRecord]:
        if limit <= 0 or states == ():
            return []
        if states is None:
            keys = [f"{self.prefix}:all" if gateway is None else f"{self.prefix}:gw:{gateway}"]
        elif gateway is None:
            keys = [f"{self.prefix}:st:{state}" for state in states]
        else:
            keys = [f"{self.prefix}:gs:{gateway}:{state}" for state in states]
        top = "+inf" if before is None else f"({before}"
        pipe = self.redis.pipeline(transaction=False)
        for key in keys:
            pipe.zrevrangebyscore(key, top, "-inf", start=0, num=limit)
        ids = sorted({int(i) for page in self._run(pipe.execute) for i in page}, reverse=True)
        return self._rows(ids[:limit])
