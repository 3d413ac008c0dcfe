"""Small models with targets for the learning and adjoint tests."""

import numpy as np

from circuits import signals
from circuits.model import Learning, Model, Population, Projection, Target

THREE_OMEGAS = np.array([0.49, 1.07, 1.98])  # rad/s


def sines(amplitudes, omegas, phases=None, offset=0.0):
    """One-channel sum of sines with angular frequencies ``omegas`` (rad/s)."""
    amplitudes = np.atleast_2d(amplitudes)
    phases = np.zeros_like(amplitudes) if phases is None else np.atleast_2d(phases)
    return signals.Sines(amplitude=amplitudes, frequency=np.atleast_2d(omegas) / (2 * np.pi),
                         phase=phases, offset=np.atleast_1d(offset).astype(float))


def three_sines():
    return sines([1.0, 0.6, 0.4], THREE_OMEGAS, [0.0, 1.0, 2.0])


def net_1221(*, dt=0.05, duration=3.0, scheme="euler", initial_state="equilibrium",
             loss="mse", beta=0.5, tau_m_hidden=((1.0, 0.7), (0.8, 1.2)),
             tau_r_hidden=((1.0, 0.1), (0.3, 0.1)), output=(1.0, 0.4), phi_out="tanh",
             seed=4, learning=None):
    """A 1-2-2-1 tanh network with a two-sine target on its output."""
    rng = np.random.default_rng(seed)
    size_out = 3 if loss == "cross_entropy" else 1
    if loss == "cross_entropy":
        levels = np.full(size_out, 0.0)
        levels[1] = 1.0
        target = signals.Step(amplitude=levels, start=0.0, baseline=np.zeros(size_out))
    else:
        target = sines([0.5, 0.3], [1.2, 2.8], offset=0.1)
    return Model(
        name="net",
        dt=dt,
        duration=duration,
        populations=[
            Population("x", 1, "input", signal=three_sines()),
            Population("h1", 2, tau_m=list(tau_m_hidden[0]), tau_r=list(tau_r_hidden[0]),
                       bias=[0.1, -0.2]),
            Population("h2", 2, tau_m=list(tau_m_hidden[1]), tau_r=list(tau_r_hidden[1]),
                       bias=[0.05, 0.0]),
            Population("out", size_out, tau_m=output[0], tau_r=output[1], phi=phi_out),
        ],
        projections=[
            Projection("x", "h1", rng.normal(size=(2, 1))),
            Projection("h1", "h2", rng.normal(size=(2, 2))),
            Projection("h2", "out", rng.normal(size=(size_out, 2))),
        ],
        target=Target("out", signal=target, beta=beta, loss=loss),
        scheme=scheme,
        initial_state=initial_state,
        learning=learning,
    )


def chain(w=(1.0, 2.0), tau_m=(1.0, 2.0), tau_r=0.1, *, teacher=None, duration=20.0,
          dt=0.01, learning=None, name="chain"):
    """The two-neuron softplus chain x -> n1 -> n2 driven by a ±1 square wave."""
    square = signals.Square(amplitude=np.ones(1), period=4.0, offset=np.zeros(1))
    return Model(
        name=name,
        dt=dt,
        duration=duration,
        populations=[
            Population("x", 1, "input", signal=square),
            Population("n1", 1, tau_m=tau_m[0], tau_r=tau_r, phi="softplus"),
            Population("n2", 1, tau_m=tau_m[1], tau_r=tau_r, phi="softplus"),
        ],
        projections=[Projection("x", "n1", [[w[0]]]), Projection("n1", "n2", [[w[1]]])],
        target=Target("n2", teacher=teacher, beta=1.0) if teacher is not None else None,
        learning=learning,
    )


def learning(**fields):
    return Learning(**fields)
