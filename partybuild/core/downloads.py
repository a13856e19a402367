"""File download responses with Chinese file names (RFC 6266 / RFC 5987)."""

from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def content_disposition(filename: str, fallback: str, *, inline: bool = False) -> str:
    """An ASCII ``fallback`` for old clients plus the UTF-8 name everyone else shows."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send_bytes(
    data: bytes | str, filename: str, mimetype: str, *, fallback: str, inline: bool = False
) -> Response:
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = content_disposition(filename, fallback, inline=inline)
    return resp
