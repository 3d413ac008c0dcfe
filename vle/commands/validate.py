"""``vle validate MODEL.toml``: load a model and report what it contains."""

from circuits.loader import load_model


def add_parser(subparsers):
    parser = subparsers.add_parser("validate", help="check a model file and summarise it")
    parser.add_argument("model", help="model file (TOML)")


def run(args):
    model = load_model(args.model)
    sizes = ", ".join(f"{p.name} ({p.kind}, {p.size})" for p in model.populations)
    count = len(model.projections)
    projections = f"{count} projection" + ("" if count == 1 else "s")
    print(f"{args.model}: valid model '{model.name}': {sizes}; {projections}; "
          f"dt = {model.dt:g} s, duration = {model.duration:g} s")
    return 0
