"""Benchmark: pages under load, against /healthz in the same run (issue 12 §3).

    python bench/http.py [--seconds 6] [--clients 8] [--workers 2] [--accounts 1000]
                         [--documents 50] [--db sqlite|postgresql] [--rss-requests 10000]

On a scratch database (schema from db.create_all()): the demo (seed_demo), then a big firm of
`--accounts` accounts with `--documents` documents each (bulk INSERTs, no files: lists only
read rows). gunicorn serves the app (`--workers` sync workers); the benchmark logs in as the
demo owner and as the big firm's owner (keeping the cookie the first page answers with, as a
browser does), then for each route runs `--clients` keep-alive
clients, each in its own process (so the client's own Python does not cap the rate), for
`--seconds`, and reports the requests per second, p50 and p99 (ms) and the ratio of its rate
to /healthz's (the first route), and `ratio_adjacent` to /healthz measured again just before
it for `--healthz-seconds` (the machine's load drifts over a run). Account tabs are fetched as
htmx partials (HX-Request), as the tabs do.
Finally `--rss-requests` more requests go round the routes and each worker's RSS is read from
/proc before and after. Progress to stderr; stdout gets one JSON line: per route rps, p50, p99,
ratio; min_ratio; rss_kib before/after and growth.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is bench/http.py: run as a script, its folder comes first on sys.path and would
# shadow the standard library's `http` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sweep import DEFAULT_PG_URL, postgres_reachable, scratch_database  # noqa: E402

DEMO_OWNER = "owner@demo.relance.test"
BIG_OWNER = "owner@big.bench.test"
_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- data ------------------------------------------------------------------------------------


def build(uri: str, upload_dir: str, accounts: int, documents: int) -> dict:
    """Demo data, then the big firm; returns the ids the routes need."""
    os.environ.update(DATABASE_URL=uri, UPLOAD_DIR=upload_dir, RELANCE_ENV="test")
    from sqlalchemy import insert, select

    from dashboard import create_app
    from dashboard.accounts.models import Account, Contact, Folder
    from dashboard.auth.models import Firm, User
    from dashboard.demo import DEMO_PASSWORD, seed_demo
    from dashboard.documents.models import Document
    from dashboard.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
        seed_demo()
        demo_owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
        demo_account = db.session.scalar(
            select(Account.id).where(Account.firm_id == demo_owner.firm_id).order_by(Account.id)
        )
        firm = Firm(name="Big Bench Firm", default_language="en", time_zone="Europe/Paris")
        db.session.add(firm)
        db.session.flush()
        owner = User(
            firm_id=firm.id,
            email=BIG_OWNER,
            name="Big Owner",
            role="owner",
            password_hash=demo_owner.password_hash,
            language="en",
        )
        db.session.add(owner)
        db.session.flush()
        moment = datetime.now(UTC)
        db.session.execute(
            insert(Account),
            [
                {"firm_id": firm.id, "name": f"Client {n:04d}", "created_at": moment}
                for n in range(1, accounts + 1)
            ],
        )
        account_ids = list(db.session.scalars(select(Account.id).where(Account.firm_id == firm.id)))
        db.session.execute(
            insert(User),
            [
                {
                    "firm_id": firm.id,
                    "email": f"client{n}@big.bench.test",
                    "name": f"Contact {n}",
                    "role": "client",
                    "password_hash": demo_owner.password_hash,
                    "language": "en",
                }
                for n in range(len(account_ids))
            ],
        )
        user_ids = list(
            db.session.scalars(
                select(User.id)
                .where(User.firm_id == firm.id, User.role == "client")
                .order_by(User.id)
            )
        )
        db.session.execute(
            insert(Contact),
            [
                {
                    "firm_id": firm.id,
                    "account_id": a,
                    "user_id": u,
                    "portal_access": True,
                    "notify": True,
                }
                for a, u in zip(account_ids, user_ids, strict=True)
            ],
        )
        db.session.execute(
            insert(Folder),
            [
                {"firm_id": firm.id, "account_id": a, "name": "Shared", "access": "view"}
                for a in account_ids
            ],
        )
        folders = dict(
            db.session.execute(
                select(Folder.account_id, Folder.id).where(Folder.firm_id == firm.id)
            ).all()
        )
        rows = [
            {
                "firm_id": firm.id,
                "account_id": a,
                "folder_id": folders[a],
                "name": f"Statement {d:02d}.pdf",
                "storage_key": f"bench/{a}/{d}",
                "content_hash": "0" * 64,
                "size": 1000 + d,
                "content_type": "application/pdf",
                "description": "",
                "uploaded_by_id": owner.id,
                "created_at": moment,
                "last_activity_at": moment,
            }
            for a in account_ids
            for d in range(documents)
        ]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Document), rows[start : start + 5000])
        db.session.commit()
        log(f"data: demo + {accounts} accounts × {documents} documents")
        return {
            "demo": demo_account,
            "big": account_ids[len(account_ids) // 2],
            "password": DEMO_PASSWORD,
        }


def routes(ids: dict) -> list[tuple[str, str, str, bool]]:
    """(name, who logs in, path, as an htmx partial)."""
    out = [("healthz", "", "/healthz", False)]
    for who, account in (("demo", ids["demo"]), ("big", ids["big"])):
        out += [
            (f"{who}:clients", who, "/clients", False),
            (f"{who}:clients_page2", who, "/clients?page=2", False),
            (f"{who}:info", who, f"/clients/{account}/info", True),
            (f"{who}:docs", who, f"/clients/{account}/docs", True),
            (f"{who}:communication", who, f"/clients/{account}/communication", True),
            (f"{who}:invoices", who, f"/clients/{account}/invoices", True),
            (f"{who}:proposals", who, f"/clients/{account}/proposals", True),
            (f"{who}:audit", who, f"/clients/{account}/audit", True),
            (f"{who}:documents", who, "/documents", False),
            (f"{who}:firm_invoices", who, "/invoices", False),
            (f"{who}:firm_proposals", who, "/proposals", False),
            (f"{who}:inbox", who, "/inbox", False),
        ]
    return out


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(uri: str, upload_dir: str, workers: int):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": uri,
        "UPLOAD_DIR": upload_dir,
        "RELANCE_ENV": "test",
        "SECRET_KEY": "bench-http-secret",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def login(port: int, email: str, password: str) -> str:
    """The session cookie after logging in through the form (CSRF token included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'"X-CSRFToken": "([^"]+)"', page
    )
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": password, "csrf_token": token.group(1)})
    conn.request(
        "POST",
        "/login",
        body,
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302, f"login as {email}: {answer.status}"
    cookie = answer.getheader("Set-Cookie", "").split(";")[0]
    # Open the Clients list as a browser would and keep the cookie it answers with (the first
    # page after login puts the CSRF secret in the session): otherwise every measured request
    # would carry a session without it, and each answer would mint and sign a new cookie.
    conn.request("GET", "/clients", headers={"Cookie": cookie})
    landing = conn.getresponse()
    landing.read()
    renewed = landing.getheader("Set-Cookie", "").split(";")[0]
    return renewed if renewed.startswith("session=") else cookie


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- the clients -----------------------------------------------------------------------------


def _client(port: int, path: str, headers: dict, until: float, queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies, errors = [], 0
    while time.perf_counter() < until:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            errors += 1
    queue.put((latencies, errors))


def load(port: int, path: str, headers: dict, clients: int, seconds: float) -> dict:
    """`clients` processes on `path` for `seconds`: rate, p50 and p99."""
    queue = mp.Queue()
    until = time.perf_counter() + seconds
    processes = [
        mp.Process(target=_client, args=(port, path, headers, until, queue)) for _ in range(clients)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    assert not errors, f"{path}: {errors} answers were not 200"
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {
        "rps": round(len(latencies) / seconds, 1),
        "p50": round(statistics.median(latencies) * 1000, 2),
        "p99": round(p99 * 1000, 2),
    }


def run(kind: str, args: argparse.Namespace, workdir: str) -> dict:
    with scratch_database(kind, args.pg_url, workdir, "http") as uri:
        upload_dir = str(Path(workdir) / f"uploads-{kind}")
        ids = build(uri, upload_dir, args.accounts, args.documents)
        with gunicorn(uri, upload_dir, args.workers) as (port, master):
            cookies = {
                "": "",
                "demo": login(port, DEMO_OWNER, ids["password"]),
                "big": login(port, BIG_OWNER, ids["password"]),
            }
            table, healthz = {}, None
            for name, who, path, partial in routes(ids):
                headers = {"Cookie": cookies[who]} if who else {}
                if partial:
                    headers["HX-Request"] = "true"
                # /healthz again just before the route: on a machine shared with other work
                # the rate of the first /healthz says little about a route measured minutes
                # later; `ratio_adjacent` compares with this one (`ratio` stays the first's).
                adjacent = load(port, "/healthz", {}, args.clients, args.healthz_seconds)
                load(port, path, headers, args.clients, 0.5)  # warm the workers up
                result = load(port, path, headers, args.clients, args.seconds)
                healthz = healthz or result
                result["ratio"] = round(result["rps"] / healthz["rps"], 3)
                result["p99_ratio"] = round(result["p99"] / healthz["p99"], 2)
                result["healthz_rps_adjacent"] = adjacent["rps"]
                result["ratio_adjacent"] = round(result["rps"] / adjacent["rps"], 3)
                result["p99_ratio_adjacent"] = round(result["p99"] / adjacent["p99"], 2)
                table[name] = result
                log(f"{kind} {name}: {result}")
            before = {pid: rss_kib(pid) for pid in worker_pids(master)}
            rounds = routes(ids)[1:]
            per_route = max(1, args.rss_requests // len(rounds) // args.clients)
            for _name, who, path, partial in rounds:
                headers = {"Cookie": cookies[who], **({"HX-Request": "true"} if partial else {})}
                _fixed(port, path, headers, args.clients, per_route)
            after = {pid: rss_kib(pid) for pid in before}
    pages = {k: v for k, v in table.items() if k != "healthz"}
    growth = max(after[pid] / before[pid] for pid in before)
    return {
        "db": kind,
        "routes": table,
        "min_ratio": min(v["ratio"] for v in pages.values()),
        "max_p99_ratio": max(v["p99_ratio"] for v in pages.values()),
        "min_ratio_adjacent": min(v["ratio_adjacent"] for v in pages.values()),
        "max_p99_ratio_adjacent": max(v["p99_ratio_adjacent"] for v in pages.values()),
        "rss_kib_before": list(before.values()),
        "rss_kib_after": list(after.values()),
        "rss_growth": round(growth, 3),
    }


def _fixed_client(port: int, path: str, headers: dict, count: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        conn.getresponse().read()


def _fixed(port: int, path: str, headers: dict, clients: int, count: int) -> None:
    processes = [
        mp.Process(target=_fixed_client, args=(port, path, headers, count)) for _ in range(clients)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument(
        "--healthz-seconds", type=float, default=2.0, help="/healthz again before each route"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--rss-requests", type=int, default=10000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    args = parser.parse_args(argv)
    if args.db == "postgresql":
        problem = postgres_reachable(args.pg_url)
        if problem:
            log(f"PostgreSQL skipped: {problem}")
            return 1
    with tempfile.TemporaryDirectory(prefix="relance-bench-http-") as workdir:
        print(json.dumps(run(args.db, args, workdir)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
