"""Models (core): the networks the book trains."""

from sbcore.models.fcn import FCN, model_label  # noqa: F401
