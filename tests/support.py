"""Helpers shared by conftest and the browser fixtures."""

from typing import Any


def base_config(tmp_path: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "EXPORTS_DIR": str(tmp_path / "exports"),
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_COST": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
        "SERVER_NAME": "localhost",
    }
