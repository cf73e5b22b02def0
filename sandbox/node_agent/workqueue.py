"""A keyed work queue (the client-go kind): a key is handled by one worker at a time, events during handling re-queue it once.

So one pod's events are serialized while different pods are handled concurrently, and a burst of
events for one pod collapses into a single handling of its latest state.
"""

import heapq
import threading
import time
from collections import deque


class WorkQueue:
    def __init__(self):
        self._cond = threading.Condition()
        self._queue = deque()
        self._dirty = set()
        self._processing = set()
        self._delayed = []
        self._closed = False

    def add(self, key) -> None:
        with self._cond:
            self._add(key)

    def _add(self, key) -> None:
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._cond.notify()

    def add_after(self, key, seconds: float) -> None:
        """Queue key again once ``seconds`` have passed (retries with backoff)."""
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + seconds, id(key), key))
            self._cond.notify()

    def get(self):
        """The next key to handle (blocks); None once the queue is closed."""
        with self._cond:
            while True:
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    self._add(heapq.heappop(self._delayed)[2])
                if self._closed:
                    return None
                if self._queue:
                    key = self._queue.popleft()
                    self._processing.add(key)
                    self._dirty.discard(key)
                    return key
                self._cond.wait(timeout=self._delayed[0][0] - now if self._delayed else None)

    def done(self, key) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue) + len(self._delayed)
