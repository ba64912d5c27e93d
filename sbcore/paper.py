"""The paper's own numbers, from one cited data file (``paper_numbers.csv``).

Each row gives its source (a table or figure of Shah et al. 2020, arXiv 2006.07710 v2, or an
output of the official notebooks), the dataset, dimension d, model, metric, mean and std as
printed. Nothing here is computed; chapters put these beside our runs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PAPER_NUMBERS = Path(__file__).with_name("paper_numbers.csv")


def paper_numbers(source: str | None = None) -> pd.DataFrame:
    """All the paper's numbers, or those of one source (e.g. ``"Fig. 3b"``, ``"Table 4"``)."""
    df = pd.read_csv(PAPER_NUMBERS)
    if source is not None:
        known = sorted(df["source"].unique())
        if source not in known:
            raise ValueError(f"source {source!r} is not in {PAPER_NUMBERS.name}; known: {known}")
        df = df[df["source"] == source].reset_index(drop=True)
    return df


def paper_places(mean: float, std: float = float("nan")) -> int:
    """The decimals the paper prints a number with: two, three where mean or std has them."""
    present = [float(x) for x in (mean, std) if not pd.isna(x)]
    return 3 if any(round(x, 2) != round(x, 3) for x in present) else 2


def format_paper(mean: float, std: float = float("nan")) -> str:
    """The paper's number as it prints it: two decimals, three where the number has them
    (Table 2's 0.947 ± 0.002, Table 6's 0.499 ± 0.001); mean and std with the same decimals;
    "" for no number."""
    if pd.isna(mean):
        return ""
    places = paper_places(mean, std)
    text = f"{float(mean):.{places}f}"
    return text if pd.isna(std) else f"{text} ± {float(std):.{places}f}"
