"""Brian2 equation strings for the rate back end, generated from a model.

Every neuron population becomes one NeuronGroup whose equations follow the
reference scheme (see :mod:`circuits.reference`)::

    du/dt  = (I - u)/tau_m                       membrane, tau_m du/dt = -u + I
    I      = I_<proj> + ... + b + gamma*e_stored  one summed input per projection
    ubreve = u + tau_r*(I - u)/tau_m              prospective potential, algebraic
    r      = phi(ubreve)
    dv/dt  = (alpha - v)/tau_r                   error neuron (local modes)
    alpha  = phi'(ubreve)*(F_<proj> + ...) [+ beta*phi'(ubreve)*(target - r)]
    err    = v + tau_m*(alpha - v)/tau_r          the error e

The error is called ``err`` because Brian2 reserves ``e`` for Euler's number;
traces still store it as ``e/<population>``. The prospective potential is written without a derivative: Brian2 cannot
read ``du/dt`` inside an expression. Time constants are in seconds; every
other variable is dimensionless (one model unit).
"""

import numpy as np

# phi and phi' as Brian2 expressions of ``{x}``. softplus uses the overflow-free
# identity log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)).
PHI = {
    "tanh": "tanh({x})",
    "sigmoid": "0.5*(1 + tanh(0.5*{x}))",
    "softplus": "clip({x}, 0, inf) + log(1 + exp(-abs({x})))",
    "hard_sigmoid": "clip({x}, 0, 1)",
    "linear": "{x}",
}
PHI_PRIME = {
    "tanh": "(1 - tanh({x})**2)",
    "sigmoid": "(0.5*(1 + tanh(0.5*{x})))*(1 - 0.5*(1 + tanh(0.5*{x})))",
    "softplus": "0.5*(1 + tanh(0.5*{x}))",
    "hard_sigmoid": "int({x} > 0)*int({x} < 1)",
    "linear": "1",
}


def phi_expression(name, x):
    """Return the Brian2 expression of phi ``name`` applied to the expression ``x``."""
    return PHI[name].format(x=x)


def phi_prime_expression(name, x):
    """Return the Brian2 expression of phi' for ``name`` applied to ``x``."""
    return PHI_PRIME[name].format(x=x)


def align(rows):
    """Format (definition, unit, comment) rows as aligned equation lines."""
    width = max(len(d) for d, _, _ in rows)
    unit_width = max(len(u) for _, u, _ in rows)
    lines = []
    for definition, unit, comment in rows:
        line = f"{definition:<{width}} : {unit:<{unit_width}}"
        lines.append(f"{line}  # {comment}" if comment else line.rstrip())
    return "\n".join(lines) + "\n"


def input_name(projection):
    """Summed variable in the post group that receives W r_pre of ``projection``."""
    return f"I_{projection.name}"


def feedback_name(projection):
    """Summed variable in the pre group that receives Wᵀ e_post of ``projection``."""
    return f"F_{projection.name}"


def input_equations(population):
    """Equations of an input population: its sampled signal, read from a TimedArray."""
    return align([(f"r = stimulus_{population.name}(t, i)", "1",
                   "input signal sampled every dt")])


def neuron_equations(model, population, errors=None, gamma=0.0, learn_tau=False):
    """Equation text of one neuron population of the rate back end.

    Parameters
    ----------
    model : circuits.model.Model
    population : circuits.model.Population
    errors : {None, "local", "instantaneous", "local_gain"}
    gamma : float
        Error feedback into the membrane (0 leaves the term out).
    learn_tau : bool
        Time constants learn: they lose the ``(constant)`` flag, and the
        step's u̇ and alpha are stored for the update at the end of the step.
    """
    name = population.name
    incoming = model.projections_to(name)
    rows = [("du/dt = (I - u)/tau_m", "1", "membrane: tau_m du/dt = -u + I")]
    terms = [input_name(q) for q in incoming] + ["b"]
    if errors and gamma:
        terms.append("gamma*e_stored")
    rows.append((f"I = {' + '.join(terms)}", "1", "total input"))
    rows.append(("ubreve = u + tau_r*(I - u)/tau_m", "1",
                 "prospective potential u + tau_r du/dt"))
    if population.variant == "nla":
        rate = (f"{phi_expression(population.phi, 'u')} + "
                f"tau_r*{phi_prime_expression(population.phi, 'u')}*(I - u)/tau_m")
        rows.append((f"r = {rate}", "1", "rate, look-ahead on phi(u) (nla)"))
    else:
        rows.append((f"r = {phi_expression(population.phi, 'ubreve')}", "1", "rate"))
    if errors:
        rows.extend(_error_rows(model, population, errors))
    for q in incoming:
        source = "r_stored" if not model.population(q.pre).is_input else "r"
        rows.append((input_name(q), "1", f"W {source}_pre summed by Synapses {q.name}"))
    rows.append(("b", "1", "bias"))
    flag = "" if learn_tau else " (constant)"
    rows.append(("tau_m", f"second{flag}", "membrane time constant"))
    rows.append(("tau_r", f"second{flag}", "prospective time constant"))
    if learn_tau:
        rows.append(("udot_next", "1/second", "du/dt of this step, for tau learning"))
        rows.append(("alpha_next", "1", "alpha of this step, for tau_r learning"))
    if model.projections_from(name):
        rows.append(("r_stored", "1", "rate of the previous step, read downstream"))
        rows.append(("r_next", "1", "rate of this step, stored at the end of the step"))
    return align(rows)


