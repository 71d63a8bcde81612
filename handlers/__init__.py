"""handlers (see DESIGN.md)."""
