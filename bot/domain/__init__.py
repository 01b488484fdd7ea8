"""Pure rules: no I/O, no clock reads, no imports from the rest of the package."""
