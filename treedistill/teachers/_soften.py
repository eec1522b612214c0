"""Softening teacher logits with a temperature and blending in the true labels."""

from __future__ import annotations

import numpy as np

__all__ = [
    "softmax",
    "soften",
    "blend",
    "logits_from_proba",
    "margins_to_logits",
    "decision_from_logits",
]

_LOG_EPS = 1e-12


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax."""
    z = np.asarray(z, dtype=np.float64)
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def soften(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Return ``q = softmax(z / T)``, the teacher's temperature-softened labels.

    Parameters
    ----------
    logits : array of shape (n_samples, n_classes)
    temperature : float, default=1.0
        ``T > 0``. ``T = 1`` gives the teacher's own probabilities, larger ``T``
        flattens them toward uniform, smaller sharpens toward one-hot.
    """
    _check_temperature(temperature)
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(
            f"logits must have shape (n_samples, n_classes), got {z.shape}"
        )
    if not np.all(np.isfinite(z)):
        raise ValueError("the teacher returned non-finite logits (NaN or infinity)")
    return softmax(z / float(temperature), axis=1)


def logits_from_proba(proba: np.ndarray) -> np.ndarray:
    """Logits of a probability-only model: ``log p`` (clipped away from zero).

    The one place where probabilities become logits: teachers that only give
    ``predict_proba`` and tree students both go through it.
    """
    p = np.clip(np.asarray(proba, dtype=np.float64), _LOG_EPS, None)
    return np.log(p / p.sum(axis=1, keepdims=True))


def margins_to_logits(margins: np.ndarray, temperature: float) -> np.ndarray:
    """Logits of a boosted student from its raw margins: ``margins * T``.

    The boosted student is fit to ``softmax(z / T)``, so its margins estimate
    ``z / T``; multiplying by ``T`` gives logits (and probabilities) on the
    teacher's own scale. Used by the live estimator and the saved student alike.
    """
    return np.asarray(margins, dtype=np.float64) * float(temperature)


def decision_from_logits(logits: np.ndarray) -> np.ndarray:
    """Decision scores by the scikit-learn convention from logits (n, K).

    Two classes give ``logit[1] - logit[0]``, shape (n_samples,) (positive means
    the second class); more give the logits unchanged.
    """
    if logits.shape[1] == 2:
        return logits[:, 1] - logits[:, 0]
    return logits


def blend(
    q: np.ndarray,
    y_index: np.ndarray | None,
    alpha: float,
) -> np.ndarray:
    """Blend soft labels with one-hot true labels: ``(1 - alpha) q + alpha onehot(y)``.

    Cross-entropy is linear in its target, so fitting this blend is the same as
    fitting ``alpha`` × hard loss + ``(1 - alpha)`` × soft loss.

    Parameters
    ----------
    q : array of shape (n_samples, n_classes)
    y_index : int array of shape (n_samples,) or None
        Class index of the true label, ``-1`` for rows without one (augmented rows
        keep their soft label untouched).
    alpha : float in [0, 1]
    """
    _check_alpha(alpha)
    q = np.asarray(q, dtype=np.float64)
    if y_index is None or alpha == 0:
        return q.copy()
    y_index = np.asarray(y_index)
    labeled = y_index >= 0
    out = q.copy()
    out[labeled] *= 1.0 - alpha
    out[np.flatnonzero(labeled), y_index[labeled]] += alpha
    return out


def _check_temperature(temperature) -> None:
    if not isinstance(temperature, (int, float, np.floating, np.integer)) or isinstance(
        temperature, bool
    ):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")


def _check_alpha(alpha) -> None:
    if not isinstance(alpha, (int, float, np.floating, np.integer)) or isinstance(
        alpha, bool
    ):
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if not (0.0 <= float(alpha) <= 1.0):
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
