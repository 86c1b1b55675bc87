from datetime import datetime

from meetings import Meeting, clashes, overlaps


def at(hour, minute=0):
    return datetime(2024, 5, 6, hour, minute)


def test_overlaps_either_order():
    first, second = Meeting("a", at(9), at(10)), Meeting("b", at(10), at(11))
    assert overlaps(first, second) is False
    assert overlaps(second, first) is False


def test_meeting_inside_another():
    assert overlaps(Meeting("day", at(9), at(17)), Meeting("call", at(11), at(12))) is True


def test_chain_of_meetings():
    meetings = [Meeting("a", at(9), at(10)), Meeting("b", at(10), at(11)), Meeting("c", at(10, 30), at(12))]
    assert clashes(meetings) == [("b", "c")]
