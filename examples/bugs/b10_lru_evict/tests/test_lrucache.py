from lrucache import LRUCache


def test_get_and_put_within_capacity():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    assert cache.get("zzz", "missing") == "missing"
    assert (cache.hits, cache.misses) == (1, 1)


def test_size_stays_at_capacity():
    cache = LRUCache(2)
    for i, key in enumerate("abcde"):
        cache.put(key, i)
    assert len(cache) == 2


def test_newest_entry_survives_eviction():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert cache.get("c") == 3
