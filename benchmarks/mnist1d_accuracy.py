"""Test accuracy of a GLE network on MNIST-1D over a long training schedule.

Trains ``examples/mnist1d.toml`` (or the model given) online with local
errors and Adam, as ``vle train --dataset mnist1d`` does, and evaluates the
test accuracy on the 1000 test sequences every ``--every`` epochs. Each
evaluation appends a row to the Markdown table printed on standard output
and writes the model learned so far to ``--checkpoint``, so an interrupted
run still leaves its last result.

Usage::

    python benchmarks/mnist1d_accuracy.py [--epochs 150] [--every 5] \\
        [--model examples/mnist1d.toml] [--checkpoint mnist1d_trained.toml]
"""

import argparse
import sys
import time

from bench_common import ROOT, machine_line

from circuits.loader import load_model
from circuits.training import train
from circuits.writer import save_model
from vle import datasets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "examples" / "mnist1d.toml"))
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--every", type=int, default=5,
                        help="evaluate the test accuracy every N epochs")
    parser.add_argument("--checkpoint", default="mnist1d_trained.toml",
                        help="model file rewritten at every evaluation")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed of epoch 0")
    parser.add_argument("--plateau", type=float, nargs=2, default=(2, 0.5),
                        metavar=("PATIENCE", "FACTOR"),
                        help="halve the learning rate after more than PATIENCE epochs "
                             "without a lower epoch loss (default: 2 0.5, the GLE "
                             "paper's ReduceLROnPlateau setting)")
    parser.add_argument("--monitor-samples", type=int, default=0,
                        help="let the plateau rule watch the accuracy on this many "
                             "training sequences instead of the epoch loss "
                             "(default: 0, watch the loss)")
    args = parser.parse_args(argv)

    model = load_model(args.model)
    started = time.perf_counter()
    print(f"Machine: {machine_line()}")
    print(f"Model: {args.model}; {args.epochs} epochs, batch 100, local errors\n")
    print("| epoch | training loss | learning rate | training accuracy | test accuracy | "
          "elapsed (min) |")
    print("|---|---|---|---|---|---|")
    before = datasets.evaluate(model, "test")
    print(f"| 0 | – | {model.learning.eta:.3g} | – | {100 * before:.1f} % | 0.0 |",
          flush=True)

    def epoch_batches(epoch):
        for inputs, targets, _ in datasets.batches(model, "train", 100,
                                                   shuffle_seed=args.seed + epoch):
            yield inputs, targets

    def on_epoch(epoch, learned, history):
        done = epoch + 1
        # With --monitor-samples the plateau rule watches the accuracy on training
        # sequences, else the epoch loss; the test set plays no part in training.
        monitored = None
        if args.monitor_samples:
            monitored = datasets.evaluate(learned, "train", limit=args.monitor_samples)
        if done % args.every == 0 or done == args.epochs:
            accuracy = datasets.evaluate(learned, "test")
            save_model(learned, args.checkpoint)
            minutes = (time.perf_counter() - started) / 60
            eta = history["eta"][-1] if history.get("eta") else model.learning.eta
            watched = "–" if monitored is None else f"{100 * monitored:.1f} %"
            print(f"| {done} | {history['loss'][-1]:.4f} | {eta:.3g} | {watched} | "
                  f"{100 * accuracy:.1f} % | {minutes:.1f} |", flush=True)
        return None if monitored is None else -monitored

    patience, factor = args.plateau
    train(model, epochs=args.epochs, inputs=epoch_batches, progress=False,
          on_epoch=on_epoch, plateau=(int(patience), factor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
