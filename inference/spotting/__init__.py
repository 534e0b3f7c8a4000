"""Spotters without Django: the training-free baseline (``baseline.spot``) and the window-speed
signal it can use for slow movements (``signals.window_speed``)."""
