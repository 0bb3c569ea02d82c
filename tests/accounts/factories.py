import datetime

import factory
from django.contrib.auth.hashers import make_password

from accounts.demo import resident_id
from accounts.models import EducationLevel, EducationRecord, Gender, IdType, User, UserKind

PASSWORD = "Correct-Horse-42"


def id_number_for(n: int) -> str:
    """A distinct valid resident ID number per n (Beijing Dongcheng, born 1990)."""
    birth = datetime.date(1990, 1, 1) + datetime.timedelta(days=n % 3000)
    return resident_id("110101", birth, 100 + n % 800)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    name = factory.Sequence(lambda n: "张" + "伟芳娜敏静丽强磊军洋"[n % 10] + "明华"[n % 2])
    kind = UserKind.INDIVIDUAL
    id_type = IdType.RESIDENT_ID
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    gender = Gender.MALE
    birth_date = datetime.date(1990, 1, 1)
    password = factory.LazyFunction(lambda: make_password(PASSWORD))

    @factory.post_generation
    def identity(obj, create, extracted, **kwargs):
        number = extracted or id_number_for(obj.pk or hash(obj.username) % 10000)
        obj.set_id_number(number)
        if create:
            obj.save()


class EducationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EducationRecord

    user = factory.SubFactory(UserFactory)
    level = EducationLevel.BACHELOR
    school = "山东大学"
    major = "质量管理"
    graduated_on = datetime.date(2012, 7, 1)
