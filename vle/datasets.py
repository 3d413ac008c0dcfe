"""MNIST-1D as scalar input streams for latent-equilibrium networks.

The data set is built offline with the ``mnist1d`` package
(``mnist1d.data.make_dataset``), which generates it procedurally from ten
digit templates in a few seconds; nothing is downloaded. The package imports
matplotlib and requests at import time, so it is imported here, inside
functions, and never from ``circuits``.

Stream format, following the GLE paper's MNIST-1D set-up: each sequence of
``length`` samples (72 by default; the package's own default is 40) is fed
as one scalar input channel over 360 steps of dt = 0.2, i.e. 72 time units.
Super-sampling is by repetition (a sample-and-hold): the value at grid point
t_n = n·dt is sample ``floor(n·length/360)``, so with 72 samples each value
is held for 5 steps (one time unit). The model grid has one more point than
there are steps (t = 0 … 72), and that last point repeats the last sample.
Back ends that interpolate inputs linearly between grid points (the
continuous reference, SPICE PWL sources) therefore see a ramp of one dt at
every sample boundary. Targets are one-hot vectors, constant in time, as
arrays (B, T, 10).
"""

import functools
import logging

import numpy as np

from circuits.errors import ModelError

logger = logging.getLogger(__name__)

CLASSES = 10
STEPS = 360
DT = 0.2
DEFAULT_LENGTH = 72
DATASETS = ("mnist1d",)


