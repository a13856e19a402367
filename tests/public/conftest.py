from tests.commitments.conftest import World, world  # noqa: F401 - shared fixture

__all__ = ["World"]