def _error_rows(model, population, errors):
    name = population.name
    outgoing = model.projections_from(name)
    gate = phi_prime_expression(population.phi, "ubreve")
    terms = []
    if outgoing:
        feedback = " + ".join(feedback_name(q) for q in outgoing)
        terms.append(f"({feedback})" if gate == "1" else f"{gate}*({feedback})")
    if model.target is not None and model.target.population == name:
        gated = "" if gate == "1" else f"{gate}*"
        terms.append(f"beta*{gated}(target_{name}(t, i) - r)")
    alpha = " + ".join(terms) if terms else "0"
    rows = [(f"alpha = {alpha}", "1", "phi'-gated error input")]
    if errors == "instantaneous":
        rows.append(("err = alpha", "1", "instantaneous error e, no error neuron"))
    else:
        rows.append(("dv/dt = (alpha - v)/tau_r", "1", "error neuron integrates with tau_r"))
        readout = "v + tau_m*(alpha - v)/tau_r"
        if errors == "local_gain":
            rows.append((f"err = gain*({readout})", "1",
                         "error e: read-out with tau_m, times a per-neuron gain"))
            rows.append(("gain", "1 (constant)", "error gain per neuron"))
        else:
            rows.append((f"err = {readout}", "1", "error e: prospective read-out with tau_m"))
    for q in outgoing:
        rows.append((feedback_name(q), "1", f"W^T e_stored_post summed by Synapses {q.name}"))
    rows.append(("e_stored", "1", "error of the previous step"))
    rows.append(("e_next", "1", "error of this step, stored at the end of the step"))
    return rows


def synapse_model(model, projection, errors=None):
    """Model text of the Synapses object of one projection."""
    pre_is_input = model.population(projection.pre).is_input
    source = "r" if pre_is_input else "r_stored"
    rows = [("w", "1", "weight W[post, pre]"),
            (f"{input_name(projection)}_post = w*{source}_pre", "1 (summed)",
             "forward input")]
    if errors and not pre_is_input:
        rows.append((f"{feedback_name(projection)}_pre = w*e_stored_post", "1 (summed)",
                     "error fed back to the pre population"))
    return align(rows)


def plasticity_code(model, projection):
    """run_regularly code of the SGD step W += eta dt e_post r_preᵀ (after the step)."""
    source = "r" if model.population(projection.pre).is_input else "r_stored"
    return f"w += eta*dt*e_next_post*{source}_pre*int(t >= learn_from)"


def equations(model, errors=None, gamma=None):
    """Generated equations of every population.

    Parameters
    ----------
    model : circuits.model.Model
    errors : {None, "local", "instantaneous", "local_gain"}
    gamma : float, optional
        Error feedback gain; defaults to the model's ``learning.gamma``.

    Returns
    -------
    objects : dict
        Population name → ``brian2.Equations``.
    texts : dict
        Population name → equation text; projection name → Synapses model text.
    """
    import brian2

    if gamma is None:
        gamma = model.learning.gamma if model.learning else 0.0
    texts = {}
    for population in model.populations:
        if population.is_input:
            texts[population.name] = input_equations(population)
        else:
            texts[population.name] = neuron_equations(model, population, errors, gamma)
    objects = {name: brian2.Equations(text) for name, text in texts.items()}
    for projection in model.projections:
        texts[projection.name] = synapse_model(model, projection, errors)
    return objects, texts


def synapse_indices(post_size, pre_size):
    """Pre and post index of every synapse, post-major, so weights reshape to (post, pre)."""
    post, pre = np.meshgrid(np.arange(post_size), np.arange(pre_size), indexing="ij")
    return pre.ravel(), post.ravel()
