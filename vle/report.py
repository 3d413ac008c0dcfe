"""Cross-check report: ``metrics.json``, PNG plots and ``index.html`` in one folder.

Every file is written under a temporary name in the report folder and moved
into place when complete; ``index.html`` comes last, so a folder whose
``index.html`` exists is complete. Plot functions take ``ax=None`` (a new
figure when None), return the axes and never call ``plt.show()``; they use
matplotlib's Agg back end.
"""

import html
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from .checks import agreement_sentence
from .report_schema import validate_metrics

NEURONS_SHOWN = 3
REFERENCE_LABEL = "reference/continuous"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _write_atomic(path, write):
    """Call ``write(stream)`` on a temporary file next to ``path``, then move it there."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _save_figure(figure, path):
    plt = _pyplot()
    try:
        _write_atomic(path, lambda stream: figure.savefig(stream, format="png", dpi=90))
    finally:
        plt.close(figure)


# --- plots -----------------------------------------------------------------------------


def plot_traces(times, grids, key, transient=None, sample=0, ax=None):
    """Overlay one variable of one population, ``key`` = "var/pop", from every run."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(8, 2.6)).add_subplot()
    reference = grids[REFERENCE_LABEL][key]
    shown = min(reference.shape[2], NEURONS_SHOWN)
    for neuron in range(shown):
        ax.plot(times, reference[:, sample, neuron], color="black", linewidth=2.2,
                alpha=0.5, label=REFERENCE_LABEL if neuron == 0 else None)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    others = [label for label in grids if label != REFERENCE_LABEL and key in grids[label]]
    for index, label in enumerate(others):
        for neuron in range(shown):
            ax.plot(times, grids[label][key][:, sample, neuron], linestyle="--",
                    linewidth=1.0, color=colors[index % len(colors)],
                    label=label if neuron == 0 else None)
    if transient:
        ax.axvspan(times[0], transient, color="0.9", zorder=-1)
    ax.set_xlabel("t (s)")
    ax.set_ylabel(key)
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_errors(times, grids, key, tolerance_of, transient=None, ax=None):
    """Largest |candidate − reference| over neurons and samples, divided by the range."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.figure(figsize=(8, 2.6)).add_subplot()
    reference = grids[REFERENCE_LABEL][key]
    mask = times >= (transient or 0.0) - 1e-12
    span = float(reference[mask].max() - reference[mask].min()) or 1.0
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    others = [label for label in grids if label != REFERENCE_LABEL and key in grids[label]]
    for index, label in enumerate(others):
        error = np.abs(grids[label][key] - reference).max(axis=(1, 2)) / span
        color = colors[index % len(colors)]
        ax.semilogy(times, np.maximum(error, 1e-17), color=color, label=label)
        tolerance = tolerance_of(label)
        if tolerance:
            ax.axhline(tolerance, color=color, linestyle=":", linewidth=1)
    if transient:
        ax.axvspan(times[0], transient, color="0.9", zorder=-1)
    ax.set_xlabel("t (s)")
    ax.set_ylabel(f"|error| / range, {key}")
    ax.legend(fontsize=7, loc="upper right")
    return ax


def plot_bode(bode, axes=None):
    """Gain and phase of the SPICE AC response over the closed form; returns (ax_gain, ax_phase)."""
    plt = _pyplot()
    if axes is None:
        figure = plt.figure(figsize=(7, 5))
        axes = figure.subplots(2, 1, sharex=True)
    ax_gain, ax_phase = axes
    frequencies = np.asarray(bode["frequencies"])
    theory = np.asarray(bode["theory"]["real"]) + 1j * np.asarray(bode["theory"]["imag"])
    label = (f"H = (1 + iωτ_r)/(1 + iωτ_m), τ_m = {bode['tau_m']:g} s, "
             f"τ_r = {bode['tau_r']:g} s")
    ax_gain.loglog(frequencies, np.abs(theory), color="black", label=label)
    ax_phase.semilogx(frequencies, np.angle(theory), color="black")
    if bode["spice"] is not None:
        spice = np.asarray(bode["spice"]["real"]) + 1j * np.asarray(bode["spice"]["imag"])
        ax_gain.loglog(frequencies, np.abs(spice), "o", markersize=4, fillstyle="none",
                       label="ngspice .ac")
        ax_phase.semilogx(frequencies, np.angle(spice), "o", markersize=4,
                          fillstyle="none")
    ax_gain.set_ylabel("|H|")
    ax_phase.set_ylabel("arg H (rad)")
    ax_phase.set_xlabel("f (Hz, model time)")
    ax_gain.set_title(f"{bode['population']}[{bode['neuron']}]", fontsize=9)
    ax_gain.legend(fontsize=7)
    return ax_gain, ax_phase


# --- report folder -----------------------------------------------------------------------


def write_report(metrics, grids, times, directory):
    """Write metrics.json, the plots and index.html into ``directory``; return its index path."""
    validate_metrics(metrics)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    images = {}
    tolerance_of = _tolerance_lookup(metrics)
    keys = [key for key in grids.get(REFERENCE_LABEL, {})
            if key.split("/", 1)[1] in metrics["model"]["populations"]
            and key.split("/", 1)[0] in metrics["variables"]]
    for population in metrics["model"]["populations"]:
        population_keys = sorted(
            (k for k in keys if k.split("/", 1)[1] == population),
            key=lambda k: metrics["variables"].index(k.split("/", 1)[0]))
        if not population_keys:
            continue
        for kind in ("traces", "errors"):
            figure = plt.figure(figsize=(8, 2.4 * len(population_keys)))
            axes = figure.subplots(len(population_keys), 1, sharex=True, squeeze=False)
            for ax, key in zip(axes[:, 0], population_keys):
                if kind == "traces":
                    plot_traces(times, grids, key, metrics["transient"], ax=ax)
                else:
                    plot_errors(times, grids, key, tolerance_of, metrics["transient"],
                                ax=ax)
            figure.tight_layout()
            name = f"{kind}_{population}.png"
            _save_figure(figure, directory / name)
            images.setdefault(population, []).append(name)
    if metrics["bode"] is not None:
        figure = plt.figure(figsize=(7, 5))
        plot_bode(metrics["bode"], axes=figure.subplots(2, 1, sharex=True))
        figure.tight_layout()
        _save_figure(figure, directory / "bode.png")
        images["bode"] = ["bode.png"]
    text = json.dumps(metrics, indent=2, allow_nan=False)
    _write_atomic(directory / "metrics.json", lambda s: s.write(text.encode()))
    page = render_html(metrics, images)
    return _write_atomic(directory / "index.html", lambda s: s.write(page.encode()))


def _tolerance_lookup(metrics):
    def tolerance(label):
        for name, result in metrics["backends"].items():
            if result["run"] == label and result["comparisons"]:
                return result["comparisons"][0]["tolerance"]
        return None

    return tolerance


# --- HTML ----------------------------------------------------------------------------------

STYLE = """
body { font-family: sans-serif; margin: 1.5em; max-width: 70em; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 0.9em; }
td, th { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; }
.pass { background: #d8f3d8; } .fail { background: #f8d0d0; font-weight: bold; }
.none { background: #eee; } img { max-width: 100%; }
"""


def _verdict(passed):
    if passed is None:
        return '<td class="none">n/a</td>'
    return '<td class="pass">pass</td>' if passed else '<td class="fail">FAIL</td>'


def _number(value):
    return "n/a" if value is None else f"{value:.3g}"


def render_html(metrics, images):
    """Return the text of index.html for ``metrics`` and the plot files in ``images``."""
    e = html.escape
    model = metrics["model"]
    overall = "PASS" if metrics["passed"] else "FAIL"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>vle cross-check: {e(model['name'])}</title>",
        f"<style>{STYLE}</style>",
        # Report images that fail to load on the console, where browser checks see them.
        "<script>window.addEventListener('error', function (event) { "
        "if (event.target && event.target.tagName === 'IMG') { "
        "console.error('image failed to load: ' + event.target.src); } }, true);</script>",
        "</head><body>",
        f"<h1>Cross-check of {e(model['name'])}: "
        f'<span class="{"pass" if metrics["passed"] else "fail"}">{overall}</span></h1>',
        f"<p>Model file: {e(str(model['source']))}; dt = {model['dt']:g} s, duration = "
        f"{model['duration']:g} s; {metrics['samples']['count']} input sample(s)"
        + (f" from {e(metrics['samples']['dataset'])}" if metrics["samples"]["dataset"]
           else "") + f"; exit code {metrics['exit_code']}.</p>",
        "<p>Reference: the reference simulator with scheme <b>continuous</b> (solve_ivp, "
        "no delay between layers). Every back end is compared with it. Brian2 rate "
        f"neurons, which run the grid scheme <b>{e(metrics['grid_scheme'])}</b>, are also "
        "compared with the reference on that same scheme, where both should agree to "
        f"rounding (tolerance {metrics['matching_scheme_tolerance']:g}). Metrics are "
        f"taken after a transient of {metrics['transient']:g} s (5 × max τ, grey in the "
        "plots): NRMSE = RMS error / range of the reference; a comparison passes when "
        "NRMSE ≤ tolerance for every population and variable.</p>",
        "<h2>Back ends</h2><table><tr><th>back end</th><th>status</th><th>run time "
        "(s)</th><th>perturbation</th><th>verdict</th></tr>",
    ]
    for name, result in metrics["backends"].items():
        changes = ", ".join(f"{c['population'] or 'all'}.{c['attribute']} × {c['factor']:g}"
                            for c in result["perturbation"]) or "none"
        status = result["status"] + (f": {result['message']}" if result["message"] else "")
        parts.append(f"<tr><td>{e(name)}</td><td>{e(status)}</td>"
                     f"<td>{_number(result['seconds'])}</td><td>{e(changes)}</td>"
                     f"{_verdict(result['passed'])}</tr>")
    parts.append("</table>")
    parts += _comparison_tables(metrics)
    parts += _classification_table(metrics["classification"], metrics["samples"]["count"])
    parts += _bode_section(metrics["bode"], images,
                           metrics["backends"].get("ngspice", {}).get("perturbation", []))
    parts.append("<h2>Traces and errors</h2>")
    for population in metrics["model"]["populations"]:
        for name in images.get(population, []):
            parts.append(f"<h3>{e(population)}: {e(name.split('_', 1)[0])}</h3>"
                         f'<img src="{e(name)}" alt="{e(name)}">')
    parts.append('<p><a href="metrics.json">metrics.json</a></p></body></html>')
    return "\n".join(parts) + "\n"


def _comparison_tables(metrics):
    e = html.escape
    parts = []
    for name, result in metrics["backends"].items():
        for comparison in result["comparisons"]:
            parts.append(f"<h3>{e(name)} against {e(comparison['against'])} (tolerance "
                         f"{comparison['tolerance']:g})</h3><table><tr><th>population</th>"
                         "<th>variable</th><th>NRMSE</th><th>max |error|</th>"
                         "<th>range</th><th>verdict</th></tr>")
            for row in comparison["metrics"]:
                parts.append(f"<tr><td>{e(row['population'])}</td><td>{e(row['variable'])}"
                             f"</td><td>{_number(row['nrmse'])}</td>"
                             f"<td>{_number(row['max_abs_error'])}</td>"
                             f"<td>{_number(row['range'])}</td>{_verdict(row['passed'])}"
                             "</tr>")
            parts.append("</table>")
    return parts


def _classification_table(classification, count):
    if classification is None:
        return []
    reference = classification["reference"]
    parts = ["<h2>Classification</h2>", "<ul>"]
    for name, result in classification["backends"].items():
        same = result is not None and result["same_as_reference"]
        parts.append(f'<li class="{"pass" if same else "fail"}">'
                     f"{html.escape(agreement_sentence(name, result, count))}.</li>")
    parts += ["</ul>",
             f"<p>Prediction: argmax of r/{html.escape(classification['population'])} "
             f"summed over t ≥ {classification['settle']:g} s.</p>",
             "<table><tr><th>run</th><th>accuracy</th><th>agreement with reference</th>"
             "<th>same as reference</th><th>predictions</th></tr>",
             f"<tr><td>{REFERENCE_LABEL}</td><td>{reference['accuracy']:.3f}</td><td>1</td>"
             f"<td>yes</td><td>{reference['predictions']}</td></tr>"]
    for name, result in classification["backends"].items():
        if result is None:
            parts.append(f"<tr><td>{html.escape(name)}</td><td colspan=4>no output "
                         "rates</td></tr>")
            continue
        same = "yes" if result["same_as_reference"] else "no"
        parts.append(f"<tr><td>{html.escape(name)}</td><td>{result['accuracy']:.3f}</td>"
                     f"<td>{result['agreement']:.3f}</td><td>{same}</td>"
                     f"<td>{result['predictions']}</td></tr>")
    parts.append("</table>")
    return parts


def _bode_section(bode, images, perturbation):
    if bode is None:
        return []
    parts = ["<h2>Frequency response (ngspice .ac against the closed form)</h2>"]
    if perturbation:
        changes = ", ".join(f"{c['population'] or 'all'}.{c['attribute']} × {c['factor']:g}"
                            for c in perturbation)
        parts.append(f"<p>The AC analysis runs the perturbed circuit ({html.escape(changes)}"
                     "); the closed form uses the model's time constants.</p>")
    if bode["status"] == "compared":
        parts.append(f"<table><tr><th>max relative error</th><th>tolerance</th>"
                     f"<th>verdict</th></tr><tr><td>{bode['max_relative_error']:.3g}</td>"
                     f"<td>{bode['tolerance']:g}</td>{_verdict(bode['passed'])}</tr>"
                     "</table>")
    else:
        parts.append(f"<p>{html.escape(bode['message'] or 'not compared')}</p>")
    for name in images.get("bode", []):
        parts.append(f'<img src="{html.escape(name)}" alt="Bode plot">')
    return parts
