"""one pending submission per user and post

One pending submission per (user_id, group_key) was kept by the application (select, then insert): two
presses of "send to moderators" handled at once in two database threads could both insert. A partial
unique index (pending rows only; a user may send a post again after it was resolved) makes it hold under
races.

Existing duplicates are deleted, keeping each user's oldest pending row for the post: a later duplicate is
the same queue item from the same user (same group_key, so the same forwarded post, media or normalised
text). The moderators' queue counts it as one item already; resolving the group would have notified the
user once anyway (outbox.enqueue_submission_resolved tells each user once per outcome, through their
earliest submission); a pending row has no outbox notice yet that could refer to it; and the oldest row
carries the date the user first asked. Keeping them under another status would add a status the code
does not know. The downgrade drops the index only: the deleted duplicates are not restored.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEX = 'uq_submissions_pending_user_group'
PENDING = "status = 'pending'"


def upgrade() -> None:
    op.execute(
        "DELETE FROM submissions WHERE status = 'pending' AND id NOT IN "
        "(SELECT min(id) FROM submissions WHERE status = 'pending' GROUP BY user_id, group_key)"
    )
    op.create_index(
        INDEX,
        'submissions',
        ['user_id', 'group_key'],
        unique=True,
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name='submissions')
