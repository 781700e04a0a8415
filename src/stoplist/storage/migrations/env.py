"""Alembic environment: runs migrations on the connection of a stoplist Database."""

from alembic import context

from stoplist.storage.schema import metadata

config = context.config
database = config.attributes["database"]

with database.engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=database.is_sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
