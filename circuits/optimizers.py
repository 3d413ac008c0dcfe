"""Optimizers that apply a descent direction to a parameter array in place.

Every optimizer takes the *descent direction* d (an estimate of −∂L/∂θ, for
example the batch mean of e r_preᵀ) and a step size, and moves θ along it.
The online plasticity of :mod:`circuits.reference` calls ``step_group``
once per grid step for all weights and biases and ``step`` for each learned
time constant, with step size η·dt. Offline (adjoint) training calls ``step``
once per run with step size η. Without an optimizer object the reference keeps
its built-in SGD update θ ← θ + η dt d, so that other back ends can
reproduce it step for step.
"""

import numpy as np

from .errors import ModelError


class SGD:
    """Plain gradient descent: θ ← θ + rate·d."""

    name = "sgd"

    def step(self, key, value, descent, rate):
        """Move ``value`` (changed in place) by ``rate`` times ``descent``."""
        value += rate * descent
        return value

    def step_group(self, key, values, descent, rate):
        """Move each of ``values`` by ``rate`` times its part of the flat ``descent``."""
        for value, part in zip(values, split(descent, values)):
            self.step(key, value, part, rate)

    def reset(self):
        """Forget the optimizer state (SGD has none)."""


class Adam:
    """Adam with bias correction, one moment pair per key.

    A key names one parameter array (:meth:`step`) or a group of arrays that
    always step together (:meth:`step_group`, used by the online reference
    for all weights and biases at once).

    With g = −d the update is m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
    θ ← θ − rate·m̂/(√v̂ + ε), where m̂ and v̂ are the bias-corrected moments.
    Because the Adam step does not scale with |g|, ``rate`` is the step size
    itself: η·dt per grid step online, η per run offline.
    """

    name = "adam"

    def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8):
        for key, value in (("adam_beta1", beta1), ("adam_beta2", beta2)):
            if not 0.0 <= value < 1.0:
                raise ModelError(f"{key} must lie in [0, 1), got {value!r}", key=key,
                                 value=value)
        if not epsilon > 0:
            raise ModelError(f"adam_epsilon must be positive, got {epsilon!r}",
                             key="adam_epsilon", value=epsilon)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.reset()

    def reset(self):
        """Forget the moments and step counts."""
        self.moments = {}

    def step(self, key, value, descent, rate):
        """Apply one Adam update to ``value`` (in place) for the parameter ``key``."""
        self.step_group(key, (value,), np.ravel(np.asarray(descent, dtype=float)), rate)
        return value

    def step_group(self, key, values, descent, rate):
        """Apply one Adam update to several arrays that always step together, in place.

        ``descent`` is flat: the descent directions of ``values``, raveled and
        concatenated in order. The moments and the step count belong to ``key``.
        """
        if key not in self.moments:
            update = np.empty_like(descent)
            self.moments[key] = [np.zeros_like(descent), np.zeros_like(descent), 0,
                                 np.empty_like(descent), update, list(split(update, values))]
        state = self.moments[key]
        first, second, _, scratch, update, parts = state
        # With g = −d: m ← β₁m + (1 − β₁)g as m −= (1 − β₁)(d + m), and
        # v ← β₂v + (1 − β₂)g² as v += (1 − β₂)(d² − v), in place.
        np.add(descent, first, out=scratch)
        scratch *= 1.0 - self.beta1
        first -= scratch
        np.multiply(descent, descent, out=scratch)
        scratch -= second
        scratch *= 1.0 - self.beta2
        second += scratch
        state[2] += 1
        count = state[2]
        # θ ← θ − rate·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ⁿ), v̂ = v/(1 − β₂ⁿ).
        np.multiply(second, 1.0 / (1.0 - self.beta2**count), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.multiply(first, rate / (1.0 - self.beta1**count), out=update)
        update /= scratch
        for value, part in zip(values, parts):
            value -= part


def split(flat, arrays):
    """Views into the flat array ``flat`` shaped like each of ``arrays`` in turn."""
    offset = 0
    for array in arrays:
        yield flat[offset:offset + array.size].reshape(np.shape(array))
        offset += array.size


def make_optimizer(learning, *, explicit_sgd=False):
    """Build the optimizer named by a model's [learning] table.

    Returns None for SGD unless ``explicit_sgd`` is set, so that the online
    reference keeps its built-in SGD update.
    """
    if learning is None or learning.optimizer == "sgd":
        return SGD() if explicit_sgd else None
    return Adam(learning.adam_beta1, learning.adam_beta2, learning.adam_epsilon)