@functools.lru_cache(maxsize=4)
def _build(length, seed):
    """Generate the data set once per (length, seed); arrays are read-only."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.final_seq_length = int(length)
    args.seed = int(seed)
    # make_dataset reseeds NumPy's global generator; restore it for the caller.
    state = np.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)
    result = {key: np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test")}
    for array in result.values():
        array.setflags(write=False)
    logger.info("built MNIST-1D: %d train, %d test sequences of length %d",
                len(result["y"]), len(result["y_test"]), length)
    return result


def load_mnist1d(length=DEFAULT_LENGTH, seed=42):
    """Build MNIST-1D offline and return its four arrays.

    Parameters
    ----------
    length : int
        Samples per sequence (``final_seq_length`` of ``mnist1d``), at least 2.
    seed : int
        Seed of the generator (42 is the package's default).

    Returns
    -------
    dict
        ``x`` (4000, length) and ``y`` (4000,) for training, ``x_test``
        (1000, length) and ``y_test`` (1000,) for testing; read-only.
    """
    if int(length) != length or length < 2:
        raise ModelError(f"sequence length must be an integer >= 2, got {length!r}",
                         key="length", value=length)
    return _build(int(length), int(seed))


def to_stream(sequences, n_points):
    """Super-sample sequences (B, L) by repetition onto ``n_points`` grid points.

    Grid point n shows sample ``floor(n·L/(n_points − 1))``, clipped to L − 1.

    Returns
    -------
    ndarray, shape (B, n_points, 1)
    """
    sequences = np.atleast_2d(np.asarray(sequences, dtype=float))
    length = sequences.shape[1]
    steps = max(n_points - 1, 1)
    index = np.minimum((np.arange(n_points) * length) // steps, length - 1)
    return sequences[:, index, None]


def one_hot(labels, n_points, classes=CLASSES):
    """One-hot targets (B, n_points, classes), constant in time."""
    labels = np.asarray(labels, dtype=int)
    if labels.ndim != 1 or np.any(labels < 0) or np.any(labels >= classes):
        raise ModelError(f"labels must be integers in [0, {classes}), one per sequence",
                         key="labels")
    eye = np.eye(classes)[labels]
    return np.repeat(eye[:, None, :], n_points, axis=1)


def check_model(model, input_name=None, output_name=None):
    """Check that ``model`` can read MNIST-1D; return (input name, output name).

    The model needs one scalar input population and a 10-neuron output named
    by its target (or ``output_name``).
    """
    inputs = model.inputs
    if input_name is None:
        if len(inputs) != 1:
            raise ModelError(f"MNIST-1D needs exactly one input population, the model "
                             f"has {len(inputs)}", key="populations", source=model.source)
        input_name = inputs[0].name
    if model.population(input_name).size != 1:
        raise ModelError("MNIST-1D is a scalar stream: the input population needs "
                         "size = 1", key=f"populations[{input_name}].size",
                         value=model.population(input_name).size, source=model.source)
    if output_name is None:
        if model.target is None:
            raise ModelError("MNIST-1D needs a [target] table naming the 10-way output "
                             "population", key="target", source=model.source)
        output_name = model.target.population
    if model.population(output_name).size != CLASSES:
        raise ModelError(f"the output population needs {CLASSES} neurons, one per digit",
                         key=f"populations[{output_name}].size",
                         value=model.population(output_name).size, source=model.source)
    return input_name, output_name


def batches(model, split="train", batch_size=100, limit=None, shuffle_seed=None,
            length=DEFAULT_LENGTH, seed=42, input_name=None):
    """Yield MNIST-1D batches on the model's time grid.

    Parameters
    ----------
    model : circuits.model.Model
        Its grid (``model.n_steps``) sets T; the paper's grid is dt = 0.2 s
        with duration = 72 s.
    split : {"train", "test"}
    batch_size : int
    limit : int, optional
        Use only the first ``limit`` sequences of the split.
    shuffle_seed : int, optional
        Shuffle the order with this seed (no shuffling when None).
    length, seed : int
        Passed on to :func:`load_mnist1d`.
    input_name : str, optional
        Input population; the model's only input by default.

    Yields
    ------
    inputs : dict
        ``{input_name: array (B, T, 1)}``.
    targets : ndarray (B, T, 10)
    labels : ndarray (B,)
    """
    input_name, _ = check_model(model, input_name)
    x, y = split_arrays(split, limit, length, seed)
    order = np.arange(len(y))
    if shuffle_seed is not None:
        order = np.random.default_rng(shuffle_seed).permutation(len(y))
    n_points = model.n_steps
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield ({input_name: to_stream(x[chosen], n_points)},
               one_hot(y[chosen], n_points), y[chosen].copy())


def split_arrays(split, limit=None, length=DEFAULT_LENGTH, seed=42):
    """Sequences (M, L) and labels (M,) of one split, optionally the first ``limit``."""
    if split not in ("train", "test"):
        raise ModelError(f"unknown split {split!r}; expected train or test", key="split",
                         value=split)
    data = load_mnist1d(length, seed)
    x, y = (data["x"], data["y"]) if split == "train" else (data["x_test"], data["y_test"])
    if limit is not None:
        if int(limit) != limit or limit < 1:
            raise ModelError(f"the number of samples must be a positive integer, got "
                             f"{limit!r}", key="samples", value=limit)
        if limit > len(y):
            raise ModelError(f"the {split} split has only {len(y)} sequences, "
                             f"{limit} requested", key="samples", value=limit)
        x, y = x[:limit], y[:limit]
    return x, y


def logits_sum(traces, population, settle=0.0):
    """Output rates summed over time from ``settle`` on: (B, classes)."""
    rates = np.asarray(traces[f"r/{population}"])
    if rates.ndim == 2:
        rates = rates[:, None, :]
    mask = np.asarray(traces.t) >= settle - 1e-12
    return rates[mask].sum(axis=0)


def predict(traces, population, settle=0.0):
    """Predicted class per sequence: argmax of the logits summed over time."""
    return np.argmax(logits_sum(traces, population, settle), axis=-1)


def accuracy(traces, labels, population="out", settle=0.0):
    """Fraction of sequences whose predicted class equals the label.

    Parameters
    ----------
    traces : circuits.traces.Traces
        With ``r/<population>`` of shape (T, B, 10), or (T, 10) for one sequence.
    labels : array of int, shape (B,)
    population : str
        Output population.
    settle : float
        Sum only over t >= settle (s).
    """
    labels = np.atleast_1d(np.asarray(labels, dtype=int))
    predicted = predict(traces, population, settle)
    if predicted.shape != labels.shape:
        raise ModelError(f"shape mismatch: {predicted.shape[0]} predictions but "
                         f"{labels.shape[0]} labels", key="labels")
    return float(np.mean(predicted == labels))


def evaluate(model, split="test", limit=None, batch_size=100, settle=0.0, scheme=None):
    """Classification accuracy of ``model`` (reference grid scheme, no plasticity).

    Returns
    -------
    float
        Fraction of the first ``limit`` sequences of ``split`` (all when None)
        whose predicted class is right.
    """
    from circuits.reference import simulate

    _, output = check_model(model)
    correct = total = 0
    for inputs, _, labels in batches(model, split, batch_size, limit):
        traces = simulate(model, scheme=scheme, inputs=inputs, record=("r",))
        correct += int(np.sum(predict(traces, output, settle) == labels))
        total += len(labels)
    return correct / total


def train_mnist1d(model, epochs=None, train_samples=None, test_samples=None,
                  batch_size=100, shuffle_seed=0, progress=True, **overrides):
    """Train ``model`` on MNIST-1D with :func:`circuits.training.train`.

    Parameters
    ----------
    model : circuits.model.Model
        A classifier with one scalar input and a 10-way output (see
        ``examples/mnist1d.toml``); its grid must be dt = 0.2 s, duration
        72 s for the paper's stream, though any grid works.
    epochs : int, optional
        Passes over the training sequences ([learning] epochs by default).
    train_samples, test_samples : int, optional
        Use only the first M training / test sequences (all by default).
    batch_size : int
    shuffle_seed : int
        The training order of epoch k is shuffled with seed ``shuffle_seed + k``.
    progress : bool
    overrides
        Passed on to ``train`` (errors, eta, optimizer, scheme ...).

    Returns
    -------
    trained : Model
    history : dict
        From ``train``, plus ``test_accuracy`` (before and after training).
    """
    from circuits.training import train

    check_model(model)
    before = evaluate(model, "test", test_samples, batch_size)

    def epoch_batches(epoch):
        for inputs, targets, _ in batches(model, "train", batch_size, train_samples,
                                          shuffle_seed=shuffle_seed + epoch):
            yield inputs, targets

    trained, history = train(model, epochs=epochs, inputs=epoch_batches,
                             progress=progress, **overrides)
    after = evaluate(trained, "test", test_samples, batch_size)
    history["test_accuracy"] = {"before": before, "after": after}
    return trained, history
