"""The store: SQLAlchemy models, short query modules and Alembic migrations.

Portable across SQLite (the embedded default) and PostgreSQL: JSON columns via
``sqlalchemy.JSON``, timezone-aware UTC datetimes, no dialect-only SQL.
"""

from cumulo.store import account_models  # noqa: F401  (registers the identity tables)
from cumulo.store.db import Database, utcnow
from cumulo.store.migrate import migrate

__all__ = ["Database", "migrate", "utcnow"]
