"""Sample photos for the demo, the tests and the benchmark, made from scikit-image's bundled sample
images (no download): a real face (data.astronaut) cut out and placed on a chosen background, and
the negatives the vetting must refuse. scikit-image is a test/demo dependency, imported lazily."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

COLOURS = {"white": (246, 246, 246), "blue": (38, 110, 205), "red": (200, 30, 35), "green": (40, 160, 60)}


def _head() -> tuple[Image.Image, Image.Image]:
    """The astronaut's head and shoulders with an oval mask around them."""
    from skimage import data

    astronaut = Image.fromarray(data.astronaut())
    head = astronaut.crop((120, 0, 360, 300))  # face at roughly x 170–290, y 60–200 of the original
    mask = Image.new("L", head.size, 0)
    ImageDraw.Draw(mask).ellipse((25, 15, 215, 330), fill=255)
    return head, mask.filter(ImageFilter.GaussianBlur(3))


def portrait(background="white", size=(600, 800), pattern=False, faces=1, noise=3.0, seed=1) -> Image.Image:
    rng = np.random.default_rng(seed)
    canvas = np.zeros((size[1], size[0], 3), np.float32)
    canvas[:] = COLOURS[background]
    if pattern:  # stripes and blocks, like a room behind the person
        for i in range(0, size[0], 60):
            canvas[:, i:i + 30] = (90, 70, 40)
        canvas[: size[1] // 3, : size[0] // 2] = (30, 30, 120)
    canvas += rng.normal(0, noise, canvas.shape)
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    head, mask = _head()
    scale = size[0] / 600 * (0.9 if faces == 1 else 0.6)
    head = head.resize((int(head.width * scale * 1.5), int(head.height * scale * 1.5)))
    mask = mask.resize(head.size)
    if faces == 1:
        positions = [((size[0] - head.width) // 2, int(size[1] * 0.18))]
    else:
        positions = [(int(size[0] * 0.02), int(size[1] * 0.25)), (int(size[0] * 0.98) - head.width, int(size[1] * 0.25))]
    for position in positions:
        image.paste(head, position, mask)
    return image


def jpeg(image: Image.Image, quality=95) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def good_photo(background="white", size=(600, 800)) -> bytes:
    return jpeg(portrait(background, size))


def cat_photo() -> bytes:
    from skimage import data

    return jpeg(Image.fromarray(data.chelsea()).resize((600, 800)))


def astronaut_photo() -> bytes:
    """scikit-image's astronaut as it is: a good face, but a flag and a spacecraft behind her."""
    from skimage import data

    return jpeg(Image.fromarray(data.astronaut()))


def png_named_jpg() -> bytes:
    buffer = io.BytesIO()
    portrait().save(buffer, "PNG")
    return buffer.getvalue()


def truncated() -> bytes:
    whole = good_photo()
    return whole[: len(whole) // 2]


def bomb(width=20000, height=20000) -> bytes:
    """A small real JPEG whose frame header claims width × height pixels."""
    raw = bytearray(jpeg(Image.new("RGB", (64, 64), (255, 255, 255)), quality=50))
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = raw.find(marker)
        if at != -1:
            raw[at + 5:at + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
            return bytes(raw)
    raise AssertionError("no SOF marker")
