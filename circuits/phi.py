"""Activation functions φ and their derivatives φ'.

Every back end uses the same definitions: Brian2 and SPICE render the
expressions in :data:`EXPRESSIONS`, and the reference evaluates the NumPy
functions below.
"""

import numpy as np

PHI_NAMES = ("tanh", "sigmoid", "softplus", "hard_sigmoid", "linear")


def _softplus(x):
    # log(1 + exp(x)) without overflow for large x.
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


FUNCTIONS = {
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    # Piecewise linear from 0 (x <= 0) to 1 (x >= 1), as in the LE MNIST experiments.
    "hard_sigmoid": lambda x: np.clip(x, 0.0, 1.0),
    "linear": lambda x: np.asarray(x, dtype=float) * 1.0,
}

DERIVATIVES = {
    "tanh": lambda x: 1.0 - np.tanh(x) ** 2,
    "sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    "softplus": _sigmoid,
    "hard_sigmoid": lambda x: ((x > 0.0) & (x < 1.0)).astype(float),
    "linear": lambda x: np.ones_like(np.asarray(x, dtype=float)),
}

SECOND_DERIVATIVES = {
    "tanh": lambda x: -2.0 * np.tanh(x) * (1.0 - np.tanh(x) ** 2),
    "sigmoid": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)) * (1.0 - 2.0 * _sigmoid(x)),
    "softplus": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
    "hard_sigmoid": lambda x: np.zeros_like(np.asarray(x, dtype=float)),
    "linear": lambda x: np.zeros_like(np.asarray(x, dtype=float)),
}


def phi(name):
    """Return the activation function called ``name``."""
    return FUNCTIONS[name]


def phi_prime(name):
    """Return the derivative φ' of the activation function called ``name``."""
    return DERIVATIVES[name]


def phi_second(name):
    """Return the second derivative φ'' (used by the discrete adjoint)."""
    return SECOND_DERIVATIVES[name]
