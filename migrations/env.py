"""Alembic environment: migrations run on the connection that `core.db.Database.upgrade` passes in.

Each domain owns one branch of revisions (branch label = the domain's name), so the domains'
schemas evolve independently; `alembic upgrade heads` applies them all.
"""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `yizhan db upgrade` (or `yizhan serve`).")

context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
