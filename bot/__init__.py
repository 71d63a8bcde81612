"""bot (see DESIGN.md)."""
