"""Settings from the environment."""
from datetime import date, time

from scheduling.config import PlanningConfig


def test_settings_come_from_the_environment_with_the_2017_defaults():
    default = PlanningConfig.from_env({})
    assert (default.edition_start, default.day_capacity, default.days_target) == \
        (date(2017, 7, 3), 60, 50)
    assert default.topic_title("msna") == "Minori stranieri non accompagnati"
    assert default.topic_title("nuovo") == "nuovo"
    custom = PlanningConfig.from_env({"SCHEDULING_DAY_CAPACITY": "40",
                                      "SCHEDULING_WEBINAR_TIMES": "09:30, 14:00",
                                      "SCHEDULING_TOPIC_TITLES": '{"nuovo": "Tema nuovo"}'})
    assert custom.day_capacity == 40 and custom.webinar_times == (time(9, 30), time(14, 0))
    assert custom.topic_title("nuovo") == "Tema nuovo"
    assert (default.resync_check, default.resync_interval) == (15.0, 600.0)
    resync = PlanningConfig.from_env({"SCHEDULING_RESYNC_CHECK_SECONDS": "5",
                                      "SCHEDULING_RESYNC_INTERVAL_SECONDS": "60"})
    assert (resync.resync_check, resync.resync_interval) == (5.0, 60.0)
