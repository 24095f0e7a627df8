"""The Latin-square design of sampled Shapley values (sim.analysis.shapley_design), on
cooperative games whose Shapley values are known in closed form, with replication noise of
mean zero, and the simultaneous ranking rule on tables whose order is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis import shapley
from sim.analysis import shapley_design as sd

K = 6
A = np.asarray([1.0, -2.0, 0.5, 4.0, 0.0, -0.7])
PAIRS = [(0, 1, 3.0), (2, 3, -1.0)]
UNANIMITY = (0, 2, 4)          # v gains 6 when all three are in


def _v(mask: int) -> float:
    v = sum(A[i] for i in range(K) if mask >> i & 1)
    v += sum(b for i, j, b in PAIRS if mask >> i & 1 and mask >> j & 1)
    return v + (6.0 if all(mask >> i & 1 for i in UNANIMITY) else 0.0)


def _phi() -> np.ndarray:
    """Closed form: additive terms go to their lever, a pair's surplus half to each member,
    the unanimity game's 6 a third to each of its three members."""
    phi = A.copy()
    for i, j, b in PAIRS:
        phi[i] += b / 2
        phi[j] += b / 2
    for i in UNANIMITY:
        phi[i] += 6.0 / 3
    return phi


def _noisy(study: int, replications: int = 8):
    """v_r(S) = v(S) + e_r |S| + eta(S, r): e_r and eta have mean 0, so the Shapley values of
    replication r are phi + e_r (e_r |S| is additive) plus those of eta (mean 0)."""
    rng = np.random.default_rng([study, 77])
    e = rng.normal(0.0, 0.5, size=replications)
    eta = rng.normal(0.0, 0.3, size=(replications, 1 << K))
    base = np.asarray([_v(m) for m in range(1 << K)])
    size = np.asarray([bin(m).count("1") for m in range(1 << K)])
    table = base[None, :] + e[:, None] * size[None, :] + eta
    return lambda mask, r: float(table[r, mask])


def test_closed_form_matches_exact_shapley():
    table = {m: np.asarray([_v(m)]) for m in range(1 << K)}
    assert np.allclose(shapley.exact(table, K)[:, 0], _phi(), rtol=0, atol=1e-12)


def test_a_block_is_a_latin_square_and_reads_sizes_0_and_k_minus_1_exactly():
    block = sd.latin_block(K, np.random.default_rng(3))
    for line in (*block, *block.T):      # rows: orders; columns: positions
        assert sorted(line) == list(range(K))
    # each lever is first once and last once: its block estimate contains v({i}) - v({})
    # and v(N) - v(N - i) with weight 1/K, the Shapley weights of sizes 0 and K-1
    firsts, lasts = sorted(block[:, 0]), sorted(block[:, -1])
    assert firsts == lasts == list(range(K))


def test_every_replication_is_efficient_to_rounding():
    value = _noisy(0, 3)
    design = [sd.block_orders(K, c, 11, r) for r, c in enumerate([K, 2 * K, 3])]
    units, _ = sd.unit_estimates(value, design, K)
    full = (1 << K) - 1
    for r in range(3):
        # K marginal contributions of size ~10 telescope: rounding of order 1e-14
        assert abs(units[r].sum() - (value(full, r) - value(0, r))) < 1e-12


def test_latin_design_is_unbiased_and_its_interval_covers():
    """200 independent studies of 8 replications, one block each: the mean of all of them is
    within 4 standard errors of the closed form, and each lever's 95 % t interval covers
    the closed form in at least 90 % of studies (95 % less 3 binomial sd of 200 studies)."""
    phi = _phi()
    covered, means = np.zeros(K), []
    for study in range(200):
        value = _noisy(study)
        design = [sd.block_orders(K, K, 1000 + study, r) for r in range(8)]
        units, _ = sd.unit_estimates(value, design, K)
        ests = shapley.replication_estimates(units.T)
        covered += [e.low <= p <= e.high for e, p in zip(ests, phi, strict=True)]
        means.append(units.mean(axis=0))
    means = np.asarray(means)
    se = means.std(axis=0, ddof=1) / math.sqrt(len(means))
    assert np.all(np.abs(means.mean(axis=0) - phi) < 4 * se + 1e-12)
    assert np.all(covered / 200 >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / 200))


