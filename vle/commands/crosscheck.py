"""``vle crosscheck MODEL.toml --backends reference,brian2,ngspice --report DIR``."""

import numpy as np

from circuits.errors import ModelError
from circuits.loader import load_model
from circuits.model import ONLINE_ERROR_MODES

from .. import crosscheck as check
from ..checks import agreement_sentence
from ..backends import BACKENDS
from .paths import check_output_folder

DEFAULT_BACKENDS = "reference,brian2,brian2-spiking,ngspice"


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "crosscheck",
        help="run a model on several back ends, compare each with the continuous "
             "reference and write a report",
        description="Exit code 0 when every comparison is within its tolerance, 1 when "
                    "a tolerance is exceeded, 2 on invalid input or a simulator failure.")
    parser.add_argument("model", help="model file (TOML)")
    parser.add_argument("--backends", default=DEFAULT_BACKENDS,
                        help=f"comma-separated back ends (default: {DEFAULT_BACKENDS})")
    parser.add_argument("--report", required=True, metavar="DIR",
                        help="folder for metrics.json, the plots and index.html")
    tolerances = ", ".join(f"{k}={v:g}" for k, v in check.DEFAULT_TOLERANCES.items())
    parser.add_argument("--tolerance", action="append", default=[],
                        metavar="BACKEND=VALUE",
                        help=f"NRMSE tolerance of a back end against the continuous "
                             f"reference; repeatable (defaults: {tolerances})")
    parser.add_argument("--errors", choices=ONLINE_ERROR_MODES, default=None,
                        help="also run error neurons in this mode and compare e/<pop>")
    parser.add_argument("--dataset", choices=("mnist1d",), default=None,
                        help="feed test sequences of this data set instead of the model's "
                             "signals and report each back end's accuracy")
    parser.add_argument("--samples", type=int, default=3, metavar="K",
                        help="number of test sequences with --dataset (default: 3)")
    parser.add_argument("--settle", type=float, default=0.0, metavar="SECONDS",
                        help="sum the output over t >= SECONDS for a prediction "
                             "(default: 0)")
    parser.add_argument("--perturb", action="append", default=[],
                        metavar="BACKEND:KEY=FACTOR",
                        help="debugging aid: scale a time constant for one back end only, "
                             "e.g. ngspice:h1.tau_m=1.5 (a membrane capacitor 1.5 times "
                             "too large); the cross-check should then fail")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="run for this long instead of the model's duration (at "
                             "least 5 x max tau plus some; ignored with --dataset, whose "
                             "sequences set it)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args):
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = [name for name in backends if name not in BACKENDS]
    if unknown or not backends:
        raise ModelError(f"unknown back end(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(BACKENDS)}", key="--backends",
                         value=args.backends)
    tolerances = check.parse_tolerances(args.tolerance)
    check_output_folder(args.report, "--report")
    model = load_model(args.model)
    if args.duration is not None and args.dataset is None:
        model = with_duration(model, args.duration)
    perturb = check.parse_perturbations(args.perturb, model)
    samples = labels = targets = None
    if args.dataset is not None:
        samples, targets, labels = dataset_samples(model, args.samples)
    metrics, grids = check.crosscheck(
        model, backends, tolerances=tolerances, errors=args.errors, perturb=perturb,
        samples=samples, labels=labels, targets=targets, dataset=args.dataset,
        settle=args.settle, progress=not args.quiet)
    from ..report import write_report

    index = write_report(metrics, grids, model.times(), args.report)
    print(summary(metrics))
    print(f"report: {index}")
    return metrics["exit_code"]


def with_duration(model, duration):
    """Return a copy of ``model`` that runs for ``duration`` seconds."""
    from circuits.model import Model

    if not duration > 0:
        raise ModelError(f"--duration must be positive, got {duration:g}",
                         key="--duration", value=duration)
    source = model.copy()
    fields = {name: getattr(source, name) for name in (
        "name", "dt", "populations", "projections", "target", "learning", "circuit",
        "spiking", "scheme", "initial_state", "source")}
    # Building a new Model runs its checks again (duration >= dt and so on).
    return Model(duration=duration, **fields)


def dataset_samples(model, count):
    """Return the first ``count`` MNIST-1D test sequences as per-sample inputs and targets."""
    from .. import datasets

    if count < 1:
        raise ModelError(f"--samples must be at least 1, got {count}", key="--samples",
                         value=count)
    inputs, targets, labels = next(datasets.batches(model, "test", batch_size=count,
                                                    limit=count))
    samples = [{name: array[index] for name, array in inputs.items()}
               for index in range(count)]
    return samples, [targets[index] for index in range(count)], np.asarray(labels)


def summary(metrics):
    """Format one line per comparison with its verdict and worst NRMSE, then classification,
    the frequency response and the overall verdict."""
    lines = []
    for name, result in metrics["backends"].items():
        if result["status"] != "ok":
            lines.append(f"{name:15s} ERROR  {result['message']}")
            continue
        for comparison in result["comparisons"]:
            values = [row["nrmse"] for row in comparison["metrics"]
                      if row["nrmse"] is not None]
            worst = max(values) if values else float("nan")
            verdict = "pass" if comparison["passed"] else "FAIL"
            lines.append(f"{name:15s} {verdict:5s} vs {comparison['against']:21s} "
                         f"max NRMSE {worst:.3g} (tolerance {comparison['tolerance']:g})")
    classification = metrics["classification"]
    if classification is not None:
        count = metrics["samples"]["count"]
        reference = classification["reference"]
        lines.append(f"classification of {count} sample(s), labels "
                     f"{metrics['samples']['labels']}: reference/continuous predicts "
                     f"{reference['predictions']} (accuracy {reference['accuracy']:.3f})")
        for name, result in classification["backends"].items():
            lines.append(f"classification: {agreement_sentence(name, result, count)}")
    bode = metrics["bode"]
    if bode is not None and bode["status"] == "compared":
        lines.append(f"bode: {bode['population']}[{bode['neuron']}] max relative error "
                     f"{bode['max_relative_error']:.3g} (tolerance {bode['tolerance']:g}) "
                     f"{'pass' if bode['passed'] else 'FAIL'}")
    lines.append(overall_verdict(metrics))
    return "\n".join(lines)


def overall_verdict(metrics):
    """Return the last summary line: PASS or FAIL, and what failed."""
    if metrics["passed"]:
        return "cross-check PASS: every comparison is within its tolerance"
    broken = [name for name, result in metrics["backends"].items()
              if result["status"] != "ok"]
    exceeded = [f"{name} vs {comparison['against']}"
                for name, result in metrics["backends"].items()
                for comparison in result["comparisons"] if not comparison["passed"]]
    bode = metrics["bode"]
    if bode is not None and bode["status"] == "compared" and not bode["passed"]:
        exceeded.append("ngspice frequency response")
    reasons = []
    if broken:
        reasons.append(f"failed to run: {', '.join(broken)}")
    if exceeded:
        reasons.append(f"tolerance exceeded: {', '.join(exceeded)}")
    return f"cross-check FAIL ({'; '.join(reasons)})"
