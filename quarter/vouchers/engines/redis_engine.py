"""Redis claim engine: one atomic Lua script per claim, a stream, a persister.

Keys of a campaign share the hash tag ``{campaign:<id>}`` so the script stays
on one shard of a Redis Cluster, with the keys of every round of the campaign
(the per-week limit spans rounds):

    q:{campaign:C}:round:R:meta      hash: release_ms, closes_ms, stopped,
                                     sold_out_ms, total, per_week, lottery
    q:{campaign:C}:round:R:stock     remaining packets
    q:{campaign:C}:round:R:claimers  hash resident id -> stream entry id
    q:{campaign:C}:round:R:persons   set of per-person keys (`codes.person_key`,
                                     an HMAC of the ID hash; one per real person)
    q:{campaign:C}:round:R:claims    stream of acknowledged claims (group "persist")
    q:{campaign:C}:week:2026-W48     set of per-person keys that claimed in a
                                     per-week round of the campaign that week

Durability guarantee (what "acknowledged" means)
------------------------------------------------
A claim is acknowledged to the resident only after the script returned "ok",
and Redis sends that reply only after the script's writes — the stock
decrement, the claimer entry and the stream entry, all in one atomic script —
are in the append-only file. Redis must run with ``appendonly yes`` and
``appendfsync always``; `RedisEngine.check_durability()` refuses to serve
otherwise (unless QUARTER_RUSH_DURABILITY=relaxed, for throwaway benches). With
``always`` Redis writes and fsyncs the AOF once per event-loop pass, before it
answers any client served in that pass: a group commit, one fsync for every
claim that arrived together, not one fsync per claim.

The persister (`persist_pending`, run by ``manage.py persist_claims``) copies
the stream into the database in batches (claims, vouchers, one ledger movement
per batch) and acknowledges stream entries only after its transaction commits;
a crashed persister's entries are re-claimed by the next one, and writing is
idempotent by (round, stream entry id): entry ids are unique only within one
round's stream, and two rounds selling in the same millisecond hand out the
same ids. The persister is the only writer of claim rows with this engine;
the wallet reads acknowledged claims from Redis until they are written
(`list_acknowledged`). After a crash of Redis, the app or the persister,
`reconcile()` replays every stream entry missing from the database, puts back
into Redis any claim the database has that Redis lost, and lowers the stock
to total − claims (never raising it while Redis holds claims the database
lacks). tests/test_durability.py kills Redis with
SIGKILL mid-rush, restarts it from its AOF and proves that every claim that
was acknowledged is in the database after reconcile, and none twice.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from functools import lru_cache

import redis
from django.db.models import Count
from redis.cluster import RedisCluster

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.serving import POOL_TIMEOUT_S, redis_pool_size
from quarter.vouchers import codes
from quarter.vouchers.engines.base import (
    ClaimEngine,
    ClaimOutcome,
    ClaimRequest,
    ReconcileReport,
)
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Claim, Round

GROUP = "persist"

# Every answer is a `VoucherErrorCode` value (or "ok"), the same codes the
# database engine gives.
CLAIM_LUA = """
-- KEYS: meta stock claimers persons stream rl_account rl_ip week
-- ARGV: resident person_key user now_ms ip device acct_limit ip_limit rl_ttl
local now = tonumber(ARGV[4])
local meta = redis.call('HMGET', KEYS[1], 'release_ms', 'closes_ms', 'stopped',
  'sold_out_ms', 'per_week', 'lottery')
if not meta[1] then return {'claim_engine_not_ready'} end
if meta[6] == '1' then return {'lottery_round'} end
if meta[3] == '1' then return {'round_closed'} end
if now < tonumber(meta[1]) then return {'round_not_released', meta[1]} end
local prev = redis.call('HGET', KEYS[3], ARGV[1])
if prev then return {'already_claimed', prev} end
if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 1 then
  return {'person_already_claimed'}
