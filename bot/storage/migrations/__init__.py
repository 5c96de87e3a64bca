"""Alembic revisions for the question log; applied by `bot.storage.upgrade_database` and `Storage.open`."""
