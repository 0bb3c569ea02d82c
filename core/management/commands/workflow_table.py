"""Print every declared state machine as markdown, or write it into docs/architecture.md (--write)."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.workflow import table_markdown

START, END = "<!-- workflow-table:start -->", "<!-- workflow-table:end -->"


class Command(BaseCommand):
    help = "The state machines (states, actions, who may act, who is told) as declared, as markdown."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="replace the table in docs/architecture.md")

    def handle(self, *args, write=False, **options):
        table = table_markdown()
        if not write:
            self.stdout.write(table)
            return
        path = Path(settings.BASE_DIR) / "docs" / "architecture.md"
        text = path.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise CommandError(f"{path} has no {START} … {END} block")
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        path.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")
        self.stdout.write(f"wrote {path}")
