"""Fixtures for the fault tests: a Redis server we can stop, an SMTP sink we can slow down or
make drop the connection, and RQ workers in separate processes we can kill.

Everything is real: redis-server is started as a subprocess on a free port (the shared Redis
on 6379 is never stopped), the sink is aiosmtpd, workers are `rq worker --burst` processes
running create_app() from the environment, like production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue

from dashboard.approvals.service import request_approval
from dashboard.auth.models import User
from dashboard.extensions import db
from dashboard.reminders.service import ReminderSettings
from tests.factories import make_document

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RQ_BIN = Path(sys.executable).parent / "rq"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


# --- a Redis server of our own ---------------------------------------------------------------


class RedisServer:
    """`redis-server` on a free port, without persistence: a restart loses every job."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.paused = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        assert not self.running
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self._answers, 5, "redis-server to answer")

    def _answers(self) -> bool:
        try:
            with Redis.from_url(self.url, socket_connect_timeout=0.2) as probe:
                return bool(probe.ping())
        except Exception:
            return False

    def stop(self) -> None:
        """Kill it (SIGKILL, like a crash): every job in it is lost."""
        assert self.process is not None
        self.resume()
        self.process.kill()
        self.process.wait(5)
        self.process = None

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections open, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        if self.paused and self.process is not None:
            self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def ensure_running(self) -> None:
        self.resume()
        if not self.running:
            self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    if server.running:
        server.stop()


@pytest.fixture(autouse=True)
def own_redis(app, redis_server: RedisServer) -> Iterator[RedisServer]:
    """Every fault test enqueues on our own, empty Redis; the app's URL is put back after."""
    redis_server.ensure_running()
    with Redis.from_url(redis_server.url) as connection:
        connection.flushall()
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = redis_server.url
    try:
        yield redis_server
    finally:
        app.config["REDIS_URL"] = saved
        redis_server.ensure_running()


@pytest.fixture()
def redis_queue(app, own_redis: RedisServer) -> Iterator[Queue]:
    """The app's queue on our Redis (overrides the shared one, so `run_worker` uses it)."""
    connection = Redis.from_url(own_redis.url)
    queue = Queue(app.config["RQ_QUEUE"], connection=connection)
    yield queue
    connection.close()


