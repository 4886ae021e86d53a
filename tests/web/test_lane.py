"""The heavy lane: one search at a time, in a thread scheduled after the others; its model work shares that priority."""

from __future__ import annotations

import os
import threading
import time

import pytest

from models.runner import in_modest_thread
from web.lane import NICENESS, WAITING, Busy, HeavyLane

pytestmark = pytest.mark.fast


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_work_runs_in_a_lower_priority_thread_marked_modest() -> None:
    lane = HeavyLane()
    caller = niceness()
    assert lane.run(niceness) == min(19, caller + NICENESS)
    assert lane.run(in_modest_thread) and not in_modest_thread()
    assert niceness() == caller  # the caller's own priority is untouched
    assert lane.run(threading.get_native_id) != threading.get_native_id()


def test_errors_reach_the_caller_and_free_the_lane() -> None:
    lane = HeavyLane()
    with pytest.raises(ZeroDivisionError):
        lane.run(lambda: 1 / 0)
    assert lane.run(lambda: "next") == "next"


def test_a_request_kept_waiting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.lane.WAIT", 0.05)
    lane = HeavyLane()
    inside, leave = threading.Event(), threading.Event()

    def held() -> None:
        inside.set()
        leave.wait(10)

    holder = threading.Thread(target=lane.run, args=(held,))
    holder.start()
    assert inside.wait(10)
    with pytest.raises(Busy, match="waited 0.05 s"):
        lane.run(lambda: None)
    leave.set()
    holder.join(10)
    assert lane.run(lambda: 1) == 1


def test_past_the_waiting_bound_a_request_is_refused_at_once() -> None:
    lane = HeavyLane()
    inside, leave = threading.Event(), threading.Event()

    def held() -> None:
        inside.set()
        leave.wait(10)

    threads = [threading.Thread(target=lane.run, args=(held,))]
    threads[0].start()
    assert inside.wait(10)
    threads += [threading.Thread(target=lane.run, args=(lambda: None,)) for _ in range(WAITING)]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)  # they are waiting for their turn
    started = time.monotonic()
    with pytest.raises(Busy, match=f"{WAITING} already waiting"):
        lane.run(lambda: None)
    assert time.monotonic() - started < 1.0
    leave.set()
    for thread in threads:
        thread.join(10)
    assert lane.run(lambda: 2) == 2
