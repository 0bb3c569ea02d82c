from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import User
from certification import demo as certification_demo
from exams import demo as exams_demo
from payments import demo as payments_demo
from photos import demo as photos_demo
from training import demo as training_demo


class Command(BaseCommand):
    help = "Create the demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        # Each app seeds its own data; this command only calls them in the apps' order
        # (accounts → exams → photos → payments), so no app has to import one above it.
        with transaction.atomic():
            logins = accounts_demo.seed()
            exam = exams_demo.seed()
        candidate = User.objects.get(username="candidate")
        photos_demo.seed(candidate)
        try:
            payments_demo.seed(candidate, exams_demo.seed_closed(timezone.now(), timezone.localdate()))
            examinee = User.objects.get(username="examinee")
            photos_demo.seed(examinee)
            payments_demo.seed_scored(examinee, exams_demo.seed_held(timezone.now(), timezone.localdate()))
        except ImportError:  # time-machine is a test/demo dependency
            pass
        # Certification personnel (issue 15): after the exams, with logins of its own.
        logins += certification_demo.seed()
        photos_demo.seed(User.objects.get(username="auditor"))  # the photo on the certificate PDF
        # Training (issue 16): after certification (its staff files the demo courses).
        logins += training_demo.seed()
        self.stdout.write(f"Open exam: {exam.name}")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        for role, username, password in logins:
            self.stdout.write(f"  {role:<40} {username:<12} {password}")
