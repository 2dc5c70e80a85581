"""Benchmark: outbox → RQ → SMTP delivery, against raw smtplib on the same sink, same run.

    python bench/delivery.py [--items 500] [--db sqlite|postgresql|both] [--workers 1,2,4]

For each database, on a fresh database whose schema comes from `db.create_all()`: one firm, its
owner, `--items / 10` accounts with two NOTIFY contacts each (both contacts of an account speak
the same language, English, French or Dutch by account), a "Shared" folder per account and
`--items` approval requests made with `request_approval` (one commit): 2 × items notification
emails in the outbox, their ids on a dedicated RQ queue by the outbox's after-commit hook.

The SMTP server is aiosmtpd in a process of its own (it counts what it accepted and the
Message-IDs it saw twice). For each `--workers` count, `--repeat` times:

* the floor: raw `smtplib` sends 2 × items pre-built multipart (text + HTML) messages of the
  same size over one connection to that sink (`raw_per_s`), before and after the run under test;
  the higher of the two is kept, so noise cannot flatter the ratio;
  With `--sink-pipelining` the sink advertises PIPELINING (as production relays do), which
  the delivery uses and smtplib cannot: such lines say `"sink_pipelining": true`;
* the run under test: that many `rq` `SimpleWorker` processes (each has built its app and
  waits), told to start at once, work the queue in burst mode; `per_s` is emails over the time
  from "go" to the last worker's end.

Every run is checked: every row `sent` once (attempts 1), the sink accepted exactly that many,
no Message-ID twice. Then the rows are put back to `queued` and their ids enqueued again for the
next run. Progress goes to stderr; stdout gets one JSON line per database and worker count.
`--profile` runs one more delivery in this process under cProfile (top functions on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from typing import Any

# The project root first; not bench/ itself, whose http.py would shadow the standard library's.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.insert(0, str(_BENCH.parent))

from bench.sweep import postgres_reachable, scratch_database  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5433/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LANGUAGES = ("en", "fr", "nl")
SENDER = "Bench & Associés <no-reply@relance.test>"

_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- the SMTP sink, in a process of its own --------------------------------------------------

SINK_CODE = r"""
import re, socket, sys, threading
from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.seen = set()
        self.duplicates = 0

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.count += 1
            key = found.group(1) if found else None
            if key in self.seen:
                self.duplicates += 1
            self.seen.add(key)
        return "250 Message accepted"


class PipeliningSink(Sink):
    # Advertises PIPELINING (RFC 2920), as Postfix and most relays do; aiosmtpd reads
    # pipelined commands correctly but does not say so.

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


