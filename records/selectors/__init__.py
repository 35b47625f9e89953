"""records selectors (reads that ask the access policy), one module per area. Import from the submodule."""
