"""The PostgreSQL fixtures (``pg_server``, ``pg_database``) live in tests/conftest.py,
so that the storage contract tests in tests/registry can use them too."""
