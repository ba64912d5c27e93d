"""The datasets study."""
