"""Benchmark: the chat pages with a long thread and many threads, against /healthz.

    python bench/chats.py [--messages 500] [--threads 200] [--requests 50]
                          [--long-messages 5000] [--db sqlite|postgresql|both]

For each database: a fresh database (db.create_all()) with one firm, one staff member, one
account with two portal contacts, `threads` conversations (one of them with `messages`
messages, the others three each), then, in-process with the Flask test client (staff and a
client logged in), the median time of each chat page against GET /healthz measured in the same
run, and the SQL statements each page runs. The same again on a fresh database with
`--small-messages` and `--small-threads`: a page whose statement count changes between the two
runs loads something per message or per thread (N+1), and the statements that grew are listed.

The thread pages show the newest messages; the polls are the addresses the pages render
(`thread_poll`: nothing new, answered 204; `_poll_new`: one message newer than the page), and
`_earlier` their *Load earlier*. `sidebar_unread` times the sidebar's unread count alone. With
`--long-messages` (default 5,000) everything runs again with the big thread that long: `long`
gives its figures and `growth`, each page's ratio to /healthz long / normal.
Progress goes to stderr; stdout gets one JSON object per database, the last line last.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on the path: its files must not shadow the standard
# library (bench/http.py is a benchmark, not `http`). The repository root goes first instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from bench.sweep import DEFAULT_PG_URL, postgres_reachable, scratch_database  # noqa: E402
from dashboard.chats.service import MESSAGE_PAGE  # noqa: E402

PASSWORD = "bench chats password"
SMALL_THREAD_MESSAGES = 3
#: Statements that are not queries of the page (nested transactions).
NOT_COUNTED = ("SAVEPOINT", "RELEASE")

_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- data ------------------------------------------------------------------------------------


@dataclass
class Data:
    account_id: int
    big_thread_id: int
    staff_email: str
    client_email: str
    messages: int
    threads: int
    tasks: int
    attachments: int
    #: What the thread's first page (the newest MESSAGE_PAGE messages) shows.
    page_messages: int
    page_tasks: int
    page_attachments: int
    staff_id: int
    firm_id: int


def generate(messages: int, threads: int) -> Data:
    """The data set, written with the ORM (one flush per table), in the current app context.

    Rows look like what the chat services write: every firm message sent the thread again
    (an "item.sent" audit event and one notification per contact, delivered), every client
    message completed it ("chat.replied"); each thread has its reminder row. The big thread is
    the most recent one, pending, with its next reminder planned; every 10th firm message of it
    has three client tasks and every 20th message one attached document.
    """
    from dashboard.accounts.models import Account, Contact, Folder
    from dashboard.audit.models import AuditEvent
    from dashboard.auth.models import Firm, User
    from dashboard.auth.passwords import hash_password
    from dashboard.chats.models import (
        ChatAttachment,
        ChatMessage,
        ChatRead,
        ChatTask,
        ChatThread,
    )
    from dashboard.documents.models import Document
    from dashboard.extensions import db
    from dashboard.notify.models import OutboxEmail
    from dashboard.reminders.models import Reminder

    session = db.session
    password_hash = hash_password(PASSWORD)
    firm = Firm(name="Bench & Co", default_language="en", time_zone="Europe/Paris")
    session.add(firm)
    session.flush()
    staff = User(
        firm_id=firm.id,
        role="owner",
        name="Bench Owner",
        email="owner@bench.test",
        password_hash=password_hash,
    )
    clients = [
        User(
            firm_id=firm.id,
            role="client",
            name=f"Bench Contact {n}",
            email=f"contact{n}@bench.test",
            password_hash=password_hash,
        )
        for n in (1, 2)
    ]
    session.add_all([staff, *clients])
    account = Account(firm_id=firm.id, name="Bench Client")
    session.add(account)
    session.flush()
    session.add_all(
        Contact(firm_id=firm.id, account_id=account.id, user_id=c.id, portal_access=True)
        for c in clients
    )
    folder = Folder(firm_id=firm.id, account_id=account.id, name="Shared", access="view")
    session.add(folder)
    session.flush()

    # Threads: the small ones first (oldest), the big one last (newest, top of the lists).
    start = datetime.now(UTC) - timedelta(days=90)
    sizes = [SMALL_THREAD_MESSAGES] * (threads - 1) + [messages]
    chats: list[ChatThread] = []
    clock = start
    plan: list[list[tuple[bool, int, datetime]]] = []  # per thread: (from_client, author, at)
    for index, size in enumerate(sizes):
        rows = []
        for n in range(size):
            clock += timedelta(minutes=1)
            from_client = n % 3 == 1
            if n == size - 1:  # the big thread waits for the client; a third of the others not
                from_client = index % 3 == 0 and index < threads - 1
            author = clients[n // 3 % 2].id if from_client else staff.id
            rows.append((from_client, author, clock))
        plan.append(rows)
        last_firm = max(at for from_client, _, at in rows if not from_client)
        pending = not rows[-1][0]
        archived = index % 10 == 9 and index < threads - 1
        chats.append(
            ChatThread(
                firm_id=firm.id,
                account_id=account.id,
                subject=f"Conversation {index + 1}" if size != messages else "The long one",
                title=f"Conversation {index + 1}",
                status="pending" if pending and not archived else "completed",
                outcome=None if pending and not archived else "replied",
                sent_by_id=staff.id,
                sent_at=last_firm,
                bumped_at=rows[-1][2],
                completed_at=None if pending and not archived else rows[-1][2],
                archived_at=rows[-1][2] if archived else None,
                last_message_at=rows[-1][2],
            )
        )
    session.add_all(chats)
    session.flush()

    all_messages: list[ChatMessage] = []
    for chat, rows in zip(chats, plan, strict=True):
        for n, (from_client, author, at) in enumerate(rows):
            body = (
                f"<p>Message {n + 1} of {chat.subject}: could you send the March receipts "
                "and the signed engagement letter? The VAT return is due on the 20th.</p>"
            )
            if n % 7 == 3:
                body += '<p>See <a href="https://example.test/guide">the guide</a>.</p>'
            all_messages.append(
                ChatMessage(
                    firm_id=firm.id,
                    thread_id=chat.id,
                    author_id=author,
                    from_client=from_client,
                    body_html=body,
                    created_at=at,
                )
            )
    session.add_all(all_messages)
    session.flush()
    by_thread: dict[int, list[ChatMessage]] = {}
    for message in all_messages:
        by_thread.setdefault(message.thread_id, []).append(message)

    big = chats[-1]
    big_messages = by_thread[big.id]
    firm_messages = [m for m in big_messages if not m.from_client]
    tasks = [
        ChatTask(
            thread_id=big.id,
            message_id=message.id,
            position=position,
            label=f"Task {position + 1} of message {message.id}",
            done_at=message.created_at + timedelta(hours=1) if position == 0 else None,
            done_by_id=clients[0].id if position == 0 else None,
        )
        for message in firm_messages[::10]
        for position in range(3)
    ]
    session.add_all(tasks)
    attached = big_messages[::20]
    documents = [
        Document(
            firm_id=firm.id,
            account_id=account.id,
            folder_id=folder.id,
            name=f"receipt-{n + 1}.pdf",
            storage_key=f"bench/{firm.id}/{n + 1}",
            content_hash="0" * 64,
            size=12_345 + n,
            content_type="application/pdf",
            uploaded_by_id=staff.id,
        )
        for n in range(len(attached))
    ]
    session.add_all(documents)
    session.flush()
    session.add_all(
        ChatAttachment(message_id=message.id, document_id=document.id)
        for message, document in zip(attached, documents, strict=True)
    )

    # What the services leave behind: audit events, notifications, reminders, read marks.
    events, emails, reminders, reads = [], [], [], []
    for chat in chats:
        rounds = 0
        for message in by_thread[chat.id]:
            if message.from_client:
                events.append(
                    AuditEvent(
                        firm_id=firm.id,
                        account_id=account.id,
                        actor_id=message.author_id,
                        subject_type="chat",
                        subject_id=chat.id,
                        action="chat.replied",
                        details={"title": chat.subject},
                        created_at=message.created_at,
                    )
                )
                continue
            rounds += 1
            events.append(
                AuditEvent(
                    firm_id=firm.id,
                    account_id=account.id,
                    actor_id=staff.id,
                    subject_type="chat",
                    subject_id=chat.id,
                    action="item.sent",
                    details={"title": chat.subject, "recipients": 2, "round": rounds},
                    created_at=message.created_at,
                )
            )
            for client in clients:
                emails.append(
                    OutboxEmail(
                        firm_id=firm.id,
                        idempotency_key=f"notify:{chat.id}:{rounds}:{client.id}",
                        message_id=f"<bench-{chat.id}-{rounds}-{client.id}@relance>",
                        purpose="notification",
                        item_id=chat.id,
                        recipient_id=client.id,
                        to_email=client.email,
                        locale="en",
                        context={},
                        state="sent",
                        attempts=1,
                        subject=f"New message: {chat.subject}",
                        created_at=message.created_at,
                        sent_at=message.created_at + timedelta(seconds=5),
                    )
                )
        last = by_thread[chat.id][-1]
        waiting = chat.status == "pending"
        reminders.append(
            Reminder(
                item_id=chat.id,
                enabled=True,
                interval_days=3,
                max_count=2,
                round=rounds,
                sent_count=0,
                timer_from=last.created_at,
                next_at=datetime.now(UTC) + timedelta(days=2) if waiting else None,
                stopped_reason=None if waiting else "completed",
            )
        )
        # Staff have read everything but the last few messages of every other thread.
        thread_messages = by_thread[chat.id]
        seen = thread_messages[max(0, len(thread_messages) - (3 if chat.id % 2 else 1))]
        reads.append(ChatRead(thread_id=chat.id, user_id=staff.id, last_read_message_id=seen.id))
        reads.append(
            ChatRead(thread_id=chat.id, user_id=clients[0].id, last_read_message_id=seen.id)
        )
    session.add_all([*events, *emails, *reminders, *reads])
    session.commit()
    page = {m.id for m in big_messages[-MESSAGE_PAGE:]}
    return Data(
        account_id=account.id,
        big_thread_id=big.id,
        staff_email=staff.email,
        client_email=clients[0].email,
        messages=messages,
        threads=threads,
        tasks=len(tasks),
        attachments=len(documents),
        page_messages=len(page),
        page_tasks=sum(1 for task in tasks if task.message_id in page),
        page_attachments=sum(1 for message in attached if message.id in page),
        staff_id=staff.id,
        firm_id=firm.id,
    )


def analyze(engine: Any) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# --- requests --------------------------------------------------------------------------------


#: What a page shows, counted in its HTML.
SHOWN = {
    "messages": re.compile(r'id="message-\d+"'),
    "tasks": re.compile(r'(?:data-testid="task-|id="staff-task-)\d+"'),
    "attachments": re.compile(r'data-testid="attachment-\d+"'),
    "threads": re.compile(r'data-testid="(?:portal-)?chat-\d+"'),
}


@dataclass
class Route:
    name: str
    client: FlaskClient
    url: str
    #: What the page must show (a count per SHOWN key); anything else stops the run.
    expect: dict[str, int]
    #: The answer expected: 204 for a poll when nothing is new.
    status: int = 200


def shown(body: str) -> dict[str, int]:
    return {what: len(pattern.findall(body)) for what, pattern in SHOWN.items()}


#: The addresses a thread page polls and loads earlier messages from (rendered by the page).
POLLER = re.compile(r'id="chat-poll"[^>]*hx-get="([^"]+)"')
EARLIER = re.compile(r'hx-get="([^"]+)"[^>]*data-testid="chat-load-earlier"')


def page_urls(client: FlaskClient, url: str) -> tuple[str, str, str]:
    """The poll (nothing new), the same poll one message back (one new), and Load earlier."""
    body = client.get(url).get_data(as_text=True)
    poll, earlier = POLLER.search(body), EARLIER.search(body)
    if poll is None or earlier is None:
        raise SystemExit(f"{url}: no poller or no Load earlier button")
    idle = html.unescape(poll.group(1))
    after = int(re.search(r"after=(\d+)", idle).group(1))  # type: ignore[union-attr]
    return idle, idle.replace(f"after={after}", f"after={after - 1}"), html.unescape(earlier[1])


def routes(app: Flask, data: Data, per_page: int) -> list[Route]:
    staff, client = app.test_client(), app.test_client()
    for who, email in ((staff, data.staff_email), (client, data.client_email)):
        response = who.post("/login", data={"email": email, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"login of {email} failed: HTTP {response.status_code}")
    aid, tid = data.account_id, data.big_thread_id
    page = {"messages": data.page_messages, "tasks": data.page_tasks}
    portal = {**page, "attachments": data.page_attachments}
    staff_url, portal_url = f"/clients/{aid}/chats/{tid}", f"/portal/chats/{tid}"
    idle, new, earlier = page_urls(staff, staff_url)
    portal_idle, portal_new, portal_earlier = page_urls(client, portal_url)
    older = {"messages": min(MESSAGE_PAGE, data.messages - data.page_messages)}
    return [
        Route("healthz", staff, "/healthz", {}),
        Route("thread", staff, staff_url, page),
        # What the page polls every 5 s: nothing new, then one new message.
        Route("thread_poll", staff, idle, {"messages": 0}, 204),
        Route("thread_poll_new", staff, new, {"messages": 1}),
        Route("thread_earlier", staff, earlier, older),
        Route(
            "communication",
            staff,
            f"/clients/{aid}/communication",
            {"threads": min(per_page, data.threads)},
        ),
        # The client sees the attached documents (C7) too.
        Route("portal_thread", client, portal_url, portal),
        Route("portal_thread_poll", client, portal_idle, {"messages": 0}, 204),
        Route("portal_thread_poll_new", client, portal_new, {"messages": 1}),
        Route("portal_thread_earlier", client, portal_earlier, older),
    ]


@contextmanager
def capture(engine: Any) -> Iterator[list[str]]:
    """The statements sent to the database meanwhile (as tests/querycount.py counts them)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def get(route: Route) -> str:
    response = route.client.get(route.url)
    if response.status_code != route.status:
        raise SystemExit(f"{route.name}: GET {route.url} answered HTTP {response.status_code}")
    return response.get_data(as_text=True)


