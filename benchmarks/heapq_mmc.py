"""Pure-Python event loop M/M/c baseline: a ``heapq`` of (time, sequence, callback) entries.

No simulation library at all: the practical limit of a general event loop written in
Python (every event is a heap entry and a function call), the floor any Python engine that
schedules one event per arrival and per departure can approach (docs/performance.md).

Usage: python heapq_mmc.py LAMBDA MU C N_CUSTOMERS SEED
Prints the mean wait in queue (hours) so the benchmark can check it against Erlang C.
``run(lam, mu, c, n, seed)`` returns it (the benchmark times that call in process).
"""

import random
import sys
from collections import deque
from heapq import heappop, heappush
from itertools import count


def run(lam: float, mu: float, c: int, n: int, seed: int) -> float:
    """Mean wait in queue of ``n`` customers of a FIFO M/M/c queue."""
    rng = random.Random(seed)
    expo = rng.expovariate
    heap: list = []
    seq = count()
    waiting: deque[float] = deque()      # arrival times of the customers in the queue
    free = c
    arrived = 0
    wait_sum = 0.0

    def depart(now: float) -> None:
        nonlocal free, wait_sum
        if waiting:
            wait_sum += now - waiting.popleft()
            heappush(heap, (now + expo(mu), next(seq), depart))
        else:
            free += 1

    def arrive(now: float) -> None:
        nonlocal free, arrived
        if free:
            free -= 1                     # waits 0
            heappush(heap, (now + expo(mu), next(seq), depart))
        else:
            waiting.append(now)
        arrived += 1
        if arrived < n:
            heappush(heap, (now + expo(lam), next(seq), arrive))

    heappush(heap, (expo(lam), next(seq), arrive))
    while heap:
        now, _, callback = heappop(heap)
        callback(now)
    return wait_sum / n


def main() -> None:
    lam, mu, c, n, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]), int(sys.argv[5]))
    print(f"{run(lam, mu, c, n, seed):.6f}")


if __name__ == "__main__":
    main()
