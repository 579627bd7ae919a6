"""lowrank.evaluation.once: one computation per key, across threads."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lowrank.evaluation.once import OncePerKey


def test_each_key_is_computed_once_whichever_thread_asks_first():
    calls, lock = [], threading.Lock()

    def slow_square(key):
        with lock:
            calls.append(key)
        time.sleep(0.05)
        return key * key

    square = OncePerKey(slow_square)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(square, [3, 3, 4, 3, 4, 4]))
    assert results == [9, 9, 16, 9, 16, 16] and sorted(calls) == [3, 4]


def test_a_failure_reaches_every_caller_of_its_key():
    def fail(key):
        raise ValueError(f"no {key}")

    broken = OncePerKey(fail)
    for _ in range(2):
        with pytest.raises(ValueError, match="no 1"):
            broken(1)
