"""QR codes (PNG and SVG) pointing at the configured public base URL."""

import io
import logging
from typing import TYPE_CHECKING

from flask import Response

from partybuild.core.downloads import content_disposition
from partybuild.core.settings import setting

if TYPE_CHECKING:
    import qrcode

logger = logging.getLogger(__name__)

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def public_url(path: str) -> str:
    """Absolute URL for a path of this app, on PUBLIC_BASE_URL (the address people can reach)."""
    base = (setting("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def _make(data: str) -> "qrcode.QRCode":
    import qrcode  # heavy (pulls in PIL): imported where used

    # Medium error correction survives a little wear on printed badges.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def png(data: str) -> bytes:
    buf = io.BytesIO()
    _make(data).make_image().save(buf, format="PNG")
    return buf.getvalue()


def svg(data: str) -> bytes:
    import qrcode.image.svg

    buf = io.BytesIO()
    _make(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buf)
    return buf.getvalue()


def render(data: str, fmt: str) -> bytes:
    if fmt == "png":
        return png(data)
    if fmt == "svg":
        return svg(data)
    raise ValueError(f"unknown QR format {fmt!r}")


def response(data: str, fmt: str, filename: str, *, download: bool = True) -> Response:
    """A QR image response; ``filename`` without extension, may be Chinese."""
    body = render(data, fmt)
    resp = Response(body, mimetype=FORMATS[fmt])
    resp.headers["Content-Disposition"] = content_disposition(
        f"{filename}.{fmt}", f"qrcode.{fmt}", inline=not download
    )
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
