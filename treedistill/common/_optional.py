"""Optional packages: import one, or say which extra installs it."""

from __future__ import annotations

import importlib

from treedistill.exceptions import MissingDependencyError

__all__ = ["install_command", "require"]


def install_command(extra: str) -> str:
    """``pip install 'treedistill[EXTRA]'`` (quoted for any shell)."""
    return f"pip install 'treedistill[{extra}]'"


def require(module: str, extra: str, what: str):
    """Import ``module``; if it is not installed, raise
    :class:`~treedistill.exceptions.MissingDependencyError` saying that ``what``
    needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{what} needs the package {top!r}, which is not installed: "
            f"{install_command(extra)}",
            extra=extra,
        ) from None
