"""Build and run a Brian2 network from a plain network description (a "spec").

This module imports only Brian2 and NumPy: ``brian_models.export`` copies its
source text verbatim into exported scripts, so a script runs without vle.
A spec is a dict of plain Python values (floats, lists, strings, arrays):

``dt``, ``n_steps``
    Recording step (s) and number of recorded steps; the run lasts
    ``n_steps * dt``.
``substeps``
    Optional: the simulation clock runs at ``dt / substeps`` (default 1).
``timed_arrays``
    name → array (T, N) sampled every ``dt``; equations call ``name(t, i)``.
``groups``
    list of dicts: ``name``, ``size``, ``equations`` (text), ``method``,
    ``namespace`` (name → float), ``values`` (variable → list; names in
    ``seconds`` get the unit second), optional ``threshold``, ``reset``,
    ``refractory`` (s), ``random_init`` (variable → [low, high]),
    ``operations`` (list of [when, order, code]) and ``record`` (variables).
``synapses``
    list of dicts: ``name``, ``source``, ``target``, ``model``, ``i`` and
    ``j`` (pre and post index of every synapse), ``w`` (per synapse), optional
    ``on_pre``, ``namespace``, ``operations`` and ``record``.
``seed``
    Seed for Brian2's random numbers, or None.

Scheduling: every summed variable is refreshed at the start of a step
(``when="start", order=-1``), before the monitors record at ``start``/0, so
that a monitor sees the values the state updaters use in the same step.
"""

import numpy as np

import brian2 as b2


def build(spec):
    """Create the Brian2 objects of ``spec``; return ``(network, monitors)``.

    ``monitors`` maps each group or synapse name to its StateMonitor.
    """
    clock = b2.Clock(dt=spec["dt"] / spec.get("substeps", 1) * b2.second, name="vle_clock")
    record_clock = b2.Clock(dt=spec["dt"] * b2.second, name="vle_record_clock") \
        if spec.get("substeps", 1) > 1 else clock
    # Brian2 writes a TimedArray's name into the generated code that reads it, and the
    # default name is "_timedarray" plus a suffix that depends on whether the previous
    # run's TimedArrays have been garbage-collected yet. Under the cython target every
    # new suffix is a new Cython module that has to be compiled, so each TimedArray is
    # named after its spec key: repeated runs then reuse the compiled modules.
    # NOTE: Brian2 (2.11) also writes the number of samples, the channel count and dt into
    # that code, so a model run with a new duration compiles its input modules once.
    shared = {name: b2.TimedArray(np.asarray(values, dtype=float), dt=spec["dt"] * b2.second,
                                  name=f"_timedarray_{name}")
              for name, values in spec["timed_arrays"].items()}
    objects, monitors, groups = [], {}, {}
    for group_spec in spec["groups"]:
        group = _neuron_group(group_spec, clock, shared)
        groups[group_spec["name"]] = group
        objects.append(group)
    for synapse_spec in spec["synapses"]:
        objects.append(_synapses(synapse_spec, groups, clock, shared))
    for owner, owner_spec in zip(objects, spec["groups"] + spec["synapses"]):
        if owner_spec.get("record"):
            monitor = b2.StateMonitor(owner, owner_spec["record"], record=True,
                                      when="start", order=0, clock=record_clock,
                                      name=f"monitor_{owner_spec['name']}")
            monitors[owner_spec["name"]] = monitor
            objects.append(monitor)
    return b2.Network(*objects), monitors


def _namespace(item_spec, shared):
    namespace = dict(shared)
    namespace.update(item_spec.get("namespace", {}))
    # Physical constants: names that end in _Hz are rates, names that end in _s times.
    for key in list(namespace):
        if key.endswith("_Hz"):
            namespace[key[:-3]] = namespace.pop(key) * b2.Hz
        elif key.endswith("_s"):
            namespace[key[:-2]] = namespace.pop(key) * b2.second
    return namespace


def _set_values(owner, values, seconds):
    for variable, value in values.items():
        array = np.asarray(value, dtype=float)
        setattr(owner, variable, array * b2.second if variable in seconds else array)


def _operations(owner, item_spec, clock):
    for when, order, code in item_spec.get("operations", []):
        owner.run_regularly(code, when=when, order=order, clock=clock,
                            name=f"{owner.name}_{when}_{order}")


def _neuron_group(group_spec, clock, shared):
    options = {}
    if group_spec.get("threshold"):
        options["threshold"] = group_spec["threshold"]
        options["reset"] = group_spec.get("reset")
        options["refractory"] = group_spec.get("refractory", 0.0) * b2.second
    group = b2.NeuronGroup(group_spec["size"], b2.Equations(group_spec["equations"]),
                           method=group_spec["method"], clock=clock,
                           namespace=_namespace(group_spec, shared),
                           name=group_spec["name"], **options)
    _set_values(group, group_spec.get("values", {}), group_spec.get("seconds", ()))
    for variable, (low, high) in group_spec.get("random_init", {}).items():
        setattr(group, variable, f"{low} + ({high} - {low})*rand()")
    _operations(group, group_spec, clock)
    return group


def _synapses(synapse_spec, groups, clock, shared):
    options = {"on_pre": synapse_spec["on_pre"]} if synapse_spec.get("on_pre") else {}
    synapses = b2.Synapses(groups[synapse_spec["source"]], groups[synapse_spec["target"]],
                           model=synapse_spec["model"], method="euler", clock=clock,
                           namespace=_namespace(synapse_spec, shared),
                           name=synapse_spec["name"], **options)
    synapses.connect(i=np.asarray(synapse_spec["i"], dtype=int),
                     j=np.asarray(synapse_spec["j"], dtype=int))
    synapses.w = np.asarray(synapse_spec["w"], dtype=float)
    # Brian2 refreshes summed variables in the "groups" slot by default. Refresh them
    # at the start of the step, so monitors record the inputs the state updaters use.
    for updater in synapses.summed_updaters.values():
        updater.when, updater.order = "start", -1
    _operations(synapses, synapse_spec, clock)
    return synapses


def run(spec):
    """Build ``spec``, run it for ``n_steps`` steps and return the recorded arrays.

    Returns a dict ``"<variable>/<owner>"`` → array (T, n) plus ``"t"`` (T,).
    """
    if spec.get("seed") is not None:
        b2.seed(spec["seed"])
    network, monitors = build(spec)
    network.run(spec["n_steps"] * spec["dt"] * b2.second)
    result = collect(spec, monitors)
    for item_spec in spec["groups"] + spec["synapses"]:
        for variable in item_spec.get("final", ()):
            values = getattr(network[item_spec["name"]], variable)
            result[f"final_{variable}/{item_spec['name']}"] = np.array(values)
    return result


def collect(spec, monitors):
    """Read every monitor into plain arrays of shape (T, n)."""
    result = {}
    for item_spec in spec["groups"] + spec["synapses"]:
        monitor = monitors.get(item_spec["name"])
        if monitor is None:
            continue
        result["t"] = np.asarray(monitor.t / b2.second)
        for variable in item_spec["record"]:
            # Quantities convert to their SI value.
            values = np.asarray(getattr(monitor, variable))
            result[f"{variable}/{item_spec['name']}"] = values.T
    return result
