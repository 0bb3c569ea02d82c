"""ID-photo vetting (SPEC B2): what the desktop "照片审核处理工具" did, on the server.

Pure functions on bytes: no database, no Django models, so the worker, the tests and the
benchmark call the same code. Decoding is bounded before it starts (the header's pixel count is
checked first) and runs at a reduced JPEG scale, so a 12-megapixel phone photo costs a fraction
of a full decode and a decompression bomb costs almost nothing."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Never decode more than this many pixels, whatever the header claims (a 12 MP phone photo is 4000×3000).
MAX_PIXELS = 40_000_000
MAX_BYTES = 10 * 1024 * 1024
# Analysis happens on an image whose long side is about this many pixels.
ANALYSIS_SIDE = 1000
JPEG_MAGIC = b"\xff\xd8\xff"

_CASCADE = None


def _face_cascade():
    global _CASCADE
    if _CASCADE is None:
        _CASCADE = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
        if _CASCADE.empty():
            raise RuntimeError("OpenCV's bundled frontal-face cascade could not be loaded")
    return _CASCADE


@dataclass(frozen=True)
class Profile:
    """The photo requirements of one exam body (settings.PHOTO_PROFILES)."""

    key: str
    min_bytes: int  # the source must be larger than this
    min_width: int  # … and wider and taller than these (portrait)
    min_height: int
    backgrounds: tuple[str, ...] = ("red", "white", "blue")
    output_size: tuple[int, int] = (295, 413)
    target_bytes: int = 10 * 1024


@dataclass
class Result:
    status: str  # "approved" | "rejected" | "manual_review"
    reasons: list[str] = field(default_factory=list)  # codes; photos.reasons has the messages
    processed: bytes | None = None
    metrics: dict = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, *codes):
        super().__init__(*codes)
        self.codes = list(codes)


# --------------------------------------------------------------------------- decoding


def _open_bounded(data: bytes, profile: Profile, metrics: dict) -> Image.Image:
    problems = []
    if len(data) <= profile.min_bytes:
        problems.append("file_too_small")
    if len(data) > MAX_BYTES:
        raise _Reject("file_too_large")
    if not data.startswith(JPEG_MAGIC):
        raise _Reject("not_jpeg", *problems)
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:
        raise _Reject("too_many_pixels")
    except (UnidentifiedImageError, OSError, ValueError):
        raise _Reject("not_jpeg", *problems)
    if image.format not in ("JPEG", "MPO"):  # MPO: a JPEG with a multi-picture segment (many phones)
        raise _Reject("not_jpeg", *problems)
    width, height = image.size
    metrics.update(width=width, height=height, bytes=len(data))
    if width * height > MAX_PIXELS:
        raise _Reject("too_many_pixels")
    orientation = image.getexif().get(0x0112, 1)
    upright_w, upright_h = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    if upright_w <= profile.min_width or upright_h <= profile.min_height:
        problems.append("dimensions_too_small")
    if problems:
        raise _Reject(*problems)
    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far less work and memory for big photos.
    scale = max(1, max(width, height) // ANALYSIS_SIDE)
    image.draft("RGB", (width // scale, height // scale))
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise _Reject("truncated")
    image = ImageOps.exif_transpose(image).convert("RGB")
    if max(image.size) > ANALYSIS_SIDE * 1.5:
        image.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE), Image.Resampling.BILINEAR)
    return image


# --------------------------------------------------------------------------- checks


def _detect_faces(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Frontal faces; a second pass with local contrast equalisation helps dim photos."""
    width = gray.shape[1]
    side = max(40, width // 8)
    for attempt in (gray, cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)):
        faces = _face_cascade().detectMultiScale(attempt, scaleFactor=1.1, minNeighbors=6, minSize=(side, side))
        if len(faces):
            return [tuple(int(v) for v in face) for face in faces]
    return []


def _crop_box(face, image_size, ratio: float) -> tuple[int, int, int, int] | None:
    """Standard framing: the face about half the width, its centre 45 % from the top."""
    x, y, w, h = face
    img_w, img_h = image_size
    crop_w = w / 0.5
    crop_h = crop_w / ratio
    if crop_w > img_w or crop_h > img_h:  # not enough room: accept a tighter framing down to 65 %
        crop_w = min(img_w, img_h * ratio)
        crop_h = crop_w / ratio
        if w / crop_w > 0.65:
            return None
    cx, cy = x + w / 2, y + h / 2
    left = min(max(cx - crop_w / 2, 0), img_w - crop_w)
    top = min(max(cy - 0.45 * crop_h, 0), img_h - crop_h)
    return int(left), int(top), int(left + crop_w), int(top + crop_h)


