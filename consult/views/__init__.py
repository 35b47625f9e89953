"""consult page views, one module per area."""
