"""contacts: portal invitations (hashed single-use tokens)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_portal_invite_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_portal_invite_created_by_id_user')),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_portal_invite_firm_id_firm')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_portal_invite_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_invite')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portal_invite_token_hash'))
    )
    with op.batch_alter_table('portal_invite', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_invite_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_invite_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_portal_invite_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('portal_invite', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_invite_user_id'))
        batch_op.drop_index(batch_op.f('ix_portal_invite_firm_id'))
        batch_op.drop_index(batch_op.f('ix_portal_invite_account_id'))

    op.drop_table('portal_invite')
