"""Generated Brian2 model (brian_models) against a hand-written Brian2 model.

Both run the same layered tanh network (see ``bench_common.layered_model``),
forward only, on the euler scheme of the reference: one NeuronGroup per
layer, Synapses with a summed input, rates stored at the end of each step.
The hand-written version below is what a Brian2 user would type for it;
the generated one is ``brian_models.simulate_rate``, which also builds the
network description from the model and converts the monitors to traces.

For numpy and cython every figure is the best of ``--repeat`` warm runs,
the two versions alternating in one process so that both see the same load
(Cython's extension cache is filled by a first, untimed run of each). The
cython row also counts the Cython modules that the timed runs load for the
first time in the process: after the warm-up it should be 0, and anything
else means that generated code changed between runs and was compiled again.
The table also gives the ratio of the best CPU times of this process, which
varies less than wall time on a loaded machine (not for cpp_standalone, whose
compiler runs in child processes).
A cpp_standalone run compiles a fresh project each time in both versions, so
its figures include the compile; the hand-written run also reports the
compile and the binary's run separately.

Usage: ``python benchmarks/brian2_overhead.py [--neurons 100] [--steps 2000]
[--repeat 5] [--targets numpy,cython,cpp_standalone]``.
Goal: generated/hand-written ≤ 1.1.
"""

import argparse
import os
import tempfile
import time

import numpy as np
from bench_common import best_time, layered_model, machine_line, table

GOAL = 1.1
TARGETS = ("numpy", "cython", "cpp_standalone")

NEURON_EQUATIONS = """
du/dt = (I - u)/tau_m : 1
I = I_in + b : 1
ubreve = u + tau_r*(I - u)/tau_m : 1
r = tanh(ubreve) : 1
I_in : 1
b : 1 (constant)
tau_m : second (constant)
tau_r : second (constant)
r_stored : 1
r_next : 1
"""


def hand_written_network(model):
    """Declare the network with plain Brian2 calls; return it and the output monitor."""
    import brian2 as b2
    from circuits.reference import Parameters, initial_state, input_arrays

    b2.start_scope()
    b2.BrianLogger.log_level_warn()
    dt = model.dt * b2.second
    x = input_arrays(model, model.times())["x"][0]
    u0, r0 = initial_state(model, Parameters(model), {"x": x[:1]})
    # The default name gets a suffix while the previous run's TimedArray is still in
    # memory, and the name is part of the Cython code. A fixed name keeps that code the same.
    stimulus = b2.TimedArray(x, dt=dt, name="_timedarray_stimulus")
    clock = b2.Clock(dt=dt)
    source = b2.NeuronGroup(x.shape[1], "r = stimulus(t, i) : 1", clock=clock,
                            namespace={"stimulus": stimulus})
    objects, previous = [source], source
    for population, projection in zip(model.neurons, model.projections):
        group = b2.NeuronGroup(population.size, NEURON_EQUATIONS, method="euler",
                               clock=clock, name=population.name)
        group.u = u0[population.name][0]
        group.r_stored = r0[population.name][0]
        group.tau_m = population.tau_m * b2.second
        group.tau_r = population.tau_r * b2.second
        group.b = population.bias
        group.run_regularly("r_next = r", when="before_groups")
        group.run_regularly("r_stored = r_next", when="end")
        rate = "r" if previous is source else "r_stored"
        synapses = b2.Synapses(previous, group,
                               f"w : 1\nI_in_post = w*{rate}_pre : 1 (summed)", clock=clock,
                               namespace={"stimulus": stimulus})
        post, pre = np.meshgrid(np.arange(population.size), np.arange(previous.N),
                                indexing="ij")
        synapses.connect(i=pre.ravel(), j=post.ravel())
        synapses.w = projection.weights.ravel()
        # Inputs are summed at the start of the step, as in the reference.
        for updater in synapses.summed_updaters.values():
            updater.when, updater.order = "start", -1
        monitor = b2.StateMonitor(group, ["u", "ubreve", "r"], record=True, when="start")
        objects += [group, synapses, monitor]
        previous = group
    return b2.Network(*objects), monitor


def run_hand_written(model, target):
    """Run the hand-written network on ``target``; return the output rates (T, N)."""
    import brian2 as b2

    duration = model.n_steps * model.dt * b2.second
    if target != "cpp_standalone":
        b2.set_device("runtime")
        b2.prefs.codegen.target = target
        network, monitor = hand_written_network(model)
        network.run(duration)
        return np.asarray(monitor.r).T
    timing = {}
    with tempfile.TemporaryDirectory(prefix="bench_brian2_") as directory:
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.device.reinit()
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        try:
            network, monitor = hand_written_network(model)
            network.run(duration)
            started = time.perf_counter()
            b2.device.build(directory=directory, compile=True, run=False,
                            with_output=False)
            timing["compile"] = time.perf_counter() - started
            started = time.perf_counter()
            b2.device.run(directory=directory, with_output=False, run_args=[])
            timing["run"] = time.perf_counter() - started
            rates = np.asarray(monitor.r).T
        finally:
            b2.device.reinit()
            b2.set_device("runtime")
    run_hand_written.last_timing = timing
    return rates


