"""Job handlers, one module per kind of work; importing them registers them."""

from . import ingest, probe  # noqa: F401
