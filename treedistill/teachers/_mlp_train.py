"""Training the MLP teacher's network: layers, validation split, early stopping."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["build_network", "torch_threads", "train_network", "validation_split"]

# Hidden layers narrower than this get no LayerNorm: normalising 1 or 2 units
# destroys (almost) all information they carry.
_MIN_NORM_WIDTH = 4
# Minimum decrease of the validation loss that resets the patience counter.
_ES_TOL = 1e-4
# With a validation split, the learning rate is multiplied by _LR_FACTOR after
# more than _LR_PATIENCE epochs without improvement (by _ES_TOL): the smaller
# steps let the network sharpen thresholds that the initial rate overshoots.
_LR_FACTOR = 0.3
_LR_PATIENCE = 4
# Below this many rows there is no validation split / early stopping.
_MIN_ROWS_FOR_VALIDATION = 20


@contextmanager
def torch_threads(n: int = 1):
    """Run the block with ``n`` torch threads, then restore the previous count.

    The small MLP teachers train as fast on one thread as on several, much faster
    when the cores are busy, and give the same numbers on any machine (torch's
    results depend on its thread count).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_network(
    n_inputs: int, hidden: Sequence[int], n_outputs: int, dropout: float
) -> nn.Sequential:
    """``Linear -> LayerNorm -> ReLU -> Dropout`` blocks and a linear head."""
    layers: list[nn.Module] = []
    width_in = n_inputs
    for width in hidden:
        layers.append(nn.Linear(width_in, width))
        if width >= _MIN_NORM_WIDTH:
            # LayerNorm normalises each row on its own: no batch statistics, so it
            # trains fine with tiny (even size-1) batches and eval == train maths.
            layers.append(nn.LayerNorm(width))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width_in = width
    layers.append(nn.Linear(width_in, n_outputs))
    return nn.Sequential(*layers)


def validation_split(
    y_enc: np.ndarray, sw: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
    """(training rows, validation rows or None), stratified when every class can be."""
    n = len(y_enc)
    all_idx = np.arange(n)
    if fraction == 0 or n < _MIN_ROWS_FOR_VALIDATION:
        return all_idx, None
    counts = np.bincount(y_enc)
    if counts.min() >= 2:
        val_parts = []
        for c in range(len(counts)):
            members = rng.permutation(np.flatnonzero(y_enc == c))
            n_val_c = min(len(members) - 1, int(round(fraction * len(members))))
            val_parts.append(members[:n_val_c])
        val_idx = np.sort(np.concatenate(val_parts))
    else:
        n_val = min(n - 1, max(1, int(round(fraction * n))))
        val_idx = np.sort(rng.permutation(n)[:n_val])
    if len(val_idx) == 0 or sw[val_idx].sum() <= 0:
        return all_idx, None
    mask = np.ones(n, dtype=bool)
    mask[val_idx] = False
    train_idx = all_idx[mask]
    if sw[train_idx].sum() <= 0:
        return all_idx, None
    return train_idx, val_idx


class _EarlyStopping:
    """Keeps the weights of the best validation loss; says when patience ran out."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_state = None
        self._reference = math.inf
        self._stale = 0

    def update(self, model: nn.Module, loss: float, epoch: int) -> bool:
        """Record one epoch's validation loss; return True to stop."""
        if loss < self.best_loss:
            self.best_loss = loss
            self.best_epoch = epoch
            self.best_state = copy.deepcopy(model.state_dict())
        if loss < self._reference - _ES_TOL:
            self._reference = loss
            self._stale = 0
            return False
        self._stale += 1
        return self._stale >= self.patience


def _epoch(model, optimizer, X_tr, y_tr, w_tr, perm, batch_size: int) -> float:
    """One pass over the training rows in the order ``perm``; the mean loss."""
    model.train()
    n_train = len(perm)
    total = 0.0
    for start in range(0, n_train, batch_size):
        batch = perm[start : start + batch_size]
        logits = model(X_tr[batch])
        losses = F.cross_entropy(logits, y_tr[batch], reduction="none")
        loss = (losses * w_tr[batch]).sum() / len(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(batch)
    return total / n_train


def _validation_loss(model, X_va, y_va, w_va) -> float:
    model.eval()
    with torch.inference_mode():
        v_losses = F.cross_entropy(model(X_va), y_va, reduction="none")
        return float((v_losses * w_va).sum() / w_va.sum())


def train_network(
    model: nn.Module,
    Z: np.ndarray,
    y_enc: np.ndarray,
    sw: np.ndarray,
    split: tuple[np.ndarray, np.ndarray | None],
    seed: int,
    *,
    learning_rate: float,
    weight_decay: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
) -> tuple[int, int, list[float], list[float] | None]:
    """Train ``model`` with AdamW; return (epochs run, best epoch, loss curves).

    With validation rows, the learning rate drops on plateaus, training stops
    after ``patience`` epochs without improvement and the best weights are kept.
    """
    train_idx, val_idx = split
    X_all = torch.from_numpy(np.array(Z, dtype=np.float32, copy=True))
    y_all = torch.from_numpy(np.array(y_enc, dtype=np.int64, copy=True))
    w_all = torch.from_numpy(np.array(sw, dtype=np.float32, copy=True))
    X_tr, y_tr = X_all[train_idx], y_all[train_idx]
    # Normalise so that the loss is a weighted mean of the per-row losses
    # (exactly the plain mean when all weights are equal).
    w_tr = w_all[train_idx]
    w_tr = w_tr / w_tr.mean()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=learning_rate, weight_decay=weight_decay
    )
    scheduler = None
    if val_idx is not None:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            factor=_LR_FACTOR,
            patience=_LR_PATIENCE,
            threshold=_ES_TOL,
            threshold_mode="abs",
        )
    gen = torch.Generator().manual_seed(seed)
    n_train = len(train_idx)
    bs = min(batch_size, n_train)
    stopping = _EarlyStopping(patience)
    loss_curve: list[float] = []
    val_curve: list[float] | None = [] if val_idx is not None else None
    epoch = 0
    for epoch in range(1, max_epochs + 1):
        perm = torch.randperm(n_train, generator=gen)
        loss_curve.append(_epoch(model, optimizer, X_tr, y_tr, w_tr, perm, bs))
        if not math.isfinite(loss_curve[-1]):
            raise FloatingPointError(
                f"MLPTeacher training diverged (loss {loss_curve[-1]}) at epoch "
                f"{epoch}; try a smaller learning_rate."
            )
        if val_idx is None:
            continue
        v_loss = _validation_loss(model, X_all[val_idx], y_all[val_idx], w_all[val_idx])
        val_curve.append(v_loss)
        scheduler.step(v_loss)
        if stopping.update(model, v_loss, epoch):
            break
    best_epoch = epoch
    if stopping.best_state is not None:
        model.load_state_dict(stopping.best_state)
        best_epoch = stopping.best_epoch
    model.eval()
    return epoch, best_epoch, loss_curve, val_curve
