"""The measuring study."""
