"""The task engine: submit once, journal, poll to the end, deliver — sync and async.

The order is what makes paid work safe:

1. the request is checked (bad input raises before anything is sent);
2. the journal is asked, in one atomic step, for an identical request (same gateway, protocol,
   model, prompt, inputs and options) made within ``dedup_window`` seconds, or else for a new
   intent row leased to this worker (``new=True`` skips the look-up). Of any number of threads,
   tasks, processes or machines sharing the journal, one sends the create; the others wait for
   its answer (at most ``submit_lease``) and share its task and result;
3. the create request is sent with ``idempotent=False`` (the transport never re-sends it once
   the body may have reached the gateway);
4. the task id is journaled *before* the first poll; a gateway refusal deletes the intent
   (nothing was paid), an unknowable outcome (connection lost after sending, or a worker dead
   mid-create) marks it ``unknown``: never re-sent, reported by ``resume`` with what to check;
5. polling with backoff (:mod:`.poller`) updates the journal under a lease renewed at each
   poll; :meth:`TaskEngine.resume` adopts the unfinished tasks nobody is polling (a dead
   worker's, once its lease ran out) and polls them to the end; a finished task is answered
   from the journal.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..catalog import ModelInfo, parse_models
from ..coordination.journal_base import UNFINISHED
from ..errors import (
    APIError,
    GatewayError,
    ServerError,
    TaskError,
    error_from_response,
    find_error_in_body,
)
from ..media_items import MediaItem, MediaKind
from ..transport import Response, Transport
from .base import RetrySubmit, TaskProtocol, failure_of, task_failure
from .journal import Claim, Journal, open_journal
from .poller import CancelToken, Poller, PollSettings, ProgressCallback
from .registry import choose_protocol, get_protocol
from .results import find_result_urls
from .types import HttpCall, Submitted, TaskRecord, TaskSnapshot, TaskSpec

__all__ = ["DEFAULT_DEDUP_WINDOW", "TaskEngine", "TaskHandle", "TaskOutcome"]

DEFAULT_DEDUP_WINDOW = 600.0
POLL_LEASE = 120.0
"""Seconds a polling worker holds a task; renewed at every poll, so another worker adopts the
task (``resume``) only when this one has stopped polling for that long (it died)."""
_RESUME_PAGE = 500
_FOREVER = 1e300  # "now" for taking over a lease whose holder is known dead


def _dead_here(owner: str | None) -> bool:
    """True when ``owner`` (host:pid:engine) names a process of this machine that is gone."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by another user
        return False
    return False


def _claim_waits() -> Iterator[float]:
    """Pauses between looks at an identical request in flight: quick at first, then 1 s."""
    return itertools.chain((0.02, 0.05, 0.1, 0.2, 0.5), itertools.repeat(1.0))
@dataclass
class TaskOutcome:
    """What :meth:`TaskEngine.resume` did with one journaled task."""

    record: TaskRecord
    result: TaskSnapshot | None = None
    error: GatewayError | None = None


