"""The built-in methods, in the order the chapter shows them (by what they use), and the
diagnostics shown beside them."""

from sbcore.testbed.methods.dbat import DBAT
from sbcore.testbed.methods.divdis import DIVDIS
from sbcore.testbed.methods.erm import ERM
from sbcore.testbed.methods.gradient_diversity import GRADIENT_DIVERSITY
from sbcore.testbed.methods.jtt import JTT
from sbcore.testbed.methods.orthop import ORTHOP
from sbcore.testbed.methods.sc_only import SC_ONLY
from sbcore.testbed.methods.spectral_decoupling import SPECTRAL_DECOUPLING

BUILT_IN = {m.name: m for m in (ERM, SPECTRAL_DECOUPLING, GRADIENT_DIVERSITY, ORTHOP, JTT, DBAT,
                                DIVDIS, SC_ONLY)}
