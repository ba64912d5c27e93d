"""A method of one's own on the testbeds, from a shell:

    python -m sbcore.testbed my_module:my_method --profile quick [--testbeds lms-5 ...]

``MODULE:NAME`` names a ``sbcore.testbed.Method`` in an importable module (a file
``my_module.py`` in the current folder will do). The method runs through the testbed study's
store, metrics and leaderboard (``sbcore.studies.testbed.study.evaluate``); the command prints
each testbed's leaderboard with the method beside the built-in ones, and writes the plane
figure (``--figure``, default ``testbed_<name>.png``). The built-in methods' entries come from
the store, computed first if missing.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a figure written to a file, from a shell: no display

from sbcore.profiles import PROFILE_NAMES  # noqa: E402
from sbcore.studies import runner  # noqa: E402
from sbcore.studies.testbed import figures, findings, study, views  # noqa: E402
from sbcore.testbed import Method  # noqa: E402
from sbcore.testbed.testbeds import TESTBEDS  # noqa: E402


def load_method(spec: str):
    """The Method that ``MODULE:NAME`` names; ValueError saying what is wrong."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"method must be MODULE:NAME (a Method named NAME in module MODULE), "
                         f"got {spec!r}")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # a file in the current folder is a module
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ValueError(f"method {spec!r}: no module {module_name!r} ({err})") from None
    if not hasattr(module, attr):
        raise ValueError(f"method {spec!r}: module {module_name!r} has no {attr!r}")
    method = getattr(module, attr)
    if not isinstance(method, Method):
        raise ValueError(f"method {spec!r} is a {type(method).__name__}, not an "
                         f"sbcore.testbed.Method")
    return method


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sbcore.testbed",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("method", help="MODULE:NAME of a sbcore.testbed.Method")
    ap.add_argument("--profile", default="quick", choices=PROFILE_NAMES)
    ap.add_argument("--testbeds", nargs="+", choices=TESTBEDS, metavar="TESTBED",
                    help=f"default: the profile's ({', '.join(TESTBEDS)})")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--recompute", action="store_true", help="recompute the method's entries")
    ap.add_argument("--figure", type=Path, help="where to write the plane figure")
    args = ap.parse_args(argv)
    try:
        method = load_method(args.method)
        text, fig = run(method, args.profile, args.testbeds, args.device, args.recompute)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(text)
    path = args.figure or Path(f"testbed_{re.sub(r'[^A-Za-z0-9]+', '_', method.name)}.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"plane figure: {path}")
    return 0


def run(method, profile: str, testbeds, device: str, recompute: bool):
    """(the leaderboards as text, the plane figure) of a method beside the built-in ones."""
    own = study.evaluate(method, testbeds=testbeds, profile=profile, device=device,
                         recompute=recompute)
    chosen = {k.split("/")[0] for k in own}
    built_in = runner.run("testbed", profile, device, only=[
        e for e in study.configs(profile) if e.split("/")[0] in chosen])
    metrics = views.main_metrics({**built_in, **own})
    summary = findings.relative_cost(findings.summary(metrics))
    lines = []
    for testbed in sorted(chosen):
        t = summary[summary["dataset"] == testbed].copy()
        t = t.assign(order=t["method"].map(views.method_order)).sort_values("order")
        shown = t.set_index("method")[[findings.X, findings.Y, "standard accuracy",
                                       "retrained S-randomized AUC", "time vs ERM"]]
        lines += [f"\n{testbed} ({profile}, mean over {int(t['seeds'].min())} seeds)",
                  shown.round(3).to_string()]
    return "\n".join(lines), figures.plane(metrics, views.testbed_names(chosen))


if __name__ == "__main__":
    sys.exit(main())
