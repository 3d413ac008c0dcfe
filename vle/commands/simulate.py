"""``vle simulate MODEL.toml --backend B --out traces.npz``."""

from circuits.errors import ModelError
from circuits.loader import load_model
from circuits.model import ONLINE_ERROR_MODES, SCHEMES

from ..backends import BACKENDS, simulate
from .paths import check_output_file


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "simulate", help="run a model on one back end and save its traces (.npz)")
    parser.add_argument("model", help="model file (TOML)")
    parser.add_argument("--backend", choices=BACKENDS, default="reference",
                        help="simulator to run (default: reference)")
    parser.add_argument("--scheme", choices=SCHEMES, default=None,
                        help="update scheme of the reference and Brian2 rate back ends "
                             "(default: the model's, else euler)")
    parser.add_argument("--errors", choices=ONLINE_ERROR_MODES, default=None,
                        help="also run error neurons in this mode and record e/<pop>")
    parser.add_argument("--target", choices=("numpy", "cython", "cpp_standalone"),
                        default=None,
                        help="Brian2 code-generation target (default: numpy)")
    parser.add_argument("--out", "-o", default="traces.npz",
                        help="output file (default: traces.npz)")


def run(args):
    check_output_file(args.out, "--out")
    if args.scheme is not None and args.backend not in ("reference", "brian2"):
        raise ModelError(f"--scheme applies to the reference and brian2 back ends; "
                         f"'{args.backend}' has its own time stepping", key="--scheme",
                         value=args.scheme)
    if args.errors is not None and args.backend == "brian2-spiking":
        raise ModelError("the brian2-spiking back end runs the forward pass only; use "
                         "--backend brian2 for error neurons", key="--errors",
                         value=args.errors)
    # Time-stepping checks (tau >= dt under euler) apply to the scheme that runs.
    scheme = args.scheme if args.backend in ("reference", "brian2") else "exact"
    model = load_model(args.model, scheme=scheme)
    options = {}
    if args.target is not None:
        if not args.backend.startswith("brian2"):
            raise ModelError(f"--target applies to the Brian2 back ends, not "
                             f"'{args.backend}'", key="--target", value=args.target)
        options["target"] = args.target
    traces = simulate(model, args.backend, scheme=args.scheme, errors=args.errors,
                      **options)
    path = traces.save(args.out)
    keys = ", ".join(sorted(k for k in traces.keys()))
    print(f"wrote {path}: {len(traces.t)} time points; arrays {keys}")
    return 0
