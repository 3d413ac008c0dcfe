"""``vle gradcheck MODEL.toml [--json]``: gradients in every error mode against finite differences.

For every learnable parameter the command computes ∂L/∂θ of the grid loss
L = mean_batch Σ_n dt·C_n (run without error feedback) in each mode:
``discrete`` (reverse mode through the grid scheme, exact), ``adjoint``
(continuous-time adjoint), ``local``, ``instantaneous`` and ``local_gain``
(−1/β times the integrated descent direction), and compares each with
central finite differences. ``--json`` prints one object::

    {"<parameter>": {"<mode>": {"gradient": [...], "finite_difference": [...],
                                "relative_error": float},
                     ...,
                     "cosine": float}}   # local vs adjoint gradient

with parameters named ``w/<projection>``, ``b/<population>``,
``tau_m/<population>`` and ``tau_r/<population>``.
"""

import json

import numpy as np

from circuits import gradients as grad
from circuits.loader import load_model
from circuits.measure import cosine, relative_error
from circuits.model import SCHEMES


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "gradcheck",
        help="compare the gradients of every error mode with finite differences")
    parser.add_argument("model", help="model file (TOML) with a [target]")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table")
    parser.add_argument("--scheme", choices=SCHEMES[:2], default=None,
                        help="grid scheme (default: the model's; continuous runs as exact)")
    parser.add_argument("--step", type=float, default=1e-6,
                        help="relative step of the central differences (default: 1e-6)")
    parser.add_argument("--parameters", nargs="+", default=None, metavar="KEY",
                        help="only these parameters, e.g. w/x_to_h1 tau_m/h1 "
                             "(default: all)")


def gradient_report(model, scheme=None, step=1e-6, keys=None):
    """Return the report described in the module docstring as plain Python values."""
    grad.check_target(model)
    keys = keys or grad.parameter_keys(model)
    params = grad.ref.Parameters(model)
    for key in keys:
        grad.parameter_array(params, key)
    finite = grad.finite_differences(model, scheme=scheme, step=step, keys=keys)
    estimates = {mode: grad.gradients(model, mode, scheme=scheme)
                 for mode in grad.GRADIENT_MODES}
    report = {}
    for key in keys:
        entry = {}
        for mode, values in estimates.items():
            entry[mode] = {
                "gradient": values[key].tolist(),
                "finite_difference": finite[key].tolist(),
                "relative_error": relative_error(values[key], finite[key]),
            }
        entry["cosine"] = cosine(estimates["local"][key], estimates["adjoint"][key])
        report[key] = entry
    return report


def _format(values):
    return np.array2string(np.asarray(values), precision=5, separator=", ",
                           max_line_width=200)


def run(args):
    if not args.step > 0:
        from circuits.errors import ModelError

        raise ModelError(f"--step must be positive, got {args.step!r}", key="--step",
                         value=args.step)
    model = load_model(args.model)
    report = gradient_report(model, args.scheme, args.step, args.parameters)
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for key, entry in report.items():
        first = next(iter(grad.GRADIENT_MODES))
        print(f"{key}: finite difference {_format(entry[first]['finite_difference'])}; "
              f"cosine local vs adjoint {entry['cosine']:.4f}")
        for mode in grad.GRADIENT_MODES:
            print(f"  {mode:<14} {_format(entry[mode]['gradient'])}  relative error "
                  f"{entry[mode]['relative_error']:.3e}")
    return 0
