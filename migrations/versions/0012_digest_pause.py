"""daily digest (B3) and pause (B9): a firm's digest setting, pauses per firm and account, a
reminder email's digest

Firms that exist get the digest on, like new ones; nothing is paused.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 09:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("reminders_paused_until", sa.Date(), nullable=True))

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_paused_until", sa.Date(), nullable=True))

    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_outbox_email_digest_id_outbox_email", "outbox_email", ["digest_id"], ["id"]
        )
        batch_op.create_index(
            "ix_outbox_email_digest",
            ["digest_id"],
            unique=False,
            postgresql_where=sa.text("digest_id IS NOT NULL"),
            sqlite_where=sa.text("digest_id IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_email_digest",
            postgresql_where=sa.text("digest_id IS NOT NULL"),
            sqlite_where=sa.text("digest_id IS NOT NULL"),
        )
        batch_op.drop_constraint("fk_outbox_email_digest_id_outbox_email", type_="foreignkey")
        batch_op.drop_column("digest_id")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("reminders_paused_until")

    with op.batch_alter_table("firm", schema=None) as batch_op:
        batch_op.drop_column("reminders_paused_until")
        batch_op.drop_column("digest_enabled")
