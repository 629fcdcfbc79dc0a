"""One maker at a time per shared object, and no lock left behind once all are done."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from cumulo.drivers import shared_objects
from cumulo.drivers.shared_objects import making


def test_makers_of_one_object_take_turns_and_others_do_not_wait() -> None:
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    both = threading.Event()
    guard = threading.Lock()

    def make(key: str) -> None:
        with making(("test", key)):
            with guard:
                inside[key] += 1
                most[key] = max(most[key], inside[key])
                if inside["a"] and inside["b"]:
                    both.set()
            time.sleep(0.01)
            with guard:
                inside[key] -= 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(make, ["a", "b"] * 8))
    assert most == {"a": 1, "b": 1}  # never two makers of one object at once
    assert both.is_set()  # but "a" and "b" were made at the same time
    assert not any(k[0] == "test" for k in shared_objects._locks)
