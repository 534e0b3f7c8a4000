"""Job handlers, one module per kind of work; importing them registers them."""

from . import export, imports, ingest, predictions_import, probe, recognition, spotting  # noqa: F401
