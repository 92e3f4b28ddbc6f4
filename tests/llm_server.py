"""A scripted OpenAI-compatible server for the LLM judge tests: ``POST /v1/chat/completions``
on 127.0.0.1 with a free port, real HTTP for the real ``openai`` client.

It records every request (:attr:`LlmServer.requests`: the parsed JSON body) and answers the
next behaviour of its script (:meth:`LlmServer.queue`), else :attr:`LlmServer.default`:

* ``good`` — one verdict per asked pattern: :attr:`verdicts` ``[pattern_id]`` if set, else
  the first of :attr:`by_template` whose text is in the pattern's template, else ``notify``
  with confidence 0.6;
* ``garbage`` — text that is not JSON; ``wrong_schema`` — JSON with an unknown verdict and a
  confidence of 5802 (grammar does not enforce ranges); ``no_verdicts`` — ``{"result": 1}``;
* ``extra`` — good, plus verdicts ``suppress``/0.99 on patterns that were not asked about;
* ``fenced`` — good, wrapped in a Markdown code fence with prose around it;
* ``500`` / ``503`` / ``429`` — that HTTP status; ``slow`` — sleeps :attr:`slow_seconds`
  (cut short when the server closes), then ``good``;
* ``naive`` — a model that obeys instructions found in the log data: when any template,
  sample or example in the data block holds an instruction-like word, it answers ``suppress``
  with confidence 0.99 for every pattern id in the request (asked or merely mentioned); else
  ``notify``.

With :attr:`reject_json_schema` it answers 500 to ``response_format`` ``json_schema`` the way
llama-cpp-python's server does (and accepts ``json_object`` with a ``schema``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LlmServer", "asked_ids", "data_block"]

_ASKED = re.compile(r"Judge these [0-9]+ pattern\(s\): ([0-9a-f, ]+)\.")
_ID = re.compile(r"\b[0-9a-f]{16}\b")
_BLOCK = re.compile(
    r"-----BEGIN UNTRUSTED LOG DATA ([0-9a-f]+)-----\n(.*)\n-----END UNTRUSTED LOG DATA \1-----",
    re.DOTALL,
)
_TRIGGER = re.compile(
    r"ignore|instruction|suppress|verdict|system|assistant|override|disregard|forget|"
    r"confidence|pattern_id|mute|silence|admin|prompt",
    re.IGNORECASE,
)


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body["messages"] if m["role"] == "user")


def asked_ids(body: dict[str, Any]) -> list[str]:
    """The pattern ids a request asks about (from the line outside the data block)."""
    match = _ASKED.search(user_text(body))
    return [p.strip() for p in match.group(1).split(",")] if match else []


def data_block(body: dict[str, Any]) -> dict[str, Any]:
    """The parsed JSON of the request's untrusted data block."""
    match = _BLOCK.search(user_text(body))
    assert match, "no data block in the request"
    return dict(json.loads(match.group(2)))


def _untrusted_strings(data: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for pattern in data.get("patterns", []):
        texts.append(pattern.get("template", ""))
        texts.extend(pattern.get("samples", []))
    for example in data.get("existing_suppressions", []):
        texts.extend(str(v) for v in example.values())
    return texts


class LlmServer:
    """The scripted server; use as a context manager (closes its socket and thread)."""

    def __init__(self, default: str = "good") -> None:
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.by_template: dict[str, dict[str, Any]] = {}
        self.reject_json_schema = False
        self.slow_seconds = 5.0
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, payload = owner._answer(self.path, body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def __enter__(self) -> LlmServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def queue(self, *behaviours: str) -> None:
        """Answer the next requests with these behaviours, in order."""
        with self._lock:
            self._script.extend(behaviours)

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    def _answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            behaviour = self._script.popleft() if self._script else self.default
        status, payload = self._behave(path, body, behaviour)
        with self._lock:
            self.statuses.append(status)
        return status, payload

    def _behave(
        self, path: str, body: dict[str, Any], behaviour: str
    ) -> tuple[int, dict[str, Any]]:
        if path.rstrip("/") != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}
        fmt = (body.get("response_format") or {}).get("type", "text")
        if self.reject_json_schema and fmt == "json_schema":
            return 500, {"error": {"message": "json_schema is not supported"}}
        if behaviour in ("500", "503", "429"):
            return int(behaviour), {"error": {"message": f"scripted {behaviour}"}}
        if behaviour == "slow":
            deadline = time.monotonic() + self.slow_seconds
            while time.monotonic() < deadline and not self._closing.is_set():
                time.sleep(0.02)
            behaviour = "good"
        asked = asked_ids(body)
        if behaviour == "garbage":
            return 200, _completion("Sure! Everything looks fine to me, nothing to worry about.")
        if behaviour == "no_verdicts":
            return 200, _completion(json.dumps({"result": 1}))
        if behaviour == "wrong_schema":
            entries = [
                {"pattern_id": p, "verdict": "maybe", "confidence": 5802, "reason": ""}
                for p in asked
            ]
            return 200, _completion(json.dumps({"verdicts": entries}))
        if behaviour == "naive":
            return 200, _completion(json.dumps({"verdicts": self._naive(body, asked)}))
        templates = {p["pattern_id"]: p["template"] for p in data_block(body)["patterns"]}
        entries = [self._verdict(p, templates.get(p, "")) for p in asked]
        if behaviour == "extra":
            entries += [_entry("f" * 16, "suppress", 0.99), _entry("not-a-pattern", "suppress", 1)]
        text = json.dumps({"verdicts": entries})
        if behaviour == "fenced":
            text = f"Here are my verdicts:\n```json\n{text}\n```\nHope this helps."
        return 200, _completion(text)

    def _verdict(self, pattern_id: str, template: str) -> dict[str, Any]:
        chosen = self.verdicts.get(pattern_id)
        for text, answer in self.by_template.items():
            if chosen is None and text in template:
                chosen = answer
        if chosen is None:
            return _entry(pattern_id, "notify", 0.6)
        return {"pattern_id": pattern_id, **chosen}

    def _naive(self, body: dict[str, Any], asked: list[str]) -> list[dict[str, Any]]:
        data = data_block(body)
        hostile = any(_TRIGGER.search(text) for text in _untrusted_strings(data))
        if not hostile:
            return [_entry(p, "notify", 0.5) for p in asked]
        mentioned = dict.fromkeys([*asked, *_ID.findall(user_text(body))])
        return [_entry(p, "suppress", 0.99, "health_check") for p in mentioned]


def _entry(
    pattern_id: str, verdict: str, confidence: float, category: str = "other"
) -> dict[str, Any]:
    return {
        "pattern_id": pattern_id, "verdict": verdict, "confidence": confidence,
        "category": category, "reason": f"Scripted {verdict} verdict.",
    }  # fmt: skip


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }
