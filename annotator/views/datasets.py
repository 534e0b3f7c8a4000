"""Dataset list, dataset page and member management."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import access
from ..access import CAN_MANAGE
from ..models import Dataset, IntervalKind, Membership, Role
from . import HtmxHttpRequest


class DatasetForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["name", "description", "default_fps", "frame_convention"]


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if not get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(f"There is no user called {username!r}.")
        return username


@login_required
def dataset_list(request: HtmxHttpRequest):
    form = DatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            dataset = form.save()
            Membership.objects.create(dataset=dataset, user=request.user, role=Role.OWNER)
        messages.success(request, f"Dataset {dataset.name} created; you are its owner.")
        return redirect("dataset_detail", dataset.pk)
    datasets = access.datasets_for_user(request.user).annotate(
        n_videos=Count("videos", distinct=True), n_intervals=Count("videos__intervals", distinct=True)
    )
    roles = dict(Membership.objects.filter(user=request.user).values_list("dataset_id", "role"))
    rows = [(d, roles.get(d.pk, Role.OWNER if request.user.is_superuser else None)) for d in datasets]
    return render(request, "datasets/list.html", {"rows": rows, "form": form})


@login_required
def dataset_detail(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    role = access.role_in(request.user, dataset.pk)
    counts = {kind: Count("intervals", filter=Q(intervals__kind=kind)) for kind in IntervalKind.values}
    videos = dataset.videos.select_related("subject").annotate(**{f"n_{k}": c for k, c in counts.items()})
    context = {
        "dataset": dataset,
        "role": role,
        "can_manage": role in CAN_MANAGE,
        "videos": videos,
        "memberships": dataset.memberships.select_related("user"),
        "member_form": MemberForm(),
        "jobs": dataset.jobs.select_related("video")[:10],
        "can_edit": role in access.CAN_EDIT,
        "import_roots": [str(root) for root in settings.IMPORT_ROOTS],
    }
    return render(request, "datasets/detail.html", context)


@login_required
@require_POST
def member_add(request: HtmxHttpRequest, dataset_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_MANAGE)
    form = MemberForm(request.POST)
    if form.is_valid():
        user = get_user_model().objects.get(username=form.cleaned_data["username"])
        Membership.objects.update_or_create(
            dataset=dataset, user=user, defaults={"role": form.cleaned_data["role"]}
        )
        messages.success(request, f"{user.username} is now {form.cleaned_data['role']} of {dataset.name}.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("dataset_detail", dataset.pk)


@login_required
@require_POST
def member_remove(request: HtmxHttpRequest, dataset_id: int, membership_id: int):
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_MANAGE)
    membership = dataset.memberships.filter(pk=membership_id).first()
    if membership is None:
        messages.error(request, "No such member.")
    elif membership.role == Role.OWNER and dataset.memberships.filter(role=Role.OWNER).count() == 1:
        messages.error(request, "A dataset keeps at least one owner.")
    else:
        membership.delete()
        messages.success(request, f"{membership.user.username} removed from {dataset.name}.")
    return redirect("dataset_detail", dataset.pk)
