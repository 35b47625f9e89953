"""consult selectors (permission-scoped reads), one module per area. Import from the submodule."""
