"""Wall time of one MNIST-1D training epoch in the GLE paper's configuration.

Model ``examples/mnist1d.toml``: 1 → 6×53 → 10, dt = 0.2 s, 360 steps per
sequence, hidden layers of 17 LE neurons (tau_m = tau_r = 1.2 s) and 36
lagging neurons (tau_r = 0.2 s, tau_m 0.6 or 1.2 s), first layer linear,
tanh elsewhere; local error neurons, cross-entropy, Adam, batch 100, 4000
training sequences (40 batches). The epoch runs through
``circuits.training.train``. A bare NumPy loop of the same step with Adam,
written inline below, runs a few batches for comparison, and its loss is
checked against the reference's.

Usage: ``python benchmarks/mnist1d_epoch.py [--batches N] [--bare-batches N]``.
``--batches`` below 40 times part of an epoch and scales it up. Goal ≤ 16 s.
"""

import argparse
import time

import numpy as np
from bench_common import ROOT, machine_line, table

from circuits.loader import load_model
from circuits.phi import phi as phi_function
from circuits.phi import phi_prime as phi_prime_function
from circuits.reference import Parameters, initial_state
from circuits.training import train
from vle import datasets

GOAL = 16.0
BATCH = 100
BATCHES_PER_EPOCH = 40


def epoch_inputs(model, batches):
    """Return a callable for ``train`` that yields the first ``batches`` training batches."""
    def batches_of(epoch):
        for inputs, targets, _ in datasets.batches(model, "train", BATCH,
                                                   limit=BATCH * batches):
            yield inputs, targets
    return batches_of


def time_training(model, batches):
    """Time ``train`` over ``batches`` batches (one epoch); return seconds and batch losses."""
    started = time.perf_counter()
    _, history = train(model, epochs=1, inputs=epoch_inputs(model, batches),
                       progress=False)
    return time.perf_counter() - started, history["batch_loss"]


def bare_epoch(model, batches):
    """Run the online step with local errors and Adam, written inline; return seconds, losses."""
    dt, learning = model.dt, model.learning
    neurons = model.neurons
    params = Parameters(model)
    weights = [params.weights[q.name] for q in model.projections]
    bias = [params.bias[p.name] for p in neurons]
    k = [p.tau_r / p.tau_m for p in neurons]
    ratio = [p.tau_m / p.tau_r for p in neurons]
    decay_m = [1.0 - dt / p.tau_m for p in neurons]
    decay_r = [1.0 - dt / p.tau_r for p in neurons]
    phi = [phi_function(p.phi) for p in neurons]
    phi_prime = [phi_prime_function(p.phi) for p in neurons]
    beta1, beta2, epsilon = learning.adam_beta1, learning.adam_beta2, learning.adam_epsilon
    rate = learning.eta * dt
    adam = {}

    def adam_step(key, value, descent):
        first, second, count = adam.get(key, (0.0, 0.0, 0))
        gradient = -descent
        first = beta1 * first + (1.0 - beta1) * gradient
        second = beta2 * second + (1.0 - beta2) * gradient**2
        count += 1
        adam[key] = (first, second, count)
        value -= rate * (first / (1.0 - beta1**count)) / (
            np.sqrt(second / (1.0 - beta2**count)) + epsilon)

    size = len(neurons)
    losses = []
    started = time.perf_counter()
    for inputs, targets, _ in datasets.batches(model, "train", BATCH, limit=BATCH * batches):
        x = inputs["x"]
        u0, r0 = initial_state(model, params, {"x": x[:, 0]})
        u = [u0[p.name] for p in neurons]
        stored = [r0[p.name] for p in neurons]
        v = [np.zeros_like(a) for a in u]
        stored_e = [np.zeros_like(a) for a in u]
        loss = 0.0
        for n in range(x.shape[1]):
            pre = [x[:, n]] + stored[:-1]
            current, rates, ubreves = [], [], []
            for layer in range(size):
                current.append(pre[layer] @ weights[layer].T + bias[layer])
                ubreves.append(u[layer] + k[layer] * (current[layer] - u[layer]))
                rates.append(phi[layer](ubreves[layer]))
            shifted = rates[-1] - rates[-1].max(axis=-1, keepdims=True)
            exponent = np.exp(shifted)
            softmax = exponent / exponent.sum(axis=-1, keepdims=True)
            loss += dt * float(-(targets[:, n] * np.log(softmax)).sum(axis=-1).mean())
            alpha, error = [None] * size, [None] * size
            for layer in reversed(range(size)):
                if layer == size - 1:
                    alpha[layer] = targets[:, n] - softmax
                else:
                    alpha[layer] = phi_prime[layer](ubreves[layer]) * (
                        stored_e[layer + 1] @ weights[layer + 1])
                error[layer] = v[layer] + ratio[layer] * (alpha[layer] - v[layer])
            for layer in range(size):
                u[layer] = decay_m[layer] * u[layer] + (1 - decay_m[layer]) * current[layer]
                v[layer] = decay_r[layer] * v[layer] + (1 - decay_r[layer]) * alpha[layer]
                stored[layer], stored_e[layer] = rates[layer], error[layer]
                adam_step(f"w{layer}", weights[layer], error[layer].T @ pre[layer] / BATCH)
                adam_step(f"b{layer}", bias[layer], error[layer].mean(axis=0))
        losses.append(loss)
    return time.perf_counter() - started, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=BATCHES_PER_EPOCH,
                        help=f"batches of {BATCH} to time (default: a full epoch, "
                             f"{BATCHES_PER_EPOCH})")
    parser.add_argument("--bare-batches", type=int, default=4,
                        help="batches for the bare NumPy loop (default: 4)")
    args = parser.parse_args()
    model = load_model(ROOT / "examples" / "mnist1d.toml")
    datasets.load_mnist1d()  # build the data set before the clock starts
    seconds, losses = time_training(model, args.batches)
    bare_seconds, bare_losses = bare_epoch(model, args.bare_batches)
    steps = model.n_steps
    epoch = seconds * BATCHES_PER_EPOCH / args.batches
    bare_epoch_seconds = bare_seconds * BATCHES_PER_EPOCH / args.bare_batches
    compared = min(args.bare_batches, args.batches)
    difference = max(abs(a - b) for a, b in zip(losses[:compared], bare_losses))
    rows = [
        ["circuits.training.train", args.batches, f"{steps * args.batches / seconds:,.0f}",
         f"{epoch:.1f}", "yes" if epoch <= GOAL else "**no**"],
        ["bare NumPy loop with Adam", args.bare_batches,
         f"{steps * args.bare_batches / bare_seconds:,.0f}", f"{bare_epoch_seconds:.1f}",
         "yes" if bare_epoch_seconds <= GOAL else "**no**"],
    ]
    print("## MNIST-1D training epoch\n")
    print(f"Machine: {machine_line()}\n")
    print(f"examples/mnist1d.toml, batch {BATCH}, {steps} grid points per sequence, local "
          f"errors, Adam; one epoch = {BATCHES_PER_EPOCH} batches.\n")
    print(table(["implementation", "batches timed", "steps/s (batch of 100)",
                 "s per epoch", f"≤ {GOAL:g} s"], rows))
    print(f"\nLargest difference of the batch losses over the first {compared} batches "
          f"(reference vs bare loop): {difference:.2e}.")


if __name__ == "__main__":
    main()
