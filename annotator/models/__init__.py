"""The data model of DESIGN.md §2, one module per concern."""

from .checkpoints import ModelCheckpoint
from .datasets import Dataset, Membership, Role, Subject
from .imports import PendingInterval
from .intervals import Interval, IntervalKind, Revision
from .jobs import Job
from .predictions import Prediction, PredictionCurve, PredictionRun
from .records import ExportRecord, ImportRecord
from .review import Comment, ReviewState, ReviewTransition, WeakLabel
from .videos import Video

__all__ = [
    "Comment",
    "Dataset",
    "ExportRecord",
    "ImportRecord",
    "Interval",
    "IntervalKind",
    "Job",
    "Membership",
    "ModelCheckpoint",
    "PendingInterval",
    "Prediction",
    "PredictionCurve",
    "PredictionRun",
    "Revision",
    "ReviewState",
    "ReviewTransition",
    "Role",
    "Subject",
    "Video",
    "WeakLabel",
]
