"""Brian2 back end: rate and spiking networks generated from a :class:`circuits.model.Model`.

Public functions:

- :func:`simulate_rate`: the reference grid schemes, step for step, in Brian2;
- :func:`simulate_spiking`: every rate neuron as a population of spiking neurons;
- :func:`equations`: the generated ``brian2.Equations`` and their text;
- :func:`write_script`: a standalone Brian2 script (``vle export --to brian2``).
"""

from .api import simulate_rate, simulate_spiking
from .generate import equations
from .export import write_script

__all__ = ["equations", "simulate_rate", "simulate_spiking", "write_script"]
