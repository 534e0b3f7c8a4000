"""Job handlers, one module per kind of work; importing them registers them."""

from . import export, ingest, probe  # noqa: F401
