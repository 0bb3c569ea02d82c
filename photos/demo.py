"""Demo photo for `seed_demo`: the demo candidate gets a photo that went through the real check."""
from django.core.files.uploadedfile import SimpleUploadedFile

from . import selectors, services


def seed(user) -> None:
    if selectors.approved_photo(user):
        return
    try:
        from .samples import good_photo
    except ImportError:  # scikit-image is a test/demo dependency
        return
    photo = services.photo_submit(owner=user, upload=SimpleUploadedFile("报名照片.jpg", good_photo("blue")),
                                  profile_key="ccaa")
    services.photo_check(photo_id=photo.pk)
