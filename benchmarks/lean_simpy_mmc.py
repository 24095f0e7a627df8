"""Lean SimPy M/M/c baseline: ``Timeout`` events with callbacks, no per-customer processes.

The style docs/performance.md calls "lean SimPy (Timeout callbacks)": SimPy is the clock and the
event queue, but no generator process or ``Resource`` request is created per customer. An
arrival either starts service at once (a free server) or joins a FIFO ``deque`` of arrival
times; a departure takes the next waiting customer or frees its server.

Usage: python lean_simpy_mmc.py LAMBDA MU C N_CUSTOMERS SEED
Prints the mean wait in queue (hours) so the benchmark can check it against Erlang C.
``run(lam, mu, c, n, seed)`` returns it (the benchmark times that call in process).
"""

import random
import sys
from collections import deque

import simpy
from simpy.events import Timeout


def run(lam: float, mu: float, c: int, n: int, seed: int) -> float:
    """Mean wait in queue of ``n`` customers of a FIFO M/M/c queue."""
    rng = random.Random(seed)
    expo = rng.expovariate
    env = simpy.Environment()
    waiting: deque[float] = deque()      # arrival times of the customers in the queue
    state = {"free": c, "arrived": 0, "wait_sum": 0.0}

    def depart(_ev) -> None:
        if waiting:
            state["wait_sum"] += env.now - waiting.popleft()
            Timeout(env, expo(mu)).callbacks.append(depart)
        else:
            state["free"] += 1

    def arrive(_ev) -> None:
        if state["free"]:
            state["free"] -= 1            # waits 0
            Timeout(env, expo(mu)).callbacks.append(depart)
        else:
            waiting.append(env.now)
        state["arrived"] += 1
        if state["arrived"] < n:
            Timeout(env, expo(lam)).callbacks.append(arrive)

    Timeout(env, expo(lam)).callbacks.append(arrive)
    env.run()
    return state["wait_sum"] / n


def main() -> None:
    lam, mu, c, n, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]), int(sys.argv[5]))
    print(f"{run(lam, mu, c, n, seed):.6f}")


if __name__ == "__main__":
    main()
