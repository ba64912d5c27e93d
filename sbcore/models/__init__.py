"""Models (core): the networks the book trains, and one way to name and build them
(``ModelSpec``: the paper's label, the options of its appendix, ``build(d_in, seed)``); the
image networks of the chapter on real images by name (``build_image_model``)."""

from sbcore.models.activations import ACTIVATIONS  # noqa: F401
from sbcore.models.cnn import CNN, cnn_label  # noqa: F401
from sbcore.models.fcn import FCN, model_label  # noqa: F401
from sbcore.models.gru import GRU, gru_label  # noqa: F401
from sbcore.models.images import IMAGE_MODELS, SmallCNN, build_image_model  # noqa: F401
from sbcore.models.init import INIT_SCHEMES, initialise  # noqa: F401
from sbcore.models.spec import FAMILIES, ModelSpec, as_spec  # noqa: F401