def measure(uri: str, messages: int, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    from dashboard import create_app
    from dashboard.extensions import db

    with tempfile.TemporaryDirectory(prefix="relance-bench-chats-") as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": uri,
                "SECRET_KEY": "bench-secret",
                "WTF_CSRF_ENABLED": False,  # the bench logs in with plain form posts
                "SESSION_COOKIE_SECURE": False,
                "UPLOAD_DIR": str(Path(folder) / "uploads"),
                "MAIL_SINK_DIR": str(Path(folder) / "mail-sink"),
                "RQ_QUEUE": f"bench-chats-{os.getpid()}",  # GET pages enqueue nothing anyway
            }
        )
        with app.app_context():
            engine = db.engine
            db.create_all()
            started = time.perf_counter()
            data = generate(messages, threads)
            db.session.remove()
            analyze(engine)
            generate_s = time.perf_counter() - started
        log(
            f"{threads} threads, {messages} messages in the big one ({data.tasks} tasks,"
            f" {data.attachments} attachments) written in {generate_s:.1f}s"
        )
        try:
            pages = routes(app, data, app.config["CLIENTS_PER_PAGE"])
            seen: dict[str, dict[str, int]] = {}
            for route in pages:  # warm-up: templates compiled, caches filled, pages checked
                for _ in range(args.warmup):
                    body = get(route)
                if route.name == "healthz" and body != "ok":
                    raise SystemExit(f"/healthz answered {body[:80]!r}")
                if route.status == 204 and body:
                    raise SystemExit(f"{route.name}: 204 with a body {body[:80]!r}")
                seen[route.name] = shown(body) if route.name != "healthz" else {}
                for what, wanted in route.expect.items():
                    if seen[route.name][what] != wanted:
                        raise SystemExit(
                            f"{route.name}: {seen[route.name][what]} {what} shown, expected"
                            f" {wanted}"
                        )
            statements: dict[str, list[str]] = {}
            for route in pages:
                with capture(engine) as first:
                    get(route)
                with capture(engine) as second:
                    get(route)
                if len(first) != len(second):
                    log(f"{route.name}: {len(first)} then {len(second)} statements")
                statements[route.name] = second
            sidebar = sidebar_unread(app, engine, data, args.requests)
            times: dict[str, list[float]] = {route.name: [] for route in pages}
            for _ in range(args.requests):  # interleaved, so drift affects every page alike
                for route in pages:
                    began = time.perf_counter()
                    get(route)
                    times[route.name].append(time.perf_counter() - began)
        finally:
            with app.app_context():
                db.session.remove()
                engine.dispose()
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    return {
        "generate_s": round(generate_s, 2),
        "tasks": data.tasks,
        "attachments": data.attachments,
        "routes": {
            name: {
                "median_ms": round(medians[name], 3),
                "p90_ms": round(_p90(times[name]) * 1000, 3),
                "ratio": round(medians[name] / medians["healthz"], 1),
                "queries": len(statements[name]),
                **({"shown": seen[name]} if seen[name] else {}),
            }
            for name in times
        },
        "statements": statements,
        "sidebar_unread": sidebar,
    }


