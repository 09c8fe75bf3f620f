import pytest

from .platform import Platform


@pytest.fixture
def platform(tmp_path):
    platform = Platform(tmp_path)
    yield platform
    platform.close()


@pytest.fixture
def planned(platform):
    """A confirmed body with two participants on a published local day."""
    body = platform.enrol(platform.new_body())
    platform.confirm(body)
    session_id = platform.publish_plan(body)
    return platform, body, session_id
