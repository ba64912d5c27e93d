"""The extreme_sb study."""
