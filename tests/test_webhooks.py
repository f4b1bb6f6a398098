"""Webhooks against a real local HTTP receiver: signatures, retries, dead letters, and a
write path that never waits for the receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alma_graph import ALMA, ValidationError
from alma_graph.events import EventEmitter, EventType, MemoryEvent
from alma_graph.interfaces.webhooks import WebhookDispatcher, sign, verify_signature

SECRET = "whsec-test-0123456789"


class Receiver:
    """A webhook endpoint on 127.0.0.1: answers with the queued statuses (then 200),
    optionally holding each request until ``gate`` is set."""

    def __init__(self, statuses=(), gate: threading.Event | None = None):
        self.statuses = list(statuses)
        self.gate = gate
        self.requests: list[dict] = []
        self.started = threading.Event()  # a request has arrived
        self.active = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.active += 1
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.started.set()
                if receiver.gate is not None:
                    receiver.gate.wait(30)
                with receiver._lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                    receiver.active -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(*args, **kwargs) -> Receiver:
        made.append(Receiver(*args, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def kuzu_alma(tmp_path, embedder):
    with ALMA({"project_id": "hooks", "storage": "kuzu", "storage_dir": str(tmp_path / "store")},
              embedder=embedder) as alma:
        yield alma


def event(kind: EventType = EventType.CREATED, ids=("m1",)) -> MemoryEvent:
    return MemoryEvent(kind, "p", "agent", tuple(ids), {"kinds": ["outcome"]})


def test_learn_is_delivered_signed(kuzu_alma, receiver):
    r = receiver()
    with WebhookDispatcher(kuzu_alma, r.url, SECRET) as hook:
        outcome = kuzu_alma.learn("qa", "Test the login form", True, "Boundary values", task_type="forms")
        assert hook.flush(20)
    [request] = r.requests
    headers, body = request["headers"], request["body"]
    payload = json.loads(body)
    assert payload["type"] == "created" and outcome.id in payload["memory_ids"]
    assert payload["agent"] == "qa" and payload["project_id"] == "hooks"
    assert headers["X-Alma-Event"] == "created" and headers["X-Alma-Delivery"] == payload["id"]
    # the signature is HMAC-SHA256 over "<timestamp>.<raw body>", computed here independently
    timestamp = headers["X-Alma-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Alma-Signature"] == f"sha256={expected}"
    assert verify_signature(SECRET, body, timestamp, headers["X-Alma-Signature"])
    assert not verify_signature("another-secret", body, timestamp, headers["X-Alma-Signature"])
    assert not verify_signature(SECRET, body + b" ", timestamp, headers["X-Alma-Signature"])
    assert abs(int(timestamp) - time.time()) < 60


def test_retry_after_a_500(kuzu_alma, receiver):
    r = receiver(statuses=[500])
    with WebhookDispatcher(kuzu_alma, r.url, SECRET, backoff_seconds=0.05) as hook:
        kuzu_alma.add_knowledge("qa", "forms", "The login form locks after 5 failed attempts")
        assert hook.flush(20)
        assert hook.stats()["delivered"] == 1 and hook.stats()["failed_attempts"] == 1
        assert hook.dead_letters == []
    first, second = r.requests
    assert (first["status"], second["status"]) == (500, 200)
    assert first["headers"]["X-Alma-Delivery"] == second["headers"]["X-Alma-Delivery"]
    assert (first["headers"]["X-Alma-Attempt"], second["headers"]["X-Alma-Attempt"]) == ("1", "2")
    body = second["body"]
    assert verify_signature(SECRET, body, second["headers"]["X-Alma-Timestamp"], second["headers"]["X-Alma-Signature"])


def test_learn_returns_while_the_receiver_is_still_sleeping(kuzu_alma, receiver):
    gate = threading.Event()
    r = receiver(gate=gate)
    hook = WebhookDispatcher(kuzu_alma, r.url, SECRET, timeout_seconds=60)
    try:
        kuzu_alma.learn("qa", "Test the signup form", True, "Boundary values", task_type="forms")
        assert r.started.wait(20), "the first delivery never reached the receiver"
        started = time.perf_counter()
        outcome = kuzu_alma.learn("qa", "Test the reset form", False, "Fixed sleeps", task_type="forms",
                                  error_message="flaky")
        elapsed = time.perf_counter() - started
        # learn() came back while the receiver still holds the first delivery open
        assert not gate.is_set() and r.active == 1 and r.requests == []
        assert elapsed < 10, f"learn() took {elapsed:.1f}s with a stalled receiver"
        gate.set()
        assert hook.flush(20)
    finally:
        gate.set()
        hook.close()
    delivered = [json.loads(q["body"]) for q in r.requests]
    assert len(delivered) == 2 and outcome.id in delivered[1]["memory_ids"]


def test_dead_receiver_gives_dead_letters_and_logs(caplog):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emitter = EventEmitter()
    hook = WebhookDispatcher(emitter, f"http://127.0.0.1:{port}/hook", SECRET, max_attempts=3, backoff_seconds=0.01)
    with caplog.at_level(logging.WARNING, logger="alma_graph.interfaces.webhooks"):
        emitter.emit(event())
        assert hook.flush(20)
        hook.close()
    [letter] = hook.dead_letters
    assert letter.attempts == 3 and "gave up after 3 attempts" in letter.reason and letter.event["memory_ids"] == ["m1"]
    assert any(rec.levelno == logging.ERROR and "undeliverable" in rec.getMessage() for rec in caplog.records)


def test_a_4xx_is_final_and_dead_letters_can_be_retried(receiver):
    r = receiver(statuses=[400])
    emitter = EventEmitter()
    with WebhookDispatcher(emitter, r.url, SECRET, backoff_seconds=0.01) as hook:
        emitter.emit(event())
        assert hook.flush(20)
        [letter] = hook.dead_letters
        assert letter.last_status == 400 and letter.attempts == 1
        assert hook.retry_dead_letters() == 1  # the receiver now answers 200
        assert hook.flush(20)
        assert hook.dead_letters == [] and hook.stats()["delivered"] == 1
    assert [q["status"] for q in r.requests] == [400, 200]


def test_a_full_queue_never_blocks_the_writer(receiver):
    gate = threading.Event()
    r = receiver(gate=gate)
    emitter = EventEmitter()
    hook = WebhookDispatcher(emitter, r.url, SECRET, max_queue=1, timeout_seconds=60)
    try:
        emitter.emit(event(ids=["a"]))
        assert r.started.wait(10)  # the thread is stuck on "a"
        started = time.perf_counter()
        for i in range(5):
            emitter.emit(event(ids=[f"b{i}"]))
        assert time.perf_counter() - started < 1
        letters = hook.dead_letters
        assert len(letters) == 4 and all("queue full" in d.reason for d in letters)
        gate.set()
        assert hook.flush(20)
    finally:
        gate.set()
        hook.close()
    assert [json.loads(q["body"])["memory_ids"] for q in r.requests] == [["a"], ["b0"]]


def test_only_the_chosen_events_are_sent_and_close_keeps_what_is_left(receiver):
    r = receiver(statuses=[503] * 100)
    emitter = EventEmitter()
    hook = WebhookDispatcher(emitter, r.url, SECRET, events=["deleted"], backoff_seconds=5)
    emitter.emit(event(EventType.CREATED))
    emitter.emit(event(EventType.ACCESSED))
    emitter.emit(event(EventType.DELETED))
    assert r.started.wait(10)
    hook.close(timeout=0.2)  # the 5 s backoff is cut short; the event is kept, not lost
    [letter] = hook.dead_letters
    assert letter.event["type"] == "deleted" and "closed" in letter.reason
    assert {json.loads(q["body"])["type"] for q in r.requests} == {"deleted"}


def test_sign_and_verify():
    body = b'{"a":1}'
    signature = sign(SECRET, 1_700_000_000, body)
    assert verify_signature(SECRET, body, "1700000000", signature, now=1_700_000_100)
    assert not verify_signature(SECRET, body, "1700000000", signature, now=1_700_001_000)  # too old: a replay
    assert not verify_signature(SECRET, body, None, signature)
    assert not verify_signature(SECRET, body, "soon", signature)


@pytest.mark.parametrize("kwargs, message", [
    ({"url": "ftp://example.com/x"}, "http:// or https://"),
    ({"url": "http:///nohost"}, "with a host"),
    ({"secret": ""}, "secret"),
    ({"events": ["created", "exploded"]}, "events must be among"),
    ({"events": []}, "at least one"),
    ({"max_queue": 0}, "max_queue"),
])
def test_bad_settings_are_refused(kwargs, message):
    settings = {"url": "http://127.0.0.1:9/hook", "secret": SECRET, **kwargs}
    with pytest.raises(ValidationError, match=message):
        WebhookDispatcher(EventEmitter(), **settings)
