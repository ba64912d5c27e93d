"""Simplicity bias can hurt generalisation (section 5 of the paper: Table 2, Table 10)."""
