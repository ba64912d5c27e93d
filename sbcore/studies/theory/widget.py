"""A live widget for the theory chapter: rerun the theorem's simulation with other settings.

Sliders set d, k, the step size, the initialisation scale (a multiple of the theorem's) and the
batch size; each change retrains a few networks (vectorised over runs) and redraws the
trajectories against Lemma 1's bands and the units in the (w1, w2) plane. On the static site
only the first picture shows (no kernel); the chapter draws its key figures outside the widget.
"""

from __future__ import annotations

import math

from sbcore.studies.theory import simulation as theory


def simulation_explorer(d: int = 50, k: int = 20, runs: int = 3, device: str = "cpu",
                        seed: int = 0):
    """Sliders for d, k, eta, the init factor and log2 of the batch size. Returns a VBox."""
    import ipywidgets as w

    from sbcore.book.widgets import live_output
    from sbcore.studies.theory import figures as theory_viz

    style = {"description_width": "initial"}
    kw = dict(style=style, continuous_update=False)
    controls = dict(
        d=w.IntSlider(value=d, min=4, max=200, step=2, description="dimension d", **kw),
        k=w.IntSlider(value=k, min=2, max=128, step=2, description="width k", **kw),
        eta=w.FloatLogSlider(value=theory.step_size(d), base=10, min=-2, max=0.5, step=0.05,
                             description="step size η", **kw),
        init=w.FloatLogSlider(value=1.0, base=10, min=-1, max=2, step=0.1,
                              description="init × theorem's", **kw),
        log2_batch=w.IntSlider(value=int(round(math.log2(theory.theorem_batch(d)))), min=2,
                               max=16, description="log₂ batch size", **kw),
        steps=w.IntSlider(value=0, min=0, max=100, description="steps (0: t̂)", **kw),
    )

    def draw(d, k, eta, init, log2_batch, steps):
        try:
            sim = theory.simulate(d, k, eta=eta, init_factor=init, batch_size=2 ** log2_batch,
                                  steps=steps or None, runs=runs, seed=seed, device=device,
                                  record_units=16)
        except ValueError as err:
            print(f"Not run: {err}")
            return
        s = theory.weight_summary(sim.W, sim.v, sim.W0).mean(numeric_only=True)
        acc = theory.evaluate(sim.W, sim.v, 2000, seed=seed + 1).mean(numeric_only=True)
        print(f"{sim.settings['steps']} steps of batch {sim.settings['batch_size']}: "
              f"RMS w1 / RMS w2 = {s.linear_to_slab:.1f}, slab weight grew x{s.slab_growth:.2f}; "
              f"test accuracy {acc['standard accuracy']:.3f}, with x1 randomised "
              f"{acc['S-randomized accuracy']:.3f}")
        theory_viz.plot_trajectory(sim.units, sim.steps, d, k, eta,
                                   panels=("linear", "slab", "noise"))

    out = live_output(draw, controls)  # first picture drawn now, not captured (see there)
    return w.VBox([w.HBox([controls["d"], controls["k"], controls["eta"]]),
                   w.HBox([controls["init"], controls["log2_batch"], controls["steps"]]), out])
