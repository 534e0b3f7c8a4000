"""Spotters: the training-free baseline (``baseline.spot``)."""
