"""Copied into inflection's unpacked sdist by tests/realworld/test_realworld_slice.py: failures both runs must
report, in the kinds of test a library has (a function, a parametrize case, a unittest method, a fixture), and
passing tests that do what real suites do and a sandbox once broke (many threads, a server on loopback)."""

import socket
import threading
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


def test_many_threads_pass():
    count = 100
    barrier = threading.Barrier(count, timeout=30)  # all of them alive at once, as in filelock's suite
    results = [None] * count

    def work(i):
        barrier.wait()
        results[i] = inflection.camelize(f"thread_{i}")

    started = []
    try:
        for i in range(count):
            thread = threading.Thread(target=work, args=(i,))
            thread.start()
            started.append(thread)
    finally:
        if len(started) < count:
            barrier.abort()
        for thread in started:
            thread.join()
    assert results == [f"Thread{i}" for i in range(count)]


def test_loopback_server_passes():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(inflection.underscore(conn.recv(64).decode()).encode())

    thread = threading.Thread(target=serve)
    thread.start()
    with socket.create_connection(server.getsockname()) as client:
        client.sendall(b"DeviceType")
        assert client.recv(64) == b"device_type"
    thread.join()
    server.close()
