"""Async Alembic migrations; run by `candor migrate`, never on import."""
