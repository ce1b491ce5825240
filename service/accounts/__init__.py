"""Accounts, sessions, embed keys, upload jobs and the audit log, kept in a SQL database.

Everything goes through SQLAlchemy Core with bound parameters, and the schema is made by Alembic
migrations, so moving from the default SQLite file to PostgreSQL is a change of
``EQUASS_DATABASE_URL`` and nothing else.
"""
