"""certificates: the register (台账), lifecycle events, number counters, sitting batches (issue 20)

Revision ID: 20261206_certificates
Revises: 20261206_checkpoint_count
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261206_certificates'
down_revision: str | None = '20261206_checkpoint_count'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    op.create_table(
        'certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('kind', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=60), nullable=False),
        sa.Column('item_name', sa.String(length=60), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('holder_name', sa.String(length=50), nullable=False),
        sa.Column('employer', sa.String(length=200), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('sitting_id', sa.Integer(), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('basis_key', sa.String(length=64), nullable=False),
        sa.Column('id_salt', sa.String(length=16), nullable=False),
        sa.Column('first_issued_on', sa.Date(), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('review_due', sa.Date(), nullable=True),
        sa.Column('review_interval_months', sa.Integer(), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('form_text', sa.Text(), nullable=False),
        sa.Column('form_digest', sa.String(length=64), nullable=False),
        sa.Column('event_count', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id']),
        sa.ForeignKeyConstraint(['site_id'], ['site.id']),
        sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('basis_key'),
        sa.UniqueConstraint('number'),
    )
    for column in ('candidate_id', 'site_id', 'sitting_id', 'expires_on', 'state'):
        op.create_index(f'ix_certificate_{column}', 'certificate', [column])
    op.create_table(
        'certificate_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('event_no', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('form_digest', sa.String(length=64), nullable=False),
        sa.Column('log_index', sa.BigInteger(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('certificate_id', 'event_no'),
    )
    op.create_index('ix_certificate_event_certificate_id', 'certificate_event', ['certificate_id'])
    op.create_index('ix_certificate_event_form_digest', 'certificate_event', ['form_digest'])
    op.create_table(
        'certificate_serial',
        sa.Column('kind', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('next_serial', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'year'),
    )
    op.create_table(
        'certificate_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sitting_id', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('issued', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('started_by', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['sitting_id'], ['sitting.id']),
        sa.ForeignKeyConstraint(['started_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_certificate_batch_sitting_id', 'certificate_batch', ['sitting_id'])

def downgrade() -> None:
    op.drop_table('certificate_batch')
    op.drop_table('certificate_serial')
    op.drop_table('certificate_event')
    op.drop_table('certificate')
