from django.core.files.base import ContentFile
from django.utils import timezone

from photos.models import Photo, PhotoStatus
from photos import samples as images


def approved_photo(user, profile="ccaa") -> Photo:
    """An approved photo with a standard image, as if the check had passed."""
    photo = Photo(owner=user, profile=profile, status=PhotoStatus.APPROVED, decided_at=timezone.now(),
                  checked_at=timezone.now())
    photo.original.save("original.jpg", ContentFile(images.good_photo()), save=False)
    photo.processed.save("standard.jpg", ContentFile(images.jpeg(images.portrait().resize((215, 300)), 80)),
                         save=False)
    photo.save()
    return photo
