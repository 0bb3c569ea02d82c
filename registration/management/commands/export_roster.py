"""python manage.py export_roster --exam 1 [--area 3] [--venue 2] [--sitting 5] [--subject 7]
   --format csv|xlsx|zip --output roster.xlsx [--full-id]"""
from django.core.management.base import BaseCommand, CommandError

from exams.models import Exam
from registration import rosters


class Command(BaseCommand):
    help = "Export a roster (考生名单) as CSV, XLSX or a zip of photos named by ticket number."

    def add_arguments(self, parser):
        parser.add_argument("--exam", type=int, required=True)
        parser.add_argument("--area", type=int)
        parser.add_argument("--venue", type=int)
        parser.add_argument("--sitting", type=int)
        parser.add_argument("--subject", type=int)
        parser.add_argument("--format", choices=["csv", "xlsx", "zip"], default="xlsx")
        parser.add_argument("--output", required=True)
        parser.add_argument("--full-id", action="store_true", help="full ID numbers and mobiles (else masked)")

    def handle(self, *args, **options):
        if not Exam.objects.filter(pk=options["exam"]).exists():
            raise CommandError(f"no exam {options['exam']}")
        f = rosters.RosterFilter(exam_id=options["exam"], area_id=options["area"], venue_id=options["venue"],
                                 sitting_id=options["sitting"], subject_id=options["subject"])
        if options["format"] == "csv":
            with open(options["output"], "w", encoding="utf-8", newline="") as stream:
                count = rosters.write_csv(stream, f, full_id_numbers=options["full_id"])
        elif options["format"] == "xlsx":
            count = rosters.write_xlsx(options["output"], f, full_id_numbers=options["full_id"])
        else:
            count = rosters.write_photo_zip(options["output"], f)
        self.stdout.write(f"{count} rows written to {options['output']}")
