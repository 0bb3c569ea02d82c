"""One search for every admin list where a candidate appears (SPEC F1): staff type what they have,
a name, username, mobile, full ID number, order number or admission-ticket number, and find the row.

ID numbers are stored encrypted with a keyed hash beside them (core.crypto), so a full ID number is
found through that hash, never by a text match; a partial one matches nothing."""
from __future__ import annotations

import re
import unicodedata

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import crypto


def id_number_digest(term: str) -> str:
    """The keyed hash an ID number typed into a search box is stored under: full-width characters of
    a Chinese input method and spaces do not matter (as in accounts.identity.normalize_id_number)."""
    number = re.sub(r"\s+", "", unicodedata.normalize("NFKC", term or "")).upper()
    return crypto.keyed_hash(number) if number else ""


class CandidateSearchMixin:
    """For a ModelAdmin whose rows belong to a candidate.

    `candidate_path`: the lookup from the row to the candidate's account ("" when the row is the
    account); `candidate_fields`: the account's fields searched as text; `number_search_fields`:
    the order and admission-ticket numbers of the row, as lookups from it. The admin's own
    `search_fields` are kept and searched too."""

    candidate_path = "candidate"
    candidate_fields = ("name", "username", "mobile")
    number_search_fields: tuple[str, ...] = ()
    search_help_text = _("Search by name, username, mobile, full ID number, order number or admission-ticket "
                         "number.")

    def _candidate_lookup(self, field: str) -> str:
        return f"{self.candidate_path}__{field}" if self.candidate_path else field

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        for field in (*(self._candidate_lookup(f) for f in self.candidate_fields), *self.number_search_fields):
            if field not in fields:
                fields.append(field)
        return fields

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digest = id_number_digest(search_term)
        if digest:
            by_id_number = queryset.filter(**{self._candidate_lookup("id_number_hash"): digest}).values("pk")
            results = queryset.filter(Q(pk__in=results.values("pk")) | Q(pk__in=by_id_number))
            may_have_duplicates = False
        return results, may_have_duplicates
