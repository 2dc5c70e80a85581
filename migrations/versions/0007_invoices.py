"""invoices

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:54:06.889385

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _replace_status_check(condition):
    """SQLite changes a CHECK by copying the table; the rows that point at action_item would
    fail the drop while foreign keys are enforced, so they are off for that copy only."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_action_item_status'), type_='check')
        batch_op.create_check_constraint('status', condition)
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    op.create_table('firm_billing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('vat_number', sa.String(length=32), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('number_prefix', sa.String(length=20), nullable=False),
    sa.Column('number_digits', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_days', sa.Integer(), nullable=False),
    sa.Column('default_vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_firm_billing_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_billing')),
    sa.UniqueConstraint('firm_id', name=op.f('uq_firm_billing_firm_id'))
    )
    op.create_table('invoice_counter',
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_invoice_counter_firm_id_firm')),
    sa.PrimaryKeyConstraint('firm_id', 'year', name=op.f('pk_invoice_counter'))
    )
    op.create_table('invoice_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_invoice_template_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_template'))
    )
    with op.batch_alter_table('invoice_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_template_firm_id'), ['firm_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('numbering_firm_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('number_year', sa.Integer(), nullable=True),
    sa.Column('number_seq', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('total_net', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_gross', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('credit_for_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('pdf_storage_key', sa.String(length=255), nullable=True),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('reminder_interval_days', sa.Integer(), nullable=False),
    sa.Column('reminder_max_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'draft') = (number IS NULL)", name=op.f('ck_invoice_numbered_when_issued')),
    sa.CheckConstraint("state IN ('draft', 'issued', 'partial', 'paid', 'void')", name=op.f('ck_invoice_state')),
    sa.ForeignKeyConstraint(['credit_for_id'], ['invoice.id'], name=op.f('fk_invoice_credit_for_id_invoice')),
    sa.ForeignKeyConstraint(['id'], ['action_item.id'], name=op.f('fk_invoice_id_action_item')),
    sa.ForeignKeyConstraint(['numbering_firm_id'], ['firm.id'], name=op.f('fk_invoice_numbering_firm_id_firm')),
    sa.ForeignKeyConstraint(['template_id'], ['invoice_template.id'], name=op.f('fk_invoice_template_id_invoice_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('numbering_firm_id', 'number', name='uq_invoice_firm_number')
    )
    op.create_table('document_lock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_lock_document_id_document')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_document_lock_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_lock')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_lock_document_id'))
    )
    with op.batch_alter_table('document_lock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_lock_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('net', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('vat_rate >= 0 AND vat_rate <= 100', name=op.f('ck_invoice_line_vat_rate')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line'))
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('provider_payment_id', sa.String(length=64), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("method IN ('transfer', 'card', 'cash', 'cheque', 'provider')", name=op.f('ck_payment_method')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_payment_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('provider_payment_id', name=op.f('uq_payment_provider_payment_id'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoice_id'), ['invoice_id'], unique=False)

    # A draft invoice is an action item that is nobody's to-do yet.
    _replace_status_check("status IN ('draft', 'pending', 'completed', 'cancelled')")


def downgrade():
    op.execute("DELETE FROM invoice_line")
    op.execute("DELETE FROM payment")
    op.execute("DELETE FROM document_lock")
    op.execute("DELETE FROM invoice")
    op.execute("DELETE FROM action_item WHERE kind = 'invoice'")
    _replace_status_check("status IN ('pending', 'completed', 'cancelled')")
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoice_id'))

    op.drop_table('payment')
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('document_lock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_lock_invoice_id'))

    op.drop_table('document_lock')
    op.drop_table('invoice')
    with op.batch_alter_table('invoice_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_template_firm_id'))

    op.drop_table('invoice_template')
    op.drop_table('invoice_counter')
    op.drop_table('firm_billing')
