import pytest
from tasks.ordering import CycleError, build_order


def test_shared_prerequisite():
    assert build_order({"a": ["x"], "b": ["x"]}) == ["x", "a", "b"]


def test_chain():
    assert build_order({"test": ["build"], "build": ["fetch"]}) == ["fetch", "build", "test"]


def test_cycle_next_to_an_unlisted_prerequisite():
    with pytest.raises(CycleError):
        build_order({"a": ["b", "z"], "b": ["a"]})