end
local per_week = meta[5] == '1'
if per_week and redis.call('SISMEMBER', KEYS[8], ARGV[2]) == 1 then
  return {'weekly_limit_reached'}
end
if now >= tonumber(meta[2]) then return {'round_closed'} end
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
if left <= 0 then return {'packet_sold_out', meta[4] or ''} end
-- Only a request that would take a packet counts against the limits. Every
-- answer above changes nothing, so it is not written to the append-only
-- file either: after the sell-out, refusals cost Redis no fsync.
if ARGV[7] ~= '0' then
  local a = redis.call('INCR', KEYS[6])
  if a == 1 then redis.call('EXPIRE', KEYS[6], ARGV[9]) end
  if a > tonumber(ARGV[7]) then return {'rate_limited'} end
  local i = redis.call('INCR', KEYS[7])
  if i == 1 then redis.call('EXPIRE', KEYS[7], ARGV[9]) end
  if i > tonumber(ARGV[8]) then return {'rate_limited'} end
end
left = redis.call('DECR', KEYS[2])
local id = redis.call('XADD', KEYS[5], '*', 'r', ARGV[1], 'p', ARGV[2], 'u', ARGV[3],
  't', ARGV[4], 'ip', ARGV[5], 'd', ARGV[6])
redis.call('HSET', KEYS[3], ARGV[1], id)
redis.call('SADD', KEYS[4], ARGV[2])
if per_week then
  redis.call('SADD', KEYS[8], ARGV[2])
  redis.call('EXPIRE', KEYS[8], 1296000)  -- 15 days: the week and a week of slack
end
if left == 0 then redis.call('HSET', KEYS[1], 'sold_out_ms', ARGV[4]) end
return {'ok', id}
"""

STOP_LUA = """
local left = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('SET', KEYS[2], 0)
redis.call('HSET', KEYS[1], 'stopped', '1')
return left
"""


def _campaign_tag(campaign_id: int) -> str:
    return f"q:{{campaign:{campaign_id}}}"


def _round_prefix(campaign_id: int, round_id: int) -> str:
    return f"{_campaign_tag(campaign_id)}:round:{round_id}"


def keys(campaign_id: int, round_id: int) -> dict[str, str]:
    prefix = _round_prefix(campaign_id, round_id)
    return {
        name: f"{prefix}:{name}"
        for name in ("meta", "stock", "claimers", "persons", "claims")
    }


def week_key(campaign_id: int, week: str) -> str:
    return f"{_campaign_tag(campaign_id)}:week:{week}"


def claim_keys(
    *, campaign_id: int, round_id: int, user_id: int, ip: str, now: float, rl_ttl: int
) -> list[str]:
    """The KEYS of one CLAIM_LUA call, in order (shared with `rushgate`)."""
    k = keys(campaign_id, round_id)
    bucket = int(now) // max(rl_ttl, 1)
    prefix = _round_prefix(campaign_id, round_id)
    week = clock.iso_week(dt.datetime.fromtimestamp(now, tz=dt.UTC))
    return [
        k["meta"],
        k["stock"],
        k["claimers"],
        k["persons"],
        k["claims"],
        f"{prefix}:rl:u:{user_id}:{bucket}",
        f"{prefix}:rl:ip:{ip or '-'}:{bucket}",
        week_key(campaign_id, week),
    ]


CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")


def new_client(url: str) -> redis.Redis | RedisCluster:
    """Return a new client for `url`; ``redis+cluster://host:port`` is a Redis Cluster.

    The pool holds at least as many connections as a granian worker has
    blocking threads and, when every one is busy, a request waits up to
    `POOL_TIMEOUT_S` for one instead of failing (redis-py's default pool
    raises MaxConnectionsError past 100).
    """
    size = redis_pool_size()
    if url.startswith(CLUSTER_SCHEMES):
        # Every node gets its own pool of `size`; all keys of a campaign share
        # one hash tag, so one claim is one call to the shard that owns it.
        # (A node's blocking pool waits redis-py's default 20 s, not POOL_TIMEOUT_S:
        # RedisCluster does not pass a pool timeout through.)
        return RedisCluster.from_url(
            url.replace("+cluster", "", 1),
            socket_timeout=5,
            max_connections=size,
            connection_pool_class=redis.BlockingConnectionPool,
        )
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=size,
        timeout=POOL_TIMEOUT_S,
        socket_timeout=5,
        health_check_interval=30,
    )
    return redis.Redis(connection_pool=pool)


@lru_cache(maxsize=8)
def client_for(url: str) -> redis.Redis | RedisCluster:
    """Return this process's shared client for `url` (see `new_client`)."""
    return new_client(url)


