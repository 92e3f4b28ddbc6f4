# ruff: noqa: E501  (the families are tables of real-looking log lines)
"""Issue 3 (quality): the pattern engine on realistic line families it was not tuned on.

Each family below imitates the messages of a widespread program (nginx, Kubernetes, PostgreSQL,
systemd, OpenStack Nova, Postfix, Redis, a Spring Boot service, ZooKeeper, HAProxy, the Linux
kernel, sudo/sshd, MySQL, Kafka, Jenkins, Elasticsearch, dhcpd, apt, Docker, a web shop) with
known templates. A good engine groups every family exactly: one pattern per template (names,
numbers and addresses vary), and never one pattern for two templates (event kinds such as
``Started``/``Created``, ``GET``/``POST``, ``role``/``database`` stay apart). None of the rules of
the engine names a word of these families: they are the held-out check against overfitting.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import pytest

from ailert.config import PatternSettings
from ailert.patterns.engine import PatternBook, PatternEngine
from ailert.patterns.masking import Masker
from ailert.patterns.merge import TokenMerger

# ---------------------------------------------------------------------------------------------
# Variable values


def _choice(*values: str) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(values)


def _ip(rng: random.Random) -> str:
    return f"{rng.choice((10, 172, 192, 34, 81))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _hexs(n: int) -> Callable[[random.Random], str]:
    return lambda rng: f"{rng.getrandbits(4 * n):0{n}x}"


def _int(lo: int, hi: int) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.randint(lo, hi))


def _float(rng: random.Random) -> str:
    return f"{rng.random() * 100:.{rng.randint(1, 3)}f}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _pod(rng: random.Random) -> str:
    app = rng.choice(("web", "api", "checkout", "worker", "auth-proxy"))
    return f"{app}-{rng.getrandbits(36):09x}-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"


def _clf_time(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}/Nov/2026:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0000"


def _url_path(rng: random.Random) -> str:
    return rng.choice(
        (f"/api/v1/orders/{rng.randint(1, 99999)}", f"/static/app.{rng.getrandbits(32):08x}.js",
         "/healthz", "/", "/login", f"/users/{rng.randint(1, 999)}/avatar.png", "/api/v1/search?q=shoes")
    )  # fmt: skip


VARS: dict[str, Callable[[random.Random], str]] = {
    "ip": _ip,
    "port": _int(1024, 65535),
    "int": _int(0, 99999),
    "small": _int(1, 9),
    "float": _float,
    "ms": lambda rng: f"{rng.random() * 900:.3f}",
    "uuid": _uuid,
    "hex8": _hexs(8),
    "hex32": _hexs(32),
    "pod": _pod,
    "clf_time": _clf_time,
    "path": _url_path,
    "user": _choice(
        "alice",
        "bob",
        "postgres",
        "deploy",
        "jenkins",
        "www-data",
        "svc_backup",
        "j.doe",
        "root",
        "Admin",
    ),
    "host": _choice(
        "db1.internal.example.com",
        "cache-02.prod.example.net",
        "mail.example.org",
        "edge.example.io",
        "localhost",
    ),
    "container": _choice(
        "nginx", "redis", "app", "sidecar", "istio-proxy", "migrations", "fluent-bit"
    ),
    "image": _choice(
        "nginx:1.25.3",
        "redis:7.2",
        "busybox:latest",
        "ghcr.io/acme/app:v2.3.1",
        "postgres:16-alpine",
    ),
    "namespace": _choice("default", "kube-system", "monitoring", "payments"),
    "database": _choice("orders", "analytics", "postgres", "app_production", "inventory"),
    "table": _choice("orders", "users", "line_items", "events", "audit_log"),
    "unit": _choice(
        "nginx.service",
        "ssh.service",
        "cron.service",
        "docker.socket",
        "systemd-tmpfiles-clean.timer",
    ),
    "queue_id": lambda rng: "".join(rng.choice("0123456789ABCDEF") for _ in range(10)),
    "email": _choice("alice@example.com", "bob@example.org", "noreply@shop.example.io"),
    "key": _choice("session:abc", "user:42:profile", "cart:9f", "rate:limit:login"),
    "class": _choice(
        "com.acme.orders.OrderService", "com.acme.web.Controller", "org.hibernate.SQL"
    ),
    "sid": lambda rng: f"0x{rng.getrandbits(56):x}",
    "backend": _choice("web_servers", "api_pool", "static"),
    "server": _choice("web1", "web2", "api-a", "api-b"),
    "iface": _choice("eth0", "ens3", "wlan0", "enp0s31f6"),
    "dev": _choice("sda1", "nvme0n1p2", "dm-0", "vdb"),
    "comm": _choice("java", "postgres", "chrome", "node", "python3"),
    "topic": _choice("events", "orders", "audit", "clicks"),
    "mysql_db": _choice("shop", "wordpress", "analytics"),
    "index": lambda rng: f"logs-2026.11.{rng.randint(1, 28):02d}",
    "job": _choice("build-frontend", "nightly", "deploy_prod", "integration-tests"),
    "mac": lambda rng: ":".join(f"{rng.getrandbits(8):02x}" for _ in range(6)),
    "hostname": _choice("laptop", "printer", "kitchen-tv", "nas", "android"),
    "pkg": _choice("curl", "openssl", "libc-bin", "man-db", "nginx-common", "tzdata", "python3.11"),
    "version": lambda rng: (
        f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}ubuntu{rng.randint(1, 3)}"
    ),
    "customer": _choice("acme", "globex", "initech", "umbrella", "cust_0042"),
    "amount": lambda rng: f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
    "source": _choice("cache", "disk", "remote", "s3"),
}

# ---------------------------------------------------------------------------------------------
# Families: (template id, template). ``{name}`` is a variable from VARS.


@dataclass(frozen=True)
class Family:
    name: str
    templates: tuple[tuple[str, str], ...]


FAMILIES: tuple[Family, ...] = (
    Family("nginx", (
        ("get", '{ip} - - [{clf_time}] "GET {path} HTTP/1.1" {int} {int} "-" "curl/8.4.0"'),
        ("post", '{ip} - - [{clf_time}] "POST {path} HTTP/1.1" {int} {int} "-" "curl/8.4.0"'),
        ("delete", '{ip} - - [{clf_time}] "DELETE {path} HTTP/1.1" {int} {int} "-" "curl/8.4.0"'),
        ("open_failed", '*{int} open() "/usr/share/nginx/html{path}" failed (2: No such file or directory), client: {ip}, server: {host}, request: "GET {path} HTTP/1.1"'),
        ("upstream_timeout", "*{int} upstream timed out (110: Connection timed out) while reading response header from upstream, client: {ip}, server: {host}"),
        ("upstream_refused", "*{int} connect() failed (111: Connection refused) while connecting to upstream, client: {ip}, server: {host}"),
    )),
    Family("kubernetes", (
        ("pulling", 'Pulling image "{image}"'),
        ("pulled", 'Successfully pulled image "{image}" in {ms}ms (waiting {ms}ms)'),
        ("created", "Created container {container}"),
        ("started", "Started container {container}"),
        ("killing", "Stopping container {container}"),
        ("backoff", "Back-off restarting failed container {container} in pod {pod}_{namespace}({uuid})"),
        ("readiness", "Readiness probe failed: HTTP probe failed with statuscode: {int}"),
        ("liveness", 'Liveness probe failed: Get "http://{ip}:{port}/healthz": dial tcp {ip}:{port}: connect: connection refused'),
        ("scheduled", "Successfully assigned {namespace}/{pod} to node-{small}"),
        ("scaled", "Scaled up replica set {pod} to {small}"),
        ("mount", 'MountVolume.SetUp succeeded for volume "kube-api-access-{hex8}"'),
    )),
    Family("postgres", (
        ("conn_received", "connection received: host={ip} port={port}"),
        ("conn_authorized", "connection authorized: user={user} database={database} application_name=psql"),
        ("disconnection", "disconnection: session time: 0:00:{int}.{int} user={user} database={database} host={ip} port={port}"),
        ("auth_failed", 'password authentication failed for user "{user}"'),
        ("role_missing", 'role "{user}" does not exist'),
        ("db_missing", 'database "{database}" does not exist'),
        ("relation_missing", 'relation "{table}" does not exist at character {int}'),
        ("checkpoint_start", "checkpoint starting: time"),
        ("checkpoint_done", "checkpoint complete: wrote {int} buffers ({float}%); 0 WAL file(s) added, 0 removed, {small} recycled; write={float} s, sync={float} s, total={float} s"),
        ("vacuum", 'automatic vacuum of table "{database}.public.{table}": index scans: {small}'),
        ("reset", "could not receive data from client: Connection reset by peer"),
    )),
    Family("systemd", (
        ("started", "Started {unit}."),
        ("stopped", "Stopped {unit}."),
        ("starting", "Starting {unit}..."),
        ("stopping", "Stopping {unit}..."),
        ("exited", "{unit}: Main process exited, code=exited, status={small}/FAILURE"),
        ("failed_result", "{unit}: Failed with result 'exit-code'."),
        ("deactivated", "{unit}: Deactivated successfully."),
        ("session_new", "New session {int} of user {user}."),
        ("session_removed", "Removed session {int}."),
        ("session_started", "Started Session {int} of User {user}."),
    )),
    Family("nova", (
        ("vm_started", "[instance: {uuid}] VM Started (Lifecycle Event)"),
        ("vm_paused", "[instance: {uuid}] VM Paused (Lifecycle Event)"),
        ("vm_resumed", "[instance: {uuid}] VM Resumed (Lifecycle Event)"),
        ("vm_stopped", "[instance: {uuid}] VM Stopped (Lifecycle Event)"),
        ("spawn", "[instance: {uuid}] Took {float} seconds to spawn the instance on the hypervisor."),
        ("destroy", "[instance: {uuid}] Took {float} seconds to destroy the instance on the hypervisor."),
        ("api_get", '{ip} "GET /v2/{hex32}/servers/detail HTTP/1.1" status: {int} len: {int} time: {float}'),
        ("api_post", '{ip} "POST /v2/{hex32}/os-server-external-events HTTP/1.1" status: {int} len: {int} time: {float}'),
        ("api_delete", '{ip} "DELETE /v2/{hex32}/servers/{uuid} HTTP/1.1" status: {int} len: {int} time: {float}'),
        ("claim", "[instance: {uuid}] Claim successful"),
    )),
    Family("postfix", (
        ("connect", "connect from {host}[{ip}]"),
        ("disconnect", "disconnect from {host}[{ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
        ("qmgr_from", "{queue_id}: from=<{email}>, size={int}, nrcpt=1 (queue active)"),
        ("smtp_sent", "{queue_id}: to=<{email}>, relay={host}[{ip}]:25, delay={float}, delays={float}/0/{float}/{float}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {queue_id})"),
        ("removed", "{queue_id}: removed"),
        ("lost", "lost connection after AUTH from {host}[{ip}]"),
    )),
    Family("redis", (
        ("bg_started", "Background saving started by pid {int}"),
        ("bg_ok", "Background saving terminated with success"),
        ("db_saved", "DB saved on disk"),
        ("changes", "{int} changes in {int} seconds. Saving..."),
        ("accepted", "Accepted {ip}:{port}"),
        ("replica", "Replica {ip}:{port} asks for synchronization"),
    )),
    Family("spring", (
        ("app_started", "Started OrderApplication in {float} seconds (process running for {float})"),
        ("tomcat", "Tomcat started on port {port} (http) with context path ''"),
        ("hikari_start", "HikariPool-{small} - Starting..."),
        ("hikari_done", "HikariPool-{small} - Start completed."),
        ("request", "Completed {int} OK in {int}ms"),
        ("slow", "Slow query took {int} ms on table {table}"),
        ("cache_miss", 'Cache miss for key "{key}"'),
        ("exc_npe", "Exception in thread \"task-{small}\" java.lang.NullPointerException"),
        ("exc_ise", "Exception in thread \"task-{small}\" java.lang.IllegalStateException"),
    )),
    Family("zookeeper", (
        ("received", "Received connection request /{ip}:{port}"),
        ("accepted", "Accepted socket connection from /{ip}:{port}"),
        ("established", "Established session {sid} with negotiated timeout {int} for client /{ip}:{port}"),
        ("closed", "Closed socket connection for client /{ip}:{port} which had sessionid {sid}"),
        ("expiring", "Expiring session {sid}, timeout of {int}ms exceeded"),
        ("terminated", "Processed session termination for sessionid: {sid}"),
    )),
    Family("haproxy", (
        ("up", "Server {backend}/{server} is UP, reason: Layer4 check passed, check duration: {int}ms. {small} active and 0 backup servers online."),
        ("down", "Server {backend}/{server} is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: {int}ms. {small} active and 0 backup servers left."),
        ("proxy_started", "Proxy {backend} started."),
        ("proxy_stopped", "Proxy {backend} stopped (cumulated conns: FE: {int}, BE: {int})."),
    )),
    Family("kernel", (
        ("link_up", "{iface}: Link is Up - 1Gbps/Full - flow control rx/tx"),
        ("link_down", "{iface}: Link is Down"),
        ("ext4_mounted", "EXT4-fs ({dev}): mounted filesystem with ordered data mode. Quota mode: none."),
        ("ext4_error", "EXT4-fs error (device {dev}): ext4_find_entry:{int}: inode #{int}: comm {comm}: reading directory lblock 0"),
        ("oom", "Out of memory: Killed process {int} ({comm}) total-vm:{int}kB, anon-rss:{int}kB, file-rss:0kB, shmem-rss:0kB, UID:{int} pgtables:{int}kB oom_score_adj:0"),
        ("ufw_block", "[UFW BLOCK] IN={iface} OUT= MAC={hex8} SRC={ip} DST={ip} LEN={int} TOS=0x00 PREC=0x00 TTL={int} ID={int} PROTO=TCP SPT={port} DPT={port} WINDOW={int} RES=0x00 SYN URGP=0"),
        ("ufw_allow", "[UFW ALLOW] IN={iface} OUT= MAC={hex8} SRC={ip} DST={ip} LEN={int} TOS=0x00 PREC=0x00 TTL={int} ID={int} PROTO=TCP SPT={port} DPT={port} WINDOW={int} RES=0x00 SYN URGP=0"),
        ("segfault", "{comm}[{int}]: segfault at {hex8} ip {hex8} sp {hex8} error 4 in libc.so.6[{hex8}+{hex8}]"),
    )),
    Family("auth", (
        ("sudo", "{user} : TTY=pts/{small} ; PWD=/home/{user} ; USER=root ; COMMAND=/usr/bin/systemctl restart {unit}"),
        ("sudo_fail", "{user} : 3 incorrect password attempts ; TTY=pts/{small} ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/bash"),
        ("su_ok", "Successful su for {user} by root"),
        ("su_fail", "FAILED su for {user} by {user}"),
        ("pam_open", "pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid={int})"),
        ("pam_close", "pam_unix(sudo:session): session closed for user root"),
        ("accepted", "Accepted publickey for {user} from {ip} port {port} ssh2: RSA SHA256:{hex32}"),
        ("disconnected", "Disconnected from user {user} {ip} port {port}"),
    )),
    Family("mysql", (
        ("aborted", "Aborted connection {int} to db: '{mysql_db}' user: '{user}' host: '{ip}' (Got an error reading communication packets)"),
        ("aborted_timeout", "Aborted connection {int} to db: '{mysql_db}' user: '{user}' host: '{ip}' (Got timeout reading communication packets)"),
        ("denied", "Access denied for user '{user}'@'{ip}' (using password: YES)"),
        ("ready", "ready for connections. Version: '8.0.{small}'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL."),
        ("deadlock", "InnoDB: Transactions deadlock detected, dumping detailed information."),
    )),
    Family("kafka", (
        ("shrink", "[Partition {topic}-{small} broker={small}] Shrinking ISR from {small},{small},{small} to {small}. Leader: (highWatermark: {int}, endOffset: {int}). Out of sync replicas: (brokerId: {small}, endOffset: {int})."),
        ("expand", "[Partition {topic}-{small} broker={small}] Expanding ISR from {small},{small} to {small},{small},{small}"),
        ("rolled", "[ProducerStateManager partition={topic}-{small}] Wrote producer snapshot at offset {int} with 0 producer ids in {small} ms."),
        ("deleted", "Deleted log segment for partition {topic}-{small} with base offset {int}"),
        ("consumer_join", "[GroupCoordinator {small}]: Preparing to rebalance group {job} in state PreparingRebalance with old generation {int}"),
        ("consumer_stable", "[GroupCoordinator {small}]: Stabilized group {job} generation {int}"),
    )),
    Family("jenkins", (
        ("started", "Started by user {user}"),
        ("building", "Building in workspace /var/lib/jenkins/workspace/{job}"),
        ("success", "Finished: SUCCESS"),
        ("failure", "Finished: FAILURE"),
        ("aborted", "Finished: ABORTED"),
        ("checkout", "Checking out Revision {hex32} (refs/remotes/origin/main)"),
    )),
    Family("elasticsearch", (
        ("created", "[node-{small}] [{index}] creating index, cause [auto(bulk api)], templates [], shards [1]/[1]"),
        ("deleted", "[node-{small}] [{index}/{hex8}] deleting index"),
        ("gc", "[gc][{int}] overhead, spent [{int}ms] collecting in the last [{int}ms]"),
        ("watermark", "high disk watermark [90%] exceeded on [{hex8}][node-{small}][/var/lib/elasticsearch] free: {float}gb[{float}%], shards will be relocated away from this node"),
        ("health", "Cluster health status changed from [YELLOW] to [GREEN] (reason: [shards started [[{index}][0]]])."),
        ("health_red", "Cluster health status changed from [GREEN] to [RED] (reason: [index deleted])."),
    )),
    Family("dhcp", (
        ("discover", "DHCPDISCOVER from {mac} via {iface}"),
        ("offer", "DHCPOFFER on {ip} to {mac} via {iface}"),
        ("request", "DHCPREQUEST for {ip} ({ip}) from {mac} via {iface}"),
        ("ack", "DHCPACK on {ip} to {mac} ({hostname}) via {iface}"),
        ("ntp_sync", "synchronized to {ip}, stratum {small}"),
    )),
    Family("apt", (
        ("unpacking", "Unpacking {pkg} ({version}) over ({version}) ..."),
        ("setting_up", "Setting up {pkg} ({version}) ..."),
        ("triggers", "Processing triggers for {pkg} ({version}) ..."),
        ("removing", "Removing {pkg} ({version}) ..."),
    )),
    Family("webapp", (
        ("login", "User {user} logged in"),
        ("logout", "User {user} logged out"),
        ("login_failed", "Failed login for {user} from {ip}"),
        ("password", "Password changed for {user}"),
        ("charged", "Charged customer {customer} {amount} USD"),
        ("refunded", "Refunded customer {customer} {amount} USD"),
        ("rules", "Loaded {int} rules from {source}"),
        ("invoice", "Invoice {int} sent to {email}"),
    )),
    Family("docker", (
        ("ignoring", 'level=info msg="ignoring event" container={hex32} module=libcontainerd namespace=moby topic=/tasks/delete type="*events.TaskDelete"'),
        ("swap", 'level=warning msg="Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap."'),
        ("handler", 'level=error msg="Handler for POST /v1.43/containers/{hex32}/start returned error: driver failed programming external connectivity on endpoint {container} ({hex32})"'),
        ("health", 'level=warning msg="Health check for container {hex32} error: context deadline exceeded"'),
    )),
)  # fmt: skip

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


def render(family: Family, n: int, seed: int) -> tuple[list[str], list[str]]:
    """``n`` lines of the family (templates in random order) and each line's template id."""
    rng = random.Random(seed)
    lines, truth = [], []
    for _ in range(n):
        tid, text = rng.choice(family.templates)
        lines.append(_PLACEHOLDER.sub(lambda m: VARS[m.group(1)](rng), text))
        truth.append(tid)
    return lines, truth