def sidebar_unread(app: Flask, engine: Any, data: Data, requests: int) -> dict[str, Any]:
    """The sidebar's unread count (every staff page runs it): median time and statements."""
    from dashboard.chats.service import unread_for_staff
    from dashboard.extensions import db

    with app.app_context():
        with capture(engine) as statements:
            count = unread_for_staff(data.staff_id, data.firm_id)
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            unread_for_staff(data.staff_id, data.firm_id)
            times.append(time.perf_counter() - began)
        db.session.remove()
    return {
        "median_ms": round(statistics.median(times) * 1000, 3),
        "queries": len(statements),
        "unread": count,
    }


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def grown(small: list[str], big: list[str]) -> list[dict[str, Any]]:
    """Statements run more often with more rows: what an N+1 repeats."""
    before, after = Counter(small), Counter(big)
    return [
        {"statement": statement[:300], "small": before[statement], "big": count}
        for statement, count in after.most_common()
        if count > before[statement]
    ]


def run_database(kind: str, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    log(f"== {kind}: {args.threads} threads, {args.messages} messages ==")
    with scratch_database(kind, args.pg_url, workdir, "chats_big") as uri:
        big = measure(uri, args.messages, args.threads, args)
    log(f"== {kind}: {args.small_threads} threads, {args.small_messages} messages (scaling) ==")
    with scratch_database(kind, args.pg_url, workdir, "chats_small") as uri:
        small = measure(uri, args.small_messages, args.small_threads, args)
    long = None
    if args.long_messages:
        log(f"== {kind}: {args.threads} threads, {args.long_messages} messages (long thread) ==")
        with scratch_database(kind, args.pg_url, workdir, "chats_long") as uri:
            long = measure(uri, args.long_messages, args.threads, args)
    constant = {
        name: small["routes"][name]["queries"] == route["queries"]
        for name, route in big["routes"].items()
    }
    n_plus_one = {
        name: grown(small["statements"][name], big["statements"][name])
        for name, same in constant.items()
        if not same
    }
    for name, rows in n_plus_one.items():
        for row in rows:
            log(f"N+1 in {name}: {row['small']} -> {row['big']} x {row['statement'][:160]}")
    return {
        "db": kind,
        "messages": args.messages,
        "threads": args.threads,
        "tasks": big["tasks"],
        "attachments": big["attachments"],
        "requests": args.requests,
        "routes": big["routes"],
        "scaling": {
            "small_messages": args.small_messages,
            "small_threads": args.small_threads,
            "queries_small": {n: r["queries"] for n, r in small["routes"].items()},
            "queries_big": {n: r["queries"] for n, r in big["routes"].items()},
            "median_ms_small": {n: r["median_ms"] for n, r in small["routes"].items()},
            "constant": constant,
            "queries_constant": all(constant.values()),
            "n_plus_one": n_plus_one,
        },
        "sidebar_unread": big["sidebar_unread"],
        **({"long": long_thread(big, long, args.long_messages)} if long else {}),
        "generate_s": round(
            big["generate_s"] + small["generate_s"] + (long["generate_s"] if long else 0), 1
        ),
    }


def long_thread(big: dict[str, Any], long: dict[str, Any], messages: int) -> dict[str, Any]:
    """The same pages with a thread `messages` long: `growth` is long / normal median time
    (each against its own /healthz, so drift between the runs cancels out)."""
    return {
        "messages": messages,
        "routes": {
            name: {k: v for k, v in route.items() if k != "shown"}
            for name, route in long["routes"].items()
        },
        "growth": {
            name: round(route["ratio"] / big["routes"][name]["ratio"], 2)
            for name, route in long["routes"].items()
        },
        "queries_constant": all(
            route["queries"] == big["routes"][name]["queries"]
            for name, route in long["routes"].items()
        ),
        "sidebar_unread": long["sidebar_unread"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500, help="in the big thread")
    parser.add_argument("--threads", type=int, default=200, help="of the account, big one included")
    parser.add_argument("--small-messages", type=int, default=50, help="scaling run")
    parser.add_argument("--small-threads", type=int, default=20, help="scaling run")
    parser.add_argument(
        "--long-messages",
        type=int,
        default=5000,
        help="the big thread again this long: pages must not grow with it (0: skip)",
    )
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database to connect to")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a page's query count is not constant"
    )
    args = parser.parse_args(argv)
    if min(args.threads, args.small_threads) < 1:
        parser.error("at least 1 thread")
    if min(args.messages, args.small_messages, args.long_messages or 10**9) <= MESSAGE_PAGE:
        parser.error(f"more than {MESSAGE_PAGE} messages (a page), so Load earlier shows")
    if args.requests < 2 or args.warmup < 1:
        parser.error("--requests must be at least 2 and --warmup at least 1")

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and (why := postgres_reachable(args.pg_url)):
        log(f"skipping PostgreSQL: cannot connect to {args.pg_url}: {why}")
        kinds.remove("postgresql")
    results = []
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as workdir:
        for kind in kinds:
            result = run_database(kind, args, workdir)
            log(json.dumps(result["routes"]))
            results.append(result)
    log(f"done in {time.perf_counter() - _started:.0f}s")
    for result in results:
        print(json.dumps(result), flush=True)
    failed = [r for r in results if not r["scaling"]["queries_constant"]]
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
