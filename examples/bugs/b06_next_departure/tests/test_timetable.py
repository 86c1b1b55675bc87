from timetable import next_departure

TIMES = ["06:15", "07:45", "09:30"]


def test_next_departure_later_in_the_day():
    assert next_departure(TIMES, "07:00") == "07:45"


def test_next_departure_on_the_minute():
    assert next_departure(TIMES, "07:45") == "07:45"


def test_next_departure_before_the_first_train():
    assert next_departure(TIMES, "05:00") == "06:15"


def test_no_departures_in_an_empty_timetable():
    assert next_departure([], "12:00") is None


def test_no_departure_after_the_last_train():
    assert next_departure(TIMES, "10:00") is None
