"""Wall and CPU time of the SPICE back end against the number of synapses, and one MNIST-1D sample.

Scaling networks: an input of width w feeding two tanh layers of width w
(see ``bench_common.layered_model`` with two layers), so 2·w² synapses, from
about 10² to 10⁴; 2 s of model time at dt = 10 ms, forward only, algebraic
read-out. Each run is split into building the deck (Python), the ngspice
run (``run_ngspice``: the subprocess and reading the raw file) and turning
the vectors into traces (``traces_from_vectors``); the total is their sum,
which is what ``simulate_circuit`` does. CPU time is ngspice's own user and
system time (``getrusage(RUSAGE_CHILDREN)``), which a loaded machine does
not inflate as it does the wall time. The scaling exponent is the slope of
log(wall time) over log(synapses), fitted by least squares.

The MNIST-1D figure runs ``examples/mnist1d.toml`` (1 → 6×53 → 10, about
15k synapses) on its own sample sequence, 72 s of model time, as one circuit,
once with the default maximum step (τ_min/100) and once per value of
``--max-step-fractions``, and compares each run with the continuous reference:
NRMSE over the settled part (worst of u, ŭ, r over all populations) and
whether the predicted digit (argmax of r_out summed over time) is the same.

Usage: ``python benchmarks/ngspice_scaling.py [--widths 7,12,22,39,71] [--no-mnist1d]
[--max-step-fractions 0.1]``.
Goals: exponent ≤ 1.2; one MNIST-1D sample ≤ 10 s.
"""

import argparse
import resource
import time

import numpy as np
from bench_common import ROOT, fit_exponent, layered_model, machine_line, table

from circuits.loader import load_model
from circuits.reference import simulate
from spice_netlists import build_netlist, run_ngspice
from spice_netlists.builder import MAX_STEP_FRACTION
from spice_netlists.simulate import traces_from_vectors

EXPONENT_GOAL = 1.2
SAMPLE_GOAL = 10.0
# ngspice's own timeout; the default MNIST-1D run takes minutes on a loaded machine.
TIMEOUT = 3600.0


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_parts(model, max_step_fraction=None):
    """Seconds for the deck, the ngspice run (wall and CPU) and the traces; and the traces."""
    started = time.perf_counter()
    net = build_netlist(model, max_step_fraction=max_step_fraction)
    deck = net.render()
    build = time.perf_counter() - started
    started, cpu = time.perf_counter(), children_cpu()
    result = run_ngspice(deck, timeout=TIMEOUT)
    run, cpu = time.perf_counter() - started, children_cpu() - cpu
    started = time.perf_counter()
    traces = traces_from_vectors(model, net, result.plots[0].vectors)
    convert = time.perf_counter() - started
    parts = {"build": build, "run": run, "cpu": cpu, "convert": convert,
             "total": build + run + convert, "lines": len(deck.splitlines()),
             "points": len(result.plots[0]["time"])}
    return parts, traces


def scaling(widths, duration):
    rows, synapses, totals, runs = [], [], [], []
    for width in widths:
        model = layered_model(2 * width, layers=2, duration=duration)
        count = sum(q.weights.size for q in model.projections)
        parts, _ = time_parts(model)
        synapses.append(count)
        totals.append(parts["total"])
        runs.append(parts["run"])
        rows.append([count, 3 * width, parts["lines"], f"{parts['build']:.2f}",
                     f"{parts['run']:.2f}", f"{parts['cpu']:.2f}", f"{parts['total']:.2f}"])
    return rows, fit_exponent(synapses, totals), fit_exponent(synapses, runs)


def worst_nrmse(model, traces, reference):
    """Largest NRMSE (RMS error over the reference's range) of u, ŭ, r over the settled part."""
    mask = model.times() >= 5 * model.tau_max
    worst = 0.0
    for population in model.neurons:
        for variable in ("u", "ubreve", "r"):
            key = f"{variable}/{population.name}"
            actual, expected = traces[key][mask], reference[key][mask]
            error = np.sqrt(np.mean((actual - expected) ** 2)) / np.ptp(expected)
            worst = max(worst, float(error))
    return worst


def predicted(traces):
    return int(np.argmax(traces["r/out"].sum(axis=0)))


def mnist1d_sample(fractions):
    model = load_model(ROOT / "examples" / "mnist1d.toml")
    reference = simulate(model, scheme="continuous")
    count = sum(q.weights.size for q in model.projections)
    rows = []
    for fraction in fractions:
        parts, traces = time_parts(model, max_step_fraction=fraction)
        same = predicted(traces) == predicted(reference)
        label = f"1/{1 / fraction:g}" + (" (default)" if fraction == MAX_STEP_FRACTION else "")
        rows.append([count, label, parts["points"], f"{parts['build']:.2f}",
                     f"{parts['run']:.1f}", f"{parts['cpu']:.1f}", f"{parts['convert']:.2f}",
                     f"{parts['total']:.1f}", f"{worst_nrmse(model, traces, reference):.1e}",
                     "yes" if same else "**no**",
                     "yes" if parts["total"] <= SAMPLE_GOAL else "**no**"])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="7,12,22,39,71",
                        help="layer widths w; synapses = 2 w^2 (default: 7,12,22,39,71)")
    parser.add_argument("--duration", type=float, default=2.0,
                        help="model time of the scaling runs in s (default: 2)")
    parser.add_argument("--no-mnist1d", action="store_true",
                        help="skip the MNIST-1D sample")
    parser.add_argument("--max-step-fractions", default="0.1",
                        help="maximum steps over tau_min to run the MNIST-1D sample with, "
                             "besides the default 0.01 (comma-separated; default: 0.1)")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    print(f"Machine: {machine_line()}\n")
    rows, exponent, run_exponent = scaling(widths, args.duration)
    print("## ngspice scaling\n")
    print(f"Input and two tanh layers of width w, {args.duration:g} s of model time at "
          "dt = 10 ms, forward only; seconds of wall time, CPU time of ngspice.\n")
    print(table(["synapses", "neurons", "deck lines", "build deck", "ngspice run",
                 "ngspice CPU", "total"], rows))
    verdict = "meets" if exponent <= EXPONENT_GOAL else "misses"
    print(f"\nFitted exponent (log-log least squares): total {exponent:.2f} "
          f"({verdict} the goal ≤ {EXPONENT_GOAL}); ngspice run alone {run_exponent:.2f}.")
    if not args.no_mnist1d:
        extra = [float(f) for f in args.max_step_fractions.split(",") if f.strip()]
        fractions = [MAX_STEP_FRACTION] + [f for f in extra if f != MAX_STEP_FRACTION]
        print("\n### One MNIST-1D sample as a circuit\n")
        print(table(["synapses", "max step / tau_min", "time points", "build deck",
                     "ngspice run", "ngspice CPU", "traces", "total", "NRMSE vs continuous",
                     "same digit", f"≤ {SAMPLE_GOAL:g} s"], mnist1d_sample(fractions)))


if __name__ == "__main__":
    main()
