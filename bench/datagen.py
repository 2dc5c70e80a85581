"""Bulk data for the sweep benchmark: INSERT ... SELECT over a number series, no ORM.

Item n (1..pending) is an approval request of document n, in account (n - 1) // 10 + 1; each
account has exactly two contacts (NOTIFY on, portal access), a "Shared" folder and belongs to
one of the firms. Reminder n is due when n % step == 0 (step = pending // due), otherwise its
next_at is 1 hour to 30 days ahead. Every value is a function of n, so the rows a run changed
can be put back with one UPDATE (`reset_sql`).

The schema itself comes from `db.create_all()`; only the rows are written here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

ITEMS_PER_ACCOUNT = 10
CONTACTS_PER_ACCOUNT = 2
MAX_FIRMS = 100
#: Tables whose ids are written explicitly (PostgreSQL sequences are moved past them).
TABLES = (
    "firm",
    "user",
    "account",
    "contact",
    "folder",
    "document",
    "action_item",
    "approval_request",
    "reminder",
)


@dataclass(frozen=True)
class Plan:
    """The shape of one data set."""

    pending: int
    due: int
    #: The sweep's moment, whole seconds, UTC.
    moment: datetime

    @property
    def step(self) -> int:
        return max(1, self.pending // self.due)

    @property
    def accounts(self) -> int:
        return -(-self.pending // ITEMS_PER_ACCOUNT)

    @property
    def firms(self) -> int:
        return max(1, min(MAX_FIRMS, self.accounts // 10))

    @property
    def due_count(self) -> int:
        return self.pending // self.step


class Dialect:
    """The few SQL snippets that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str, moment: datetime) -> None:
        assert moment.tzinfo is not None and moment.microsecond == 0
        self.name = name
        self.base = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def series(self, count: int) -> str:
        """A CTE `s(n)` with n = 1..count."""
        if self.name == "sqlite":
            return (
                "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
                f"WHERE n < {int(count)})"
            )
        return f"WITH s(n) AS (SELECT generate_series(1, {int(count)}))"

    def minutes(self, expr: str) -> str:
        """The moment plus `expr` minutes, stored the way SQLAlchemy stores a UTC DateTime."""
        if self.name == "sqlite":
            # SQLAlchemy's SQLite DateTime format always carries six fractional digits.
            return f"(datetime('{self.base}', ({expr}) || ' minutes') || '.000000')"
        return f"(TIMESTAMP '{self.base}' + ({expr}) * INTERVAL '1 minute')"

    def json(self, literal: str) -> str:
        return f"'{literal}'" if self.name == "sqlite" else f"CAST('{literal}' AS JSON)"


def sent_at_sql(d: Dialect, n: str) -> str:
    """Items were sent 3 to 4 days before the moment."""
    return d.minutes(f"-4320 - ({n}) % 1440")


def next_at_sql(d: Dialect, n: str, step: int) -> str:
    """Due (up to a day late) when n % step = 0, else 1 hour to 30 days ahead."""
    return (
        f"CASE WHEN ({n}) % {step} = 0 THEN {d.minutes(f'-1 - ({n}) % 1439')} "
        f"ELSE {d.minutes(f'60 + ({n}) % 43200')} END"
    )


