"""Numbers as the report prints them (shared by the headline and the renderers)."""

from __future__ import annotations

__all__ = ["ci", "estimate_text", "num", "pct", "rows"]


def pct(x, digits: int = 1) -> str:
    """``0.9731`` → ``97.3%``; ``None`` → ``—``."""
    if x is None:
        return "—"
    return f"{100 * float(x):.{digits}f}%"


def ci(interval, digits: int = 1) -> str:
    """``[0.95, 0.99]`` → ``[95.0%, 99.0%]``."""
    if not interval or interval[0] is None or interval[1] is None:
        return "—"
    return f"[{pct(interval[0], digits)}, {pct(interval[1], digits)}]"


def num(x, digits: int = 3) -> str:
    """A metric with ``digits`` decimals; ``None`` → ``—``."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    return f"{float(x):.{digits}f}"


def rows(n: int) -> str:
    """``1 row``, ``5 rows``."""
    return "1 row" if n == 1 else f"{n} rows"


def estimate_text(est, *, percent: bool = True, digits: int | None = None) -> str:
    """An estimate dict as ``85.7% (95% CI 77.1%–91.5%, n = 91)``."""
    if not est or est.get("value") is None:
        return "—"
    fmt = pct if percent else num
    d = (1 if percent else 2) if digits is None else digits
    text = fmt(est["value"], d)
    if est.get("low") is not None and est.get("high") is not None:
        text += f" (95% CI {fmt(est['low'], d)}–{fmt(est['high'], d)}"
        text += f", n = {est['n']})" if est.get("n") is not None else ")"
    return text
