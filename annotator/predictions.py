"""Accepting and rejecting model output. An accepted prediction becomes a human interval that
remembers its source, so the project can measure how much coders change pre-labels."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from . import labels
from .models import Interval, Prediction


@transaction.atomic
def accept(prediction: Prediction, overrides: dict[str, Any], user) -> Interval:
    """Copy the prediction into a new interval; a prediction is accepted once (a rejected one may be)."""
    status = (
        Prediction.objects.select_for_update()
        .filter(pk=prediction.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status == Prediction.Status.ACCEPTED:
        raise ValidationError(
            {"status": "This prediction was already accepted; edit the interval it became."}
        )
    values = {
        "kind": prediction.kind,
        "onset": prediction.onset,
        "apex": prediction.apex,
        "offset": prediction.offset,
        "emotion": prediction.emotion,
    } | overrides
    interval = labels.create_interval(prediction.video, values, user, source_prediction=prediction)
    Prediction.objects.filter(pk=prediction.pk).update(status=Prediction.Status.ACCEPTED)
    prediction.status = Prediction.Status.ACCEPTED
    return interval


def reject(prediction: Prediction) -> None:
    Prediction.objects.filter(pk=prediction.pk).update(status=Prediction.Status.REJECTED)
    prediction.status = Prediction.Status.REJECTED
