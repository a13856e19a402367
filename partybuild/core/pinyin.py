"""Chinese names in pinyin order: the one sort key and the one romanisation.

Lists of people are ordered the way Chinese offices order them, by the pinyin of the
name (阿 < 张 < 赵), not by Unicode code point. ``sort_key`` is stored beside a name
(``Member.name_pinyin``) so that SQL ``ORDER BY`` and pagination follow it on every
backend: each syllable ends with its tone digit, which keeps the order syllable by
syllable ("li3ming2" < "lin2") and means nothing a database collation would skip
(spaces and punctuation are ignored by some PostgreSQL collations, digits are not).
"""

import re

# Surnames read differently from the character's usual reading (单 shàn, 曾 zēng, …):
# the first character of a name is taken as a surname.
_SURNAMES = {
    "单": "shan4", "曾": "zeng1", "解": "xie4", "仇": "qiu2", "朴": "piao2", "查": "zha1",
    "区": "ou1", "盖": "ge3", "乐": "yue4", "覃": "qin2", "缪": "miao4", "翟": "zhai2",
    "秘": "bi4", "繁": "po2", "尉": "yu4", "员": "yun4", "祭": "zhai4", "种": "chong2",
    "召": "shao4", "长": "chang2", "沈": "shen3", "重": "chong2", "柏": "bai3", "藏": "zang4",
}  # fmt: skip

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _syllables(text: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin  # large dictionaries: load on first use

    text = text.strip()
    if not text:
        return []
    first = _SURNAMES.get(text[0])
    rest = lazy_pinyin(
        text[1:] if first else text,
        style=Style.TONE3,
        neutral_tone_with_five=True,
        errors="default",
    )
    return ([first] if first else []) + rest


def sort_key(name: str) -> str:
    """The pinyin sort key of a name: lower-case syllables, each ending in its tone
    digit; other letters and digits kept, lower-cased; everything else dropped."""
    return _NOT_ALNUM.sub("", "".join(_syllables(name)).lower())


def romanise(name: str) -> str:
    """Toneless pinyin of a name in ASCII letters and digits (张三 → "zhangsan"), for
    generated usernames; "" when nothing in the name can be romanised."""
    return re.sub(r"[0-9]", "", sort_key(name)) if name else ""
