"""Error pages in Chinese, or JSON errors with a stable code for JSON clients."""

import logging

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from partybuild.core.security import same_site_referrer
from partybuild.core.service import PermissionDenied
from partybuild.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: ("bad_request", "请求有误，请检查填写的内容后重试。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "您没有权限访问此页面。"),
    404: ("not_found", "页面不存在，或该记录已不存在。"),
    405: ("method_not_allowed", "不支持此操作方式。"),
    409: ("conflict", "该记录已被他人修改，请刷新页面后重新操作。"),
    413: ("too_large", "上传的文件过大。"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试。"),
    500: ("server_error", "系统内部错误，已记录日志，请稍后重试或联系管理员。"),
}


def wants_json() -> bool:
    if request.is_json or request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str | None = None, code: str | None = None):
    default_code, default_message = MESSAGES.get(status, MESSAGES[500])
    message = message or default_message
    if wants_json():
        return jsonify(error={"code": code or default_code, "message": message}), status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400, "页面已过期或表单校验失败（CSRF），请刷新页面后重新提交。", "csrf_failed"
        )

    @app.errorhandler(PermissionDenied)
    def denied(exc: PermissionDenied):
        db.session.rollback()
        return error_response(403, exc.message, exc.code)

    @app.errorhandler(StaleDataError)
    def stale(exc: StaleDataError):
        db.session.rollback()
        back = same_site_referrer() if request.method == "POST" else None
        if not wants_json() and back:
            flash(MESSAGES[409][1], "warning")
            return redirect(back)
        return error_response(409)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        custom = (
            exc.description
            if isinstance(exc.description, str) and _is_chinese(exc.description)
            else None
        )
        return error_response(status, custom)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise exc
        return error_response(500)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
