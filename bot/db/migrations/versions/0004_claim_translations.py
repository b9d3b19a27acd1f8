"""claim translations

An entry may carry its claim and summary in other languages, so a card can be shown in the reader's
language. They are read and written whole with the entry, so one JSON column holds them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing entries have no translations: the server default fills them, then goes (the models set it).
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('translations', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('translations')
