"""Evaluation metrics without Django: MEGC spotting, recognition, inter-annotator agreement."""
