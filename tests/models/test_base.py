"""StopScanner, and the completion cache in front of a real backend (llama.cpp on SmolLM2)."""

from __future__ import annotations

import pytest

from semcoder_core.models import CachedBackend, Decoding, StopScanner

from .conftest import PROMPT


def scan(stops, pieces) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(p) for p in pieces) + scanner.flush()
    return out, scanner.stopped


def test_stop_string_inside_one_piece():
    assert scan(["[/ANSWER]"], ["x == 3\n[/ANSWER]\nmore"]) == ("x == 3\n", True)


def test_stop_string_split_across_pieces():
    assert scan(["[/ANSWER]"], ["assert f(1) == 2\n[/", "ANS", "WER]", " trailing"]) == ("assert f(1) == 2\n", True)


def test_stop_string_split_one_character_per_piece():
    text = "abc<|end|>def"
    assert scan(["<|end|>"], list(text)) == ("abc", True)


def test_held_back_prefix_is_released_when_it_is_not_a_stop():
    scanner = StopScanner(["[/ANSWER]"])
    assert scanner.feed("a [/AN") == "a "  # "[/AN" could begin the stop string: held back
    assert scanner.feed("T]") == "[/ANT]"  # it did not
    assert scanner.flush() == ""
    assert not scanner.stopped


def test_tail_is_flushed_at_the_end():
    assert scan(["</s>"], ["text ends in <", "/"]) == ("text ends in </", False)


def test_earliest_of_several_stops_wins():
    assert scan(["\n\n", "[/ANSWER]"], ["a[/ANSWER]b\n\nc"]) == ("a", True)
    assert scan(["\n\n", "[/ANSWER]"], ["a\n", "\nb[/ANSWER]"]) == ("a", True)


def test_no_stops_passes_everything_through():
    assert scan([], ["a", "b", ""]) == ("ab", False)
    assert scan([""], ["a", "b"]) == ("ab", False)


def test_nothing_after_the_stop():
    scanner = StopScanner(["STOP"])
    assert scanner.feed("aSTOPb") == "a"
    assert scanner.feed("more") == ""
    assert scanner.flush() == ""


def test_decoding_key_and_with_stop():
    d = Decoding(max_tokens=10, temperature=0, stop=("a",))
    assert d.with_stop("b", "a").stop == ("a", "b")
    assert d.key() != Decoding(max_tokens=10, temperature=0, stop=("b",)).key()


# -- the cache, on a real backend ------------------------------------------------------------------


class Counting:
    """Counts the generations that reach the real engine (``_pieces``), changing nothing else."""

    def __init__(self, backend) -> None:
        self.calls = 0
        self.backend = backend
        self._pieces = backend._pieces

    def __enter__(self):
        def pieces(*a, **k):
            self.calls += 1
            return self._pieces(*a, **k)

        self.backend._pieces = pieces
        return self

    def __exit__(self, *exc):
        del self.backend._pieces


@pytest.fixture
def cached(llama_backend):
    cache = CachedBackend(llama_backend)
    with Counting(llama_backend) as counter:
        yield cache, counter


def test_cache_hit_asks_the_model_nothing(cached):
    cache, counter = cached
    d = Decoding(max_tokens=12, temperature=0)
    first = cache.generate(PROMPT, d)
    second = cache.generate(PROMPT, d)
    assert counter.calls == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert second.text == first.text and second.cached and not first.cached
    assert second.tokens == first.tokens == 12


def test_cache_is_keyed_by_decoding(cached):
    cache, counter = cached
    cache.generate(PROMPT, Decoding(max_tokens=8, temperature=0))
    cache.generate(PROMPT, Decoding(max_tokens=9, temperature=0))
    assert counter.calls == 2 and cache.hits == 0


def test_streamed_answer_is_cached_and_replayed(cached):
    cache, counter = cached
    d = Decoding(max_tokens=10, temperature=0)
    pieces = list(cache.stream(PROMPT, d))
    assert len(pieces) > 1
    assert list(cache.stream(PROMPT, d)) == ["".join(pieces)]
    assert cache.generate(PROMPT, d).text == "".join(pieces)
    assert counter.calls == 1 and cache.hits == 2


def test_cancelled_stream_is_not_cached(cached):
    import threading

    from semcoder_core.models import GenerationCancelled

    cache, counter = cached
    d = Decoding(max_tokens=20, temperature=0)
    cancel = threading.Event()
    with pytest.raises(GenerationCancelled):
        for _ in cache.stream(PROMPT, d, cancel):
            cancel.set()
    assert cache.generate(PROMPT, d).tokens == 20
    assert counter.calls == 2 and cache.hits == 0
