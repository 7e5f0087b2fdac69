"""Expected calibration error: does a confidence of 0.8 come true 80 % of the time?

Shared by ``tsunagu evaluate`` (:mod:`bot.evaluation`), the built-in engine's
held-out figures and ``bench/nlu.py``, so all three measure the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Equal-width confidence bins of the usual ECE (Guo et al., 2017).
ECE_BINS = 15


def expected_calibration_error(
    confidence: Sequence[float] | np.ndarray,
    correct: Sequence[bool] | np.ndarray,
    bins: int = ECE_BINS,
) -> float:
    """The ECE of top-1 predictions, in [0, 1] (0: perfectly calibrated).

    ``confidence[i]`` is the confidence of the best-ranked intent of message
    ``i`` and ``correct[i]`` whether that intent was the true one (for an
    out-of-scope message only a best-ranked ``out_of_scope`` is correct).
    Messages are put into ``bins`` equal-width bins by confidence; the ECE is
    the mean over messages of |accuracy - mean confidence| of their bin.
    Returns ``nan`` for no messages.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return float("nan")
    # Bin b holds confidences in (b/bins, (b+1)/bins]; 0 goes to the first.
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in np.unique(index):
        mask = index == b
        total += mask.sum() * abs(hits[mask].mean() - conf[mask].mean())
    return float(total / conf.size)
