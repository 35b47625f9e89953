"""Admin of the booking side."""
