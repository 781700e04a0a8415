"""Storage: one layer over SQLite and PostgreSQL, with migrations."""