# --- an SMTP sink with faults ----------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    to: str
    message: EmailMessage
    #: time.monotonic() when the sink answered 250 (the message counts as delivered).
    at: float

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class FaultySink:
    """An aiosmtpd handler that keeps only what it acknowledged with 250.

    - `delay`: seconds to think before answering DATA (a slow server);
    - `drop[address] = "rcpt" | "data"`: close the connection once, at that step, instead of
      answering (the client sees the connection dropped).
    A client that vanishes while the sink is thinking gets no 250, and nothing is kept.
    """

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.accepted: list[Accepted] = []
        self.data_started = 0
        #: DATA commands whose client vanished before the answer (nothing kept).
        self.abandoned = 0
        self.dropped: list[tuple[str, str]] = []
        self.delay = 0.0
        self.drop: dict[str, str] = {}
        self.port = 0

    def reset(self) -> None:
        with self.condition:
            self.accepted.clear()
            self.dropped.clear()
            self.data_started = 0
            self.abandoned = 0
            self.delay = 0.0
            self.drop.clear()

    async def _drop(self, server, address: str, step: str) -> None:
        with self.condition:
            self.dropped.append((address, step))
            self.condition.notify_all()
        server.transport.close()
        await asyncio.sleep(5)  # cancelled when the connection is gone

    def _should_drop(self, address: str, step: str) -> bool:
        with self.condition:
            if self.drop.get(address.lower()) == step:
                del self.drop[address.lower()]
                return True
        return False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self._should_drop(address, "rcpt"):
            await self._drop(server, address, "rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        address = envelope.rcpt_tos[0].lower()
        with self.condition:
            self.data_started += 1
            self.condition.notify_all()
        if self._should_drop(address, "data"):
            await self._drop(server, address, "data")
        if self.delay:
            try:
                await asyncio.sleep(self.delay)  # cancelled if the client goes away meanwhile
            except asyncio.CancelledError:
                with self.condition:
                    self.abandoned += 1
                    self.condition.notify_all()
                raise
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.condition:
            self.accepted.append(Accepted(address, message, time.monotonic()))  # type: ignore[arg-type]
            self.condition.notify_all()
        return "250 Message accepted"

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        with self.condition:
            assert self.condition.wait_for(predicate, timeout), "the SMTP sink waited in vain"

    def to(self, address: str) -> list[Accepted]:
        with self.condition:
            return [a for a in self.accepted if a.to == address.lower()]

    def snapshot(self) -> list[Accepted]:
        with self.condition:
            return list(self.accepted)


@pytest.fixture(scope="session")
def _faulty_smtp() -> Iterator[tuple[FaultySink, int]]:
    sink = FaultySink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture()
def sink(app, _faulty_smtp) -> Iterator[FaultySink]:
    """The faulty sink, empty, with this process's Flask-Mail pointed at it."""
    handler, port = _faulty_smtp
    state = app.extensions["mail"]
    saved = (state.server, state.port, state.use_tls, state.use_ssl, state.suppress)
    state.server, state.port, state.use_tls, state.use_ssl = "127.0.0.1", port, False, False
    state.suppress = False
    handler.reset()
    handler.port = port  # for worker processes
    yield handler
    handler.reset()
    state.server, state.port, state.use_tls, state.use_ssl, state.suppress = saved


# --- worker processes ------------------------------------------------------------------------


def session_members(session_id: int) -> list[int]:
    """Live processes of a session (from /proc), the session leader included."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, _group, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == session_id and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


class WorkerProcesses:
    """`rq worker --burst` processes, each started in a session of its own (so it can be
    killed with its work horse), configured through the environment like a deployment."""

    def __init__(self, app, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, sink_port: int) -> subprocess.Popen:
        config = self.app.config
        env = {
            **os.environ,
            "RELANCE_ENV": "test",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": config["REDIS_URL"],
            "RQ_QUEUE": config["RQ_QUEUE"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(sink_port),
            "MAIL_USE_TLS": "0",
            "MAIL_USE_SSL": "0",
            "UPLOAD_DIR": config["UPLOAD_DIR"],
            "PUBLIC_BASE_URL": config["PUBLIC_BASE_URL"],
        }
        log = (self.folder / f"worker-{len(self.started)}.log").open("ab")
        process = subprocess.Popen(
            [
                str(RQ_BIN),
                "worker",
                "--burst",
                "--url",
                config["REDIS_URL"],
                "--path",
                str(PROJECT_ROOT),
                config["RQ_QUEUE"],
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and its work horse, no goodbye (a crashed machine or container).

        rq runs each job in a forked work horse that moves to its own process group, so the
        horse is found by session (the worker was started as a session leader).
        """
        members = session_members(process.pid)
        for pid in sorted(members, key=lambda pid: pid == process.pid):  # horses first
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(10)
        wait_until(lambda: not session_members(process.pid), 10, "the work horse to die")

    def finish(self, process: subprocess.Popen, timeout: float = 30) -> None:
        """Wait for a burst worker to run out of work; it must exit cleanly."""
        code = process.wait(timeout)
        assert code == 0, self.log(process)

    def log(self, process: subprocess.Popen) -> str:
        index = self.started.index(process)
        return (self.folder / f"worker-{index}.log").read_text(errors="replace")

    def cleanup(self) -> None:
        for process in self.started:
            if process.poll() is None or session_members(process.pid):
                self.kill(process)


@pytest.fixture()
def workers(app, tmp_path: Path) -> Iterator[WorkerProcesses]:
    processes = WorkerProcesses(app, tmp_path)
    yield processes
    processes.cleanup()


# --- data ------------------------------------------------------------------------------------


def request_many(
    staff: User,
    folder,
    count: int,
    *,
    enabled: bool = True,
    interval_days: int = 3,
    max_count: int = 1,
) -> list[int]:
    """`count` approval requests (one document each) through the real service, one commit."""
    settings = ReminderSettings(enabled, interval_days, max_count)
    ids = []
    for n in range(count):
        document = make_document(folder, f"doc-{n:04}.pdf", uploaded_by=staff)
        ids.append(request_approval(staff, document, "", settings).id)
    db.session.commit()
    return ids
