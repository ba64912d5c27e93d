"""A live widget for the theory chapter: rerun the theorem's simulation with other settings.

Sliders set d, k, the step size, the initialisation scale (a multiple of the theorem's) and the
batch size; each change retrains a few networks (vectorised over runs) and redraws the
trajectories against Lemma 1's bands and the units in the (w1, w2) plane. A line above the
picture says what is being trained while it trains (a run can take tens of seconds) and what
the picture shows afterwards. On the static site only the first picture shows (no kernel); the
chapter draws its key figures outside the widget.

The theorem ties two settings to d: the step size eta = 1/sqrt(log d) and the batch size d^2.
While the reader leaves either at the theorem's value, it follows the dimension slider; once the
reader moves it, it stays where it was put.
"""

from __future__ import annotations

import math

from sbcore.studies.theory import simulation

D_RANGE = (4, 200)
# exponents of 10 the step-size slider spans: it holds the theorem's eta for every d of the
# slider (1/sqrt(log 4) = 0.85 down to 1/sqrt(log 200) = 0.43) with room for 40x smaller and
# 3x larger (above 8/3, t_hat is 1 step)
ETA_EXPONENTS = (-2.0, 0.5)
ETA_STEP = 0.05
LOG2_BATCH_RANGE = (2, 16)


def theorem_log2_batch(d: int) -> int:
    """The batch-size slider's value for the theorem's batch d^2 (the nearest power of two)."""
    return int(round(math.log2(simulation.theorem_batch(d))))


def eta_tooltip(d: int) -> str:
    return (f"the theorem's step size at d={d} is 1/√(log d) = {simulation.step_size(d):.3f}; "
            "the slider follows d while it is there")


def run_summary(d, k, eta, init, log2_batch, steps, runs: int) -> str:
    """What one retraining does, for the status line above the picture."""
    n_steps = f"{steps} steps" if steps else f"t̂ = {simulation.theorem_steps(eta)} steps"
    return (f"{runs} networks of width {k} at d={d}: {n_steps} of batch {2 ** log2_batch:,}, "
            f"η={eta:.3g}, init ×{init:.3g}")


def simulation_explorer(d: int = 50, k: int = 20, runs: int = 3, device: str = "cpu",
                        seed: int = 0):
    """Sliders for d, k, eta, the init factor and log2 of the batch size. Returns a VBox."""
    import ipywidgets as w

    from sbcore.book.widgets import Follow, LivePicture, same_on_log_slider
    from sbcore.studies.theory import figures

    style = {"description_width": "initial"}
    kw = dict(style=style, continuous_update=False)
    controls = dict(
        d=w.IntSlider(value=d, min=D_RANGE[0], max=D_RANGE[1], step=2, description="dimension d",
                      **kw),
        k=w.IntSlider(value=k, min=2, max=128, step=2, description="width k", **kw),
        eta=w.FloatLogSlider(value=simulation.step_size(d), base=10, min=ETA_EXPONENTS[0],
                             max=ETA_EXPONENTS[1], step=ETA_STEP, description="step size η",
                             tooltip=eta_tooltip(d), **kw),
        init=w.FloatLogSlider(value=1.0, base=10, min=-1, max=2, step=0.1,
                              description="init × theorem's", **kw),
        log2_batch=w.IntSlider(value=theorem_log2_batch(d), min=LOG2_BATCH_RANGE[0],
                               max=LOG2_BATCH_RANGE[1], description="log₂ batch size", **kw),
        steps=w.IntSlider(value=0, min=0, max=100, description="steps (0: t̂)", **kw),
    )
    follows = (Follow("d", "eta", simulation.step_size, same_on_log_slider(ETA_STEP)),
               Follow("d", "log2_batch", theorem_log2_batch))
    controls["d"].observe(lambda change: setattr(controls["eta"], "tooltip",
                                                 eta_tooltip(change["new"])), names="value")

    def draw(d, k, eta, init, log2_batch, steps):
        try:
            sim = simulation.simulate(d, k, eta=eta, init_factor=init, batch_size=2 ** log2_batch,
                                  steps=steps or None, runs=runs, seed=seed, device=device,
                                  record_units=16)
        except ValueError as err:
            print(f"Not run: {err}")
            return
        s = simulation.weight_summary(sim.W, sim.v, sim.W0).mean(numeric_only=True)
        acc = simulation.evaluate(sim.W, sim.v, 2000, seed=seed + 1).mean(numeric_only=True)
        print(f"{sim.settings['steps']} steps of batch {sim.settings['batch_size']}: "
              f"RMS w1 / RMS w2 = {s.linear_to_slab:.1f}, slab weight grew x{s.slab_growth:.2f}; "
              f"test accuracy {acc['standard accuracy']:.3f}, with x1 randomised "
              f"{acc['S-randomized accuracy']:.3f}")
        figures.plot_trajectory(sim.units, sim.steps, d, k, eta,
                                   panels=("linear", "slab", "noise"))

    live = LivePicture(draw, controls, action="training", follows=follows,
                       describe=lambda **values: run_summary(**values, runs=runs))
    return w.VBox([w.HBox([controls["d"], controls["k"], controls["eta"]]),
                   w.HBox([controls["init"], controls["log2_batch"], controls["steps"]]),
                   live.view])
