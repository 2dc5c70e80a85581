"""Benchmark: one full reminder sweep against hand-written minimal SQL, on the same data.

    python bench/sweep.py [--pending 1000000] [--due N] [--db sqlite|postgresql|both]

For each database: a fresh database with `pending` reminders of which `due` are due (two
NOTIFY contacts each), then
  * the baseline: one claiming UPDATE ... RETURNING, one SELECT of the recipients, the outbox
    and audit INSERTs with executemany, one commit, one Redis pipeline of the outbox ids;
  * the rows it changed are put back (one UPDATE, two DELETEs);
  * the sweep under test: dashboard.reminders.sweep.sweep(moment), in an app context;
  * idle sweeps (nothing due any more);
and the same on a fresh database with pending / 10 reminders and the same due count.
Progress goes to stderr; stdout gets one JSON object per database, the last line last.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# bench/http.py would shadow the standard library's `http` for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis  # noqa: E402
from rq import Queue  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bench.datagen import Dialect, Plan, analyze, generate, reset_sql  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5433/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
MAX_RATIO = 3.0
SCALING_RANGE = (0.7, 1.3)
IDLE_RUNS = 5

_started = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _started:7.1f}s] {message}", file=sys.stderr, flush=True)


# --- databases -------------------------------------------------------------------------------


def postgres_reachable(admin_url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    engine = create_engine(admin_url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means: skip PostgreSQL
        return str(error).splitlines()[0]
    finally:
        engine.dispose()
    return None


@contextmanager
def scratch_database(kind: str, admin_url: str, workdir: str, label: str) -> Iterator[str]:
    """A fresh, empty database; dropped (or deleted) afterwards."""
    if kind == "sqlite":
        path = Path(workdir) / f"{label}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"relance_bench_{os.getpid()}_{label}"
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- the baseline ----------------------------------------------------------------------------


def run_baseline(engine: Engine, plan: Plan, redis_url: str, key: str) -> dict[str, Any]:
    """The same writes as the sweep in hand-written SQL; returns the time and what it wrote."""
    sqlite = engine.dialect.name == "sqlite"
    p = "?" if sqlite else "%s"
    as_json = "?" if sqlite else "CAST(%s AS JSON)"

    def stamp(value: datetime) -> Any:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive

    moment = plan.moment
    ids_in = "IN (SELECT value FROM json_each(?))" if sqlite else "= ANY(%s)"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        # 1. Claim every due reminder, bump it and schedule the next one, in one statement.
        cursor.execute(
            f"UPDATE reminder SET next_at = {p}, timer_from = {p}, sent_count = sent_count + 1,"
            f" stopped_reason = NULL WHERE next_at IS NOT NULL AND next_at <= {p}"
            " RETURNING id, sent_count",
            (stamp(moment + timedelta(days=3)), stamp(moment), stamp(moment)),
        )
        number = dict(cursor.fetchall())
        claimed = list(number)
        # 2. Re-check and recipients (NOTIFY contacts with portal access), in one query.
        cursor.execute(
            "SELECT r.id, i.id, i.kind, i.firm_id, i.account_id, i.title, u.id, u.email,"
            " COALESCE(u.language, f.default_language)"
            " FROM reminder r JOIN action_item i ON i.id = r.item_id"
            " JOIN contact c ON c.account_id = i.account_id"
            ' JOIN "user" u ON u.id = c.user_id JOIN firm f ON f.id = u.firm_id'
            f" WHERE r.id {ids_in} AND i.status = 'pending'"
            " AND c.notify AND c.portal_access AND u.email_bounced_at IS NULL"
            " ORDER BY r.id, c.id",
            (json.dumps(claimed) if sqlite else claimed,),
        )
        rows = cursor.fetchall()
        # 3. One outbox row per recipient, one audit row per reminder: executemany.
        written = stamp(datetime.now(UTC))
        outbox: list[tuple] = []
        people: dict[int, list] = {}
        for reminder_id, item_id, kind, firm_id, account_id, title, user_id, email, locale in rows:
            n = number[reminder_id]
            outbox.append(
                (
                    firm_id,
                    f"reminder:{reminder_id}:1:{n}:{user_id}",
                    f"<{uuid.uuid4().hex}@relance>",
                    "reminder",
                    n,
                    item_id,
                    user_id,
                    email,
                    locale,
                    "{}",
                    "queued",
                    0,
                    written,
                    written,
                )
            )
            people.setdefault(reminder_id, [item_id, kind, firm_id, account_id, title, 0])[5] += 1
        columns = (
            "firm_id, idempotency_key, message_id, purpose, reminder_number, item_id,"
            " recipient_id, to_email, locale, context, state, attempts, enqueued_at, created_at"
        )
        values = f"{p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {as_json}, {p}, {p}, {p}, {p}"
        if sqlite:
            # One writer holds the lock since the UPDATE: ids can be given here.
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM outbox_email")
            first = cursor.fetchone()[0] + 1
            outbox_ids = list(range(first, first + len(outbox)))
            cursor.executemany(
                f"INSERT INTO outbox_email (id, {columns}) VALUES ({p}, {values})",
                [(i, *row) for i, row in zip(outbox_ids, outbox, strict=True)],
            )
        else:
            cursor.executemany(
                f"INSERT INTO outbox_email ({columns}) VALUES ({values}) RETURNING id",
                outbox,
                returning=True,
            )
            outbox_ids = []
            while True:
                outbox_ids.extend(row[0] for row in cursor.fetchall())
                if not cursor.nextset():
                    break
        cursor.executemany(
            "INSERT INTO audit_event (firm_id, account_id, actor_id, subject_type, subject_id,"
            f" action, details, created_at) VALUES ({p}, {p}, NULL, {p}, {p}, {p}, {as_json}, {p})",
            [
                (
                    firm_id,
                    account_id,
                    kind,
                    item_id,
                    "reminder.sent",
                    json.dumps(
                        {"number": number[reminder_id], "recipients": count, "title": title}
                    ),
                    stamp(moment),
                )
                for reminder_id, (item_id, kind, firm_id, account_id, title, count) in (
                    people.items()
                )
            ],
        )
        raw.commit()
        # 4. The ids to the queue, after the commit, in one pipeline.
        redis = Redis.from_url(redis_url)
        pipe = redis.pipeline(transaction=False)
        for start in range(0, len(outbox_ids), 1000):
            pipe.rpush(key, *outbox_ids[start : start + 1000])
        pipe.execute()
        elapsed = time.perf_counter() - started
        redis.close()
    finally:
        raw.close()
    return {"seconds": elapsed, "claimed": claimed, "reminders": len(people), "emails": len(outbox)}


def reset(engine: Engine, plan: Plan, claimed: list[int]) -> None:
    """Undo the baseline: the claimed reminders as generated, no outbox or audit rows."""
    d = Dialect(engine.dialect.name, plan.moment)
    with engine.begin() as conn:
        if claimed:
            conn.execute(text(reset_sql(plan, d, ", ".join(str(int(i)) for i in claimed))))
        conn.execute(text("DELETE FROM outbox_email"))
        conn.execute(text("DELETE FROM audit_event"))
    analyze(engine, ("reminder", "outbox_email", "audit_event"))


# --- one data set ----------------------------------------------------------------------------


def measure(uri: str, plan: Plan, args: argparse.Namespace, idle: bool) -> dict[str, Any]:
    from dashboard import create_app
    from dashboard.extensions import db
    from dashboard.notify.models import OutboxEmail
    from dashboard.reminders.models import Reminder
    from dashboard.reminders.sweep import sweep

    queue_name = f"bench-sweep-{os.getpid()}"
    baseline_key = f"{queue_name}:baseline"
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": uri,
        "REDIS_URL": args.redis_url,
        "RQ_QUEUE": queue_name,
        # Emails written during the run must not look lost to the idle sweeps' requeue step.
        "OUTBOX_REQUEUE_AFTER_SECONDS": 24 * 3600,
    }
    if args.batch_size:
        config["SWEEP_BATCH_SIZE"] = args.batch_size
    app = create_app(config)
    redis = Redis.from_url(args.redis_url)
    queue = Queue(queue_name, connection=redis)
    out: dict[str, Any] = {}
    with app.app_context():
        engine = db.engine
        try:
            db.create_all()
            log(f"generating {plan.pending:,} pending reminders ({plan.due_count:,} due)")
            started = time.perf_counter()
            generate(engine, plan, log)
            out["generate_s"] = round(time.perf_counter() - started, 1)
            log(f"generated in {out['generate_s']}s")

            baselines, sweeps = [], []
            for run in range(args.repeat):
                base = run_baseline(engine, plan, args.redis_url, baseline_key)
                written = redis.llen(baseline_key)
                redis.delete(baseline_key)
                _expect("baseline reminders", base["reminders"], plan.due_count)
                _expect("baseline emails", base["emails"], 2 * plan.due_count)
                _expect("baseline ids in Redis", written, 2 * plan.due_count)
                baselines.append(base["seconds"])
                log(f"baseline: {base['seconds']:.3f}s")
                reset(engine, plan, base["claimed"])

                db.session.execute(select(1))  # a pooled connection, as a running worker has
                db.session.commit()
                started = time.perf_counter()
                result = sweep(plan.moment)
                sweeps.append(time.perf_counter() - started)
                log(f"sweep: {sweeps[-1]:.3f}s ({result})")
                _expect("sweep reminders", result.reminders, plan.due_count)
                _expect("sweep emails", result.emails, 2 * plan.due_count)
                _expect(
                    "sweep outbox rows",
                    db.session.scalar(select(func.count(OutboxEmail.id))),
                    2 * plan.due_count,
                )
                _expect(
                    "sweep ids in Redis",
                    sum(len(job.args[0]) for job in queue.jobs),
                    2 * plan.due_count,
                )
                _expect(
                    "reminders sent",
                    db.session.scalar(
                        select(func.count(Reminder.id)).where(Reminder.sent_count == 1)
                    ),
                    plan.due_count,
                )
                db.session.commit()
                queue.empty()

                if idle and run == args.repeat - 1:
                    times = []
                    for _ in range(IDLE_RUNS):
                        started = time.perf_counter()
                        result = sweep(plan.moment)
                        times.append(time.perf_counter() - started)
                        _expect("idle sweep reminders", result.reminders, 0)
                        _expect("idle sweep requeued", result.requeued, 0)
                    out["idle_s"] = round(statistics.median(times), 4)
                    out["idle_runs_s"] = [round(t, 4) for t in times]
                    log(f"idle sweeps: {out['idle_runs_s']}")
                if run < args.repeat - 1:
                    reset(engine, plan, _sent_ids(db, Reminder))
            out["baseline_s"] = round(statistics.median(baselines), 4)
            out["sweep_s"] = round(statistics.median(sweeps), 4)
        finally:
            db.session.remove()
            engine.dispose()
            queue.delete(delete_jobs=True)
            redis.delete(baseline_key)
            redis.close()
    return out


def _sent_ids(db: Any, reminder: Any) -> list[int]:
    ids = list(db.session.scalars(select(reminder.id).where(reminder.sent_count > 0)))
    db.session.commit()
    return ids


def _expect(what: str, got: Any, wanted: Any) -> None:
    if got != wanted:
        raise SystemExit(f"{what}: got {got}, expected {wanted}")


def run_database(kind: str, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    # A fixed moment inside the firms' send window (Wednesday 11:00 in Paris): a sweep run at
    # night would rightly hold every overdue reminder until the window opens (B1).
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    big = Plan(args.pending, args.due, moment)
    small = Plan(args.pending // 10, args.due, moment)
    log(f"== {kind}: {big.pending:,} pending ==")
    with scratch_database(kind, args.pg_url, workdir, "big") as uri:
        at_n = measure(uri, big, args, idle=True)
    log(f"== {kind}: {small.pending:,} pending (scaling) ==")
    with scratch_database(kind, args.pg_url, workdir, "small") as uri:
        at_tenth = measure(uri, small, args, idle=False)
    ratio = at_n["sweep_s"] / at_n["baseline_s"]
    scaling = at_n["sweep_s"] / at_tenth["sweep_s"]
    return {
        "db": kind,
        "pending": big.pending,
        "due": big.due_count,
        "emails": 2 * big.due_count,
        "sweep_s": at_n["sweep_s"],
        "baseline_s": at_n["baseline_s"],
        "ratio": round(ratio, 2),
        "scaling_ratio": round(scaling, 2),
        "idle_s": at_n["idle_s"],
        "idle_runs_s": at_n["idle_runs_s"],
        "small_pending": small.pending,
        "small_sweep_s": at_tenth["sweep_s"],
        "small_baseline_s": at_tenth["baseline_s"],
        "small_ratio": round(at_tenth["sweep_s"] / at_tenth["baseline_s"], 2),
        "generate_s": round(at_n["generate_s"] + at_tenth["generate_s"], 1),
        "repeat": args.repeat,
        "ratio_ok": ratio <= MAX_RATIO,
        "scaling_ok": SCALING_RANGE[0] <= scaling <= SCALING_RANGE[1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000_000, help="reminders (default 1M)")
    parser.add_argument("--due", type=int, help="due reminders (default: 1%% of --pending)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="a database to connect to")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--batch-size", type=int, help="SWEEP_BATCH_SIZE (default: the app's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; medians kept")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a ratio is outside its bound"
    )
    args = parser.parse_args(argv)
    args.due = args.due or max(1, args.pending // 100)
    if args.repeat < 1 or args.due < 1:
        parser.error("--repeat and --due must be at least 1")
    if args.pending // 10 < args.due:
        parser.error("--pending / 10 must be at least --due (the scaling run keeps --due)")

    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and (why := postgres_reachable(args.pg_url)):
        log(f"skipping PostgreSQL: cannot connect to {args.pg_url}: {why}")
        kinds.remove("postgresql")
    results = []
    with tempfile.TemporaryDirectory(prefix="relance-bench-") as workdir:
        for kind in kinds:
            result = run_database(kind, args, workdir)
            log(json.dumps(result))
            results.append(result)
    log(f"done in {time.perf_counter() - _started:.0f}s")
    for result in results:
        print(json.dumps(result), flush=True)
    failed = [r for r in results if not (r["ratio_ok"] and r["scaling_ok"])]
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
