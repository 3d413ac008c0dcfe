"""Code-generation targets: numpy, cython and cpp_standalone, one fresh run each.

Every run starts a new scope with Brian2's log level at WARNING. The
standalone device builds into a temporary folder and is reset afterwards, so
that several runs work in one process. A target whose compiler is missing
falls back to numpy with one warning that says how to enable it.
"""

import contextlib
import logging
import shutil
import tempfile
import warnings

from circuits.errors import ModelError

TARGETS = ("numpy", "cython", "cpp_standalone")
logger = logging.getLogger(__name__)
_available = {}


def _compiler_available(target):
    """Check once per process whether ``target`` can compile code."""
    if target not in _available:
        if target == "cython":
            from brian2.codegen.runtime.cython_rt import CythonCodeObject

            _available[target] = bool(CythonCodeObject.is_available())
        else:
            from brian2.codegen.cpp_prefs import get_compiler_and_args

            compiler = get_compiler_and_args()[0] or "g++"
            _available[target] = shutil.which("g++") is not None or \
                shutil.which(str(compiler)) is not None
    return _available[target]


def resolve_target(target):
    """Return ``target``, or ``"numpy"`` with a warning when its compiler is missing."""
    if target not in TARGETS:
        raise ModelError(f"unknown Brian2 target {target!r}; expected one of "
                         f"{', '.join(TARGETS)}", key="target", value=target)
    if target != "numpy" and not _compiler_available(target):
        warnings.warn(
            f"Brian2 target '{target}' needs a working C++ compiler, and a test build "
            "failed; running with the numpy target instead. Install g++ (Debian: "
            "apt-get install g++) or set CC/CXX to a working compiler to enable it.",
            RuntimeWarning, stacklevel=3)
        return "numpy"
    return target


@contextlib.contextmanager
def brian_target(target):
    """Run the body with ``target`` active; restore the runtime device afterwards."""
    import brian2

    brian2.BrianLogger.log_level_warn()
    brian2.start_scope()
    if target != "cpp_standalone":
        brian2.prefs.codegen.target = target
        brian2.set_device("runtime")
        yield
        return
    from brian2.devices.device import all_devices

    standalone = all_devices["cpp_standalone"]
    with tempfile.TemporaryDirectory(prefix="vle_brian2_") as directory:
        # A standalone device builds once; reset it so that every run starts clean.
        standalone.reinit()
        brian2.set_device(standalone, directory=directory, build_on_run=True,
                          with_output=False)
        logger.info("building the cpp_standalone project in %s", directory)
        try:
            yield
        finally:
            standalone.reinit()
            brian2.set_device("runtime")
