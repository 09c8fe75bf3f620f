"""The enrolment's settings from the environment."""
from enrolment.config import EnrolmentSettings
from enrolment.ratelimit import RateLimiter


def test_links_follow_public_base_url_or_the_port(tmp_path):
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    assert EnrolmentSettings.from_env(url, {}).public_base_url == "http://127.0.0.1:8000"
    assert EnrolmentSettings.from_env(url, {"PORT": "9000"}).public_base_url == \
        "http://127.0.0.1:9000"
    assert EnrolmentSettings.from_env(url, {"PUBLIC_BASE_URL": "https://adesioni.example.it/",
                                            "PORT": "9000"}).public_base_url == \
        "https://adesioni.example.it"


def test_the_generated_secret_is_kept_next_to_the_database_and_reused(tmp_path):
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    first = EnrolmentSettings.from_env(url, {}).secret_key
    assert len(first) > 40 and (tmp_path / "enrolment.secret").exists()
    assert EnrolmentSettings.from_env(url, {}).secret_key == first
    assert EnrolmentSettings.from_env(url, {"ENROLMENT_SECRET_KEY": "k"}).secret_key == "k"


def test_the_rate_limit_is_configurable_and_zero_turns_it_off(tmp_path):
    url = f"sqlite:///{tmp_path / 'enrolment.db'}"
    settings = EnrolmentSettings.from_env(url, {"ENROLMENT_RATE_LIMIT": "5/10"})
    assert (settings.rate_limit, settings.rate_window) == (5, 10.0)
    assert RateLimiter(0, 60).hit("a") is None


def test_the_limiter_counts_each_client_apart():
    limiter = RateLimiter(2, 60)
    assert [limiter.hit("a"), limiter.hit("a")] == [None, None]
    assert limiter.hit("a") > 0
    assert limiter.hit("b") is None
