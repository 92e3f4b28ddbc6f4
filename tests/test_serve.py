"""Issue 5: ``ailert serve`` — signed, expiring suppress links (forged, altered and expired
tokens refused), an escaped confirmation page, POST applies the suppression, /healthz, /metrics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ailert.config import Config, load_config
from ailert.errors import AIlertError
from ailert.notify.alerts import build_payload, process_findings
from ailert.serve import make_server, make_token, verify_token
from ailert.store import open_store
from ailert.triage.suppress import list_suppressions
from tests.test_alertmanager_client import PID, finding

SECRET = b"0123456789abcdef-secret"
EVIL = "<script>alert(1)</script> {{ .Status }} &amp;"


def test_tokens_verify_and_refuse_tampering() -> None:
    now = datetime.now(UTC)
    token = make_token(SECRET, PID, "app", now + timedelta(hours=1))
    claims = verify_token(SECRET, token, now)
    assert (claims.pattern_id, claims.source) == (PID, "app")
    body, mac = token.split(".")
    forged = make_token(b"another-secret-of-16+", PID, "app", now + timedelta(hours=1))
    altered = make_token(SECRET, "fedcba9876543210", "app", now + timedelta(hours=1))
    cases = {
        "signature": [forged, f"{altered.split('.')[0]}.{mac}", f"{body}.", body],
        "malformed": [f"{body}x.{mac}", "", "..", "%%%.%%%"],
    }
    for tokens in cases.values():
        for bad in tokens:
            with pytest.raises(AIlertError, match="invalid link"):
                verify_token(SECRET, bad, now)
    with pytest.raises(AIlertError, match="expired"):
        verify_token(SECRET, token, now + timedelta(hours=2))


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Config]]:
    monkeypatch.setenv("AILERT_SECRET", SECRET.decode())
    path = tmp_path / "ailert.yaml"
    path.write_text(
        "store: s.duckdb\nalerting: {external_url: 'http://127.0.0.1:1'}\n", encoding="utf-8"
    )
    config = load_config(path)
    with open_store(config.store_path()) as store:
        store.con.execute(
            "INSERT INTO patterns VALUES ('app', $pid, $t, 'error', now(), now(), 3, $t)",
            {"pid": PID, "t": EVIL},
        )
        store.con.execute("INSERT INTO runs (run_id, source, started_at, finished_at, "
                          "lines_read, outcome) VALUES (1, 'a\"b', now() - INTERVAL 2 SECOND, "
                          "now(), 42, 'ok')")  # fmt: skip
        process_findings(store, config, [finding(template=EVIL)], datetime.now(UTC))
    server = make_server(config, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", config
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_link_confirms_then_post_suppresses(served: tuple[str, Config]) -> None:
    base, config = served
    with open_store(config.store_path()) as store:
        row = store.query("alerts/open_alerts")[0]
    link = build_payload(row, config, datetime.now(UTC), resolved=False)["annotations"][
        "suppress_url"
    ]
    token = link.split("token=", 1)[1]
    with httpx.Client(base_url=base, timeout=5) as client:
        page = client.get(f"/suppress?token={token}")
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;script&gt;" in page.text
        assert "{{ .Status }}" in page.text
        assert "&amp;amp;" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        with open_store(config.store_path()) as store:  # GET changes nothing
            assert list_suppressions(store, datetime.now(UTC)) == []
        done = client.post("/suppress", data={"token": token, "for": "1d", "reason": "<b>x</b>"})
        assert done.status_code == 200, done.text
        assert "Suppressed" in done.text
        tampered = client.post("/suppress", data={"token": token[:-2] + "AA", "for": "1d"})
        assert tampered.status_code == 403
        bad_duration = client.post("/suppress", data={"token": token, "for": "forever"})
        assert bad_duration.status_code == 400
    with open_store(config.store_path()) as store:
        [supp] = list_suppressions(store, datetime.now(UTC))
    assert (supp["pattern_id"], supp["source"], supp["reason"]) == (PID, "app", "<b>x</b>")
    assert supp["created_by"].startswith("web")


def test_refused_links_and_unknown_paths(
    served: tuple[str, Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = served
    expired = make_token(SECRET, PID, "app", datetime.now(UTC) - timedelta(seconds=1))
    forged = make_token(b"not-the-secret-at-all", PID, "app", datetime.now(UTC) + timedelta(1))
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.get(f"/suppress?token={expired}").status_code == 403
        refused = client.get(f"/suppress?token={forged}")
        assert refused.status_code == 403
        assert "signature" in refused.text
        assert client.get("/suppress").status_code == 403
        assert client.get("/nope").status_code == 404
        assert client.post("/nope").status_code == 404
        monkeypatch.delenv("AILERT_SECRET")
        good = make_token(SECRET, PID, "app", datetime.now(UTC) + timedelta(1))
        disabled = client.get(f"/suppress?token={good}")
        assert disabled.status_code == 403
        assert "AILERT_SECRET" in disabled.text


def test_healthz_and_metrics(served: tuple[str, Config]) -> None:
    base, _ = served
    with httpx.Client(base_url=base, timeout=5) as client:
        assert client.get("/healthz").text == "ok\n"
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    lines = metrics.text.splitlines()
    assert "ailert_lines_read_total 42" in lines
    assert "ailert_patterns 1" in lines
    assert "ailert_alerts_open 1" in lines
    assert "ailert_outbox_depth 0" in lines
    assert "# TYPE ailert_alerts_sent_total counter" in lines
    assert any(line.startswith('ailert_run_duration_seconds{source="a\\"b"} 2') for line in lines)
