"""sbcore: the tested library behind the executable book of
"The Pitfalls of Simplicity Bias in Neural Networks" (Shah et al., NeurIPS 2020)."""

__version__ = "0.1.0"
