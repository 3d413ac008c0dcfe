"""Schematic figures of the vle circuits, drawn with schemdraw.

Each ``draw_*`` function returns a finished :class:`schemdraw.Drawing`; the
caller saves it. The drawings show the topology that ``spice_netlists``
writes (see the docstrings of ``spice_netlists/readouts.py`` and
``spice_netlists/learning.py``), with one neuron, one error neuron and one
plastic synapse. Every voltage is V_unit times the model quantity.
"""

import schemdraw
import schemdraw.elements as elm
from schemdraw import flow

FONT_SIZE = 12
UNIT = 2.5


def _drawing():
    drawing = schemdraw.Drawing(show=False)
    drawing.config(unit=UNIT, fontsize=FONT_SIZE, margin=0.4)
    return drawing


def _shunt(drawing, element, label, x, top):
    """Draw ``element`` from the rail at (x, top) down to ground."""
    drawing.add(elm.Dot().at((x, top)))
    drawing.add(element.at((x, top)).down().label(label, loc="bottom"))
    drawing.add(elm.Ground())


def draw_neuron():
    """Draw a GLE neuron with the algebraic read-out of ŭ.

    The synaptic transconductances G_ij = W_ij g_L and the bias current
    inject into the membrane node u (C_m ∥ 1/g_L, τ_m = C_m/g_L) and, as a
    copy, into a plain resistor 1/g_L whose voltage is the total input I. A
    summing source forms ŭ = (1 − k) u + k I with k = τ_r/τ_m, which equals
    u + τ_r du/dt without a derivative, and a nonlinear source emits φ(ŭ).
    """
    d = _drawing()
    top = UNIT
    sources = [
        (elm.SourceControlledI(), r"$W_{i1} g_L\, r_1$", 0.0),
        (elm.SourceControlledI(), r"$W_{i2} g_L\, r_2$", 3.0),
        (elm.SourceI(), r"$b_i\, g_L V_\mathrm{unit}$", 6.0),
    ]
    for source, label, x in sources:
        d.add(elm.Ground().at((x, 0)))
        d.add(source.at((x, 0)).up().label(label, loc="bottom", ofst=0.2))
    u_x = 11.4
    d.add(elm.Line().at((0, top)).to((u_x, top)))
    d.add(elm.Dot().at((u_x, top)).label(r"$u$", loc="top"))
    _shunt(d, elm.Capacitor(), r"$C_m$", 9.2, top)
    _shunt(d, elm.Resistor(), r"$1/g_L$", u_x, top)
    d.add(elm.Label().at((5.0, top + 0.9)).label(
        r"membrane node: $\tau_m\, \dot u = -u + I$,  $\tau_m = C_m / g_L$"))

    # Copy of the same currents into a plain resistor: V = I.
    copy_y = -2.8
    d.add(elm.Ground().at((8.0, copy_y - UNIT)))
    d.add(elm.SourceControlledI().at((8.0, copy_y - UNIT)).up().label(
        "copy of the same\ninput currents", loc="top", ofst=0.2))
    d.add(elm.Line().at((8.0, copy_y)).to((u_x, copy_y)))
    d.add(elm.Dot().at((u_x, copy_y)).label(r"$I$", loc="top"))
    _shunt(d, elm.Resistor(), r"$1/g_L$", u_x, copy_y)

    # Read-out: summing source, then the activation.
    join_x = u_x + 1.6
    box = d.add(flow.Box(w=4.2, h=1.6).at((join_x + 1.2, (top + copy_y) / 2))
                .anchor("W").label(r"$\breve u = (1-k)\,u + k\,I$" + "\n"
                                   + r"$k = \tau_r/\tau_m$"))
    for y, offset in ((top, 0.4), (copy_y, -0.4)):
        d.add(elm.Line().at((u_x, y)).to((join_x, y)))
        d.add(elm.Line().at((join_x, y)).toy(box.W.y + offset))
        d.add(elm.Arrow().at((join_x, box.W.y + offset)).tox(box.W.x))
    d.add(elm.Arrow().at(box.E).right(1.4).label(r"$\breve u$", loc="top"))
    phi = d.add(flow.Box(w=2.2, h=1.2).anchor("W").label(r"$r = \varphi(\breve u)$"))
    d.add(elm.Arrow().at(phi.E).right(1.2))
    d.add(elm.Dot(open=True).label(r"$r_i$", loc="right"))
    return d


