"""Print the learning oracle numbers recorded in docs/theory-checks.md.

Run:  .venv/bin/python examples/learning_checks.py

1. Local, instantaneous and continuous-adjoint gradients of the 1-2-2-1 lag
   network of examples/lagnet.toml, as cosines against the exact
   (discrete-adjoint) gradient and local against adjoint, per parameter.
2. The amplitude ratio and phase difference of local error and adjoint for a
   0.5 Hz drive of one linear neuron with τ_m = 1 s, τ_r = 0.2 s.
3. The largest relative error of the discrete adjoint against central
   finite differences on a 1-2-2-1 tanh network, both grid schemes.
"""

from pathlib import Path

import numpy as np

from circuits import gradients as grad
from circuits import measure, signals
from circuits.loader import load_model
from circuits.model import Model, Population, Projection, Target

HERE = Path(__file__).resolve().parent


def lagnet_cosines():
    model = load_model(HERE / "lagnet.toml")
    exact = grad.gradients(model, "discrete")
    modes = {mode: grad.gradients(model, mode)
             for mode in ("adjoint", "local", "instantaneous")}
    print(f"lagnet ({model.n_steps} steps, dt = {model.dt:g} s, scheme {model.scheme})")
    print(f"{'parameter':<14} {'local/adjoint':>13} {'inst/adjoint':>13} "
          f"{'adjoint/exact':>13} {'|local|/|adjoint|':>18}")
    for key in exact:
        local, adjoint = modes["local"][key], modes["adjoint"][key]
        ratio = np.linalg.norm(local) / max(np.linalg.norm(adjoint), 1e-300)
        print(f"{key:<14} {measure.cosine(local, adjoint):>13.4f} "
              f"{measure.cosine(modes['instantaneous'][key], adjoint):>13.4f} "
              f"{measure.cosine(adjoint, exact[key]):>13.4f} {ratio:>18.3f}")


def sinusoid_ratio(dt=5e-4, frequency=0.5):
    sine = signals.Sines(amplitude=np.ones((1, 1)), frequency=np.full((1, 1), frequency),
                         phase=np.zeros((1, 1)), offset=np.zeros(1))
    model = Model(
        name="single", dt=dt, duration=14.0,
        populations=[Population("x", 1, "input", signal=sine),
                     Population("h", 1, tau_m=1.0, tau_r=0.2, phi="linear")],
        projections=[Projection("x", "h", [[0.0]])],
        target=Target("h", signal=sine, beta=1.0),
    )
    ratio, phase = measure.gain_ratio(grad.errors(model, "local"),
                                      grad.errors(model, "adjoint"), "h", frequency,
                                      start=5.0, stop=9.0)
    omega = 2 * np.pi * frequency
    print(f"sinusoid f = {frequency} Hz, dt = {dt:g} s (euler): ratio {ratio.item():.4f} "
          f"(theory {(1 + omega**2) / (1 + 0.04 * omega**2):.4f}), phase difference "
          f"{phase.item():.2e} rad")


def finite_difference_errors():
    import sys

    sys.path.insert(0, str(HERE.parent / "tests"))
    from learning_models import net_1221

    for scheme in ("euler", "exact"):
        model = net_1221(scheme=scheme)
        exact = grad.gradients(model, "discrete")
        finite = grad.finite_differences(model)
        worst = max(measure.relative_error(exact[k], finite[k]) for k in exact)
        print(f"discrete adjoint vs central differences ({scheme}): max relative "
              f"error {worst:.2e}")


if __name__ == "__main__":
    lagnet_cosines()
    sinusoid_ratio()
    finite_difference_errors()