# Around head and shoulders (SPEC B1: a plain red, white or blue background): a box four face widths
# wide from above the hair to the shoulders, less the person's outline drawn from the face.
AROUND_SIDE, AROUND_ABOVE, AROUND_BELOW = 2.0, 1.0, 1.6
# Pixels this close to the outline (in face widths) are not judged: loose hair and shoulders wider
# than the drawn outline are the person, not the wall.
OUTLINE_MARGIN = 0.25
# The background is judged at one scale whatever the photo's size, the face this many pixels wide:
# the figures below mean the same for every photo, and a large photo costs no more than a small one.
JUDGED_FACE_SIDE = 80
# Fewer judged pixels than this (a tightly framed studio photo): too little wall to call it busy.
MIN_BACKGROUND_PIXELS = 1500
# A pixel differs from the wall when its colour is this far from the wall's median (CIELAB on
# OpenCV's 8-bit scale; lightness counts half, so a soft shadow on a plain wall is still the wall).
CLUTTER_DISTANCE = 30.0
# Share of differing pixels, and of edge pixels, above which the background is busy; between the
# "review" and "busy" figures staff decide. Measured on pictures like tests/photos/test_vetting.py's:
# plain walls with a shadow, a vignette or JPEG quality 50 stay under 0.035 and 0.0015; scikit-image's
# astronaut (a flag and a spacecraft) gives 0.19 and 0.035, a small picture frame beside the head
# 0.085 and 0.012, a door at the side 0.27 and 0.017.
CLUTTER_BUSY, CLUTTER_REVIEW = 0.10, 0.06
EDGES_BUSY, EDGES_REVIEW = 0.007, 0.004


@dataclass(frozen=True)
class Background:
    colour: str | None
    spread: float  # how uneven its colour is (robust: median absolute deviation)
    clutter: float | None  # share of pixels unlike the wall; None: too little background to judge
    edges: float | None  # share of edge pixels (objects, patterns, frames)

    @property
    def busy(self) -> bool:
        return self.clutter is not None and (self.clutter > CLUTTER_BUSY or self.edges > EDGES_BUSY)

    @property
    def nearly_busy(self) -> bool:
        return self.clutter is not None and (self.clutter > CLUTTER_REVIEW or self.edges > EDGES_REVIEW)


def _person_outline(height: int, width: int, face) -> tuple[np.ndarray, np.ndarray]:
    """The head (with hair), neck and shoulders drawn from the face box (x, y, w, h in the same
    coordinates); and the same outline grown by OUTLINE_MARGIN. Masks of height × width."""
    x, y, w, h = face
    cx = x + w / 2
    centre, axes = (int(cx), int(y + 0.4 * h)), (int(0.85 * w), int(1.05 * h))
    shoulders = np.array([[cx - 0.5 * w, y + h], [cx + 0.5 * w, y + h], [cx + 1.7 * w, y + 1.7 * h],
                          [cx + 1.7 * w, height], [cx - 1.7 * w, height], [cx - 1.7 * w, y + 1.7 * h]], np.int32)
    person = np.zeros((height, width), np.uint8)
    cv2.ellipse(person, centre, axes, 0, 0, 360, 255, -1)
    cv2.fillPoly(person, [shoulders], 255)
    grown = person.copy()
    thickness = max(2, int(2 * OUTLINE_MARGIN * w))  # a line this thick spreads the margin both ways
    cv2.ellipse(grown, centre, axes, 0, 0, 360, 255, thickness)
    cv2.polylines(grown, [shoulders], True, 255, thickness)
    return person > 0, grown > 0


def _judge_background(array: np.ndarray, gray: np.ndarray, face) -> Background:
    """The colour and evenness of the whole background around head and shoulders.

    Median and median absolute deviation give the wall's colour and how uneven it is (a few strands
    of hair change nothing, a patterned wall does); but they ignore anything covering less than half
    of it, such as a flag beside the head. So the share of pixels unlike the wall and the share of
    edge pixels are measured too, away from the person's outline."""
    height, width = gray.shape
    x, y, w, h = face
    cx = x + w / 2
    left, right = int(max(0, cx - AROUND_SIDE * w)), int(min(width, cx + AROUND_SIDE * w))
    top, bottom = int(max(0, y - AROUND_ABOVE * h)), int(min(height, y + AROUND_BELOW * h))
    rgb, grey = array[top:bottom, left:right], gray[top:bottom, left:right]
    scale = min(1.0, JUDGED_FACE_SIDE / w)
    if scale < 1.0:
        size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    face_here = ((x - left) * scale, (y - top) * scale, w * scale, h * scale)
    person, near_person = _person_outline(rgb.shape[0], rgb.shape[1], face_here)
    judged = ~near_person
    enough = int(judged.sum()) >= MIN_BACKGROUND_PIXELS
    if not enough:
        judged = ~person
    if not judged.any():  # the face fills the box: fall back to all of it
        judged = np.ones_like(person)

    pixels = rgb[judged].astype(np.float32)
    median = np.median(pixels, axis=0)
    spread = float(np.mean(1.4826 * np.median(np.abs(pixels - median), axis=0)))
    colour = _colour_name(median)
    if not enough:
        return Background(colour, spread, None, None)

    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[judged].astype(np.float32)
    wall = np.median(lab, axis=0)
    difference = (lab - wall) * np.array([0.5, 1.0, 1.0], np.float32)
    clutter = float((np.einsum("ij,ij->i", difference, difference) > CLUTTER_DISTANCE ** 2).mean())
    edge_map = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 40, 100)
    edges = float((edge_map[judged] > 0).mean())
    return Background(colour, spread, clutter, edges)


