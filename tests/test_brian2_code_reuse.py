"""Repeated Brian2 runs of one model generate the same Cython code, so its modules are reused.

Brian2's Cython cache is keyed by the text of the generated code. A TimedArray's
name is part of that text, and Brian2's default name gets a suffix while another
TimedArray with that name is still in memory, which made repeated runs compile
their modules again.
"""

import gc

import pytest

pytest.importorskip("brian2")

import brian2 as b2  # noqa: E402

from brian_models import rate, runtime, simulate_rate  # noqa: E402
from circuits.loader import load_model  # noqa: E402
from tests.conftest import EXAMPLES  # noqa: E402

pytestmark = pytest.mark.brian2


def short_lagnet(duration=0.2):
    model = load_model(EXAMPLES / "lagnet.toml")
    model.duration = duration
    return model


def timed_array_code(network):
    """Cython code of every TimedArray that a neuron group of ``network`` calls."""
    code = {}
    for group in network.objects:
        if not isinstance(group, b2.NeuronGroup):
            continue
        for key, value in (group.namespace or {}).items():
            if isinstance(value, b2.TimedArray):
                code[(group.name, key)] = value.implementations["cython"].get_code(group)
    return code


def test_timed_array_code_same_across_builds():
    spec, _ = rate.rate_spec(short_lagnet())
    b2.start_scope()
    gc.collect()
    first, _ = runtime.build(spec)
    first_code = timed_array_code(first)
    # While this TimedArray is in memory, Brian2 gives the next default-named one a
    # suffix. The generated model must not depend on that.
    occupant = b2.TimedArray([0.0, 1.0], dt=1 * b2.ms)
    b2.start_scope()
    second, _ = runtime.build(spec)
    second_code = timed_array_code(second)
    probe = b2.TimedArray([0.0, 1.0], dt=1 * b2.ms)
    assert probe.name != occupant.name, "Brian2 no longer adds a suffix to default names"
    assert first_code, "the model has no TimedArray input, so the test checks nothing"
    assert second_code == first_code


@pytest.mark.compiled
@pytest.mark.slow
def test_second_cython_run_compiles_nothing():
    from brian2.codegen.runtime.cython_rt.extension_manager import (
        cython_extension_manager,
    )

    model = short_lagnet()
    gc.collect()
    first = simulate_rate(model, errors="local", target="cython")
    assert first.meta["target"] == "cython"
    occupant = b2.TimedArray([0.0, 1.0], dt=1 * b2.ms)
    # One entry per distinct generated code loaded in this process (Brian2 2.11).
    loaded = len(cython_extension_manager._code_cache)
    second = simulate_rate(model, errors="local", target="cython")
    probe = b2.TimedArray([0.0, 1.0], dt=1 * b2.ms)
    assert probe.name != occupant.name, "Brian2 no longer adds a suffix to default names"
    assert len(cython_extension_manager._code_cache) == loaded
    # Same code, same numbers: the second run reproduces the first exactly.
    for key in first.data:
        assert (second[key] == first[key]).all(), key
