"""Plots in one house style."""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

CLASS_COLORS = {0: "#d1495b", 1: "#00798c"}  # negative, positive
VARIANT_COLORS = {"standard": "#333333", "S-randomized": "#d1495b", "Sc-randomized": "#00798c"}


def set_style() -> None:
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "axes.titleweight": "bold",
                         "figure.figsize": (7.5, 4.0)})
