"""membership (see DESIGN.md)."""