def mine(lines: list[str], chunk: int | None = None) -> list[str]:
    engine = PatternEngine(Masker.from_settings(PatternSettings()), TokenMerger())
    book = PatternBook("test", 20_000)
    ids: list[str] = []
    step = chunk or len(lines)
    for start in range(0, len(lines), step):
        part = lines[start : start + step]
        mined = engine.mine(pl.DataFrame({"level": ["info"] * len(part), "message": part}), book)
        book.commit()
        ids += mined["pattern_id"].to_list()
    return ids


def split_and_merged(
    ids: list[str], truth: list[str]
) -> tuple[dict[str, int], dict[str, set[str]]]:
    patterns_of: dict[str, set[str]] = defaultdict(set)
    templates_of: dict[str, set[str]] = defaultdict(set)
    for pid, tid in zip(ids, truth, strict=True):
        patterns_of[tid].add(pid)
        templates_of[pid].add(tid)
    split = {tid: len(p) for tid, p in patterns_of.items() if len(p) > 1}
    merged = {pid: t for pid, t in templates_of.items() if len(t) > 1}
    return split, merged


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_is_grouped_exactly(family: Family, seed: int) -> None:
    lines, truth = render(family, 1500, seed=seed)
    split, merged = split_and_merged(mine(lines), truth)
    assert split == {}, [lines[truth.index(t)] for t in split]
    assert list(merged.values()) == []


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_family_grouping_does_not_depend_on_chunks(family: Family) -> None:
    lines, _ = render(family, 800, seed=4)
    assert mine(lines, chunk=37) == mine(lines)


@pytest.mark.xfail(strict=True, reason="known limit: plain names after an unknown word")
def test_plain_names_after_an_unknown_word_merge_in_any_order() -> None:
    """A slot of plain words with no cue (``comm java:``, ``comm chrome:``) becomes a variable
    only once a value with a digit (``comm python3:``) or eight distinct words were seen; the
    patterns founded before that keep their ids, so arrival order can split one template."""
    lines = [
        f"inode #{i}: comm {c}: reading directory"
        for i, c in enumerate(("java", "chrome", "python3"))
    ]
    assert len(set(mine(lines))) == 1