def statements(plan: Plan, d: Dialect) -> list[tuple[str, str]]:
    """(label, SQL) for every table, parents first."""
    now_sql = sent_at_sql(d, "n")
    firm_of_account = f"((n - 1) % {plan.firms} + 1)"
    # Accounts 1..A; clients are users firms + 1 .. firms + 2A (two per account).
    account_of_contact = f"((n - 1) / {CONTACTS_PER_ACCOUNT} + 1)"
    account_of_item = f"((n - 1) / {ITEMS_PER_ACCOUNT} + 1)"
    firm_of_item = f"(({account_of_item} - 1) % {plan.firms} + 1)"
    languages = "CASE n % 3 WHEN 0 THEN NULL WHEN 1 THEN 'fr' ELSE 'nl' END"
    return [
        (
            "firm",
            f"{d.series(plan.firms)} INSERT INTO firm (id, name, default_language, time_zone,"
            " reminders_enabled, reminder_interval_days, reminder_max_count, window_start_hour,"
            " window_end_hour, window_weekdays, clients_can_start_chats, digest_enabled,"
            " created_at)"
            # The digest off: the sweep is measured sending each reminder on its own (what
            # the floor does); the digest's own path is covered by tests/reminders.
            " SELECT n, 'Firm ' || n, 'en', 'Europe/Paris', TRUE, 3, 3, 9, 17, '12345', TRUE,"
            f" FALSE, {now_sql} FROM s",
        ),
        (
            "staff users",
            f'{d.series(plan.firms)} INSERT INTO "user" (id, firm_id, email, name, role,'
            " session_token, created_at)"
            " SELECT n, n, 'owner' || n || '@firm.bench', 'Owner ' || n, 'owner',"
            f" 'token-staff-' || n, {now_sql} FROM s",
        ),
        (
            "accounts",
            f"{d.series(plan.accounts)} INSERT INTO account (id, firm_id, name, created_at)"
            f" SELECT n, {firm_of_account}, 'Account ' || n, {now_sql} FROM s",
        ),
        (
            "client users",
            f'{d.series(plan.accounts * CONTACTS_PER_ACCOUNT)} INSERT INTO "user" (id, firm_id,'
            " email, name, role, language, session_token, created_at)"
            f" SELECT {plan.firms} + n,"
            f" (({account_of_contact} - 1) % {plan.firms} + 1),"
            " 'client' || n || '@client.bench', 'Client ' || n, 'client',"
            f" {languages}, 'token-client-' || n, {now_sql} FROM s",
        ),
        (
            "contacts",
            f"{d.series(plan.accounts * CONTACTS_PER_ACCOUNT)} INSERT INTO contact (id, firm_id,"
            " account_id, user_id, portal_access, notify, created_at)"
            f" SELECT n, (({account_of_contact} - 1) % {plan.firms} + 1), {account_of_contact},"
            f" {plan.firms} + n, TRUE, TRUE, {now_sql} FROM s",
        ),
        (
            "folders",
            f"{d.series(plan.accounts)} INSERT INTO folder (id, firm_id, account_id, name, access,"
            f" created_at) SELECT n, {firm_of_account}, n, 'Shared', 'view', {now_sql} FROM s",
        ),
        (
            "documents",
            f"{d.series(plan.pending)} INSERT INTO document (id, firm_id, account_id, folder_id,"
            " name, storage_key, content_hash, size, content_type, description, created_at,"
            " last_activity_at)"
            f" SELECT n, {firm_of_item}, {account_of_item}, {account_of_item},"
            " 'Statement ' || n || '.pdf', 'bench/' || n,"
            " 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',"
            f" 1000 + n % 5000, 'application/pdf', '', {now_sql}, {now_sql} FROM s",
        ),
        (
            "action items",
            f"{d.series(plan.pending)} INSERT INTO action_item (id, firm_id, account_id, kind,"
            " status, title, sent_by_id, sent_at, bumped_at)"
            f" SELECT n, {firm_of_item}, {account_of_item}, 'approval', 'pending',"
            f" 'Statement ' || n || '.pdf', {firm_of_item}, {now_sql}, {now_sql} FROM s",
        ),
        (
            "approval requests",
            f"{d.series(plan.pending)} INSERT INTO approval_request (id, document_id, message,"
            f" reasons, comment) SELECT n, n, '', {d.json('[]')}, '' FROM s",
        ),
        (
            "reminders",
            f"{d.series(plan.pending)} INSERT INTO reminder (id, item_id, round, enabled,"
            " interval_days, max_count, sent_count, timer_from, next_at, origin)"
            f" SELECT n, n, 1, TRUE, 3, 3, 0, {now_sql}, {next_at_sql(d, 'n', plan.step)},"
            " 'item' FROM s",
        ),
    ]


def reset_sql(plan: Plan, d: Dialect, id_list: str) -> str:
    """Put the reminders in `id_list` (an SQL list or subquery) back as generated."""
    return (
        f"UPDATE reminder SET sent_count = 0, stopped_reason = NULL,"
        f" timer_from = {sent_at_sql(d, 'id')}, next_at = {next_at_sql(d, 'id', plan.step)}"
        f" WHERE id IN ({id_list})"
    )


def generate(
    engine: Engine, plan: Plan, progress: Callable[[str], None] = lambda _message: None
) -> None:
    """Fill the (empty, freshly created) schema; then ANALYZE, as a live database would be."""
    d = Dialect(engine.dialect.name, plan.moment)
    with engine.begin() as conn:
        if d.name == "postgresql":
            # Generated rows are consistent by construction: skip the per-row FK triggers.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for label, sql in statements(plan, d):
            started = time.perf_counter()
            conn.execute(text(sql))
            progress(f"  {label}: {time.perf_counter() - started:.1f}s")
        if d.name == "postgresql":
            _move_sequences(conn)
    analyze(engine)


def analyze(engine: Engine, tables: tuple[str, ...] = ()) -> None:
    """Fresh planner statistics (and, on PostgreSQL, no dead rows) for `tables` or all."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(" ".join(("VACUUM ANALYZE", ", ".join(tables))).strip()))
    else:
        with engine.begin() as conn:
            for table in tables or ("",):
                conn.execute(text(f"ANALYZE {table}".strip()))


def _move_sequences(conn: Connection) -> None:
    for table in TABLES:
        quoted = f'"{table}"'
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{quoted}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {quoted}), false)"
            )
        )
