"""Job handlers, one module per kind of work; importing them registers them."""

from . import probe  # noqa: F401
