"""organizers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:58:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organizer_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('folder_name', sa.String(length=200), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('reminders_enabled', sa.Boolean(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_organizer_template_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_template'))
    )
    with op.batch_alter_table('organizer_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_template_firm_id'), ['firm_id'], unique=False)

    op.create_table('organizer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('folder_name', sa.String(length=200), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('sealed_at', sa.DateTime(), nullable=True),
    sa.Column('sealed_by_id', sa.Integer(), nullable=True),
    sa.Column('sealed_pdf_key', sa.String(length=255), nullable=True),
    sa.CheckConstraint("state IN ('open', 'submitted', 'sealed', 'cancelled')", name=op.f('ck_organizer_state')),
    sa.ForeignKeyConstraint(['id'], ['action_item.id'], name=op.f('fk_organizer_id_action_item')),
    sa.ForeignKeyConstraint(['template_id'], ['organizer_template.id'], name=op.f('fk_organizer_template_id_organizer_template')),
    sa.ForeignKeyConstraint(['sealed_by_id'], ['user.id'], name=op.f('fk_organizer_sealed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer'))
    )
    op.create_table('organizer_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['organizer.id'], name=op.f('fk_organizer_answer_organizer_id_organizer')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_organizer_answer_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizer_answer')),
    sa.UniqueConstraint('organizer_id', 'key', name='uq_organizer_answer_key')
    )
    with op.batch_alter_table('organizer_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizer_answer_organizer_id'), ['organizer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('organizer_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_answer_organizer_id'))
    op.drop_table('organizer_answer')
    op.drop_table('organizer')
    with op.batch_alter_table('organizer_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizer_template_firm_id'))
    op.drop_table('organizer_template')
