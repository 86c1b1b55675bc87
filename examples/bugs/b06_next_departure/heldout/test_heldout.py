from timetable import departures_after, first_at_or_after, next_departure

TIMES = ["06:15", "07:45", "09:30", "12:00", "18:20"]


def test_index_past_the_end():
    assert first_at_or_after(TIMES, "23:59") == 5


def test_single_train_already_gone():
    assert next_departure(["08:00"], "08:01") is None


def test_departures_after_near_the_end():
    assert departures_after(TIMES, "12:30") == ["18:20"]
    assert departures_after(TIMES, "19:00") == []


def test_every_minute_of_the_day():
    for minute in range(0, 24 * 60, 5):
        now = f"{minute // 60:02d}:{minute % 60:02d}"
        later = [t for t in TIMES if t >= now]
        assert next_departure(TIMES, now) == (later[0] if later else None)
