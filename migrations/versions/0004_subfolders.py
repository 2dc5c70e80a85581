"""sub-folders: a zip's or an uploaded folder's inner folders

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('folder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_folder_parent_id_folder', 'folder', ['parent_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_index('ix_folder_parent_id', ['parent_id'], unique=False)
        batch_op.drop_constraint('uq_folder_account_name', type_='unique')
        batch_op.create_unique_constraint('uq_folder_parent_name', ['parent_id', 'name'])
    op.create_index(
        'uq_folder_top_level_name',
        'folder',
        ['account_id', 'name'],
        unique=True,
        sqlite_where=sa.text('parent_id IS NULL'),
        postgresql_where=sa.text('parent_id IS NULL'),
    )


def downgrade():
    op.drop_index('uq_folder_top_level_name', table_name='folder')
    with op.batch_alter_table('folder', schema=None) as batch_op:
        batch_op.drop_constraint('uq_folder_parent_name', type_='unique')
        batch_op.create_unique_constraint('uq_folder_account_name', ['account_id', 'name'])
        batch_op.drop_index('ix_folder_parent_id')
        batch_op.drop_constraint('fk_folder_parent_id_folder', type_='foreignkey')
        batch_op.drop_column('parent_id')
