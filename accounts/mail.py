"""The demo's mail backend: every e-mail (verification links and codes, password resets, notices)
is kept in the outbox table, where the demo's outbox page shows it next to the texts (DEBUG only).
It delivers nothing, so production refuses it (config/settings/production.py)."""
from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from .models import OutboxEmail

        kept = [OutboxEmail(to=", ".join(message.recipients()), subject=str(message.subject),
                            body=str(message.body)) for message in email_messages if message.recipients()]
        OutboxEmail.objects.bulk_create(kept)
        return len(kept)