class TaskHandle:
    """A submitted (or found) task. ``result()`` / ``await aresult()`` wait for it.

    Attributes:
        task_id: The gateway's id, exactly as returned.
        protocol: The task format used.
        reused: True when an identical earlier request was found in the journal and no new
            task was created.
    """

    def __init__(self, engine: TaskEngine, record: TaskRecord,
                 first: TaskSnapshot | None = None) -> None:
        self.engine = engine
        self.record = record
        self._first = first

    def __repr__(self) -> str:
        reused = ", reused=True" if self.reused else ""
        return (f"TaskHandle(task_id={self.task_id!r}, protocol={self.protocol!r}, "
                f"state={self.record.state!r}{reused})")

    @property
    def task_id(self) -> str:
        return self.record.task_id or ""

    @property
    def protocol(self) -> str:
        return self.record.protocol

    @property
    def model(self) -> str | None:
        return self.record.model

    @property
    def reused(self) -> bool:
        return self.record.reused

    def poll(self) -> TaskSnapshot:
        """One status check (journaled)."""
        return self.engine.poll(self.record)

    async def apoll(self) -> TaskSnapshot:
        return await self.engine.apoll(self.record)

    def result(self, *, timeout: float | None = None, on_progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> TaskSnapshot:
        """Wait until the task ends; the result, or a :class:`TaskError` naming the task."""
        first, self._first = self._first, None
        return self.engine.wait(self.record, timeout=timeout, on_progress=on_progress,
                                cancel=cancel, first=first)

    async def aresult(self, *, timeout: float | None = None,
                      on_progress: ProgressCallback | None = None,
                      cancel: CancelToken | None = None) -> TaskSnapshot:
        """Async twin of :meth:`result`; never blocks the event loop."""
        first, self._first = self._first, None
        return await self.engine.await_(self.record, timeout=timeout, on_progress=on_progress,
                                        cancel=cancel, first=first)


class TaskEngine:
    """Runs media tasks on one gateway with a journal and a poller.

    Args:
        transport: The gateway's shared transport.
        journal: A :class:`~.journal.Journal`, a path, ``False`` for memory only, or None for
            ``GATEWAY_TASK_JOURNAL`` / the default cache file.
        poll: Poll settings (interval, max_interval, factor, timeout) or a ready
            :class:`~.poller.Poller` (tests inject one with a fake clock).
        dedup_window: Seconds during which an identical request returns the existing task.
        submit_retries: Re-submissions after a refusal that accepted nothing (Midjourney
            queue full).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        journal: Journal | str | bool | None = None,
        poll: PollSettings | Poller | None = None,
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        submit_retries: int = 3,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.journal = open_journal(journal)
        self.poller = poll if isinstance(poll, Poller) else Poller(poll)
        self.dedup_window = dedup_window
        self.submit_retries = submit_retries
        self.gateway = transport.config.root_url
        config = transport.config
        self.submit_lease = (config.deadline or config.timeout * (config.max_retries + 1)) + 30
        """Seconds an identical request waits for a create in flight before calling its
        outcome unknown: the longest a create can take (deadline, else every attempt) + 30."""
        self._now = now
        self._models: list[ModelInfo] | None = None

    def __repr__(self) -> str:
        return f"TaskEngine(gateway={self.gateway!r}, journal={self.journal!r})"

    # ------------------------------------------------------------------ protocol choice

    def _models_from(self, response: Response) -> list[ModelInfo]:
        try:
            return parse_models(response.json())
        except GatewayError:
            return []

    def resolve(self, protocol: str, model: str | None, kind: str = "video") -> TaskProtocol:
        """The protocol object; ``auto`` looks at the gateway's model list (cached)."""
        if protocol.strip().lower() != "auto":
            return get_protocol(protocol)
        if self._models is None:
            try:
                self._models = self._models_from(
                    self.transport.request("GET", "/v1/models", what="Listing models"))
            except GatewayError:
                self._models = []
        return get_protocol(choose_protocol(model, self._models, kind))

    async def aresolve(self, protocol: str, model: str | None, kind: str = "video"
                       ) -> TaskProtocol:
        """Async twin of :meth:`resolve`."""
        if protocol.strip().lower() != "auto":
            return get_protocol(protocol)
        if self._models is None:
            try:
                self._models = self._models_from(
                    await self.transport.arequest("GET", "/v1/models", what="Listing models"))
            except GatewayError:
                self._models = []
        return get_protocol(choose_protocol(model, self._models, kind))

    # ------------------------------------------------------------------ submitting

    def _owner(self) -> str:
        """Who holds a lease: this engine in this process on this machine (pid read each time:
        a forked child is another worker)."""
        return f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    def _claim(self, protocol: TaskProtocol, spec: TaskSpec, new: bool) -> Claim:
        fingerprint = spec.fingerprint(protocol.name, self.gateway)
        now = self._now()
        lease = (self._owner(), now + self.submit_lease)
        fields: dict[str, Any] = {"protocol": protocol.name, "gateway": self.gateway,
                                  "kind": spec.kind, "model": spec.model,
                                  "fingerprint": fingerprint, "request": spec.summary()}
        if new or self.dedup_window <= 0:
            return Claim(self.journal.begin(**fields, lease=lease), created=True)
        return self.journal.claim(**fields, since=now - self.dedup_window, lease=lease)

    def _shared(self, found: TaskRecord) -> TaskRecord | None:
        """The identical request's record to share; None while its create is still in flight
        (its worker's lease runs); an error when its outcome cannot be known."""
        if found.state == "submitting" and (found.lease_until or 0.0) > self._now():
            return None
        if not found.task_id:  # submitting with its worker dead, or unknown: never confirmed
            raise self._unconfirmed(found)
        found.reused = True
        return found

    def _unconfirmed(self, record: TaskRecord) -> TaskError:
        """The error for a create whose outcome cannot be known (marked ``unknown`` now if its
        worker died mid-create): what happened and exactly what the user should check."""
        if record.state == "submitting":
            self.journal.mark(record.local_id, "unknown",
                              "the worker sending it stopped before the gateway answered")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created_at))
        return TaskError(
            f"A {record.protocol} request for {record.model or 'a model'} (journal record "
            f"{record.local_id}) was sent at {when} and its outcome is unknown: the connection "
            "or the worker died before the gateway's task id arrived, so it may have been "
            "paid. Check the gateway's task log (or usage log) for a task created at that "
            "time with this prompt; attach it with engine.attach(task_id, protocol) if it is "
            "there, else pass new=True to submit again.",
            protocol=record.protocol, reason="duplicate of an unconfirmed request",
        )

    def unconfirmed(self) -> list[TaskRecord]:
        """Creates whose outcome is unknown (the answer was lost, or the worker died while
        sending and its lease ran out): never re-sent, never shown as running, reported by
        :meth:`resume` with what to check."""
        out: list[TaskRecord] = []
        before: int | None = None
        now = self._now()
        while True:
            page = self.journal.records(self.gateway, ("unknown", "submitting"), _RESUME_PAGE,
                                        before)
            # The state is checked again on the row read: a shared journal (Redis) lists ids
            # and reads rows in two steps, and a create answered in between is "pending" now,
            # with no lease, not an unknown outcome.
            out.extend(record for record in page
                       if record.state == "unknown" or (record.state == "submitting"
                                                        and (record.lease_until or 0.0) <= now))
            if len(page) < _RESUME_PAGE:
                return out
            before = page[-1].local_id

    def _claim_or_share(self, protocol: TaskProtocol, spec: TaskSpec, new: bool
                        ) -> tuple[TaskRecord, bool]:
        """(record, created): a new intent row to send, or an identical request's record to
        share, after waiting (at most its lease) for its create to be answered."""
        waits = _claim_waits()
        while True:
            claim = self._claim(protocol, spec, new)
            if claim.created:
                return claim.record, True
            shared = self._shared(claim.record)
            if shared is not None:
                return shared, False
            self.poller.pause(next(waits))

    async def _aclaim_or_share(self, protocol: TaskProtocol, spec: TaskSpec, new: bool
                               ) -> tuple[TaskRecord, bool]:
        """Async twin of :meth:`_claim_or_share` (journal calls off the event loop)."""
        waits = _claim_waits()
        while True:
            claim = await asyncio.to_thread(self._claim, protocol, spec, new)
            if claim.created:
                return claim.record, True
            shared = await asyncio.to_thread(self._shared, claim.record)
            if shared is not None:
                return shared, False
            await self.poller.apause(next(waits))

    def _send_failed(self, record: TaskRecord, error: GatewayError) -> None:
        """Forget the intent if nothing can have been paid; else keep it as ``unknown``.

        A 4xx/429 or a refused task is the gateway saying no. A 5xx is not: a proxy's 502 or a
        relay's 500 can come after the upstream accepted (and billed) the task.
        """
        refused = isinstance(error, (APIError, TaskError)) and not isinstance(error, ServerError)
        if refused or not error.body_sent:  # body_sent: decided by the transport, once
            self.journal.discard(record.local_id)
        else:
            self.journal.mark(record.local_id, "unknown", error.message)

    def _accepted(self, record: TaskRecord, submitted: Submitted) -> TaskRecord:
        meta = {**submitted.meta, "model": record.model}
        accepted = self.journal.submitted(record.local_id, submitted.task_id, meta)
        if submitted.snapshot is not None:
            self.journal.update(record.local_id, submitted.snapshot)
        return accepted

    def submit(self, protocol: str | TaskProtocol, spec: TaskSpec, *, new: bool = False,
               on_progress: ProgressCallback | None = None) -> TaskHandle:
        """Create the task once (or find the identical recent one) and return its handle.

        Chat-format media (``one_shot`` protocols) run to the end here; ``on_progress`` sees
        their progress lines.
        """
        proto = self.resolve(protocol, spec.model, spec.kind) if isinstance(protocol, str) \
            else protocol
        proto.validate(spec)
        record, created = self._claim_or_share(proto, spec, new)
        if not created:
            return TaskHandle(self, record)
        if proto.one_shot:
            return self._run_one_shot(proto, spec, record, on_progress)
        attempt = 0
        while True:
            call = proto.submit_call(spec)
            try:
                response = self._send(call)
                submitted = proto.parse_submit(response.json(), spec)
            except RetrySubmit as retry:
                if attempt >= self.submit_retries:
                    self.journal.discard(record.local_id)
                    raise retry.error from None
                attempt += 1
                self.poller.pause(min(30.0, 2.0 * 2 ** attempt))
                continue
            except GatewayError as error:
                self._send_failed(record, error)
                raise
            break
        return TaskHandle(self, self._accepted(record, submitted), submitted.snapshot)

    async def asubmit(self, protocol: str | TaskProtocol, spec: TaskSpec, *, new: bool = False,
                      on_progress: ProgressCallback | None = None) -> TaskHandle:
        """Async twin of :meth:`submit`."""
        proto = (await self.aresolve(protocol, spec.model, spec.kind)
                 if isinstance(protocol, str) else protocol)
        proto.validate(spec)
        record, created = await self._aclaim_or_share(proto, spec, new)
        if not created:
            return TaskHandle(self, record)
        if proto.one_shot:
            return await self._arun_one_shot(proto, spec, record, on_progress)
        attempt = 0
        while True:
            call = proto.submit_call(spec)
            try:
                response = await self._asend(call)
                submitted = proto.parse_submit(response.json(), spec)
            except RetrySubmit as retry:
                if attempt >= self.submit_retries:
                    await asyncio.to_thread(self.journal.discard, record.local_id)
                    raise retry.error from None
                attempt += 1
                await self.poller.apause(min(30.0, 2.0 * 2 ** attempt))
                continue
            except GatewayError as error:
                await asyncio.to_thread(self._send_failed, record, error)
                raise
            break
        accepted = await asyncio.to_thread(self._accepted, record, submitted)
        return TaskHandle(self, accepted, submitted.snapshot)

    def _send(self, call: HttpCall, *, idempotent: bool = False) -> Response:
        # A poll answer legitimately carries an ``error`` object (a failed task), so only
        # creates let the transport treat one in a 200 as a gateway error.
        return self.transport.request(
            call.method, call.path, json=call.json, data=call.data, files=call.files,
            params=call.params, headers=call.headers, idempotent=idempotent, what=call.what,
            check_body=not idempotent,
        )

    async def _asend(self, call: HttpCall, *, idempotent: bool = False) -> Response:
        return await self.transport.arequest(
            call.method, call.path, json=call.json, data=call.data, files=call.files,
            params=call.params, headers=call.headers, idempotent=idempotent, what=call.what,
            check_body=not idempotent,
        )

    def _parse_poll(self, proto: TaskProtocol, record: TaskRecord, response: Response
                    ) -> TaskSnapshot:
        body = response.json()
        snapshot = proto.parse_poll(body, record.task_id or "", record.meta)
        if snapshot.status is None:
            # No status at all: an error envelope in a 200 (new-api does that), not a task.
            info = find_error_in_body(body)
            if info is not None:
                raise error_from_response(response.status_code, response.content,
                                          request_id=response.request_id, info=info,
                                          secrets=self.transport.config.secrets,
                                          what=f"Checking task {record.task_id}")
        return snapshot

    # ------------------------------------------------------------------ one-shot (chat)

    def _one_shot_done(self, record: TaskRecord, snapshot: TaskSnapshot) -> TaskHandle:
        task_id = snapshot.task_id or f"chat-{record.local_id}"
        snapshot.task_id = task_id
        accepted = self.journal.submitted(record.local_id, task_id, {"model": record.model})
        self.journal.update(record.local_id, snapshot)
        accepted.state, accepted.reason = snapshot.state, snapshot.reason
        return TaskHandle(self, accepted, snapshot)

    def _run_one_shot(self, proto: TaskProtocol, spec: TaskSpec, record: TaskRecord,
                      on_progress: ProgressCallback | None) -> TaskHandle:
        run: Callable[..., TaskSnapshot] = proto.run  # type: ignore[attr-defined]
        try:
            snapshot = run(self.transport, spec, on_progress)
        except GatewayError as error:
            self._send_failed(record, error)
            raise
        return self._one_shot_done(record, snapshot)

    async def _arun_one_shot(self, proto: TaskProtocol, spec: TaskSpec, record: TaskRecord,
                             on_progress: ProgressCallback | None) -> TaskHandle:
        arun: Callable[..., Awaitable[TaskSnapshot]] = proto.arun  # type: ignore[attr-defined]

        async def update(snapshot: TaskSnapshot) -> None:
            if on_progress is not None:
                outcome = on_progress(snapshot)
                if asyncio.iscoroutine(outcome):
                    await outcome

        try:
            snapshot = await arun(self.transport, spec, update)
        except GatewayError as error:
            await asyncio.to_thread(self._send_failed, record, error)
            raise
        return await asyncio.to_thread(self._one_shot_done, record, snapshot)

    # ------------------------------------------------------------------ polling

    def _poll_call(self, record: TaskRecord) -> tuple[TaskProtocol, HttpCall]:
        proto = get_protocol(record.protocol)
        if not record.task_id:
            raise TaskError(
                f"This {record.protocol} request has no task id (its create never confirmed); "
                "it cannot be polled.", protocol=record.protocol, reason="no task id",
            )
        return proto, proto.poll_call(record.task_id, record.meta)

    def _needs_content(self, snapshot: TaskSnapshot) -> bool:
        return snapshot.state == "succeeded" and not snapshot.has_result

    def _no_result(self, snapshot: TaskSnapshot) -> TaskError:
        return TaskError(
            f"Task {snapshot.task_id} ({snapshot.protocol}) succeeded but the gateway gave no "
            "result link (looked in result_url, url, video_url, metadata.url, provider fields, "
            "fail_reason and the /content route). Check the task on the gateway's site.",
            task_id=snapshot.task_id, protocol=snapshot.protocol, reason="no result link",
        )

    def _content_items(self, kind: str, content_type: str, body: bytes | None, url: str
                       ) -> list[MediaItem]:
        media_kind: MediaKind = kind if kind in ("image", "audio") else "video"  # type: ignore[assignment]
        if body is not None:  # JSON answer carrying a link
            try:
                urls = find_result_urls(json.loads(body), succeeded=True)
            except ValueError:
                urls = []
            return [MediaItem(media_kind, url=link) for link in urls]
        mime = content_type.partition(";")[0].strip() or None
        return [MediaItem(media_kind, url=url, mime_type=mime, needs_auth=True)]

    def _fetch_content(self, proto: TaskProtocol, record: TaskRecord) -> list[MediaItem]:
        path = proto.content_path(record.task_id or "", record.meta)
        if path is None:
            return []
        with self.transport.stream("GET", path, what=f"Locating the result of {record.task_id}"
                                   ) as response:  # the file itself is not downloaded
            content_type = str(response.headers.get("content-type", ""))
        # ``body``: the whole answer when it is JSON (carrying a link), else None (the file)
        return self._content_items(record.kind, content_type, response.body,
                                   self.transport.url(path))

    async def _afetch_content(self, proto: TaskProtocol, record: TaskRecord) -> list[MediaItem]:
        path = proto.content_path(record.task_id or "", record.meta)
        if path is None:
            return []
        async with self.transport.astream(
            "GET", path, what=f"Locating the result of {record.task_id}"
        ) as response:
            content_type = str(response.headers.get("content-type", ""))
        return self._content_items(record.kind, content_type, response.body,
                                   self.transport.url(path))

    def _finish(self, record: TaskRecord, snapshot: TaskSnapshot) -> TaskSnapshot:
        self.journal.update(record.local_id, snapshot)
        record.state, record.status, record.progress = (snapshot.state, snapshot.status,
                                                        snapshot.progress)
        if snapshot.state == "succeeded" and not snapshot.has_result:
            raise self._no_result(snapshot)
        return snapshot

    def poll(self, record: TaskRecord) -> TaskSnapshot:
        """Check the task once, fetch ``/content`` if it finished without a link, journal it."""
        proto, call = self._poll_call(record)
        self._hold(record)
        snapshot = self._parse_poll(proto, record, self._send(call, idempotent=True))
        if self._needs_content(snapshot):
            snapshot.items = self._fetch_content(proto, record)
        return self._finish(record, snapshot)

    async def apoll(self, record: TaskRecord) -> TaskSnapshot:
        """Async twin of :meth:`poll`."""
        proto, call = self._poll_call(record)
        await asyncio.to_thread(self._hold, record)
        snapshot = self._parse_poll(proto, record, await self._asend(call, idempotent=True))
        if self._needs_content(snapshot):
            snapshot.items = await self._afetch_content(proto, record)
        return await asyncio.to_thread(self._finish, record, snapshot)

    def _poller(self, timeout: float | None) -> Poller:
        return self.poller if timeout is None else self.poller.with_timeout(timeout)

    def _settled(self, record: TaskRecord, first: TaskSnapshot | None) -> TaskSnapshot | None:
        """The known outcome of a finished task (raised if it failed), else None."""
        if first is not None and first.done:
            if first.state == "failed":
                raise failure_of(first)
            if first.has_result:
                return first
        if record.state == "succeeded":
            return record.snapshot()
        if record.state == "failed":
            raise task_failure(record.task_id, record.protocol, record.reason,
                               status=record.status)
        return None

    @staticmethod
    def _unfinished(first: TaskSnapshot | None) -> TaskSnapshot | None:
        """The create's answer for the poll loop to start from; one that finished without a
        result is dropped, so the task is polled (and its ``/content`` route asked)."""
        return None if first is None or first.done else first

    def wait(self, record: TaskRecord, *, timeout: float | None = None,
             on_progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
             first: TaskSnapshot | None = None) -> TaskSnapshot:
        """Poll until the task ends (see :class:`~.poller.Poller`)."""
        settled = self._settled(record, first)
        if settled is not None:
            return settled
        self._poll_call(record)
        return self._poller(timeout).run(
            lambda: self.poll(record), task_id=record.task_id or "", protocol=record.protocol,
            on_progress=on_progress, cancel=cancel, first=self._unfinished(first),
        )

    async def await_(self, record: TaskRecord, *, timeout: float | None = None,
                     on_progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None,
                     first: TaskSnapshot | None = None) -> TaskSnapshot:
        """Async twin of :meth:`wait`."""
        settled = self._settled(record, first)
        if settled is not None:
            return settled
        self._poll_call(record)
        return await self._poller(timeout).arun(
            lambda: self.apoll(record), task_id=record.task_id or "", protocol=record.protocol,
            on_progress=on_progress, cancel=cancel, first=self._unfinished(first),
        )

    def run(self, protocol: str | TaskProtocol, spec: TaskSpec, *, new: bool = False,
            timeout: float | None = None, on_progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> TaskSnapshot:
        """Submit and wait."""
        handle = self.submit(protocol, spec, new=new, on_progress=on_progress)
        return handle.result(timeout=timeout, on_progress=on_progress, cancel=cancel)

    async def arun(self, protocol: str | TaskProtocol, spec: TaskSpec, *, new: bool = False,
                   timeout: float | None = None, on_progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> TaskSnapshot:
        """Async twin of :meth:`run`."""
        handle = await self.asubmit(protocol, spec, new=new, on_progress=on_progress)
        return await handle.aresult(timeout=timeout, on_progress=on_progress, cancel=cancel)

    # ------------------------------------------------------------------ journal views

    def find(self, task_id: str, protocol: str) -> TaskHandle | None:
        """The journaled task with this id on this gateway."""
        record = self.journal.find_task(self.gateway, get_protocol(protocol).name, task_id)
        return TaskHandle(self, record) if record else None

    def attach(self, task_id: str, protocol: str, *, model: str | None = None,
               kind: str = "video", meta: dict[str, Any] | None = None) -> TaskHandle:
        """A handle for a task created elsewhere (journaled so it can be resumed)."""
        found = self.find(task_id, protocol)
        if found is not None:
            return found
        proto = get_protocol(protocol)
        record = self.journal.begin(protocol=proto.name, gateway=self.gateway, kind=kind,
                                    model=model, fingerprint=f"attached:{task_id}",
                                    request={"attached": task_id})
        return TaskHandle(self, self.journal.submitted(record.local_id, task_id,
                                                       {"model": model, **(meta or {})}))

    def records(self, *, states: Sequence[str] | None = None, limit: int = 100) -> list[TaskRecord]:
        """This gateway's journaled tasks, newest first."""
        return self.journal.records(self.gateway, None if states is None else tuple(states),
                                    limit)

    def unfinished(self) -> list[TaskRecord]:
        """Every task with an id that has not ended, newest first (read page by page)."""
        out: list[TaskRecord] = []
        before: int | None = None
        while True:
            page = self.journal.records(self.gateway, UNFINISHED, _RESUME_PAGE, before)
            out.extend(record for record in page
                       if record.task_id and not get_protocol(record.protocol).one_shot)
            if len(page) < _RESUME_PAGE:
                return out
            before = page[-1].local_id

    def _hold(self, record: TaskRecord) -> bool:
        """Take or renew this worker's lease on polling ``record``; a lease held by a process
        of this machine that no longer exists is taken at once (no need to wait it out)."""
        now = self._now()
        if self.journal.lease(record.local_id, self._owner(), now + POLL_LEASE, now):
            return True
        holder = self.journal.get(record.local_id)
        if holder is None or not _dead_here(holder.lease_owner):
            return False
        return self.journal.lease(record.local_id, self._owner(), now + POLL_LEASE, _FOREVER)

    def adoptable(self) -> list[TaskRecord]:
        """The unfinished tasks no live worker is polling, now leased to this one: what
        :meth:`resume` polls (a task whose worker died is adopted once its lease ran out)."""
        return [record for record in self.unfinished() if self._hold(record)]

    def resume(self, *, timeout: float | None = None,
               on_progress: ProgressCallback | None = None) -> list[TaskOutcome]:
        """Poll every unfinished task of this gateway that no live worker is polling to the end;
        creates of unknown outcome come last, each with an error saying what to check."""
        outcomes = []
        for record in self.adoptable():
            try:
                outcomes.append(TaskOutcome(record, result=self.wait(
                    record, timeout=timeout, on_progress=on_progress)))
            except GatewayError as error:
                outcomes.append(TaskOutcome(record, error=error))
        return outcomes + [TaskOutcome(record, error=self._unconfirmed(record))
                           for record in self.unconfirmed()]

    async def aresume(self, *, timeout: float | None = None,
                      on_progress: ProgressCallback | None = None) -> list[TaskOutcome]:
        """Async twin of :meth:`resume`: the tasks are awaited concurrently."""
        records = await asyncio.to_thread(self.adoptable)

        async def one(record: TaskRecord) -> TaskOutcome:
            try:
                return TaskOutcome(record, result=await self.await_(
                    record, timeout=timeout, on_progress=on_progress))
            except GatewayError as error:
                return TaskOutcome(record, error=error)

        async def report(record: TaskRecord) -> TaskOutcome:
            return TaskOutcome(record, error=await asyncio.to_thread(self._unconfirmed, record))

        polled = list(await asyncio.gather(*(one(record) for record in records)))
        unknown = await asyncio.to_thread(self.unconfirmed)
        return polled + list(await asyncio.gather(*(report(record) for record in unknown)))
