"""Copied into inflection's unpacked sdist by tests/realworld/test_realworld_slice.py: failures both runs must
report, in the kinds of test a library has (a function, a parametrize case, a unittest method, a fixture)."""

import unittest

import inflection
import pytest


def test_camelize_known_failure():
    assert inflection.camelize("device_type") == "DeviceTypes"


@pytest.mark.parametrize("word", ["sheep", "cow"])
def test_pluralize_known_failure(word):
    assert inflection.pluralize(word) == word  # "sheep" passes, "cow" becomes "kine"


@pytest.fixture
def words():
    return ["Person", "Octopus"]


def test_fixture_known_failure(words):
    assert [inflection.pluralize(w) for w in words] == ["People", "Octopuses"]


class TestUnderscore(unittest.TestCase):
    def test_known_failure(self):
        self.assertEqual(inflection.underscore("DeviceType"), "devicetype")

    def test_passes(self):
        self.assertEqual(inflection.underscore("DeviceType"), "device_type")
