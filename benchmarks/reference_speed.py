"""Steps per second of the reference simulator against a bare NumPy loop.

Networks: five tanh layers (one third of each layer LE neurons with
tau_r = tau_m = 1 s, the rest lagging neurons with tau_r = 0.1 s), from 10
to 1000 neurons, batch 1, euler scheme, dt = 10 ms. Three modes: forward
only; with local error neurons (MSE target on the last layer); with errors
and SGD plasticity of every weight and bias. The bare loop below writes the
same step (see the docstring of ``circuits/reference.py``) inline, records
the same arrays, and its rates are compared with the reference's.

Usage: ``python benchmarks/reference_speed.py [--steps N] [--sizes 10,100,1000]``.
The goal is a ratio reference/bare of at most 1.3.
"""

import argparse

import numpy as np
from bench_common import best_time, layered_model, machine_line, table

from circuits.reference import Online, initial_state, input_arrays, simulate

GOAL = 1.3
ETA = 0.01
MODES = ("forward", "errors", "errors + plasticity")


def bare_loop(model, errors, eta):
    """Run the euler step of the reference inline for a layered model; return r/out."""
    dt = model.dt
    times = model.times()
    neurons = model.neurons
    x = input_arrays(model, times)["x"][0]
    target = model.target.signal.sample(times)
    weights = [q.weights.copy() for q in model.projections]
    bias = [p.bias.copy() for p in neurons]
    tau_m = [p.tau_m for p in neurons]
    k = [p.tau_r / p.tau_m for p in neurons]
    ratio = [p.tau_m / p.tau_r for p in neurons]
    decay_m = [1.0 - dt / t for t in tau_m]
    decay_r = [1.0 - dt / p.tau_r for p in neurons]
    from circuits.reference import Parameters

    u0, r0 = initial_state(model, Parameters(model), {"x": x[:1]})
    u = [u0[p.name][0].copy() for p in neurons]
    stored = [r0[p.name][0].copy() for p in neurons]
    size = len(neurons)
    v = [np.zeros(p.size) for p in neurons]
    stored_e = [np.zeros(p.size) for p in neurons]
    record = {key: [np.empty((len(times), p.size)) for p in neurons]
              for key in ("u", "ubreve", "r") + (("e",) if errors else ())}
    for n in range(len(times)):
        current, ubreve, rate = [None] * size, [None] * size, [None] * size
        pre = [x[n]] + stored[:-1]
        for layer in range(size):
            current[layer] = weights[layer] @ pre[layer] + bias[layer]
            ubreve[layer] = u[layer] + k[layer] * (current[layer] - u[layer])
            rate[layer] = np.tanh(ubreve[layer])
        if errors:
            error, alpha = [None] * size, [None] * size
            for layer in reversed(range(size)):
                gate = 1.0 - rate[layer] ** 2
                if layer == size - 1:
                    alpha[layer] = gate * (target[n] - rate[layer])
                else:
                    alpha[layer] = gate * (stored_e[layer + 1] @ weights[layer + 1])
                error[layer] = v[layer] + ratio[layer] * (alpha[layer] - v[layer])
        for layer in range(size):
            record["u"][layer][n] = u[layer]
            record["ubreve"][layer][n] = ubreve[layer]
            record["r"][layer][n] = rate[layer]
            if errors:
                record["e"][layer][n] = error[layer]
        for layer in range(size):
            u[layer] = decay_m[layer] * u[layer] + (1.0 - decay_m[layer]) * current[layer]
            if errors:
                v[layer] = decay_r[layer] * v[layer] + (1.0 - decay_r[layer]) * alpha[layer]
                stored_e[layer] = error[layer]
            stored[layer] = rate[layer]
            if eta > 0:
                weights[layer] += eta * dt * np.outer(error[layer], pre[layer])
                bias[layer] += eta * dt * error[layer]
    return record["r"][-1]


def reference_run(model, errors, eta):
    online = Online(errors="local", eta=eta) if errors else None
    traces = simulate(model, scheme="euler", online=online)
    return traces[f"r/{model.neurons[-1].name}"]


def measure(sizes, steps, repeat):
    rows = []
    for neurons in sizes:
        model = layered_model(neurons, duration=(steps - 1) * 0.01)
        for mode in MODES:
            errors, eta = mode != "forward", (ETA if "plasticity" in mode else 0.0)
            t_ref, r_ref = best_time(lambda: reference_run(model, errors, eta), repeat)
            t_bare, r_bare = best_time(lambda: bare_loop(model, errors, eta), repeat)
            difference = float(np.max(np.abs(r_ref - r_bare)))
            ratio = t_ref / t_bare
            rows.append([neurons, mode, f"{steps / t_ref:,.0f}", f"{steps / t_bare:,.0f}",
                         f"{ratio:.2f}", "yes" if ratio <= GOAL else "**no**",
                         f"{difference:.1e}"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="grid steps per run")
    parser.add_argument("--sizes", default="10,30,100,300,1000",
                        help="comma-separated neuron counts (default: 10,30,100,300,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = measure(sizes, args.steps, args.repeat)
    print("## Reference simulator speed\n")
    print(f"Machine: {machine_line()}\n")
    print(f"Five tanh layers, batch 1, euler, {args.steps} steps, best of {args.repeat}.\n")
    print(table(["neurons", "mode", "reference steps/s", "bare NumPy steps/s",
                 "ratio", f"≤ {GOAL}", "max abs Δr"], rows))


if __name__ == "__main__":
    main()
