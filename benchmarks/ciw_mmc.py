"""Ciw M/M/c baseline, run the way a Ciw user would.

Usage: python ciw_mmc.py LAMBDA MU C N_CUSTOMERS SEED
Prints the mean wait in queue (hours) so the benchmark can check it against Erlang C.
"""

import sys

import ciw


def main() -> None:
    lam, mu, c, n, seed = (float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                           int(sys.argv[4]), int(sys.argv[5]))
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
    print(f"{sum(waits) / len(waits):.6f}")


if __name__ == "__main__":
    main()
