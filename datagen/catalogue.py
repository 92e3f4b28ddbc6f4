"""The template catalogue of datagen: variable kinds, templates with known variables, rendering.

This module owns the ground truth of synthetic logs: every generated line comes from exactly
one :class:`Template` in :data:`CATALOGUE` (or is junk, see ``generate.NOISE_ID``).

Placeholder syntax
------------------
A placeholder is ``{kind}`` where ``kind`` is exactly one of the :class:`Var` values, e.g.
``"User {user} logged in from {ip}"``. Any other brace is literal text, so JSON-ish templates
need no escaping: in ``'payload {"user":"{user}","amount":{float}}'`` only ``{user}`` and
``{float}`` are placeholders. A brace pair that looks like a placeholder but names no known kind
(``{usr}``) is rejected when the template is built, so typos cannot hide. The same kind may occur
several times; each occurrence is filled independently.

Values are drawn per service where that matters: a ``{path}`` in the ``api`` service is an HTTP
request path (``/api/v1/users/42``), elsewhere a filesystem path. Every value of the kinds in
:data:`SIMPLE_VARS` holds at least one digit or ``/``, so "mask tokens holding a digit or a
slash" separates the :data:`SIMPLE_VAR_TEMPLATES` exactly (a test checks this).
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

__all__ = [
    "CATALOGUE",
    "LEVELS",
    "NEAR_MISS_PAIRS",
    "SERVICES",
    "SIMPLE_VARS",
    "SIMPLE_VAR_TEMPLATES",
    "TEMPLATES_BY_ID",
    "Template",
    "Var",
    "render_message",
    "render_var",
]

LEVELS: tuple[str, ...] = ("fatal", "error", "warn", "info", "debug")
SERVICES: tuple[str, ...] = ("api", "auth", "db", "worker", "storage", "cache")


class Var(StrEnum):
    """Kinds of variable a template can hold; the value is the placeholder name."""

    INT = "int"
    FLOAT = "float"
    DURATION_MS = "duration_ms"
    SIZE = "size"
    IP = "ip"
    IP_PORT = "ip_port"
    IPV6 = "ipv6"
    UUID = "uuid"
    HEX = "hex"
    PATH = "path"
    URL = "url"
    EMAIL = "email"
    USER = "user"
    HOST = "host"
    WORD = "word"
    TS = "ts"
    ID = "id"
    QUOTED = "quoted"


#: Kinds whose values are numbers, ids, addresses, hex, paths or UUIDs: a pattern miner should
#: mask all of them without needing a word list.
SIMPLE_VARS: frozenset[Var] = frozenset(
    {
        Var.INT,
        Var.FLOAT,
        Var.DURATION_MS,
        Var.IP,
        Var.IP_PORT,
        Var.UUID,
        Var.HEX,
        Var.PATH,
        Var.ID,
    }
)

# --------------------------------------------------------------------------------------------
# Variable value generators. Each takes the caller's seeded Random and returns the text.
# Keep them cheap: they run once per variable per event.
# --------------------------------------------------------------------------------------------

_USERS: tuple[str, ...] = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "mallory", "oscar",
    "peggy", "trent", "victor", "walter", "svc-backup", "svc-deploy", "svc-metrics", "j.smith",
    "m.garcia", "a.khan", "li.wei", "root", "admin", "ubuntu", "deploy", "jenkins", "postgres",
    "k8s-node-agent",
)  # fmt: skip
_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "corp.example.net", "mail.example.io")
_HOST_ROLES: tuple[str, ...] = ("web", "api", "db", "cache", "worker", "lb", "queue", "storage")
_ENVS: tuple[str, ...] = ("prod", "staging", "eu-west-1", "us-east-1")
_WORDS: tuple[str, ...] = ("enabled", "disabled", "degraded")
_QUOTED: tuple[str, ...] = (
    "connection reset by peer", "disk quota exceeded", "nightly-backup", "user not found",
    "invalid token", "deadline exceeded", "orders_2026_11", "session:checkout", "", "N/A",
    "permission denied", "rebalance in progress", "cart:items", "feature.new_checkout",
)  # fmt: skip
_DIRS: tuple[str, ...] = (
    "/var/lib/app/data", "/var/log/app", "/srv/www/static/img", "/home/{u}/projects",
    "/opt/app/releases/2026.11", "/scratch/upload", "/data/hdfs/current", "/etc/app/conf.d",
    "/mnt/volume-3/shards",
)  # fmt: skip
_FILE_STEMS: tuple[str, ...] = ("blk_", "part-", "segment_", "report-", "cache-", "img_", "shard")
_FILE_EXTS: tuple[str, ...] = (".dat", ".log", ".json", ".png", ".tar.gz", ".parquet", ".conf")
_INT_MAX_LOG10 = 5.0
_SIZE_UNITS: tuple[str, ...] = ("B", "KB", "MB", "GB")
_FIRST_OCTETS: tuple[int, ...] = (10, 10, 172, 192, 34, 52, 81, 203)
_PORTS: tuple[int, ...] = (22, 80, 443, 5432, 6379, 8080)
#: HTTP routes as (head, kind, tail): kind "n" puts a number between, "h" a hex hash, "" nothing.
_ROUTES: tuple[tuple[str, str, str], ...] = (
    ("/api/v1/users/", "n", ""), ("/api/v1/orders/", "n", "/items"), ("/api/v2/carts/", "n", ""),
    ("/api/v1/health", "", ""), ("/api/v1/search", "", ""), ("/static/js/app.", "h", ".js"),
    ("/api/v1/payments/", "n", "/capture"), ("/auth/v2/login", "", ""),
)  # fmt: skip
_TS_BASE = 1_767_225_600  # 2026-01-01T00:00:00Z
_TS_SPAN = 365 * 86_400

# The generators below draw with random()/getrandbits() and index tuples directly instead of
# rng.choice()/randrange(): same determinism, several times faster (they run per variable).


def _pick(seq: tuple[str, ...], rng: random.Random) -> str:
    return seq[int(rng.random() * len(seq))]


def _v_int(rng: random.Random) -> str:
    return str(int(10.0 ** (rng.random() * _INT_MAX_LOG10)))  # log-uniform in [1, 10^5)


def _v_float(rng: random.Random) -> str:
    b = rng.getrandbits(4)
    return f"{rng.random() * 10 ** (b & 3):.{1 + (b >> 2) % 3}f}"


def _v_duration_ms(rng: random.Random) -> str:
    ms = -180.0 * math.log(1.0 - rng.random())  # exponential, mean 180 ms
    return f"{ms:.1f}" if ms < 55.0 else str(int(ms) + 1)


def _v_size(rng: random.Random) -> str:
    b = rng.getrandbits(14)
    unit = _SIZE_UNITS[b & 3]
    if b & 4:
        return f"{(b >> 4) / 10.0:.1f}{unit}"
    return f"{(b >> 4) + 1}{unit}"


def _octets(rng: random.Random) -> str:
    b = rng.getrandbits(32)
    return f"{_FIRST_OCTETS[b & 7]}.{(b >> 3) & 255}.{(b >> 11) & 255}.{(b >> 19) % 254 + 1}"


def _v_ip_port(rng: random.Random) -> str:
    b = rng.getrandbits(19)
    port = _PORTS[b % 6] if b & 1 else 1024 + (b >> 1) % 64512
    return f"{_octets(rng)}:{port}"


def _v_ipv6(rng: random.Random) -> str:
    bits = rng.getrandbits(65)
    groups = [f"{(bits >> s) & 0xFFFF:x}" for s in (49, 33, 17, 1)]
    if bits & 1:
        return "2001:db8:" + ":".join(groups[:2]) + "::" + ":".join(groups[2:])
    return "fe80::" + ":".join(groups)


def _v_uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def _v_hex(rng: random.Random) -> str:
    b = rng.getrandbits(4)
    n = 8 + (b >> 1)  # 8..15 digits
    h = f"{rng.getrandbits(4 * n):0{n}x}"
    if h.isalpha():  # keep every value maskable as "a token holding a digit"
        h = h[:-1] + "7"
    return "0x" + h if b & 1 else h


def _v_route(rng: random.Random) -> str:
    b = rng.getrandbits(35)
    head, kind, tail = _ROUTES[b & 7]
    if kind == "n":
        return f"{head}{(b >> 3) % 100_000}{tail}"
    if kind == "h":
        return f"{head}{b >> 3:08x}{tail}"
    return head


def _v_path(rng: random.Random) -> str:
    b = rng.getrandbits(40)
    d = _DIRS[b % 9]
    if "{u}" in d:
        d = d.replace("{u}", _USERS[(b >> 30) % len(_USERS)])
    stem = _FILE_STEMS[(b >> 4) % 7]
    ext = _FILE_EXTS[(b >> 7) % 7]
    return f"{d}/{stem}{(b >> 10) % 10_000}{ext}"


def _v_url(rng: random.Random) -> str:
    b = rng.getrandbits(10)
    scheme = "http" if b & 3 == 0 else "https"
    query = f"?page={(b >> 4) % 50 + 1}" if b & 12 == 0 else ""
    return f"{scheme}://{_v_host(rng)}{_v_route(rng)}{query}"


def _v_email(rng: random.Random) -> str:
    return f"{_pick(_USERS, rng)}@{_pick(_DOMAINS, rng)}"


def _v_user(rng: random.Random) -> str:
    return _pick(_USERS, rng)


def _v_host(rng: random.Random) -> str:
    b = rng.getrandbits(24)
    role = _HOST_ROLES[b & 7]
    kind = (b >> 3) % 20
    if kind < 12:
        return f"{role}-{(b >> 8) % 24 + 1:02d}.{_ENVS[(b >> 13) & 3]}.example.com"
    if kind < 17:
        return f"{role}{(b >> 8) % 40 + 1}"
    return f"ip-10-0-{(b >> 8) & 255}-{(b >> 16) % 254 + 1}.ec2.internal"


def _v_word(rng: random.Random) -> str:
    return _pick(_WORDS, rng)


def _v_ts(rng: random.Random) -> str:
    t = _TS_BASE + int(rng.random() * _TS_SPAN)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def _v_id(rng: random.Random) -> str:
    b = rng.getrandbits(67)
    k = (b & 7) % 6
    b >>= 3
    if k == 0:
        return f"req-{b & 0xFFFFF:05x}{(b >> 20) % 10}"
    if k == 1:
        return f"blk_{b - 2**63}"
    if k == 2:
        day = time.strftime("%Y%m%d", time.gmtime(_TS_BASE + (b >> 14) % _TS_SPAN))
        return f"job_{day}_{b % 10_000:04d}"
    if k == 3:
        return f"i-0{b & (2**64 - 1):016x}"
    if k == 4:
        return f"task-{b % 1_000_000}"
    return f"ord_{b % 10**9:09d}X{(b >> 40) & 0xFFF:03X}"


def _v_quoted(rng: random.Random) -> str:
    b = int(rng.random() * 4 * len(_QUOTED))
    q = "'" if b & 3 == 0 else '"'
    return f"{q}{_QUOTED[b >> 2]}{q}"


_GENERATORS: Mapping[Var, Callable[[random.Random], str]] = MappingProxyType(
    {
        Var.INT: _v_int,
        Var.FLOAT: _v_float,
        Var.DURATION_MS: _v_duration_ms,
        Var.SIZE: _v_size,
        Var.IP: _octets,
        Var.IP_PORT: _v_ip_port,
        Var.IPV6: _v_ipv6,
        Var.UUID: _v_uuid,
        Var.HEX: _v_hex,
        Var.PATH: _v_path,
        Var.URL: _v_url,
        Var.EMAIL: _v_email,
        Var.USER: _v_user,
        Var.HOST: _v_host,
        Var.WORD: _v_word,
        Var.TS: _v_ts,
        Var.ID: _v_id,
        Var.QUOTED: _v_quoted,
    }
)


#: Per-service flavours: in the HTTP service a ``{path}`` is a request path (``/api/v1/users/42``),
#: elsewhere a filesystem path (``/var/lib/app/data/blk_123.dat``).
_SERVICE_GENERATORS: Mapping[str, Mapping[Var, Callable[[random.Random], str]]] = MappingProxyType(
    {"api": MappingProxyType({Var.PATH: _v_route})}
)


def _generator(kind: Var, service: str) -> Callable[[random.Random], str]:
    override = _SERVICE_GENERATORS.get(service)
    if override is not None and kind in override:
        return override[kind]
    return _GENERATORS[kind]


def render_var(kind: Var, rng: random.Random, service: str = "") -> str:
    """One random value of ``kind`` (as the given service would log it)."""
    return _generator(kind, service)(rng)


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------

_VAR_NAMES: frozenset[str] = frozenset(v.value for v in Var)
_PLACEHOLDER = re.compile(r"\{(" + "|".join(v.value for v in Var) + r")\}")
_LOOKS_LIKE_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

_FRAMES: tuple[str, ...] = (
    "com.example.Worker.run(Worker.java:{n})",
    "com.example.jobs.JobRunner.execute(JobRunner.java:{n})",
    "com.example.queue.Consumer.poll(Consumer.java:{n})",
    "com.example.storage.BlobClient.read(BlobClient.java:{n})",
    "com.example.db.Pool.acquire(Pool.java:{n})",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:{n})",
    "java.base/java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:{n})",
    "java.base/java.lang.Thread.run(Thread.java:{n})",
)
_CAUSES: tuple[str, ...] = (
    "Caused by: java.io.IOException: Connection reset by peer",
    "Caused by: java.net.SocketTimeoutException: Read timed out",
    "Caused by: java.lang.IllegalStateException: queue closed",
    "Caused by: java.lang.NullPointerException",
)


def _stack_trace(rng: random.Random) -> str:
    """3-8 ``\\tat`` frame lines and a ``Caused by:`` line, each preceded by ``\\n``."""
    frames = rng.sample(_FRAMES, rng.randint(3, 8))
    lines = [f"\tat {frame.replace('{n}', str(rng.randint(12, 900)))}" for frame in frames]
    lines.append(rng.choice(_CAUSES))
    return "\n" + "\n".join(lines)


@dataclass(frozen=True)
class Template:
    """One log statement of a (fictional) program.

    ``weight`` is the relative frequency among templates of the same catalogue (realistic logs are
    skewed: a few statements dominate). ``multiline`` templates get a Java-style stack trace
    appended (``\\n``-joined), so one event spans several physical lines in plain form.
    """

    id: str
    service: str
    level: str
    text: str
    weight: float = 1.0
    multiline: bool = False

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"template {self.id!r}: level {self.level!r} not in {LEVELS}")
        if self.weight < 0:
            raise ValueError(f"template {self.id!r}: negative weight")
        for name in _LOOKS_LIKE_PLACEHOLDER.findall(self.text):
            if name not in _VAR_NAMES:
                raise ValueError(f"template {self.id!r}: unknown placeholder {{{name}}}")

    @property
    def vars(self) -> tuple[Var, ...]:
        """Variable kinds in order of appearance (repeats included)."""
        return tuple(Var(m) for m in _PLACEHOLDER.findall(self.text))

    @cached_property
    def renderer(self) -> Callable[[random.Random], str]:
        """A closure rendering this template (specialised by variable count; it is per event)."""
        pieces = _PLACEHOLDER.split(self.text)  # literal, kind, literal, kind, ..., literal
        lits = pieces[0::2]
        gens = [_generator(Var(k), self.service) for k in pieces[1::2]]
        fn: Callable[[random.Random], str]
        if len(gens) == 0:
            text = lits[0]

            def fn(rng: random.Random) -> str:
                return text
        elif len(gens) == 1:
            h, g0, t = lits[0], gens[0], lits[1]

            def fn(rng: random.Random) -> str:
                return h + g0(rng) + t
        elif len(gens) == 2:
            h, g0, m0, g1, t = lits[0], gens[0], lits[1], gens[1], lits[2]

            def fn(rng: random.Random) -> str:
                return f"{h}{g0(rng)}{m0}{g1(rng)}{t}"
        else:
            head, pairs = lits[0], tuple(zip(gens, lits[1:], strict=True))

            def fn(rng: random.Random) -> str:
                out = [head]
                for gen, lit in pairs:
                    out.append(gen(rng))
                    out.append(lit)
                return "".join(out)

        if not self.multiline:
            return fn
        first_line = fn

        def with_trace(rng: random.Random) -> str:
            return first_line(rng) + _stack_trace(rng)

        return with_trace


def render_message(template: Template, rng: random.Random) -> str:
    """Fill the template's variables (and append its stack trace if it is multi-line)."""
    return template.renderer(rng)


