"""What avoids the pitfalls? The paper's datasets as a testbed for methods (chapter 11)."""
