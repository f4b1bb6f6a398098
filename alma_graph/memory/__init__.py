"""Memory writes and learning: records, input checks, scope, learning from outcomes."""