def _resp(*parts) -> bytes:
    """One command in Redis's wire format (RESP), from str, bytes and ints."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _ms(at) -> int:
    return int(at.timestamp() * 1000)


def from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


class RedisEngine(ClaimEngine):
    name = "redis"
    transactional = False

    def __init__(self, url: str, *, client: redis.Redis | None = None) -> None:
        self.url = url
        self.client = client or client_for(url)
        self._claim = self.client.register_script(CLAIM_LUA)
        self._stop = self.client.register_script(STOP_LUA)
        self._threads = threading.local()  # each server thread's claim connection

    # --- durability -------------------------------------------------------------

    def check_durability(self) -> None:
        """Refuse to serve claims unless every write is fsynced before its reply."""
        if os.environ.get("QUARTER_RUSH_DURABILITY") == "relaxed":
            return
        conf = {
            **self.client.config_get("appendonly"),
            **self.client.config_get("appendfsync"),
        }
        if conf.get("appendonly") != "yes" or conf.get("appendfsync") != "always":
            raise RuntimeError(
                "Redis claim engine needs appendonly yes + appendfsync always "
                f"(found {conf}); an acknowledged claim could otherwise be lost"
            )

    # --- interface --------------------------------------------------------------

    def prepare(self, round_) -> None:
        k = keys(round_.campaign_id, round_.pk)
        taken = Claim.objects.filter(round=round_).count()
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            k["meta"],
            mapping={
                "release_ms": _ms(round_.release_at),
                "closes_ms": _ms(round_.claim_closes_at),
                "total": round_.packets_total,
                "stopped": "1" if round_.status == Round.Status.STOPPED else "0",
                "per_week": "1" if round_.limits_per_week else "0",
                "lottery": "1" if round_.mode == "lottery" else "0",
            },
        )
        pipe.set(k["stock"], max(round_.packets_total - taken, 0))
        pipe.execute()
        try:
            self.client.xgroup_create(k["claims"], GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def claim(self, request: ClaimRequest, *, now, round_=None) -> ClaimOutcome:
        """Run the claim script: no database read or write on the way."""
        from quarter.vouchers.ratelimit import limits

        rate = limits()
        acct_limit, ttl = rate["account"]
        ip_limit = rate["ip"][0]
        lua_keys = claim_keys(
            campaign_id=request.campaign_id,
            round_id=request.round_id,
            user_id=request.user_id,
            ip=request.ip or "",
            now=now.timestamp(),
            rl_ttl=ttl,
        )
        args = [
            request.resident_id,
            request.person_key,
            request.user_id,
            _ms(now),
            request.ip or "",
            (request.device or "")[:64],
            acct_limit,
            ip_limit,
            ttl,
        ]
        try:
            reply = self._run_claim(lua_keys, args)
            if reply[0] == Code.ENGINE_NOT_READY.encode():
                # Never loaded (or Redis lost it): rebuild from the database,
                # retry once.
                self._rebuild(round_ or Round.objects.get(pk=request.round_id))
                reply = self._claim(keys=lua_keys, args=args)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            # Redis is down or restarting: nothing was acknowledged, so the
            # resident is told to try again (503), never an empty 500.
            raise DomainError(
                Code.ENGINE_NOT_READY, "系统繁忙,请再试一次", status_code=503
            ) from exc
        return outcome_of(reply)

    def _run_claim(self, lua_keys: list[str], args: list) -> list:
        """EVALSHA of the claim script on this thread's own connection.

        The hottest call of a rush skips redis-py's generic command path
        (retries, callbacks, command lookup) and its pool (a lock and
        bookkeeping per call): each server thread keeps one connection for
        claims, beside the shared pool every other call uses, and the
        command is packed here (measured alone, alternating old and new in
        one process: 0.25–0.27 ms of CPU per claim against 0.28–0.33).
        A connection Redis closed is dropped and the claim sent once more on
        a new one (the script is idempotent per person: a claim Redis took
        before the break answers `already_claimed`); a timeout is not
        retried. A Cluster client, or a Redis that lost the script
        (NOSCRIPT), goes the generic way.
        """
        client = self.client
        if isinstance(client, RedisCluster):
            return self._claim(keys=lua_keys, args=args)
        command = [_resp("EVALSHA", self._claim.sha, len(lua_keys), *lua_keys, *args)]
        conn, fresh = self._thread_connection()
        try:
            return self._evalsha(conn, command, lua_keys, args)
        except redis.ConnectionError:
            if fresh:
                raise  # a new connection that fails: Redis is down
        # A socket Redis closed (it restarted): once more, on a new connection.
        conn, _fresh = self._thread_connection()
        return self._evalsha(conn, command, lua_keys, args)

    def _evalsha(self, conn, command: list[bytes], lua_keys, args) -> list:
        try:
            conn.send_packed_command(command, check_health=False)
            return conn.read_response()
        except redis.exceptions.NoScriptError:
            return self._claim(keys=lua_keys, args=args)
        except redis.exceptions.ResponseError:
            raise  # an error reply, read in full: the connection is sound
        except BaseException:
            self._drop_thread_connection()  # broken, or its reply half read
            raise

    def _thread_connection(self):
        """(this thread's claim connection, whether it was just made)."""
        local = self._threads
        conn = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn, False
        pool = self.client.connection_pool
        local.conn = pool.connection_class(**pool.connection_kwargs)
        local.pid = os.getpid()  # a forked worker makes its own
        return local.conn, True

    def _drop_thread_connection(self) -> None:
        conn = getattr(self._threads, "conn", None)
        self._threads.conn = None
        if conn is not None:
            conn.disconnect()

    def remaining(self, round_) -> int:
        return int(self.client.get(keys(round_.campaign_id, round_.pk)["stock"]) or 0)

    def stop(self, round_) -> int:
        k = keys(round_.campaign_id, round_.pk)
        return int(self._stop(keys=[k["meta"], k["stock"]]))

    def reconcile(self, round_) -> ReconcileReport:
        """Bring Redis and the database level after a crash, and report.

        Every stream entry goes into the database; every database claim Redis
        lacks goes back into Redis. Stock is then lowered to what the claims
        leave, never raised while Redis holds claimers the database has not
        got: those packets are sold, and selling them again would tell more
        people 领取成功 than there are packets. That case is reported instead.
        """
        from quarter.vouchers.services.claims import materialize_claims

        k = keys(round_.campaign_id, round_.pk)
        report = ReconcileReport(round_id=round_.pk, engine=self.name)
        if not self.client.exists(k["meta"]):
            report.rebuilt = True
            self._rebuild(round_)
        # 1. Every stream entry (acknowledged claim) into the database.
        last = "-"
        while True:
            batch = self.client.xrange(k["claims"], min=last, max="+", count=2000)
            if last != "-":
                batch = batch[1:]
            if not batch:
                break
            report.persisted_now += len(
                materialize_claims(round_, [entry_of(e) for e in batch])
            )
            last = batch[-1][0].decode()
        # 2. Every database claim back into Redis (it may have lost its last writes).
        in_redis = {int(r) for r in self.client.hkeys(k["claimers"])}
        missing = list(
            Claim.objects.filter(round=round_)
            .exclude(resident_id__in=in_redis)
            .values_list("resident_id", "person_hash", "source_id")
        )
        self._put_back(round_, missing)
        report.restored_to_engine = len(missing)
        if not report.rebuilt:  # a rebuild restored the week sets already
            self._restore_weeks(round_)
        report.db_claims = Claim.objects.filter(round=round_).count()
        report.engine_claims = self.client.hlen(k["claimers"])
        if round_.status != Round.Status.STOPPED:
            self._level_stock(round_, report)
        report.remaining = self.remaining(round_)
        if report.db_claims != report.engine_claims:
            report.problems.append(
                f"database has {report.db_claims} claims, Redis {report.engine_claims}"
            )
        dupes = (
            Claim.objects.filter(round=round_)
            .values("person_hash")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .count()
        )
        if dupes:
            report.problems.append(f"{dupes} people hold two packets")
        return report

    # --- steps --------------------------------------------------------------

    def _level_stock(self, round_, report: ReconcileReport) -> None:
        """Lower stock to total minus claims; raise it only when both sides agree."""
        k = keys(round_.campaign_id, round_.pk)
        claims = max(report.db_claims, report.engine_claims)
        right = max(round_.packets_total - claims, 0)
        now = self.remaining(round_)
        if now > right:
            self.client.set(k["stock"], right)  # Redis lost decrements: lower
        elif now < right:
            if report.engine_claims > report.db_claims:
                report.problems.append(
                    f"stock {now} left as it is: Redis holds "
                    f"{report.engine_claims - report.db_claims} claims the "
                    "database has not got"
                )
            else:
                self.client.set(k["stock"], right)

    def _rebuild(self, round_) -> None:
        self.prepare(round_)
        self._put_back(
            round_,
            Claim.objects.filter(round=round_).values_list(
                "resident_id", "person_hash", "source_id"
            ),
        )
        self._restore_weeks(round_)

    def _put_back(self, round_, rows) -> None:
        """Write database claims (resident, ID hash, source id) into Redis."""
        k = keys(round_.campaign_id, round_.pk)
        pipe = self.client.pipeline(transaction=True)
        for resident_id, person_hash, source_id in rows:
            pipe.hset(k["claimers"], resident_id, source_id)
            pipe.sadd(
                k["persons"],
                codes.person_key(campaign_id=round_.campaign_id, id_hash=person_hash),
            )
        pipe.execute()

    def _restore_weeks(self, round_) -> None:
        """Put the campaign's per-week claims of the last two weeks back in the sets."""
        if not round_.limits_per_week:
            return
        since = clock.now() - dt.timedelta(days=8)
        rows = (
            Claim.objects.filter(campaign_id=round_.campaign_id, claimed_at__gte=since)
            .exclude(week="")
            .values_list("week", "person_hash")
        )
        pipe = self.client.pipeline(transaction=False)
        for week, person_hash in rows:
            key = week_key(round_.campaign_id, week)
            pipe.sadd(
                key,
                codes.person_key(campaign_id=round_.campaign_id, id_hash=person_hash),
            )
            pipe.expire(key, 15 * 86400)
        pipe.execute()


def outcome_of(reply) -> ClaimOutcome:
    """Turn the script's reply into an outcome; reads and writes nothing else."""
    status = reply[0].decode()
    value = reply[1].decode() if len(reply) > 1 and reply[1] is not None else ""
    if status == "ok":
        return ClaimOutcome(ok=True, source_id=value)
    if status == Code.ALREADY_CLAIMED:
        return ClaimOutcome(ok=True, repeated=True, source_id=value)
    if status == Code.SOLD_OUT:
        at = from_ms(int(value)) if value else None
        return ClaimOutcome(ok=False, code=Code.SOLD_OUT, sold_out_at=at)
    return ClaimOutcome(ok=False, code=Code(status))


def list_acknowledged(*, client: redis.Redis, resident_id: int, rounds) -> dict:
    """Return {round id: stream entry id} of the resident's claims Redis holds.

    One pipelined read (HGET per round), no write: the wallet shows a packet
    the moment it is acknowledged, before the persister has written its rows.
    """
    rounds = list(rounds)
    if not rounds:
        return {}
    pipe = client.pipeline(transaction=False)
    for r in rounds:
        pipe.hget(keys(r.campaign_id, r.pk)["claimers"], resident_id)
    answers = zip(rounds, pipe.execute(), strict=True)
    return {r.pk: value.decode() for r, value in answers if value}


def entry_of(entry):
    """Turn a raw stream entry into a ClaimEntry (the ID hash is looked up on write)."""
    from quarter.vouchers.services.claims import ClaimEntry

    entry_id, fields = entry
    f = {key.decode(): value.decode() for key, value in fields.items()}
    return ClaimEntry(
        source_id=entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
        resident_id=int(f["r"]),
        person_hash=None,
        claimed_at=from_ms(int(f["t"])),
        ip=f.get("ip") or None,
        device=f.get("d", ""),
        person_key=f.get("p", ""),
    )


def persist_pending(
    *,
    client: redis.Redis,
    round_ids=None,
    count: int = 1000,
    consumer: str | None = None,
    idle_ms: int = 30_000,
) -> int:
    """Copy unpersisted stream entries of the rounds into the database; return how many.

    Safe on several machines at once: each reads through the consumer group,
    acknowledges only after its transaction committed, and re-claims entries
    another consumer left pending for `idle_ms`. Writing is idempotent by
    (round, entry id), so a re-delivered entry is written once.
    """
    from quarter.vouchers.services.claims import materialize_claims

    consumer = consumer or f"{socket.gethostname()}:{os.getpid()}"
    if round_ids is None:
        round_ids = active_round_ids()
    written = 0
    for round_ in Round.objects.filter(pk__in=list(round_ids)):
        stream = keys(round_.campaign_id, round_.pk)["claims"]
        try:
            client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        batches = []
        _next, stolen, *_ = client.xautoclaim(
            stream, GROUP, consumer, idle_ms, "0-0", count=count
        )
        batches.append(stolen)
        for _name, entries in client.xreadgroup(
            GROUP, consumer, {stream: "0"}, count=count
        ):
            batches.append(entries)
        for _name, entries in client.xreadgroup(
            GROUP, consumer, {stream: ">"}, count=count
        ):
            batches.append(entries)
        for entries in batches:
            entries = [e for e in entries if e and e[1]]
            if not entries:
                continue
            written += len(materialize_claims(round_, [entry_of(e) for e in entries]))
            client.xack(stream, GROUP, *[e[0] for e in entries])
        _copy_sold_out(client, round_)
    return written


def _copy_sold_out(client: redis.Redis, round_) -> None:
    """Record the sell-out time Redis saw on the round (pages and stats read it)."""
    if round_.sold_out_at is not None:
        return
    raw = client.hget(keys(round_.campaign_id, round_.pk)["meta"], "sold_out_ms")
    if raw:
        Round.objects.filter(pk=round_.pk, sold_out_at__isnull=True).update(
            sold_out_at=from_ms(int(raw))
        )


def active_round_ids() -> list[int]:
    """Rounds whose claims may still be arriving: released, not long closed."""
    now = clock.now()
    return list(
        Round.objects.filter(
            release_at__lte=now + dt.timedelta(minutes=5),
            claim_closes_at__gte=now - dt.timedelta(days=1),
        ).values_list("pk", flat=True)
    )
