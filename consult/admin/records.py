"""Admin of the records side."""
