"""Models (core): the networks the book trains, and one way to name and build them
(``ModelSpec``: the paper's label, the options of its appendix, ``build(d_in, seed)``)."""

from sbcore.models.activations import ACTIVATIONS  # noqa: F401
from sbcore.models.cnn import CNN, cnn_label  # noqa: F401
from sbcore.models.fcn import FCN, model_label  # noqa: F401
from sbcore.models.gru import GRU, gru_label  # noqa: F401
from sbcore.models.init import INIT_SCHEMES, initialise  # noqa: F401
from sbcore.models.spec import FAMILIES, ModelSpec, as_spec  # noqa: F401
