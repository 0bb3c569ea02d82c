"""Provincial-level divisions (GB/T 2260 two-digit codes) and the six-digit division codes."""
import functools
import re

from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import numdb


class Province(models.TextChoices):
    BEIJING = "11", _("Beijing")
    TIANJIN = "12", _("Tianjin")
    HEBEI = "13", _("Hebei")
    SHANXI = "14", _("Shanxi")
    INNER_MONGOLIA = "15", _("Inner Mongolia")
    LIAONING = "21", _("Liaoning")
    JILIN = "22", _("Jilin")
    HEILONGJIANG = "23", _("Heilongjiang")
    SHANGHAI = "31", _("Shanghai")
    JIANGSU = "32", _("Jiangsu")
    ZHEJIANG = "33", _("Zhejiang")
    ANHUI = "34", _("Anhui")
    FUJIAN = "35", _("Fujian")
    JIANGXI = "36", _("Jiangxi")
    SHANDONG = "37", _("Shandong")
    HENAN = "41", _("Henan")
    HUBEI = "42", _("Hubei")
    HUNAN = "43", _("Hunan")
    GUANGDONG = "44", _("Guangdong")
    GUANGXI = "45", _("Guangxi")
    HAINAN = "46", _("Hainan")
    CHONGQING = "50", _("Chongqing")
    SICHUAN = "51", _("Sichuan")
    GUIZHOU = "52", _("Guizhou")
    YUNNAN = "53", _("Yunnan")
    TIBET = "54", _("Tibet")
    SHAANXI = "61", _("Shaanxi")
    GANSU = "62", _("Gansu")
    QINGHAI = "63", _("Qinghai")
    NINGXIA = "64", _("Ningxia")
    XINJIANG = "65", _("Xinjiang")
    TAIWAN = "71", _("Taiwan")
    HONG_KONG = "81", _("Hong Kong")
    MACAO = "82", _("Macao")


@functools.lru_cache(maxsize=4096)
def division_code_known(code: str) -> bool:
    """Whether a six-digit administrative division code (GB/T 2260) exists or ever existed.

    python-stdnum's table (stdnum/cn/loc.dat) keeps every county code with the years it was in
    use; the years are ignored on purpose: a number keeps the code it was issued with when the
    county is renamed, split or merged, and a county may issue numbers to people born before it
    existed (浦东新区 310115, created 1992)."""
    if not re.fullmatch(r"[0-9]{6}", code or ""):
        return False
    properties = {key for _part, props in numdb.get("cn/loc").info(code) for key in props}
    return "county" in properties
