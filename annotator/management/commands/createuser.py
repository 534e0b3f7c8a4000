from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotator.models import Dataset, Membership, Role


class Command(BaseCommand):
    help = "Create a user (or reset a password) and optionally give them a role in a dataset."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--staff", action="store_true", help="May use the Django admin.")
        parser.add_argument("--dataset", help="Dataset name to add the user to.")
        parser.add_argument("--role", choices=Role.values, default=Role.ANNOTATOR)

    def handle(self, *args, username, password, staff, dataset, role, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = user.is_staff or staff
        user.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} user {username}.")
        if dataset:
            target = Dataset.objects.filter(name=dataset).first()
            if target is None:
                raise CommandError(f"No dataset called {dataset!r}.")
            Membership.objects.update_or_create(dataset=target, user=user, defaults={"role": role})
            self.stdout.write(f"{username} is {role} of {dataset}.")
