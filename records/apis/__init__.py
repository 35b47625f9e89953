"""records API views (DRF), one module per area."""
