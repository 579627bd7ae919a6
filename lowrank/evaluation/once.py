"""Values computed once per key, whichever thread asks first; the others
wait for its answer. The codec sweep's points run in threads, and two of them
may need the same value (one stream's allocation, one picture's measures)."""

import threading
from concurrent.futures import Future


class OncePerKey:
    """``compute(key, *args)``, once per ``key``; a failure is raised to
    every caller of that key."""

    def __init__(self, compute):
        self.compute, self.lock, self.found = compute, threading.Lock(), {}

    def __call__(self, key, *args):
        with self.lock:
            future = self.found.get(key)
            owner = future is None
            if owner:
                future = self.found[key] = Future()
        if owner:
            try:
                future.set_result(self.compute(key, *args))
            except Exception as error:
                future.set_exception(error)
        return future.result()