sink = PipeliningSink() if "--pipelining" in sys.argv else Sink()
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(sink, hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
for line in sys.stdin:
    with sink.lock:
        if line.strip() == "count":
            print(f"{sink.count} {sink.duplicates}", flush=True)
        elif line.strip() == "reset":
            sink.count, sink.duplicates = 0, 0
            sink.seen.clear()
            print("ok", flush=True)
controller.stop()
"""


class SinkProcess:
    """aiosmtpd in a child process; `count()` is (accepted, duplicate Message-IDs)."""

    def __init__(self, pipelining: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK_CODE, *(["--pipelining"] if pipelining else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def _ask(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def count(self) -> tuple[int, int]:
        accepted, duplicates = self._ask("count").split()
        return int(accepted), int(duplicates)

    def reset(self) -> None:
        self._ask("reset")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


# --- the floor: raw smtplib ------------------------------------------------------------------


def raw_messages(count: int, size: tuple[int, int]) -> list[tuple[str, bytes]]:
    """(recipient, bytes) of `count` multipart messages with parts of the given sizes."""
    text_len, html_len = size
    messages = []
    for n in range(count):
        message = EmailMessage()
        message["Subject"] = f"Please review Statement {n}.pdf"
        message["From"] = SENDER
        message["To"] = f"raw{n}@client.bench"
        message["Message-ID"] = f"<raw-{os.getpid()}-{time.monotonic_ns()}-{n}@bench>"
        message["Auto-Submitted"] = "auto-generated"
        line = f"Hello Client {n}, please review the totals.\n"
        message.set_content(line * (text_len // len(line) + 1))
        body = f"<p>Hello Client {n}, please review the totals.</p>\n"
        message.add_alternative(
            "<html><body>" + body * (html_len // len(body) + 1) + "</body></html>",
            subtype="html",
        )
        messages.append((f"raw{n}@client.bench", message.as_bytes(policy=SMTP_POLICY)))
    return messages


def raw_send(port: int, messages: list[tuple[str, bytes]]) -> float:
    """Seconds for smtplib to send every message over one connection."""
    import smtplib

    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as connection:
        for to, data in messages:
            connection.sendmail("no-reply@relance.test", [to], data)
    return time.perf_counter() - started


# --- databases -------------------------------------------------------------------------------


def app_config(uri: str, args: argparse.Namespace, port: int, workdir: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": uri,
        "REDIS_URL": args.redis_url,
        "RQ_QUEUE": f"bench-delivery-{os.getpid()}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": SENDER,
        "UPLOAD_DIR": str(Path(workdir) / "uploads"),
        "PUBLIC_BASE_URL": "https://portal.bench.test",
        "OUTBOX_REQUEUE_AFTER_SECONDS": 24 * 3600,
        "SECRET_KEY": "bench-secret",
    }


def generate(items: int) -> None:
    """Firm, accounts with two contacts, documents and approval requests (one commit)."""
    from dashboard.accounts.models import Account, Contact, Folder
    from dashboard.approvals.service import request_approval
    from dashboard.auth.models import Firm, User
    from dashboard.documents.service import add_document_bytes
    from dashboard.extensions import db
    from dashboard.reminders.service import ReminderSettings

    firm = Firm(name="Bench & Associés", default_language="en", time_zone="Europe/Paris")
    db.session.add(firm)
    db.session.flush()
    staff = User(firm_id=firm.id, role="owner", name="Bench Owner", email="owner@bench.test")
    db.session.add(staff)
    settings = ReminderSettings(True, 3, 3)
    for a in range(-(-items // 10)):
        account = Account(firm_id=firm.id, name=f"Account {a}")
        db.session.add(account)
        db.session.flush()
        for c in range(2):
            user = User(
                firm_id=firm.id,
                role="client",
                name=f"Client {a}-{c}",
                email=f"client{a}-{c}@client.bench",
                language=LANGUAGES[a % len(LANGUAGES)],
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Contact(
                    firm_id=firm.id,
                    account_id=account.id,
                    user_id=user.id,
                    portal_access=True,
                    notify=True,
                )
            )
        folder = Folder(firm_id=firm.id, account_id=account.id, name="Shared", access="view")
        db.session.add(folder)
        db.session.flush()
        for d in range(min(10, items - 10 * a)):
            name = f"Statement {a}-{d}.pdf"
            document = add_document_bytes(staff, folder, name, b"%PDF-1.4 bench", "application/pdf")
            request_approval(staff, document, "Please check the totals.", settings)
    db.session.commit()


# --- the run under test ----------------------------------------------------------------------

WORKER_CODE = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
from rq import SimpleWorker
from dashboard import create_app
from jobs.context import use_app

config = json.loads(os.environ["BENCH_CONFIG"])
app = create_app(config)
use_app(app)
with app.app_context():
    # What a worker that has been running has: a pooled connection, the job's module
    # imported, the email templates compiled.
    from dashboard.extensions import db
    from sqlalchemy import text
    import jobs.delivery  # noqa: F401
    db.session.execute(text("SELECT 1"))
    db.session.commit()
    for name in ("action.txt", "action.html", "staff.txt", "staff.html"):
        app.jinja_env.get_template(f"emails/{name}")
    from dashboard.notify.outbox import delivery_queue
    queue = delivery_queue()
worker = SimpleWorker([queue], connection=queue.connection)
import time
ready = time.process_time()
print("ready", flush=True)
worker.work(logging_level=os.environ.get("BENCH_WORKER_LOG", "WARNING"))  # until SIGTERM
print(f"cpu {time.process_time() - ready}", flush=True)
"""


@contextmanager
def listening_workers(config: dict[str, Any], count: int) -> Iterator[list[float]]:
    """`count` SimpleWorker processes listening on the queue; stopped (SIGTERM) after. The
    list yielded gets, once they stopped, the CPU seconds each used after it was ready."""
    env = {**os.environ, "BENCH_CONFIG": json.dumps(config), "RELANCE_ENV": "production"}
    root = str(Path(__file__).resolve().parent.parent)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE, root], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(count)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a worker process did not start")
        time.sleep(1.0)  # each is waiting on the queue by then
        cpu: list[float] = []
        yield cpu
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("cpu "):
                    cpu.append(float(line.split()[1]))
            process.wait(30)


