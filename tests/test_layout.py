"""Package boundaries: circuits stays free of simulators and plotting."""

import subprocess
import sys

import pytest

HEAVY = ("brian2", "matplotlib", "PySpice", "tqdm")


@pytest.mark.parametrize("module", ["circuits", "circuits.reference", "circuits.model",
                                    "circuits.theory", "circuits.continuous"])
def test_circuits_imports_no_simulator(module):
    code = (
        f"import sys, {module}\n"
        f"loaded = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "", f"{module} loaded {result.stdout.strip()}"


def test_vle_version_prints_package_version():
    from vle import __version__

    result = subprocess.run([sys.executable, "-m", "vle.cli", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"vle {__version__}"
