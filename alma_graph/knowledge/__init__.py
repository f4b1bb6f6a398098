"""Graph knowledge: entities and dated relationships extracted from memories."""
