"""vle: latent-equilibrium networks as ideal reference, Brian2 models and ngspice circuits.

The package ``vle`` holds the command line and the cross-check that sit on top
of three independent packages: ``circuits`` (model, theory, reference
simulator; no simulator imports), ``brian_models`` (Brian2 back end) and
``spice_netlists`` (SPICE back end).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vle")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
