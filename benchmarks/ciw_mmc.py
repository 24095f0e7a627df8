"""Ciw M/M/c baseline, run the way a Ciw user would.

Usage: python ciw_mmc.py LAMBDA MU C N_CUSTOMERS SEED
Prints the mean wait in queue (hours) so the benchmark can check it against Erlang C.
``run(lam, mu, c, n, seed)`` returns it (the benchmark times that call in process).
"""

import sys

import ciw


def run(lam: float, mu: float, c: int, n: int, seed: int) -> float:
    """Mean wait in queue of ``n`` customers of a FIFO M/M/c queue."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[c],
    )
    ciw.seed(seed)
    q = ciw.Simulation(network)
    q.simulate_until_max_customers(n, method="Finish")
    recs = q.get_all_records()
    waits = [r.waiting_time for r in recs]
    return sum(waits) / len(waits)


def main() -> None:
    lam, mu, c, n, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]), int(sys.argv[5]))
    print(f"{run(lam, mu, c, n, seed):.6f}")


if __name__ == "__main__":
    main()
