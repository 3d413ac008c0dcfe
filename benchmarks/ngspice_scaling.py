"""Wall time of the SPICE back end against the number of synapses, and one MNIST-1D sample.

Scaling networks: an input of width w feeding two tanh layers of width w
(see ``bench_common.layered_model`` with two layers), so 2·w² synapses, from
about 10² to 10⁴; 2 s of model time at dt = 10 ms, forward only, algebraic
read-out. Each figure is split into building the deck (Python), the
ngspice run (``run_ngspice``: the subprocess and reading the raw file) and
the whole ``simulate_circuit`` call. The scaling exponent is the slope of
log(time) over log(synapses), fitted by least squares.

The MNIST-1D figure runs ``examples/mnist1d.toml`` (1 → 6×53 → 10, about
15k synapses) on its own sample sequence, 72 s of model time, as one circuit.

Usage: ``python benchmarks/ngspice_scaling.py [--widths 7,12,22,39,71] [--no-mnist1d]``.
Goals: exponent ≤ 1.2; one MNIST-1D sample ≤ 10 s.
"""

import argparse
import time

from bench_common import ROOT, fit_exponent, layered_model, machine_line, table

from circuits.loader import load_model
from spice_netlists import build_netlist, run_ngspice, simulate_circuit

EXPONENT_GOAL = 1.2
SAMPLE_GOAL = 10.0


def time_parts(model):
    """Seconds for building the deck, running ngspice, and the whole simulate_circuit."""
    started = time.perf_counter()
    net = build_netlist(model)
    deck = net.render()
    build = time.perf_counter() - started
    started = time.perf_counter()
    run_ngspice(deck)
    run = time.perf_counter() - started
    started = time.perf_counter()
    simulate_circuit(model)
    total = time.perf_counter() - started
    return build, run, total, len(deck.splitlines())


def scaling(widths, duration):
    rows, synapses, totals, runs = [], [], [], []
    for width in widths:
        model = layered_model(2 * width, layers=2, duration=duration)
        count = sum(q.weights.size for q in model.projections)
        build, run, total, lines = time_parts(model)
        synapses.append(count)
        totals.append(total)
        runs.append(run)
        rows.append([count, 3 * width, lines, f"{build:.2f}", f"{run:.2f}", f"{total:.2f}"])
    return rows, fit_exponent(synapses, totals), fit_exponent(synapses, runs)


def mnist1d_sample():
    model = load_model(ROOT / "examples" / "mnist1d.toml")
    build, run, total, lines = time_parts(model)
    count = sum(q.weights.size for q in model.projections)
    return [count, lines, f"{build:.2f}", f"{run:.2f}", f"{total:.2f}",
            "yes" if total <= SAMPLE_GOAL else "**no**"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="7,12,22,39,71",
                        help="layer widths w; synapses = 2 w^2 (default: 7,12,22,39,71)")
    parser.add_argument("--duration", type=float, default=2.0,
                        help="model time of the scaling runs in s (default: 2)")
    parser.add_argument("--no-mnist1d", action="store_true",
                        help="skip the MNIST-1D sample")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    rows, exponent, run_exponent = scaling(widths, args.duration)
    print("## ngspice scaling\n")
    print(f"Machine: {machine_line()}\n")
    print(f"Input and two tanh layers of width w, {args.duration:g} s of model time at "
          "dt = 10 ms, forward only; seconds of wall time.\n")
    print(table(["synapses", "neurons", "deck lines", "build deck", "ngspice run",
                 "simulate_circuit"], rows))
    verdict = "meets" if exponent <= EXPONENT_GOAL else "misses"
    print(f"\nFitted exponent (log-log least squares): simulate_circuit {exponent:.2f} "
          f"({verdict} the goal ≤ {EXPONENT_GOAL}); ngspice run alone {run_exponent:.2f}.")
    if not args.no_mnist1d:
        print("\n### One MNIST-1D sample as a circuit\n")
        print(table(["synapses", "deck lines", "build deck", "ngspice run",
                     "simulate_circuit", f"≤ {SAMPLE_GOAL:g} s"], [mnist1d_sample()]))


if __name__ == "__main__":
    main()