def draw_error_neuron():
    """Draw a GLE error neuron (local errors).

    Backward transconductances W_ij g from the errors e_i of the next layer
    meet in a resistor, giving fb_j = Σ_i W_ij e_i. A multiplier gates it
    with φ'(ŭ_j) to α_j (plus the output error at the output layer). A
    transconductance g_e charges C_e ∥ 1/g_e, so τ_r dv/dt = α − v, and an
    active summing stage reads out e = v + (τ_m/τ_r)(α − v).
    """
    d = _drawing()
    top = UNIT
    for x, label in ((0.0, r"$W_{1j}\, g\, e_1$"), (3.0, r"$W_{2j}\, g\, e_2$")):
        d.add(elm.Ground().at((x, 0)))
        d.add(elm.SourceControlledI().at((x, 0)).up().label(label, loc="bottom",
                                                              ofst=0.2))
    d.add(elm.Line().at((0, top)).to((5.6, top)))
    d.add(elm.Dot().at((5.6, top)).label(r"$\mathrm{fb}_j$", loc="top"))
    _shunt(d, elm.Resistor(), r"$1/g$", 5.6, top)

    gate = d.add(flow.Box(w=3.4, h=1.6).at((7.4, top)).anchor("W").label(
        r"$\alpha_j = \varphi'(\breve u_j)\,\mathrm{fb}_j$" + "\n" + "(+ output error)"))
    d.add(elm.Arrow().at((5.6, top)).to(gate.W))
    d.add(elm.Line().at(gate.E).right(1.0))
    d.add(elm.Dot().label(r"$\alpha_j$", loc="top"))
    alpha_x = gate.E.x + 1.0

    # Leaky integrator with time constant tau_r = C_e / g_e.
    low = top - 4.2
    d.add(elm.Ground().at((alpha_x, low - UNIT)))
    d.add(elm.SourceControlledI().at((alpha_x, low - UNIT)).up().label(
        r"$g_e\,\alpha_j$", loc="bottom", ofst=0.25))
    d.add(elm.Line().at((alpha_x, low)).to((alpha_x + 4.0, low)))
    d.add(elm.Dot().at((alpha_x + 4.0, low)).label(r"$v_j$", loc="top"))
    _shunt(d, elm.Capacitor(), r"$C_e$", alpha_x + 2.0, low)
    _shunt(d, elm.Resistor(), r"$1/g_e$", alpha_x + 4.0, low)
    d.add(elm.Label().at((alpha_x + 2.0, low + 0.9)).label(
        r"$\tau_r\, \dot v = \alpha - v$,  $\tau_r = C_e/g_e$"))

    out = d.add(flow.Box(w=4.2, h=1.6).at((alpha_x + 5.4, top)).anchor("W").label(
        r"$e_j = v_j + \frac{\tau_m}{\tau_r}(\alpha_j - v_j)$" + "\n" + "active sum"))
    d.add(elm.Arrow().at((alpha_x, top)).to(out.W))
    d.add(elm.Line().at((alpha_x + 4.0, low)).tox(alpha_x + 4.7))
    d.add(elm.Line().toy(out.S.y - 0.9))
    d.add(elm.Line().tox(out.S.x))
    d.add(elm.Arrow().toy(out.S.y))
    d.add(elm.Arrow().at(out.E).right(1.2))
    d.add(elm.Dot(open=True).label(r"$e_j$", loc="right"))
    return d


def draw_plastic_synapse():
    """Draw a plastic synapse W_ij.

    The weight is the voltage of a capacitor C_w, charged by a multiplier
    current C_w η e_i r_j, so dW/dt = η e_i r_j. The weight voltage controls
    the forward transconductance, I = V(w) V(r_j) g_L / V_unit into the
    membrane of neuron i, and the backward one into fb_j.
    """
    d = _drawing()
    top = UNIT
    d.add(elm.Ground().at((0, 0)))
    d.add(elm.SourceControlledI().at((0, 0)).up().label(
        "charging current\n" + r"$C_w\, \eta\, e_i\, r_j$", loc="top", ofst=0.2))
    d.add(elm.Line().at((0, top)).to((3.0, top)))
    d.add(elm.Dot().at((3.0, top)).label(r"$w_{ij}$", loc="top"))
    _shunt(d, elm.Capacitor(), r"$C_w$", 3.0, top)
    d.add(elm.Label().at((1.5, top + 1.0)).label(r"$\dot W_{ij} = \eta\, e_i\, r_j$"))

    d.add(elm.Line().at((3.0, top)).to((5.6, top)))
    d.add(elm.Dot().at((5.6, top)))
    forward = top + 0.2
    d.add(elm.Line().at((5.6, top)).toy(forward + 1.6))
    d.add(elm.Arrow().right(1.6))
    box_f = d.add(flow.Box(w=5.0, h=1.4).anchor("W").label(
        "forward: into membrane $u_i$\n" + r"$I = V(w_{ij})\, V(r_j)\, g_L / V_\mathrm{unit}$"))
    d.add(elm.Line().at((5.6, top)).toy(top - 1.6))
    d.add(elm.Arrow().right(1.6))
    box_b = d.add(flow.Box(w=5.0, h=1.4).anchor("W").label(
        r"backward: into $\mathrm{fb}_j$" + "\n"
        + r"$I = V(w_{ij})\, V(e_i)\, g / V_\mathrm{unit}$"))
    d.add(elm.Arrow().at(box_f.E).right(1.0).label(r"$u_i$", loc="right"))
    d.add(elm.Arrow().at(box_b.E).right(1.0).label(r"$\mathrm{fb}_j$", loc="right"))
    return d


FIGURES = {
    "neuron.png": draw_neuron,
    "error-neuron.png": draw_error_neuron,
    "plastic-synapse.png": draw_plastic_synapse,
}
