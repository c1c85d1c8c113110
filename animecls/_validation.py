"""Argument checks shared by every module, one rule and one message each.

Modelled on scikit-learn's ``utils/validation.py``: a public function checks
its arguments with these helpers, so that the same argument means the same
thing, and is refused with the same words, wherever it is accepted. Each
check returns the value in its canonical form (a tuple, an int, a float) and
raises ``ValueError`` whose message ends with the value received, as Keras'
errors do.

Imports NumPy only: the light data layer uses it as well as the Keras code.
"""

from numbers import Integral, Real

import numpy as np

__all__ = [
    "check_choice",
    "check_count",
    "check_factor",
    "check_fraction",
    "check_image_size",
    "check_seed",
    "check_test_size",
    "draw_seed",
    "is_int",
]

#: The smallest picture side VGG16 takes: it halves the size five times.
VGG16_MIN_SIZE = 32


def is_int(value):
    """Return True for a Python or NumPy integer, False for a bool or anything else."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_count(value, name, *, minimum=1):
    """Return ``value`` as an int of at least ``minimum``."""
    if not is_int(value) or value < minimum:
        raise ValueError(
            f"{name} must be an integer of at least {minimum}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_fraction(value, name, *, closed=False):
    """Return ``value`` as a float in (0, 1), or in [0, 1] when ``closed``."""
    number = isinstance(value, Real) and not isinstance(value, bool)
    inside = number and ((0 <= value <= 1) if closed else (0 < value < 1))
    if not inside:
        interval = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(
            f"{name} must be a number in {interval}. Received: {name}={value!r}"
        )
    return float(value)


def check_factor(value, name, upper):
    """Return ``value`` as a float in [0, ``upper``), where 0 means none."""
    number = isinstance(value, Real) and not isinstance(value, bool)
    if not number or not 0 <= value < upper:
        raise ValueError(
            f"{name} must be a number in [0, {upper:g}), 0 for none. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def check_test_size(value, name="test_size"):
    """Return a split size: a float in (0, 1) (a fraction) or an int >= 1 (a count).

    The rule of scikit-learn's ``train_test_split``, used by every function
    that splits pictures.
    """
    if is_int(value) and value >= 1:
        return int(value)
    if isinstance(value, Real) and not isinstance(value, bool) and 0 < value < 1:
        return float(value)
    raise ValueError(
        f"{name} must be a float in (0, 1) (a fraction) or an int >= 1 (a "
        f"count). Received: {name}={value!r}"
    )


def check_image_size(value, name="image_size", *, minimum=1, why=None):
    """Return a picture size as a ``(height, width)`` tuple of ints.

    Accepts one int (a square) or a pair of ints, each at least ``minimum``;
    ``why`` says what needs the minimum (e.g. VGG16's five poolings).
    """
    if is_int(value):
        size = (int(value), int(value))
    elif (
        isinstance(value, tuple | list | np.ndarray)
        and len(value) == 2
        and all(is_int(v) for v in value)
    ):
        size = (int(value[0]), int(value[1]))
    else:
        raise ValueError(
            f"{name} must be an int or a (height, width) pair of ints. "
            f"Received: {name}={value!r}"
        )
    if min(size) < minimum:
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name} must be at least {minimum}x{minimum} pixels{reason}. "
            f"Received: {name}={value!r}"
        )
    return size


def check_choice(value, name, options):
    """Return ``value`` if it is one of ``options`` (strings)."""
    if isinstance(value, str) and value in options:
        return value
    choices = ", ".join(repr(o) for o in options)
    raise ValueError(f"{name} must be one of {choices}. Received: {name}={value!r}")


def check_seed(value, name="random_state"):
    """Return an int seed; None, bools and generators are refused."""
    if not is_int(value):
        raise ValueError(f"{name} must be an int. Received: {name}={value!r}")
    return int(value)


def draw_seed(value, name="random_state"):
    """Return an int seed from a ``random_state`` as scikit-learn takes it.

    An int is returned as it is; None draws a seed from fresh entropy (an
    unseeded draw, which ``np.random.seed`` does not fix) and a
    ``np.random.RandomState`` draws one from itself, as scikit-learn's
    estimators take it. Keras initialisers take an int seed only, hence one
    int in every case.
    """
    if is_int(value):
        return int(value)
    if value is None:
        return int(np.random.default_rng().integers(np.iinfo(np.int32).max))
    if isinstance(value, np.random.RandomState):
        return int(value.randint(np.iinfo(np.int32).max))
    raise ValueError(
        f"{name} must be an int, None (an unseeded draw) or a "
        f"np.random.RandomState. Received: {name}={value!r}"
    )