def test_a_block_beats_as_many_random_orders_on_a_positional_game():
    """The unanimity and pair terms make a lever's marginal depend on its position; a block
    reads every position once, K random orders do not: over 800 draws the block's
    variance is the smaller for every lever whose marginal depends on position."""
    table = {m: np.asarray([_v(m)]) for m in range(1 << K)}
    rng = np.random.default_rng(5)
    latin, rand = [], []
    for _ in range(800):
        block = sd.latin_block(K, rng)
        latin.append(shapley.sampled(table, block, K)[0][:, 0])
        orders = np.asarray([rng.permutation(K) for _ in range(K)])
        rand.append(shapley.sampled(table, orders, K)[0][:, 0])
    vl, vr = np.var(latin, axis=0), np.var(rand, axis=0)
    positional = [0, 1, 2, 3, 4]        # lever 5 is additive only: both variances are 0
    assert np.all(vl[positional] < vr[positional])
    assert vl[5] == pytest.approx(0.0, abs=1e-20) and vr[5] == pytest.approx(0.0, abs=1e-20)


def test_components_recover_a_planted_split():
    """Blocks b of replication r: mu + a_r + e_rb with sd(a) = 2, sd(e) = 1: the pooled
    within spread estimates 1, the between spread less what blocks put into it 4."""
    rng = np.random.default_rng(9)
    per_block = [rng.normal(0, 2.0) + rng.normal(0, 1.0, size=(3, 1)) * np.ones((3, 2))
                 for _ in range(400)]
    sp, sr = sd.components(per_block)
    # 800 within degrees of freedom: sd of a variance estimate ~ 1 * sqrt(2/800) = 0.05;
    # 400 replication means: ~ 4 * sqrt(2/400) = 0.28
    assert sp[0] == pytest.approx(1.0, abs=0.2) and sr[0] == pytest.approx(4.0, abs=1.2)
    assert sd.components(per_block[:1]) is None


def test_ranking_follows_the_direction_of_the_total_and_needs_separation():
    rng = np.random.default_rng(2)
    means = np.asarray([-10.0, -6.0, -3.0, -1.0, 0.5, 2.0])
    units = means + rng.normal(0, 0.2, size=(20, 6))
    rk = sd.ranking(units, total=float(means.sum()), top=4)
    assert rk["order"][:4] == [0, 1, 2, 3] and rk["ranked"]
    # the reductions, not the sizes: a rise of +9.9 does not enter a fall's top 4
    units2 = np.column_stack([units[:, :5], units[:, 5] + 7.9])
    assert sd.ranking(units2, total=-1.0, top=4)["order"][:4] == [0, 1, 2, 3]
    # a rise ranks the largest increases first
    assert sd.ranking(-units, total=5.0, top=2)["order"][:2] == [0, 1]
    # two levers with the same mean cannot be ranked
    tied = units.copy()
    tied[:, 3] = tied[:, 2] + rng.normal(0, 0.2, size=20)
    rk2 = sd.ranking(tied, total=-1.0, top=4)
    assert not rk2["ranked"]
    need = sd.needed_units(rk2["checks"], 6)
    assert need > 20 or math.isinf(need)


def test_simultaneous_quantile_is_bonferroni_over_pairs():
    from sim.stats import t_quantile

    q = sd.simultaneous_quantile(12, 30, alpha=0.045)
    # two-sided t interval at 1 - 0.045 / 66: t_quantile's confidence is 1 - alpha/66
    assert q == pytest.approx(t_quantile(30, 1 - 0.045 / 66), rel=1e-12)
    assert sd.simultaneous_quantile(12, 30, alpha=sd.PILOT_ALPHA) > q > t_quantile(30)