def _t(id: str, level: str, text: str, weight: float = 1.0, *, multiline: bool = False) -> Template:
    return Template(id, id.split(".", 1)[0], level, text, weight, multiline)


CATALOGUE: tuple[Template, ...] = (
    # ---- api (HTTP) ------------------------------------------------------------------------
    _t("api.access_log", "info", '{ip} - - "GET {path} HTTP/1.1" 200 {int}', 30),
    # Status codes are numbers, so a miner would (rightly) mask them: the reason phrase is what
    # keeps these four apart.
    _t("api.get_ok", "info", "GET {path} 200 OK {duration_ms}ms", 20),
    _t("api.post_created", "info", "POST {path} 201 Created {duration_ms}ms", 6),
    _t("api.not_found", "warn", "GET {path} 404 Not Found {duration_ms}ms", 3),
    _t("api.server_error", "error", "POST {path} 500 Internal Server Error {duration_ms}ms", 0.6),
    _t("api.slow_request", "warn", "Slow request {id} to {url} took {duration_ms}ms", 1.5),
    _t("api.rate_limited", "warn", "Rate limit exceeded for client {ip_port} on {path}", 2),
    _t("api.upstream_timeout", "error", "Upstream {host} did not respond within {duration_ms}ms",
       0.5),
    _t("api.payload", "debug", 'payload {"user":"{user}","amount":{float}}', 4),
    _t("api.request_received", "debug", "Request {uuid} received from {ipv6}", 4),
    _t("api.response_size", "debug", "Sent response of {size} for request {id}", 3),
    _t("api.webhook", "info", "Webhook delivered to {url} status={int} attempts={int}", 2),
    _t("api.validation_failed", "warn", "Validation failed for field {quoted}: value too long", 1),
    # Incident template: the demo keeps it out of the steady state (a genuinely new pattern).
    _t("api.payment_timeout", "error", "Payment provider {host} timed out after {duration_ms}ms",
       0.2),
    # ---- auth (sshd / login) -----------------------------------------------------------------
    _t("auth.ssh_accepted", "info", "Accepted publickey for {user} from {ip} port {int} ssh2", 6),
    _t("auth.ssh_failed", "warn", "Failed password for {user} from {ip} port {int} ssh2", 4),
    _t("auth.ssh_invalid_user", "warn", "Invalid user {user} from {ip} port {int}", 2),
    _t("auth.session_opened", "info",
       "pam_unix(sshd:session): session opened for user {user} by (uid={int})", 6),
    _t("auth.session_closed", "info", "pam_unix(sshd:session): session closed for user {user}", 6),
    _t("auth.disconnect", "info", "Received disconnect from {ip_port}: 11: disconnected by user",
       4),
    _t("auth.login", "info", "User {user} logged in from {ip}", 5),
    _t("auth.sudo", "info", "{user} : TTY=pts/{int} ; PWD={path} ; USER=root ; COMMAND={path}", 2),
    _t("auth.password_reset", "info", "Password reset requested for {email}", 1),
    # Same text at two levels: two templates, two patterns.
    _t("auth.token_expired_info", "info", "Session token expired for {email}", 2),
    _t("auth.token_expired_error", "error", "Session token expired for {email}", 0.5),
    _t("auth.account_locked", "error", "Account {user} locked after {int} failed attempts", 0.4),
    # ---- db (postgres-like) ------------------------------------------------------------------
    _t("db.checkpoint_starting", "info", "checkpoint starting: time", 2),
    _t("db.checkpoint_complete", "info",
       "checkpoint complete: wrote {int} buffers ({float}%); {int} WAL file(s) added, {int} "
       "removed, {int} recycled; write={float} s, sync={float} s, total={float} s", 2),
    _t("db.connection_received", "info", "connection received: host={ip} port={int}", 6),
    _t("db.connection_authorized", "info", "connection authorized: user={user} database=orders",
       6),
    _t("db.slow_query", "warn",
       "duration: {float} ms statement: SELECT * FROM orders WHERE customer_id = {int}", 2),
    _t("db.deadlock", "error",
       "deadlock detected: process {int} waits for ShareLock on transaction {int}; "
       "blocked by process {int}", 0.3),
    _t("db.autovacuum", "info",
       "automatic vacuum of table {quoted}: index scans: {int}, pages: {int} removed, "
       "{int} remain", 1),
    _t("db.replication_lag", "warn", "replication lag on {host} is {duration_ms}ms", 1),
    _t("db.wal_archived", "debug", "archived write-ahead log file {hex}", 2),
    _t("db.recovery", "warn", "database system was interrupted; last known up at {ts}", 0.1),
    _t("db.too_many_connections", "fatal",
       "remaining connection slots are reserved for non-replication superuser connections", 0.1),
    # ---- worker (jobs / queues) --------------------------------------------------------------
    _t("worker.tasks_pending", "info", "{int} tasks pending", 4),
    _t("worker.job_started", "info", "Job {id} started (attempt {int})", 6),
    _t("worker.job_completed", "info", "Job {id} completed in {duration_ms}ms", 6),
    _t("worker.job_failed", "error", "Job {id} failed: {quoted}", 0.6),
    _t("worker.retry", "warn", "retry attempt={int} backoff={duration_ms}ms", 1.5),
    _t("worker.heartbeat", "debug", "heartbeat ok queue_depth={int} lag={duration_ms}ms", 4),
    _t("worker.scheduled", "info", "Scheduled {id} to run at {ts}", 2),
    _t("worker.dequeued", "debug", "Dequeued message {uuid} from {url}", 3),
    _t("worker.email_sent", "info", "Notification email sent to {email}", 1),
    _t("worker.vm_started", "info", "VM {id} started", 1.5),
    _t("worker.vm_paused", "info", "VM {id} paused", 1),
    _t("worker.unhandled_exception", "error", "Unhandled exception in {path}", 0.15,
       multiline=True),
    # ---- storage (blocks / disks) ------------------------------------------------------------
    _t("storage.block_received", "info", "Received block {id} of size {int} from /{ip_port}", 6),
    _t("storage.block_served", "info", "Served block {id} to {ip}", 5),
    _t("storage.block_deleted", "info", "Deleting block {id} file {path}", 3),
    _t("storage.disk_usage", "warn", "Disk usage on {path} at {int}% ({size} free)", 1),
    _t("storage.io_error", "error", "I/O error on device {path}, sector {int}", 0.3),
    _t("storage.checksum_mismatch", "error",
       "Checksum mismatch for block {id}: expected {hex} got {hex}", 0.3),
    _t("storage.volume_mounted", "info", "Mounted volume {uuid} at {path}", 0.5),
    _t("storage.write_cache", "info", "Write cache {word} on {path}", 0.5),
    _t("storage.readonly", "fatal", "Filesystem {path} remounted read-only", 0.05),
    # ---- cache -------------------------------------------------------------------------------
    _t("cache.connection_opened", "info", "Connection to {host} opened", 3),
    _t("cache.connection_closed", "info", "Connection to {host} closed", 3),
    _t("cache.hit_ratio", "debug", "hit ratio {float} over {int} requests", 2),
    _t("cache.evicted", "warn", "Evicted {int} keys ({size}) under memory pressure", 1),
    _t("cache.replication", "info", "Replication {word} on {host}", 1),
    _t("cache.key_miss", "debug", "Cache miss for key {quoted}", 3),
)  # fmt: skip

TEMPLATES_BY_ID: Mapping[str, Template] = MappingProxyType({t.id: t for t in CATALOGUE})
if len(TEMPLATES_BY_ID) != len(CATALOGUE):  # pragma: no cover - guards edits to the catalogue
    raise RuntimeError("duplicate template id in CATALOGUE")

#: Templates whose variables are all of :data:`SIMPLE_VARS` (templates without variables count)
#: and which are single-line: a good miner must group their lines exactly by template.
SIMPLE_VAR_TEMPLATES: tuple[str, ...] = tuple(
    t.id for t in CATALOGUE if not t.multiline and all(v in SIMPLE_VARS for v in t.vars)
)

#: Template pairs that look alike but must stay separate patterns.
NEAR_MISS_PAIRS: tuple[tuple[str, str], ...] = (
    ("worker.vm_started", "worker.vm_paused"),
    ("cache.connection_opened", "cache.connection_closed"),
    ("auth.token_expired_info", "auth.token_expired_error"),
    ("api.get_ok", "api.not_found"),
    ("api.upstream_timeout", "api.payment_timeout"),
)
