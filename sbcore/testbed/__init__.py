"""The paper's datasets as a testbed for methods that try to avoid simplicity bias.

``testbeds``: the datasets with an unlabelled decorrelated pool and a few labelled points;
``protocol``: what a method is (``Method``) and what it sees (``TestbedView``); ``methods``:
the built-in ones; ``measure``: the three pitfalls. The store, the leaderboard and
``evaluate`` (a method of one's own through all of it) are the testbed study's
(``sbcore.studies.testbed``); ``python -m sbcore.testbed MODULE:NAME`` runs it from a shell.
"""

from sbcore.testbed.methods import BUILT_IN  # noqa: F401
from sbcore.testbed.models import Ensemble, Heads, Projected  # noqa: F401
from sbcore.testbed.protocol import USES, DataNotDeclared, Method, TestbedView  # noqa: F401
from sbcore.testbed.testbeds import TESTBEDS, Testbed, make_testbed  # noqa: F401
