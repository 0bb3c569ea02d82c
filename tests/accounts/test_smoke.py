import pytest

from accounts.models import User
from tests.accounts.factories import UserFactory


@pytest.mark.django_db
def test_factory_user_has_encrypted_identity():
    user = UserFactory()
    assert len(user.id_number) == 18
    assert user.id_number not in user.id_number_encrypted
    assert User.objects.get(pk=user.pk).id_number == user.id_number
