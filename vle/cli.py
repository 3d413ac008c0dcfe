"""The ``vle`` command line: a thin layer over the packages' Python API.

Every subcommand lives in its own module under ``vle.commands`` with two
functions, ``add_parser(subparsers)`` and ``run(args)``. Exit codes: 0 on
success, 1 when a cross-check exceeds a tolerance, 2 on invalid input or a
simulator failure, with one readable line on standard error.
"""

import argparse
import importlib
import sys

from circuits.errors import ModelError, VleError

from . import __version__

# Subcommand name -> module in vle.commands that implements it.
COMMANDS = {
    "validate": "validate",
    "simulate": "simulate",
    "export": "export",
    "crosscheck": "crosscheck",
    "train": "train",
    "gradcheck": "gradcheck",
}


def build_parser():
    parser = argparse.ArgumentParser(
        prog="vle",
        description="Simulate latent-equilibrium networks as an ideal reference, in "
                    "Brian2 and as ngspice circuits, and compare them.",
    )
    parser.add_argument("--version", action="version", version=f"vle {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS.values():
        module = importlib.import_module(f"vle.commands.{module_name}")
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    module = importlib.import_module(f"vle.commands.{COMMANDS[args.command]}")
    try:
        return int(module.run(args) or 0)
    except VleError as error:
        print(f"vle {args.command}: error: {_with_source(error, args)}", file=sys.stderr)
        return 2
    except OSError as error:
        # Files that cannot be read or written: name the path and the reason.
        print(f"vle {args.command}: error: cannot use '{error.filename}': "
              f"{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vle {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        # Brian2 installs an exception hook that calls every uncaught error a
        # Brian2 bug and keeps a debug log; errors of vle are not Brian2's.
        sys.excepthook = sys.__excepthook__


def _with_source(error, args):
    """The error message, prefixed with the model file when the message lacks it."""
    model = getattr(args, "model", None)
    option = isinstance(error, ModelError) and str(error.key or "").startswith("--")
    if isinstance(error, ModelError) and error.source is None and model and not option:
        return f"{model}: {error}"
    return str(error)


if __name__ == "__main__":
    sys.exit(main())
