"""The step lock: one worker runs engine code at a time; a wait on the world lets the other
run; it is kept in a write transaction (taking it back there could deadlock)."""

from __future__ import annotations

import threading
import time

from cumulo.engine.step_lock import StepLock


def _other_runs_while(steps: StepLock, wait: float = 5.0) -> bool:
    """Whether another thread gets the lock (``held``) while this one is in ``released``."""
    got = threading.Event()

    def other() -> None:
        with steps.held():
            got.set()

    with steps.held():
        thread = threading.Thread(target=other)
        thread.start()
        early = got.wait(0.2)  # held: the other thread waits
        with steps.released():
            during = got.wait(wait)
    thread.join(wait)
    return not early and during


def test_a_wait_on_the_world_lets_another_worker_run() -> None:
    assert _other_runs_while(StepLock(True, lambda: False))


def test_in_a_write_transaction_the_lock_is_kept() -> None:
    steps = StepLock(True, lambda: True)
    assert not _other_runs_while(steps, wait=0.3)


def test_a_driver_call_waits_without_the_lock() -> None:
    steps = StepLock(True, lambda: False)
    seen: list[bool] = []

    class Driver:
        kind = "sim"

        def create(self, name: str) -> str:
            other = threading.Thread(target=lambda: seen.append(_try(steps)))
            other.start()
            other.join(5)
            return name.upper()

    with steps.held():
        driver = steps.unlocking(Driver())
        assert driver.kind == "sim" and driver.create("a") == "A"
    assert seen == [True]  # another thread took the lock during the call


def _try(steps: StepLock) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if steps._lock is not None and steps._lock.acquire(timeout=0.1):
            steps._lock.release()
            return True
    return False


def test_released_outside_the_holder_and_without_a_lock_do_nothing() -> None:
    steps = StepLock(True, lambda: False)
    with steps.released():  # not held by this thread: nothing to give back
        pass
    off = StepLock(False, lambda: False)
    driver = object()
    with off.held(), off.released():
        assert off.unlocking(driver) is driver
