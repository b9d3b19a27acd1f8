"""factbot application core: settings, database, services, reply rendering and the CLI."""
