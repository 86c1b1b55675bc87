from datetime import datetime

from meetings import Meeting, clashes


def at(hour, minute=0):
    return datetime(2024, 5, 6, hour, minute)


def test_overlapping_meetings_clash():
    assert clashes([Meeting("standup", at(9), at(10, 30)), Meeting("review", at(10), at(11))]) == [
        ("standup", "review")
    ]


def test_separate_meetings():
    assert clashes([Meeting("standup", at(9), at(10)), Meeting("lunch", at(12), at(13))]) == []


def test_no_meetings():
    assert clashes([]) == []


def test_back_to_back_meetings_do_not_clash():
    assert clashes([Meeting("review", at(10), at(11)), Meeting("standup", at(9), at(10))]) == []
