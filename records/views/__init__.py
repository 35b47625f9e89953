"""records page views, one module per area."""
