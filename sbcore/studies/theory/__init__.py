"""The theory study."""
