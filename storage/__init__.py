"""The database: schema, migrations, repositories returning domain objects, FSM storage."""
