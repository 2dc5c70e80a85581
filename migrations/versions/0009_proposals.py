"""proposals (and the index of the firm's recent documents)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index('ix_document_firm_activity', ['firm_id', 'last_activity_at'], unique=False)

    op.create_table('proposal_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('fee_lines', sa.JSON(), nullable=False),
    sa.Column('create_invoice', sa.Boolean(), nullable=False),
    sa.Column('valid_days', sa.Integer(), nullable=True),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_proposal_template_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_template'))
    )
    with op.batch_alter_table('proposal_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_template_firm_id'), ['firm_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('fee_lines', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('create_invoice', sa.Boolean(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('content_html', sa.Text(), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('viewed_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('seal_state', sa.String(length=8), nullable=False),
    sa.Column('signed_pdf_key', sa.String(length=255), nullable=True),
    sa.Column('sealed_at', sa.DateTime(), nullable=True),
    sa.Column('seal_error', sa.Text(), nullable=True),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('reminder_interval_days', sa.Integer(), nullable=False),
    sa.Column('reminder_max_count', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('consent_version', sa.String(length=16), nullable=True),
    sa.Column('consent_locale', sa.String(length=16), nullable=True),
    sa.Column('consent_text', sa.Text(), nullable=True),
    sa.Column('method', sa.String(length=8), nullable=True),
    sa.Column('typed_name', sa.String(length=200), nullable=True),
    sa.Column('drawing_png', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("state IN ('draft', 'sent', 'viewed', 'signed', 'declined', 'expired', 'cancelled')", name=op.f('ck_proposal_state')),
    sa.CheckConstraint("seal_state IN ('none', 'queued', 'sealed', 'failed')", name=op.f('ck_proposal_seal_state')),
    sa.ForeignKeyConstraint(['id'], ['action_item.id'], name=op.f('fk_proposal_id_action_item')),
    sa.ForeignKeyConstraint(['template_id'], ['proposal_template.id'], name=op.f('fk_proposal_template_id_proposal_template')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_proposal_decided_by_id_user')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_proposal_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_firm_activity')
    op.drop_table('proposal')
    with op.batch_alter_table('proposal_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_template_firm_id'))
    op.drop_table('proposal_template')
