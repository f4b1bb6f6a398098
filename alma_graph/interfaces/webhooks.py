"""Webhooks: memory events POSTed to an HTTP endpoint, signed, retried, off the write path.

    from alma_graph.interfaces.webhooks import WebhookDispatcher

    hook = WebhookDispatcher(alma, "https://example.com/alma-hook", secret=os.environ["ALMA_WEBHOOK_SECRET"],
                             events=["created", "updated", "deleted"])
    ...
    hook.close()          # delivers what is queued (up to a timeout), then stops

Each event (``MemoryEvent.to_dict()``: id, type, project_id, agent, memory_ids,
details, at) is sent as a JSON body with these headers::

    X-Alma-Event:      created
    X-Alma-Delivery:   <event id>          (the same on every retry: deduplicate on it)
    X-Alma-Timestamp:  <unix seconds>      (of this attempt)
    X-Alma-Signature:  sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
    X-Alma-Attempt:    1, 2, ...

A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares it
in constant time and rejects old timestamps (``verify_signature`` does all three).

The event observer only puts the event on a bounded queue, so ``learn()`` never waits
for a receiver; one background thread delivers in order. A 5xx, 408 or 429 answer, a
timeout or a connection error is retried with exponential backoff (``Retry-After`` is
honoured up to the cap); any other non-2xx answer is final. An event that cannot be
delivered (retries exhausted, a final answer, the queue full, or the dispatcher closed
first) is logged at ERROR and kept in ``dead_letters``; ``retry_dead_letters()`` queues
them again. Nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from alma_graph.errors import ValidationError
from alma_graph.events import EventEmitter, EventType, MemoryEvent

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Alma-Signature"
TIMESTAMP_HEADER = "X-Alma-Timestamp"
EVENT_HEADER = "X-Alma-Event"
DELIVERY_HEADER = "X-Alma-Delivery"
ATTEMPT_HEADER = "X-Alma-Attempt"

# Changes by default; `accessed` fires on every retrieve, so it is sent only when asked for.
DEFAULT_EVENTS = (EventType.CREATED, EventType.UPDATED, EventType.DELETED, EventType.CONSOLIDATED)
_RETRYABLE_STATUS = {408, 429}
_STOP = object()


def sign(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The ``X-Alma-Signature`` value for a body sent at ``timestamp``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str | bytes, body: bytes, timestamp: str | None, signature: str | None,
                     tolerance_seconds: float = 300, now: float | None = None) -> bool:
    """For receivers: is this a genuine, fresh delivery? (constant-time comparison)."""
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class DeadLetter:
    """An event that could not be delivered, and why."""

    event: dict[str, Any]
    reason: str
    attempts: int
    last_status: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook is POSTed to the URL it was registered with, never elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookDispatcher:
    """POST an ALMA's memory events to ``url``, signed with ``secret``.

    ``source`` is an ``ALMA`` (its ``events``) or an ``EventEmitter``. ``events``
    selects event types (default: created, updated, deleted, consolidated)."""

    def __init__(self, source: Any, url: str, secret: str | bytes, events: Iterable[EventType | str] | None = None,
                 *, max_queue: int = 1000, max_attempts: int = 5, backoff_seconds: float = 0.5,
                 max_backoff_seconds: float = 30.0, timeout_seconds: float = 5.0,
                 headers: dict[str, str] | None = None, max_dead_letters: int = 10_000,
                 on_dead_letter: Callable[[DeadLetter], None] | None = None):
        emitter = source if isinstance(source, EventEmitter) else getattr(source, "events", None)
        if not isinstance(emitter, EventEmitter):
            raise ValidationError(f"source must be an ALMA or an EventEmitter, got {type(source).__name__}")
        parsed = urllib.parse.urlsplit(url if isinstance(url, str) else "")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValidationError(f"webhook url must be an http:// or https:// URL with a host, got {url!r}")
        if not isinstance(secret, (str, bytes)) or not secret:
            raise ValidationError("webhook secret must be a non-empty string (it signs every delivery)")
        try:
            self.events = frozenset(EventType(e) for e in (DEFAULT_EVENTS if events is None else events))
        except ValueError:
            raise ValidationError(
                f"events must be among {[t.value for t in EventType]}, got {list(events or [])!r}") from None
        if not self.events:
            raise ValidationError("events must name at least one event type")
        for name, value, low in (("max_queue", max_queue, 1), ("max_attempts", max_attempts, 1),
                                 ("max_dead_letters", max_dead_letters, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValidationError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, seconds in (("backoff_seconds", backoff_seconds), ("max_backoff_seconds", max_backoff_seconds),
                              ("timeout_seconds", timeout_seconds)):
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise ValidationError(f"{name} must be a non-negative number, got {seconds!r}")

        self.url = url
        self._secret = secret
        self.max_attempts = max_attempts
        self.backoff_seconds = float(backoff_seconds)
        self.max_backoff_seconds = float(max_backoff_seconds)
        self.timeout_seconds = float(timeout_seconds)
        self._headers = dict(headers or {})
        self._max_dead_letters = max_dead_letters
        self._on_dead_letter = on_dead_letter
        self._opener = urllib.request.build_opener(_NoRedirect)
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._dead: list[DeadLetter] = []
        self._counts = {"delivered": 0, "failed_attempts": 0, "dead_letters": 0}
        self._abort = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"alma-webhook {parsed.hostname}", daemon=True)
        self._thread.start()
        self._unsubscribe = emitter.subscribe(self._enqueue, self.events)

    # -- the write path: never blocks ----------------------------------------------------------

    def _enqueue(self, event: MemoryEvent) -> None:
        payload = event.to_dict()
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self._dead_letter(payload, f"queue full ({self._queue.maxsize} events waiting): receiver too slow", 0)

    # -- the delivery thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            try:
                if payload is _STOP:
                    return
                self._deliver(payload)
            except Exception as exc:  # never let the thread die: the event goes to the dead letters
                self._dead_letter(payload, f"unexpected error: {exc!r}", 0)
            finally:
                self._queue.task_done()

    def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
        status: int | None = None
        reason = ""
        for attempt in range(1, self.max_attempts + 1):
            if self._abort.is_set():
                self._dead_letter(payload, "dispatcher closed before delivery", attempt - 1, status)
                return
            status, reason, retry_after = self._post(payload, body, attempt)
            if status is not None and 200 <= status < 300:
                with self._lock:
                    self._counts["delivered"] += 1
                return
            with self._lock:
                self._counts["failed_attempts"] += 1
            if status is not None and status < 500 and status not in _RETRYABLE_STATUS:
                self._dead_letter(payload, f"receiver refused it: {reason}", attempt, status)
                return
            if attempt == self.max_attempts:
                break
            delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
            delay = delay * random.uniform(0.9, 1.1)
            if retry_after is not None:
                delay = min(self.max_backoff_seconds, max(delay, retry_after))
            log.warning("webhook %s: attempt %d for event %s failed (%s); retrying in %.2fs",
                        self.url, attempt, payload.get("id"), reason, delay)
            if self._abort.wait(delay):
                self._dead_letter(payload, f"dispatcher closed while retrying (last: {reason})", attempt, status)
                return
        self._dead_letter(payload, f"gave up after {self.max_attempts} attempts (last: {reason})", self.max_attempts, status)

    def _post(self, payload: dict[str, Any], body: bytes, attempt: int) -> tuple[int | None, str, float | None]:
        """One attempt: (HTTP status or None, what happened, Retry-After seconds)."""
        timestamp = str(int(time.time()))
        headers = {
            **self._headers,
            "Content-Type": "application/json",
            "User-Agent": "alma-graph-webhooks",
            EVENT_HEADER: str(payload.get("type")),
            DELIVERY_HEADER: str(payload.get("id")),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            ATTEMPT_HEADER: str(attempt),
        }
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as response:
                response.read(1 << 16)
                return response.status, f"HTTP {response.status}", None
        except urllib.error.HTTPError as exc:
            with exc:
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                try:
                    seconds = float(retry_after) if retry_after is not None else None
                except ValueError:
                    seconds = None
                return exc.code, f"HTTP {exc.code}", seconds
        except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, reset, timeout, DNS
            return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", None

    def _dead_letter(self, payload: dict[str, Any], reason: str, attempts: int, status: int | None = None) -> None:
        letter = DeadLetter(payload, reason, attempts, status)
        log.error("webhook %s: event %s (%s, memories %s) undeliverable: %s", self.url, payload.get("id"),
                  payload.get("type"), payload.get("memory_ids"), reason)
        with self._lock:
            self._counts["dead_letters"] += 1
            self._dead.append(letter)
            if len(self._dead) > self._max_dead_letters:  # the oldest are already in the log
                del self._dead[0]
        if self._on_dead_letter is not None:
            try:
                self._on_dead_letter(letter)
            except Exception:
                log.exception("webhook %s: on_dead_letter callback failed", self.url)

    # -- control -----------------------------------------------------------------------------------

    @property
    def dead_letters(self) -> list[DeadLetter]:
        with self._lock:
            return list(self._dead)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {**self._counts, "queued": self._queue.unfinished_tasks}

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is delivered or dead-lettered; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def retry_dead_letters(self) -> int:
        """Queue the dead letters again (e.g. once the receiver is back); returns how many."""
        with self._lock:
            letters, self._dead = self._dead, []
        queued = 0
        for letter in letters:
            try:
                self._queue.put_nowait(letter.event)
                queued += 1
            except queue.Full:
                with self._lock:
                    self._dead.append(letter)
        return queued

    def close(self, timeout: float = 10.0) -> None:
        """Stop listening, deliver what is queued for up to ``timeout`` seconds, then stop;
        whatever is still undelivered goes to the dead letters."""
        if self._closed:
            return
        self._closed = True
        self._unsubscribe()
        self.flush(timeout)
        self._abort.set()  # cut retries short: the rest become dead letters
        try:
            self._queue.put(_STOP, timeout=self.timeout_seconds + 1)
        except queue.Full:
            pass
        self._thread.join(self.timeout_seconds + 1)
        while True:  # only if the thread is stuck: nothing may vanish
            try:
                payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if payload is not _STOP:
                self._dead_letter(payload, "dispatcher closed before delivery", 0)
            self._queue.task_done()

    def __enter__(self) -> "WebhookDispatcher":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WebhookDispatcher({self.url!r}, events={sorted(e.value for e in self.events)})"
