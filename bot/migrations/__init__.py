"""Alembic revisions for the question log; applied by `bot.store.upgrade_database` and `Store.open`."""
