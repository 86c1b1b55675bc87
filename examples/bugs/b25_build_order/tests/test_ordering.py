import pytest
from tasks.ordering import CycleError, build_order


def test_every_task_listed():
    assert build_order({"config": [], "lib": ["config"], "app": ["lib", "config"]}) == ["config", "lib", "app"]


def test_no_tasks():
    assert build_order({}) == []


def test_cycle():
    with pytest.raises(CycleError):
        build_order({"a": ["b"], "b": ["a"]})


def test_prerequisite_without_its_own_entry():
    assert build_order({"app": ["lib", "config"], "lib": ["config"]}) == ["config", "lib", "app"]