def generated(model, target):
    from brian_models import simulate_rate

    return simulate_rate(model, scheme="euler", target=target)[f"r/{model.neurons[-1].name}"]


def loaded_cython_modules():
    """Number of Cython modules that Brian2 has loaded in this process so far."""
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager

    # NOTE: _code_cache is private to Brian2 (checked on 2.11). It has one entry per
    # distinct generated code.
    return len(getattr(cython_extension_manager, "_code_cache", {}))


def time_once(function, model, target):
    """Run ``function(model, target)``; return wall time, CPU time, new Cython modules, result."""
    loaded = loaded_cython_modules()
    cpu = time.process_time()
    wall, result = best_time(lambda: function(model, target), 1)
    cpu = time.process_time() - cpu
    return wall, cpu, loaded_cython_modules() - loaded, result


def time_both(model, target, runs):
    """Time both versions ``runs`` times, alternating; return the best times and last results.

    The CPU time is this process's only: it leaves out compilers run as child processes
    and the time spent waiting for a core, so it is the steadier figure on a loaded
    machine as long as no module is compiled.
    """
    best = {name: {"wall": float("inf"), "cpu": float("inf"), "new modules": 0}
            for name in ("generated", "hand-written")}
    results = {}
    for _ in range(runs):
        for name, function in (("generated", generated), ("hand-written", run_hand_written)):
            wall, cpu, new_modules, results[name] = time_once(function, model, target)
            best[name]["wall"] = min(best[name]["wall"], wall)
            best[name]["cpu"] = min(best[name]["cpu"], cpu)
            best[name]["new modules"] += new_modules
    return best, results["generated"], results["hand-written"]


def measure(model, repeat, targets=TARGETS):
    rows = []
    for target in targets:
        warm = 1 if target != "cpp_standalone" else 0
        for _ in range(warm):
            generated(model, target)
            run_hand_written(model, target)
        # A standalone run compiles for about a minute: time it once.
        runs = repeat if target != "cpp_standalone" else 1
        best, r_gen, r_hand = time_both(model, target, runs)
        t_gen, t_hand = best["generated"]["wall"], best["hand-written"]["wall"]
        ratio = t_gen / t_hand
        cpu_ratio = "n/a (compiles)" if target == "cpp_standalone" else \
            f"{best['generated']['cpu'] / best['hand-written']['cpu']:.2f}"
        note = ""
        if target == "cython":
            note = ("Cython modules new to the process in timed runs: generated "
                    f"{best['generated']['new modules']}, "
                    f"hand-written {best['hand-written']['new modules']}")
        if target == "cpp_standalone":
            timing = getattr(run_hand_written, "last_timing", {})
            note = (f"hand-written: compile {timing.get('compile', float('nan')):.1f} s, "
                    f"binary run {timing.get('run', float('nan')):.2f} s")
        difference = float(np.max(np.abs(np.asarray(r_gen) - np.asarray(r_hand))))
        rows.append([target, f"{t_gen:.2f}", f"{t_hand:.2f}", f"{ratio:.2f}",
                     "yes" if ratio <= GOAL else "**no**", cpu_ratio, f"{difference:.1e}",
                     note])
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=100, help="neurons in five layers")
    parser.add_argument("--steps", type=int, default=2000, help="grid steps (dt = 10 ms)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (best)")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="comma-separated code-generation targets to time")
    args = parser.parse_args()
    targets = tuple(args.targets.split(","))
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; expected some of "
                     f"{', '.join(TARGETS)}")
    model = layered_model(args.neurons, duration=(args.steps - 1) * 0.01)
    rows = measure(model, args.repeat, targets)
    print("## Brian2 back end overhead\n")
    print(f"Machine: {machine_line()}\n")
    print(f"Five tanh layers, {args.neurons} neurons, {args.steps} steps of 10 ms, forward "
          f"only; best of {args.repeat} (cpp_standalone: one run), in seconds of wall time for "
          "build + run + read-out.\n")
    print(table(["target", "generated (s)", "hand-written (s)", "ratio", f"≤ {GOAL}",
                 "CPU-time ratio", "max abs Δr", "note"], rows))
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
