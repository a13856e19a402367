"""The one normalisation for text that users type (or paste) into the application.

Applied to every submitted form by ``core.forms.BaseForm`` (and to the few views that
read ``request.form`` directly), so no domain stores NUL bytes, control characters
pasted from Word, reordering bidi controls, or a "name" made only of invisible
characters.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping

# C0 and C1 control characters and DEL. Tab and newline survive in multi-line text.
_CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)])
_CONTROLS_MULTILINE = _CONTROLS.replace("\t", "").replace("\n", "")

# Format characters that reorder text or hide it: bidi embeddings, overrides, isolates
# and marks (U+202E makes a name read backwards), the Arabic letter mark, the soft
# hyphen, invisible maths operators, deprecated format controls, interlinear
# annotation anchors and the Unicode "tag" block (used to smuggle invisible ASCII).
_FORMAT = "".join(
    chr(c)
    for c in [
        0x00AD,
        0x061C,
        0x180E,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2061, 0x2065),
        *range(0x2066, 0x206A),
        *range(0x206A, 0x2070),
        *range(0xFFF9, 0xFFFC),
        *range(0xE0000, 0xE0080),
    ]
)

# Invisible characters that are legitimate inside text (zero-width joiners build emoji
# and some scripts) but must not make up a whole value on their own.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u034f\u115f\u1160\u3164\uffa0\u2800"

_REMOVE = str.maketrans("", "", _CONTROLS + _FORMAT)
_REMOVE_MULTILINE = str.maketrans("", "", _CONTROLS_MULTILINE + _FORMAT)
_REMOVE_INVISIBLE = str.maketrans("", "", INVISIBLE)
_NEWLINES = re.compile(r"\r\n?")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` normalised: NFC, no control or reordering format characters (tab and
    newline kept when ``multiline``; CR LF and lone CR become LF), and "" when nothing
    visible is left."""
    if not value:
        return value
    if multiline:
        value = _NEWLINES.sub("\n", value).translate(_REMOVE_MULTILINE)
    else:
        value = value.translate(_REMOVE)
    value = unicodedata.normalize("NFC", value)
    if not value.translate(_REMOVE_INVISIBLE).strip():
        return ""
    return value


def clean_formdata(
    formdata: Mapping, *, multiline: Iterable[str] = (), untouched: Iterable[str] = ()
):  # noqa: ANN201 - returns the MultiDict type it was given
    """A copy of a request's form data with every text value passed through
    :func:`clean_text`; files and the ``untouched`` names (passwords) stay as sent."""
    from werkzeug.datastructures import MultiDict

    multiline, untouched = set(multiline), set(untouched)
    items = formdata.items(multi=True) if hasattr(formdata, "getlist") else formdata.items()
    cleaned = MultiDict()
    for key, value in items:
        if isinstance(value, str) and key not in untouched:
            value = clean_text(value, multiline=key in multiline)
        cleaned.add(key, value)
    return cleaned


def has_nul(value: str) -> bool:
    return "\x00" in value
