"""``vle export MODEL.toml --to {brian2,spice} -o FILE``: write a standalone script or deck."""

from circuits.loader import load_model
from circuits.model import ONLINE_ERROR_MODES

from .paths import check_output_file


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="write a standalone Brian2 script or a SPICE deck for a model")
    parser.add_argument("model", help="model file (TOML)")
    parser.add_argument("--to", choices=("brian2", "spice"), required=True,
                        help="brian2: a Python script needing only Brian2; "
                             "spice: a deck that runs with `ngspice -b deck.cir`")
    parser.add_argument("-o", "--out", required=True, help="output file")
    parser.add_argument("--analysis", choices=("tran", "ac"), default="tran",
                        help="SPICE only: transient run of the network (tran) or the "
                             "frequency response of the first neuron population (ac)")
    parser.add_argument("--errors", choices=ONLINE_ERROR_MODES, default=None,
                        help="also export the error neurons in this mode")


def run(args):
    check_output_file(args.out, "--out")
    model = load_model(args.model, scheme="exact" if args.to == "spice" else None)
    if args.to == "brian2":
        from brian_models import write_script

        path = write_script(model, args.out, errors=args.errors)
    else:
        from spice_netlists import write_deck

        path = write_deck(model, args.out, analysis=args.analysis, errors=args.errors)
    print(f"wrote {path}")
    return 0
