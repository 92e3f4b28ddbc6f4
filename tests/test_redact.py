"""Issue 5: redaction — a corpus of secret formats, none of which may survive ``redact`` or
reach an Alertmanager annotation; ordinary log text stays readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ailert.config import parse_config
from ailert.notify.alerts import build_payload
from ailert.redact import redact
from tests.test_alertmanager_client import NOW

# (name, line, the secret that must disappear). Fake values, shaped like the real ones.
CORPUS = [
    ("bearer header", "GET /x Authorization: Bearer abcDEF123.ghiJKL456-mno", "abcDEF123"),
    ("basic header", 'headers={"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}', "dXNlcjpwYXNz"),
    ("bare bearer", "calling api with bearer Zm9vYmFyYmF6cXV4cXV1eA", "Zm9vYmFyYmF6cXV4"),
    ("password=", "login failed user=bob password=hunter2 from 10.0.0.1", "hunter2"),
    ("pwd:", "connect pwd: S3cr3t! host=db", "S3cr3t!"),
    ("json password", '{"user": "bob", "password": "p@ss w0rd"}', "p@ss w0rd"),
    ("url credentials", "dsn=postgres://app:Tr0ub4dor@db.internal:5432/app", "Tr0ub4dor"),
    ("aws access key", "using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws secret",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
    ),
    ("github token", "token ghp_1234567890abcdefghijABCDEFGHIJ123456 used", "ghp_123456"),
    ("github pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", "github_pat_11"),
    ("gitlab token", "auth glpat-abcdefghij0123456789 ok", "glpat-abcdefghij"),
    ("slack bot token", "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKl", "xoxb-1234"),
    ("slack webhook", "post https://hooks.slack.com/services/T000/B000/XXXXXXXX", "XXXXXXXX"),
    ("stripe key", "charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWD"),
    ("google api key", "maps key=AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA12345"),
    ("openai key", "OPENAI sk-proj-abcdefghijklmnopqrstuvwxyz0123", "sk-proj-abcdef"),
    ("generic api_key", "request api_key=9f8e7d6c5b4a39281706 sent", "9f8e7d6c5b4a"),
    ("generic token=", "refresh token=a1b2c3d4e5f6&user=3", "a1b2c3d4e5f6"),
    ("generic secret:", "client_secret: 'xyz-987-SECRET-value'", "xyz-987-SECRET"),
    (
        "jwt",
        "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4J3",
    ),
    (
        "private key",
        "key=-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----",
        "MIIEpAIBAAKCAQEA7x",
    ),
    ("cut private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", "b3BlbnNz"),
    ("email", "password reset sent to jane.doe+ops@example.co.uk today", "jane.doe"),
    ("card grouped", "paid with 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"),
    ("card luhn", "card=5500005555555559 declined", "5500005555555559"),
    ("npm token", "npmrc _authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm_abcdef"),
    ("vault token", "VAULT hvs.CAESIJlWmZ2h5cGhlbi10b2tlbi12YWx1ZQ", "hvs.CAESIJ"),
    ("cookie", "Cookie: session=8f2a9c1d7e; theme=dark", "8f2a9c1d7e"),
    ("cli flag", "ran mysql --password=Secr3tPass -h db", "Secr3tPass"),
    ("sendgrid", "mail SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "SG.abcdefgh"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "secret"), CORPUS, ids=[c[0] for c in CORPUS])
def test_secret_is_masked(name: str, line: str, secret: str) -> None:
    masked = redact(line)
    assert secret not in masked, masked
    assert redact(masked) == masked  # idempotent


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 20


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-26T10:00:00Z INFO user 7 logged in from 10.0.0.1:443",
        "GET /api/v1/items?page=2 200 1532 bytes in 12 ms",
        "worker-12 processed batch 1732630000 with 15 items",
        "tests passed: 42, failed: 0",
        "order 12345678 shipped to warehouse 7",
        "disk /dev/sda1 at 91% (uuid 123e4567-e89b-12d3-a456-426614174000)",
    ],
)
def test_ordinary_lines_stay_readable(line: str) -> None:
    assert redact(line) == line


def test_no_secret_reaches_an_annotation() -> None:
    config = parse_config(
        "alertmanager: {urls: ['http://am:9093']}\nalerting: {external_url: 'http://x'}\n",
        Path("ailert.yaml"),
    )
    text = " | ".join(line for _, line, _ in CORPUS)
    alert = {
        "alertname": "AIlertNewPattern", "pattern_hash": "0123456789abcdef", "source": "app",
        "level": "error", "severity": "critical", "escalated": False, "template": text,
        "description": text, "sample": text, "count": 1, "pattern_first_seen": NOW,
        "starts_at": NOW,
    }  # fmt: skip
    config = config.model_copy(
        update={
            "alertmanager": config.alertmanager.model_copy(update={"max_annotation_chars": 100_000})  # type: ignore[union-attr]
        }
    )
    payload = json.dumps(build_payload(alert, config, NOW, resolved=False))
    for name, _, secret in CORPUS:
        assert secret not in payload, name
