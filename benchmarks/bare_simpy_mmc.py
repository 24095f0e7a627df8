"""Idiomatic SimPy M/M/c baseline: one process per customer, a Resource.

Usage: python bare_simpy_mmc.py LAMBDA MU C N_CUSTOMERS SEED
Prints the mean wait in queue (hours) so the benchmark can check it against Erlang C.
``run(lam, mu, c, n, seed)`` returns it (the benchmark times that call in process).
"""

import random
import sys

import simpy


def run(lam: float, mu: float, c: int, n: int, seed: int) -> float:
    """Mean wait in queue of ``n`` customers of a FIFO M/M/c queue."""
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits = []

    def customer(env):
        arrive = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrive)
            yield env.timeout(rng.expovariate(mu))

    def source(env):
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return sum(waits) / len(waits)


def main() -> None:
    lam, mu, c, n, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]), int(sys.argv[5]))
    print(f"{run(lam, mu, c, n, seed):.6f}")


if __name__ == "__main__":
    main()
