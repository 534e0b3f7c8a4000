from django.core.management.base import BaseCommand

from annotator.demo import DEMO_PASSWORD, DEMO_USER, build_demo


class Command(BaseCommand):
    help = "Create the demo corpus (generated face videos with known intervals) and the demo user."

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=2)
        parser.add_argument("--seconds", type=float, default=12.0)

    def handle(self, *args, **options):
        result = build_demo(subjects=options["subjects"], seconds=options["seconds"])
        if result.created:
            n = sum(v.intervals.count() for v in result.videos)
            self.stdout.write(
                f"Created {result.dataset.name}: {len(result.videos)} videos, {n} intervals, "
                f"{len(result.jobs)} jobs queued."
            )
        else:
            self.stdout.write(f"{result.dataset.name} already exists; nothing changed.")
        self.stdout.write(self.style.SUCCESS(f"Demo login: user {DEMO_USER!r}, password {DEMO_PASSWORD!r}"))
