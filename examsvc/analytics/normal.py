"""The standard normal's upper tail, vectorised, for the signals' tests (docs/analytics.md (signals))."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

_erfc = np.frompyfunc(math.erfc, 1, 1)


def upper_tail(z: F64) -> F64:
    """1 - Φ(z), exact to double precision (math.erfc element-wise): for the few hundred tests of a report."""
    tails = _erfc(np.asarray(z, dtype=np.float64) / math.sqrt(2.0))
    out: F64 = 0.5 * np.asarray(tails, dtype=np.float64)
    return out


def upper_tail_fast(z: F64) -> F64:
    """1 - Φ(z) to about 1e-7 absolute (Abramowitz & Stegun 7.1.26 for erfc, Φ's symmetry below 0): for
    millions of pairs, where it is only reported, never compared with a threshold."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    upper = 0.5 * poly * np.exp(-x * x)
    out: F64 = np.where(z >= 0, upper, 1.0 - upper)
    return out
