"""The datasets chapter: sample sizes per profile (hashed) and picture sizes (``VIEWS``)."""

PROFILES = {"paper": dict(n=20_000), "quick": dict(n=4_000), "smoke": dict(n=600)}

VIEWS = {"paper": dict(frames=12, n_frame=2_000, n_widget=2_000),
         "quick": dict(frames=8, n_frame=1_500, n_widget=2_000),
         "smoke": dict(frames=3, n_frame=300, n_widget=300)}

QUICK_REDUCTION = ("4,000 points per picture instead of 20,000; 8 animation frames of 1,500 "
                   "points instead of 12 of 2,000.")
