"""The ``vle`` command line: a thin layer over the packages' Python API.

Every subcommand lives in its own module under ``vle.commands`` with two
functions, ``add_parser(subparsers)`` and ``run(args)``. Exit codes: 0 on
success, 1 when a cross-check exceeds a tolerance, 2 on invalid input or a
simulator failure, with one readable line on standard error.
"""

import argparse
import importlib
import sys

from circuits.errors import VleError

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
        print(f"vle {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vle {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
