from lrucache import LRUCache


def test_oldest_entry_is_evicted():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache
    assert "b" in cache


def test_reading_an_entry_keeps_it():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert cache.get("a") == 1
    assert "b" not in cache


def test_capacity_one():
    cache = LRUCache(1)
    cache.put("x", 1)
    cache.put("y", 2)
    assert cache.get("y") == 2
    assert cache.get("x") is None


def test_updating_a_key_does_not_evict():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    assert (cache.get("a"), cache.get("b")) == (10, 2)