def _colour_name(median_rgb: np.ndarray) -> str | None:
    """red, white or blue (or None) for a median background colour."""
    mean = median_rgb.astype(np.uint8).reshape(1, 1, 3)
    hue, sat, val = (int(v) for v in cv2.cvtColor(mean, cv2.COLOR_RGB2HSV)[0, 0])
    if sat < 40 and val > 185:
        return "white"
    if sat > 80 and val > 60 and (hue <= 10 or hue >= 165):
        return "red"
    if sat > 60 and val > 60 and 95 <= hue <= 130:
        return "blue"
    return None


def _encode_near(image: Image.Image, target: int) -> tuple[bytes, int]:
    """JPEG without metadata, at the quality whose size lands closest to `target` bytes."""
    best = None
    low, high = 20, 95
    while low <= high:
        quality = (low + high) // 2
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        size = buffer.tell()
        if best is None or abs(size - target) < abs(len(best[0]) - target):
            best = (buffer.getvalue(), quality)
        if size > target:
            high = quality - 1
        else:
            low = quality + 1
    return best


def vet(data: bytes, profile: Profile) -> Result:
    """Check a submitted photo and produce the standard one, or say why not."""
    metrics: dict = {}
    try:
        image = _open_bounded(data, profile, metrics)
        array = np.asarray(image)
        gray = cv2.cvtColor(array, cv2.COLOR_RGB2GRAY)
        faces = _detect_faces(gray)
        metrics["faces"] = len(faces)
        if not faces:
            # A face washed out by light or lost in shadow is not found at all: say why.
            overall = float(gray.mean())
            raise _Reject(*(("too_bright",) if overall > 215 else ("too_dark",) if overall < 45 else ()), "no_face")
        if len(faces) > 1:
            raise _Reject("several_faces")
        face = faces[0]
        ratio = profile.output_size[0] / profile.output_size[1]
        box = _crop_box(face, image.size, ratio)
        if box is None:
            raise _Reject("face_too_close")
        crop = array[box[1]:box[3], box[0]:box[2]]
        metrics["face_width_ratio"] = round(face[2] / (box[2] - box[0]), 3)
        if face[2] < 60:
            raise _Reject("face_too_small")

        reasons, borderline = [], []
        background = _judge_background(array, gray, face)
        metrics.update(background=background.colour, background_spread=round(background.spread, 1))
        if background.clutter is not None:
            metrics.update(background_clutter=round(background.clutter, 3),
                           background_edges=round(background.edges, 4))
        if background.spread > 30:
            reasons.append("background_not_uniform")
        elif background.busy:
            reasons.append("background_busy")
        elif background.colour not in profile.backgrounds:
            reasons.append("background_colour")
        elif background.spread > 18:
            borderline.append("background_not_uniform")
        elif background.nearly_busy:
            borderline.append("background_busy")

        fx, fy, fw, fh = face
        face_gray = gray[fy:fy + fh, fx:fx + fw]
        brightness = float(face_gray.mean())
        sharpness = float(cv2.Laplacian(cv2.resize(face_gray, (200, 200)), cv2.CV_64F).var())
        metrics.update(brightness=round(brightness, 1), sharpness=round(sharpness, 1))
        if brightness < 55:
            reasons.append("too_dark")
        elif brightness > 225:
            reasons.append("too_bright")
        elif brightness < 75 or brightness > 210:
            borderline.append("too_dark" if brightness < 75 else "too_bright")
        if sharpness < 12:
            reasons.append("blurry")
        elif sharpness < 20:
            borderline.append("blurry")
        if reasons:
            raise _Reject(*reasons)

        standard = Image.fromarray(crop).resize(profile.output_size, Image.Resampling.LANCZOS)
        processed, quality = _encode_near(standard, profile.target_bytes)
        metrics.update(output_bytes=len(processed), output_quality=quality)
        return Result(status="manual_review" if borderline else "approved", reasons=borderline,
                      processed=processed, metrics=metrics)
    except _Reject as rejection:
        return Result(status="rejected", reasons=rejection.codes, metrics=metrics)
