"""Measuring reliance (oracles): test-set sizes per profile, the extreme-SB chapter's."""

PROFILES = {"paper": dict(n_test=10_000, d=50), "quick": dict(n_test=4_000, d=50),
            "smoke": dict(n_test=1_000, d=50)}

QUICK_REDUCTION = "4,000 test points per oracle instead of 10,000."
