"""referrals (see DESIGN.md)."""
