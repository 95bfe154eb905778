"""What every package stands on: settings, the database, the Temporal client, every Temporal
name, refusals, the calendar."""
