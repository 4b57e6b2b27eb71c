"""What every benchmark reports with: the nearest-rank percentile and a target's verdict."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q` percentile (0 < q <= 1); NaN for no values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
