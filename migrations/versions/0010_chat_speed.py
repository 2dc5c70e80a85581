"""chat speed: indexes for a thread's pages, polls and unread counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.create_index("ix_chat_message_thread_id", ["thread_id", "id"], unique=False)
        batch_op.create_index(
            "ix_chat_message_thread_side", ["thread_id", "from_client", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_message_thread_side")
        batch_op.drop_index("ix_chat_message_thread_id")
