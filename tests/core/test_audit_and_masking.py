import pytest

from core import crypto
from core.audit import audit_log, entries_for
from core.masking import mask_email, mask_id_number, mask_mobile
from tests.accounts.factories import UserFactory


def test_masks():
    assert mask_id_number("110101199003071234") == "1101**********1234"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_email("zhangsan@example.org") == "z***n@example.org"
    assert mask_id_number("") == ""


def test_encryption_round_trip_and_keyed_hash_is_stable_and_case_insensitive(settings):
    token = crypto.encrypt("11010119900307123X")
    assert "11010119900307123X" not in token
    assert crypto.decrypt(token) == "11010119900307123X"
    before = crypto.keyed_hash("11010119900307123X")
    assert crypto.keyed_hash("11010119900307123x") == before
    settings.ID_HASH_KEY = "another-key-" * 4
    assert crypto.keyed_hash("11010119900307123X") != before  # the key matters, not just the number


def test_key_rotation_keeps_old_data_readable(settings):
    from cryptography.fernet import Fernet

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt(token) == "secret"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(ValueError):
        crypto.decrypt(token)


@pytest.mark.django_db
def test_audit_entries_form_an_object_history():
    user = UserFactory()
    audit_log(actor=user, action="user.test", obj=user, before={"a": 1}, after={"a": 2})
    audit_log(actor=None, action="user.other", obj=user)
    history = list(entries_for(user))
    assert [e.action for e in history] == ["user.other", "user.test"]
    assert history[0].actor_repr == "system" and history[1].after == {"a": 2}
