"""Training and emotion suggestions started through the API: checked as the model page checks them,
queued as the same jobs, refused for weak roles and unknown to other datasets."""

import pytest

from annotator.models import Job, ModelCheckpoint, Role, Video, WeakLabel
from annotator.models.videos import IngestState
from tests.factories import MembershipFactory, VideoFactory
from tests.test_mol_jobs import register


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def train(client, dataset, model: str, **params):
    return client.post(
        "/api/checkpoints/train/", {"dataset": dataset.pk, "model": model, "params": params}, format="json"
    )


def test_training_is_checked_and_queued_like_the_model_page(dataset, member, api, client, video):
    annotator = api(member(Role.ANNOTATOR))
    refused = train(annotator, dataset, "mcwes", labels="video", epochs=5)
    assert refused.status_code == 400 and "weak" in str(refused.json()["params"]["labels"]).lower()
    assert train(annotator, dataset, "mol", classes="7", steps=0).status_code == 400
    assert not Job.objects.exists()

    queued = train(annotator, dataset, "mol", classes="5", steps=40, loso=True, flow_width=0.125)
    job = Job.objects.get(pk=queued.json()["job"])
    assert queued.status_code == 202 and job.kind == "train_mol" and job.queue == "models"
    client.force_login(member(Role.ANNOTATOR))
    client.post(
        f"/datasets/{dataset.pk}/models/mol/train/",
        {"classes": "5", "steps": 40, "loso": "on", "flow_width": 0.125},
    )
    from_page = Job.objects.filter(kind="train_mol").latest("pk")
    assert from_page.pk != job.pk and from_page.params == job.params

    Video.objects.filter(pk=video.pk).update(ingest_state=IngestState.READY)
    WeakLabel.objects.create(video=video, contains_me=True, contains_mae=False)
    alone = train(annotator, dataset, "mcwes", labels="video", epochs=5, loso=False)
    assert alone.status_code == 400 and "all 1 training videos or windows contain ME" in str(alone.json())
    plain = VideoFactory(dataset=dataset, ingest_state=IngestState.READY)
    WeakLabel.objects.create(video=plain, contains_me=False, contains_mae=False)
    mcwes = train(annotator, dataset, "mcwes", labels="video", epochs=5, loso=False)
    assert mcwes.status_code == 202
    params = Job.objects.get(pk=mcwes.json()["job"]).params
    assert params == {"model": "mcwes", "labels": "video", "epochs": 5, "loso": False, "name": ""}


def test_training_needs_an_editor_and_stays_inside_the_dataset(dataset, member, api):
    assert train(api(member(Role.VIEWER)), dataset, "mol", classes="5", steps=4).status_code == 403
    stranger = MembershipFactory(role=Role.OWNER).user
    assert train(api(stranger), dataset, "mol", classes="5", steps=4).status_code == 404
    assert not Job.objects.exists()


def test_suggest_needs_a_usable_mol_checkpoint(dataset, member, api):
    annotator = api(member(Role.ANNOTATOR))
    untrained = register(dataset, "untrained", ("happiness", "disgust"), steps=0)
    refused = annotator.post(f"/api/checkpoints/{untrained.pk}/suggest/")
    assert refused.status_code == 400 and "never trained" in refused.json()["checkpoint"]
    spotter = ModelCheckpoint.objects.create(dataset=dataset, kind="mcwes", name="s", file="x.pt", sha256="0")
    assert annotator.post(f"/api/checkpoints/{spotter.pk}/suggest/").status_code == 400
    assert not Job.objects.exists()

    trained = register(dataset, "trained", ("happiness", "disgust"), steps=5)
    queued = annotator.post(f"/api/checkpoints/{trained.pk}/suggest/")
    job = Job.objects.get(pk=queued.json()["job"])
    assert (
        queued.status_code == 202 and job.kind == "prelabel_mol" and job.params == {"checkpoint": trained.pk}
    )
    assert api(member(Role.VIEWER)).post(f"/api/checkpoints/{trained.pk}/suggest/").status_code == 403
    stranger = MembershipFactory(role=Role.OWNER).user
    assert api(stranger).post(f"/api/checkpoints/{trained.pk}/suggest/").status_code == 404
