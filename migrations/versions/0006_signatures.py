"""signatures: requests, signers, firm seal keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:06:57.928166

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('firm_seal_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('certificate_pem', sa.LargeBinary(), nullable=False),
    sa.Column('encrypted_key_pem', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firm.id'], name=op.f('fk_firm_seal_key_firm_id_firm')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_seal_key')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_firm_seal_key_fingerprint')),
    sa.UniqueConstraint('firm_id', name=op.f('uq_firm_seal_key_firm_id'))
    )
    op.create_table('signature_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('in_order', sa.Boolean(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('seal_state', sa.String(length=8), nullable=False),
    sa.Column('signed_document_id', sa.Integer(), nullable=True),
    sa.Column('sealed_at', sa.DateTime(), nullable=True),
    sa.Column('seal_error', sa.Text(), nullable=True),
    sa.CheckConstraint("seal_state IN ('none', 'queued', 'sealed', 'failed')", name=op.f('ck_signature_request_seal_state')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_signature_request_document_id_document')),
    sa.ForeignKeyConstraint(['id'], ['action_item.id'], name=op.f('fk_signature_request_id_action_item')),
    sa.ForeignKeyConstraint(['signed_document_id'], ['document.id'], name=op.f('fk_signature_request_signed_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_request'))
    )
    with op.batch_alter_table('signature_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signature_request_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signature_request_signed_document_id'), ['signed_document_id'], unique=False)

    op.create_table('signer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('x', sa.Float(), nullable=True),
    sa.Column('y', sa.Float(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('viewed_at', sa.DateTime(), nullable=True),
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
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("method IS NULL OR method IN ('typed', 'drawn')", name=op.f('ck_signer_method')),
    sa.CheckConstraint("state IN ('waiting', 'signed', 'declined')", name=op.f('ck_signer_state')),
    sa.CheckConstraint('page IS NULL OR (page >= 1 AND x >= 0 AND x <= 1 AND y >= 0 AND y <= 1)', name=op.f('ck_signer_placement')),
    sa.ForeignKeyConstraint(['request_id'], ['signature_request.id'], name=op.f('fk_signer_request_id_signature_request')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_signer_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signer')),
    sa.UniqueConstraint('request_id', 'position', name='uq_signer_request_position'),
    sa.UniqueConstraint('request_id', 'user_id', name='uq_signer_request_user')
    )
    with op.batch_alter_table('signer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signer_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signer_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('signer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signer_user_id'))
        batch_op.drop_index(batch_op.f('ix_signer_request_id'))

    op.drop_table('signer')
    with op.batch_alter_table('signature_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signature_request_signed_document_id'))
        batch_op.drop_index(batch_op.f('ix_signature_request_document_id'))

    op.drop_table('signature_request')
    op.drop_table('firm_seal_key')
