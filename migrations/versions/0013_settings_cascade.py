"""settings cascade (B8): templates can use the firm default; items say where theirs came from

Templates that exist keep their own reminder values (inherit false); new ones inherit. Items,
drafts and bulk sends made before this record no origin: "item".

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TEMPLATE_TABLES = (
    "message_template",
    "invoice_template",
    "organizer_template",
    "proposal_template",
)
ORIGIN_TABLES = ("invoice", "proposal", "chat_bulk_send")


def upgrade():
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="item")
        )
    for table in TEMPLATE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "reminders_inherit", sa.Boolean(), nullable=False, server_default=sa.false()
                )
            )
    for table in ORIGIN_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "reminders_origin", sa.String(length=16), nullable=False, server_default="item"
                )
            )


def downgrade():
    for table in reversed(ORIGIN_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("reminders_origin")
    for table in reversed(TEMPLATE_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("reminders_inherit")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("origin")
