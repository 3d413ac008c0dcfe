"""``vle train MODEL.toml --errors MODE --out trained.toml``: learn and write the result.

Online modes (local, instantaneous, local_gain) update the parameters at
every grid step; ``adjoint`` updates them once per run (epoch) from the
offline adjoint. The trained model is written in the model format.
"""

from pathlib import Path

from circuits import gradients as grad
from circuits.errors import ModelError
from circuits.loader import load_model
from circuits.model import ERROR_MODES, OPTIMIZERS, SCHEMES
from circuits.training import train
from circuits.writer import save_model

from .paths import check_output_file


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train", help="train a model with one error mode and write the learned model")
    parser.add_argument("model", help="model file (TOML) with [target] and [learning]")
    parser.add_argument("--errors", choices=ERROR_MODES, default=None,
                        help="error mode (default: the model's [learning] errors)")
    parser.add_argument("--out", "-o", default="trained.toml",
                        help="output model file (default: trained.toml)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="number of runs over the input (default: [learning] epochs)")
    parser.add_argument("--eta", type=float, default=None,
                        help="weight and bias learning rate in 1/s (default: [learning] eta)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                        help="optimizer (default: [learning] optimizer)")
    parser.add_argument("--scheme", choices=SCHEMES[:2], default=None,
                        help="grid scheme (default: the model's; continuous runs as exact)")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar")
    parser.add_argument("--dataset", choices=("mnist1d",), default=None,
                        help="train on this data set instead of the model's signals and "
                             "print the test accuracy before and after")
    parser.add_argument("--train-samples", type=int, default=None, metavar="M",
                        help="with --dataset: use only the first M training sequences")
    parser.add_argument("--test-samples", type=int, default=None, metavar="K",
                        help="with --dataset: test on the first K test sequences")
    parser.add_argument("--batch-size", type=int, default=100,
                        help="with --dataset: sequences per batch (default: 100)")
    parser.add_argument("--plateau", type=float, nargs=2, default=None,
                        metavar=("PATIENCE", "FACTOR"),
                        help="multiply the learning rates by FACTOR after more than "
                             "PATIENCE epochs without a lower epoch loss (the GLE "
                             "paper used 2 0.5 for MNIST-1D)")


def run(args):
    out = check_output_file(args.out, "--out")
    if not out.resolve().parent.is_dir():
        raise ModelError(f"the folder of the output file '{out}' does not exist; create "
                         "it first", key="--out", value=str(out))
    model = load_model(args.model, scheme=args.scheme)
    if args.dataset is not None:
        return _train_dataset(model, args, out)
    before = grad.loss(model, scheme=args.scheme)
    trained, history = train(model, args.errors, args.epochs, scheme=args.scheme,
                             progress=not args.no_progress, eta=args.eta,
                             optimizer=args.optimizer, plateau=_plateau(args))
    after = grad.loss(trained, scheme=args.scheme)
    save_model(trained, out)
    print(f"loss before {before:.6g}, after {after:.6g} ({len(history['loss'])} epochs, "
          f"{history['seconds']:.1f} s); wrote {out}")
    return 0


def _train_dataset(model, args, out):
    """Train on MNIST-1D batches and report the test accuracy before and after."""
    from vle.datasets import train_mnist1d

    if args.batch_size < 1:
        raise ModelError(f"--batch-size must be at least 1, got {args.batch_size}",
                         key="--batch-size", value=args.batch_size)
    trained, history = train_mnist1d(
        model, args.epochs, args.train_samples, args.test_samples, args.batch_size,
        progress=not args.no_progress, errors=args.errors, scheme=args.scheme,
        eta=args.eta, optimizer=args.optimizer, plateau=_plateau(args))
    save_model(trained, out)
    accuracy = history["test_accuracy"]
    print(f"test accuracy before {accuracy['before']:.4f}, after {accuracy['after']:.4f} "
          f"({len(history['loss'])} epochs, {history['seconds']:.1f} s, final training "
          f"loss {history['loss'][-1]:.4g}); wrote {out}")
    return 0


def _plateau(args):
    """The (patience, factor) pair of --plateau, checked; None without the option."""
    if args.plateau is None:
        return None
    patience, factor = args.plateau
    if patience < 0 or patience != int(patience):
        raise ModelError("the plateau patience must be a whole number of epochs >= 0",
                         key="--plateau", value=patience)
    if not 0 < factor < 1:
        raise ModelError("the plateau factor must lie between 0 and 1",
                         key="--plateau", value=factor)
    return int(patience), factor