def deliver_all(ids: list[int]) -> float:
    """Enqueue the ids (as the outbox does after a commit) and wait until every row is sent;
    the seconds that took."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.notify.models import OutboxEmail
    from dashboard.notify.outbox import enqueue_delivery

    started = time.perf_counter()
    if not enqueue_delivery(ids):
        raise SystemExit("could not enqueue: is Redis running?")
    deadline = started + 600
    while time.perf_counter() < deadline:
        done = db.session.scalar(
            select(func.count()).where(OutboxEmail.state != "queued", OutboxEmail.id.in_(ids))
        )
        db.session.commit()
        if done == len(ids):
            return time.perf_counter() - started
        time.sleep(0.02)  # light: this process must not take the workers' CPU
    raise SystemExit("the workers did not deliver everything within 10 minutes")


def check_delivered(sink: SinkProcess, emails: int) -> None:
    """Every row sent once, the sink accepted exactly that many, no Message-ID twice."""
    from sqlalchemy import func, select

    from dashboard.extensions import db
    from dashboard.notify.models import OutboxEmail

    rows = dict(
        db.session.execute(
            select(OutboxEmail.state, func.count()).group_by(OutboxEmail.state)
        ).all()
    )
    once = db.session.scalar(select(func.count()).where(OutboxEmail.attempts == 1))
    db.session.commit()
    accepted, duplicates = sink.count()
    if rows != {"sent": emails} or once != emails or accepted != emails or duplicates:
        raise SystemExit(
            f"delivery check failed: rows {rows}, attempts 1: {once}, sink accepted "
            f"{accepted}, duplicate Message-IDs {duplicates} (expected {emails})"
        )


def requeue_all() -> list[int]:
    """Put every row back as freshly written; their ids."""
    from sqlalchemy import select, update

    from dashboard.extensions import db
    from dashboard.notify.models import OutboxEmail

    db.session.execute(
        update(OutboxEmail).values(
            state="queued", attempts=0, sent_at=None, subject=None, last_error=None
        )
    )
    db.session.commit()
    ids = list(db.session.scalars(select(OutboxEmail.id).order_by(OutboxEmail.id)))
    db.session.commit()
    return ids


def message_size() -> tuple[int, int]:
    """Text and HTML lengths of one real email, so the raw messages weigh the same."""
    from sqlalchemy import select

    from dashboard.extensions import db
    from dashboard.notify.emails import render
    from dashboard.notify.models import OutboxEmail

    row = db.session.scalars(select(OutboxEmail).limit(1)).one()
    rendered = render(row)
    db.session.rollback()
    return len(rendered.text), len(rendered.html)


def profile_once(app: Any, out: str | None = None) -> None:
    import cProfile
    import pstats

    from rq import SimpleWorker

    from dashboard.notify.outbox import delivery_queue, enqueue_delivery
    from jobs.context import use_app

    enqueue_delivery(requeue_all())
    queue = delivery_queue()
    use_app(app)
    worker = SimpleWorker([queue], connection=queue.connection)
    profiler = cProfile.Profile()
    profiler.enable()
    worker.work(burst=True, logging_level="WARNING")
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    if out:
        stats.dump_stats(out)
    stats.sort_stats("cumulative").print_stats(45)


@contextmanager
def database(kind: str, args: argparse.Namespace, workdir: str) -> Iterator[str]:
    """A scratch database, or with `--pg-database` that (empty) PostgreSQL database itself,
    its tables dropped after the run."""
    if kind != "postgresql" or not args.pg_database:
        with scratch_database(kind, args.pg_url, workdir, "delivery") as uri:
            yield uri
        return
    from sqlalchemy import MetaData, create_engine

    try:
        yield args.pg_database
    finally:
        engine = create_engine(args.pg_database)
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
        engine.dispose()


def run_database(kind: str, args: argparse.Namespace, workdir: str) -> list[dict[str, Any]]:
    from redis import Redis
    from rq import Queue

    from dashboard import create_app
    from dashboard.extensions import db

    sink = SinkProcess(args.sink_pipelining)
    results = []
    with database(kind, args, workdir) as uri:
        config = app_config(uri, args, sink.port, workdir)
        app = create_app(config)
        queue = Queue(config["RQ_QUEUE"], connection=Redis.from_url(args.redis_url))
        emails = 2 * args.items
        try:
            with app.app_context():
                db.create_all()
                log(f"== {kind}: generating {args.items} approval requests ==")
                generate(args.items)
                size = message_size()
                log(f"one email: text {size[0]} and HTML {size[1]} characters")
                raw = raw_messages(emails, size)
                queue.empty()
                for workers in args.workers:
                    runs = [measure_once(sink, raw, config, workers) for _ in range(args.repeat)]
                    results.append(summary(kind, workers, emails, runs, args.sink_pipelining))
                    log(json.dumps(results[-1]))
                if args.profile:
                    profile_once(app, args.profile_out)
        finally:
            queue.delete(delete_jobs=True)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            sink.close()
    return results


def measure_once(
    sink: SinkProcess, raw: list[tuple[str, bytes]], config: dict[str, Any], workers: int
) -> dict[str, float]:
    emails = len(raw)
    ids = requeue_all()
    sink.reset()
    before = raw_send(sink.port, raw)
    sink.reset()
    with listening_workers(config, workers) as cpu:
        seconds = deliver_all(ids)
    check_delivered(sink, len(ids))
    sink.reset()
    after = raw_send(sink.port, raw)
    sink.reset()
    raw_per_s = emails / min(before, after)
    per_s = emails / seconds
    log(
        f"{workers} worker(s): {per_s:.1f}/s, raw {emails / before:.1f} and "
        f"{emails / after:.1f}/s, ratio {per_s / raw_per_s:.3f}"
    )
    cpu_ms = 1000 * sum(cpu) / emails
    log(f"workers' CPU: {cpu_ms:.3f} ms per email")
    return {"per_s": per_s, "raw_per_s": raw_per_s, "ratio": per_s / raw_per_s, "cpu_ms": cpu_ms}


def summary(
    kind: str, workers: int, emails: int, runs: list[dict[str, float]], pipelining: bool = False
) -> dict[str, Any]:
    """The median run (by ratio), with every run's ratio."""
    ordered = sorted(runs, key=lambda r: r["ratio"])
    median = ordered[len(ordered) // 2]
    return {
        "db": kind,
        "workers": workers,
        "emails": emails,
        "per_s": round(median["per_s"], 1),
        "raw_per_s": round(median["raw_per_s"], 1),
        "ratio": round(median["ratio"], 3),
        "ratios": [round(r["ratio"], 3) for r in runs],
        #: The workers' CPU time per email (all workers, after start-up): what load hides.
        "worker_cpu_ms": round(median["cpu_ms"], 3),
        **({"sink_pipelining": True} if pipelining else {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500, help="approval requests (2 emails each)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", default="1", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database to connect to")
    parser.add_argument(
        "--pg-database", help="run in this empty database instead of a scratch one next to it"
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--sink-pipelining",
        action="store_true",
        help="the sink advertises PIPELINING (raw smtplib never pipelines; reported apart)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one more delivery")
    parser.add_argument("--profile-out", help="with --profile: also write the stats to this file")
    args = parser.parse_args(argv)
    args.workers = [int(n) for n in args.workers.split(",")]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.pg_database:
        args.pg_url = args.pg_database
    if "postgresql" in kinds and (why := postgres_reachable(args.pg_url)):
        log(f"skipping PostgreSQL: cannot connect to {args.pg_url}: {why}")
        kinds.remove("postgresql")
    results = []
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as workdir:
        for kind in kinds:
            results.extend(run_database(kind, args, workdir))
    for result in results:
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
