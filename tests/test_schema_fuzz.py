"""Schemathesis against the OpenAPI schema the app serves at /api/schema/: every operation, with
requests generated from the schema (valid and invalid ones), sent to the app in-process (WSGI) as the
owner of a small dataset, must never answer 5xx, and what it answers must match the schema (content
type; body shape for the documented status codes).

Ids in paths are the dataset's real objects half of the time (the other half: whatever Hypothesis
draws, mostly ids no object has), so the handlers behind the 404s run too. A few examples per
operation bound the module to about 65 s of CPU on this 2-core machine (a loaded machine stretches
the wall time, not the work).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from annotator.models import Role
from tests.factories import (
    MembershipFactory,
    UserFactory,
    VideoFactory,
    objects_of_every_kind,
)

EXAMPLES = 4


@pytest.fixture
def owner_world(db) -> dict:
    """A dataset with a video, an interval, a prediction, a comment and a job, owned by the user the
    fuzz acts as."""
    video = VideoFactory(media_dir="")
    user = UserFactory(username="fuzz-owner")
    MembershipFactory(dataset=video.dataset, user=user, role=Role.OWNER)
    made = objects_of_every_kind(video, author=user)
    return {
        "token": Token.objects.create(user=user).key,
        "ids": {
            "datasets": video.dataset_id,
            "videos": video.pk,
            "review": video.pk,  # the review endpoints take the video
            "subjects": video.subject_id,
            "intervals": made["interval"].pk,
            "jobs": made["job"].pk,
            "predictions": made["prediction"].pk,
            "runs": made["prediction"].run_id,
            "comments": made["comment"].pk,
        },
    }


# Generated from the URL conf at collection (no request, no database), sent to the WSGI app.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Like Django's test client: the request signals must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_never_answers_5xx_and_matches_its_schema(case, owner_world):
    drawn = (case.path_parameters or {}).get("id")
    real = owner_world["ids"].get(case.operation.path.split("/")[2])
    if isinstance(drawn, int) and drawn % 2 == 0 and real is not None:
        case.path_parameters["id"] = real
    case.call_and_validate(
        app=APP,
        headers={"Authorization": f"Token {owner_world['token']}"},
        checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
    )


def test_what_the_fuzz_found_is_answered_cleanly(api, owner):
    """Pinned without Hypothesis: non-numeric ids were a 500 from int(), a null emotion list a 500
    from the database, and unassigned review fields a string the schema promised."""
    client = api(owner)
    client.raise_request_exception = False
    assert client.get("/api/intervals/null,null/").status_code == 404
    response = client.post("/api/datasets/", {"name": "d", "emotions": None}, format="json")
    assert response.status_code == 400 and "emotions" in response.json()
    response = client.post("/api/datasets/", {"name": "d", "emotions": [None, {}]}, format="json")
    assert response.status_code == 400 and "emotions" in response.json()
    response = client.post("/api/datasets/", {"name": "d", "default_fps": 0}, format="json")
    assert response.status_code == 400 and "default_fps" in response.json()
    review = schema.raw_schema["components"]["schemas"]["Review"]["properties"]
    assert review["assigned_annotator"].get("nullable") and review["assigned_reviewer"].get("nullable")
