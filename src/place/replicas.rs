//! Dividing a replica total across clusters by weight.
//!
//! An app that asks for `total` replicas over the clusters it is placed on
//! gets them split in proportion to each cluster's weight, each share kept
//! within `[min, max]`. The split has to be exact (the shares add up to the
//! total), deterministic (the same inventory compiles to the same bytes, in
//! whatever order the clusters were found) and explainable (`fleetc explain`
//! says why a cluster got its number), so it is done in integers, never in
//! floating point:
//!
//! 1. **Bounds.** Every cluster that is not yet held at a bound is *free*;
//!    `R` replicas remain for them and `W` is the sum of their weights. The
//!    exact quota of a free cluster is `R·w/W`. If quotas fall below `min` or
//!    rise above `max`, one side is held at its bound and the rest divided
//!    again: the side whose correction is larger (below-`min` deficits summed
//!    against above-`max` excesses; on a tie, `min`). That is the side on
//!    which the final proportion also crosses the bound, so the quotas end up
//!    as `clamp(λ·w, min, max)` for one common `λ`, adding up to the total.
//!    (Always holding the below-`min` side first does not: weights 1, 1, 100
//!    with 7 replicas in `[1, 3]` would give 1, 1, 3, five in all, where
//!    2, 2, 3 fits.)
//! 2. **Largest remainder** (Hamilton's method). Each free cluster gets the
//!    floor of its quota; the few replicas left over go one each to the free
//!    clusters with the largest fractional remainders, ties to the cluster
//!    name that sorts first. A leftover replica never pushes a share past
//!    `max`: a quota within `[min, max]` whose floor is `max` is exactly
//!    `max`, with no remainder.
//!
//! When no free cluster has any weight (all weights 0, or every weighted
//! cluster is held at `max`), the replicas that remain are split evenly among
//! the free clusters, by the same rule with every weight counted as 1.
//!
//! When the bounds cannot be met together with the total, the bounds win:
//! fewer replicas than `n·min` gives every cluster `min`, more than `n·max`
//! gives every cluster `max`, and [`Fit`] says by how much the sum misses.

use crate::base::words::count;
use std::cmp::Reverse;
use std::fmt;

/// The method, in one line, for `fleetc explain`.
pub(crate) const METHOD: &str = "largest remainder (Hamilton), ties by cluster name";

/// A replica total divided across clusters: one [`Share`] per cluster, in
/// cluster name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Division {
    pub(crate) total: u64,
    pub(crate) min: u64,
    /// The upper bound in effect: the one asked for, raised to `min` if it
    /// was below it.
    pub(crate) max: Option<u64>,
    /// The sum of all clusters' weights.
    pub(crate) total_weight: u128,
    /// The sum of the shares; equal to `total` when `fit` is [`Fit::Exact`].
    pub(crate) sum: u128,
    pub(crate) fit: Fit,
    pub(crate) shares: Vec<Share>,
}

/// Whether the shares add up to the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fit {
    /// They do.
    Exact,
    /// Every cluster is at `min`, and that is this many replicas more than
    /// the total.
    Excess(u128),
    /// Every cluster is at `max` (or there is no cluster), and that is this
    /// many replicas fewer than the total.
    Shortfall(u64),
}

/// The bound a share was held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Min,
    Max,
}

/// One cluster's share, and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    pub(crate) name: String,
    pub(crate) weight: u64,
    pub(crate) share: u64,
    pub(crate) how: How,
}

/// What decided a share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum How {
    /// The bounds could not be met together with the total, so every
    /// cluster got this bound (see [`Fit`]).
    AllAt(Bound),
    /// The quota crossed the bound in `round`, so the cluster was held at it
    /// and the rest divided again.
    Held { bound: Bound, round: Round },
    /// The floor of the quota, plus one replica if the remainder was among
    /// the largest.
    Quota {
        round: Round,
        /// Replicas left over after every free cluster took its floor.
        leftover: u64,
        got_remainder: bool,
        /// The remainder equalled the last one to get a replica and another
        /// that did not, so the cluster name decided.
        tie: bool,
    },
}

/// One round of dividing: the replicas and weight of the free clusters, and
/// this cluster's exact quota of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Round {
    /// Clusters held at a bound before this round.
    pub(crate) held: usize,
    /// Free clusters in this round.
    pub(crate) clusters: usize,
    /// Replicas left for the free clusters.
    pub(crate) pool: u64,
    /// The free clusters' weight; their number when `even`.
    pub(crate) pool_weight: u128,
    /// No free cluster had weight: every weight counted as 1.
    pub(crate) even: bool,
    /// `pool · weight / pool_weight`, reduced.
    pub(crate) quota: Ratio,
}

/// A non-negative fraction `num / den`, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ratio {
    pub(crate) num: u128,
    pub(crate) den: u128,
}

impl Ratio {
    fn new(num: u128, den: u128) -> Ratio {
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: (den / g).max(1),
        }
    }

    pub(crate) fn floor(self) -> u128 {
        self.num / self.den
    }

    /// The fractional part.
    pub(crate) fn fract(self) -> Ratio {
        Ratio::new(self.num % self.den, self.den)
    }
}

/// Exact up to three decimals ("3.75", "4"), otherwise cut after three
/// with an ellipsis ("3.333…").
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.floor();
        let mut rem = self.num % self.den;
        let mut digits = String::new();
        while rem != 0 && digits.len() < 3 {
            // rem < den ≤ u128::MAX; rem·10 can overflow for huge
            // denominators, so take a digit as (rem·10) / den piecewise.
            let (d, r) = times_ten_div(rem, self.den);
            digits.push(char::from(b'0' + d));
            rem = r;
        }
        write!(f, "{whole}")?;
        if !digits.is_empty() {
            write!(f, ".{digits}")?;
        }
        if rem != 0 {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// `(10·rem / den, 10·rem % den)` for `rem < den`, without overflow.
fn times_ten_div(rem: u128, den: u128) -> (u8, u128) {
    let mut d = 0;
    let mut r = 0u128;
    for _ in 0..10 {
        // r < den, so r + rem < 2·den; compare before adding.
        if r >= den - rem {
            r -= den - rem;
            d += 1;
        } else {
            r += rem;
        }
    }
    (d, r)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// An exact non-negative amount `int + frac/den`, `frac < den`: a sum of
/// quota deficits or excesses, which as one numerator over `den` could
/// overflow u128 for huge weights.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Mixed {
    int: u128,
    frac: u128,
}

impl Mixed {
    fn add(&mut self, int: u128, frac: u128, den: u128) {
        self.int = self.int.saturating_add(int);
        // frac, self.frac < den, so the carry is at most one.
        if self.frac >= den - frac {
            self.frac -= den - frac;
            self.int = self.int.saturating_add(1);
        } else {
            self.frac += frac;
        }
    }
}

/// Every cluster at one bound when the total cannot be divided within
/// `[min, max]` (or there are no clusters), the fit saying by how much;
/// `None` when it can.
fn unreachable_bounds(
    total: u64,
    min: u64,
    max: Option<u64>,
    order: &[(&str, u64)],
    total_weight: u128,
) -> Option<Division> {
    let n = order.len() as u128;
    let all_at = |bound: Bound, share: u64| Division {
        total,
        min,
        max,
        total_weight,
        sum: n.saturating_mul(u128::from(share)),
        fit: Fit::Exact,
        shares: order
            .iter()
            .map(|&(name, weight)| Share {
                name: name.to_owned(),
                weight,
                share,
                how: How::AllAt(bound),
            })
            .collect(),
    };
    let t = u128::from(total);
    if n == 0 {
        let mut d = all_at(Bound::Max, 0);
        if total > 0 {
            d.fit = Fit::Shortfall(total);
        }
        return Some(d);
    }
    let floors = n.saturating_mul(u128::from(min));
    if t < floors {
        let mut d = all_at(Bound::Min, min);
        d.fit = Fit::Excess(floors - t);
        return Some(d);
    }
    if let Some(mx) = max {
        let ceilings = n.saturating_mul(u128::from(mx));
        if t > ceilings {
            let mut d = all_at(Bound::Max, mx);
            // ceilings < total, so it fits in u64.
            d.fit = Fit::Shortfall((t - ceilings) as u64);
            return Some(d);
        }
    }
    None
}

/// Divide `total` replicas across `clusters` (name, weight) by weight, each
/// share within `[min, max]` (a `max` below `min` counts as `min`). Names
/// are expected to be unique; the input order does not matter. Never panics:
/// quotas are exact in u128 for any u64 total and weights.
pub(crate) fn divide(total: u64, min: u64, max: Option<u64>, clusters: &[(&str, u64)]) -> Division {
    let max = max.map(|m| m.max(min));
    let mut order = clusters.to_vec();
    order.sort_unstable();
    let total_weight: u128 = order.iter().map(|&(_, w)| u128::from(w)).sum();
    if let Some(d) = unreachable_bounds(total, min, max, &order, total_weight) {
        return d;
    }
    let t = u128::from(total);

    let mut how: Vec<Option<(u64, How)>> = vec![None; order.len()];
    let mut free: Vec<usize> = (0..order.len()).collect();
    // Invariant: free.len()·min ≤ r ≤ free.len()·max, so r ≥ 0 and the
    // shares end up summing to the total.
    let mut r = t;
    let mut held = 0;
    while !free.is_empty() {
        let w: u128 = free.iter().map(|&i| u128::from(order[i].1)).sum();
        let even = w == 0;
        let den = if even { free.len() as u128 } else { w };
        let weight = |w: u64| if even { 1 } else { u128::from(w) };
        // Quota of each free cluster as floor and remainder over den;
        // r ≤ u64::MAX and weight ≤ u64::MAX, so r·weight fits in u128.
        let nums: Vec<u128> = free.iter().map(|&i| r * weight(order[i].1)).collect();
        let quotas: Vec<(u128, u128)> = nums.iter().map(|&num| (num / den, num % den)).collect();
        // r only shrinks from the total, so it fits in u64.
        let (pool, clusters, held_before) = (r as u64, free.len(), held);
        let round = |k: usize| Round {
            held: held_before,
            clusters,
            pool,
            pool_weight: den,
            even,
            quota: Ratio::new(nums[k], den),
        };
        let lo = u128::from(min);
        let below = |(int, _): (u128, u128)| int < lo;
        let above = |(int, frac): (u128, u128)| {
            max.is_some_and(|mx| {
                let mx = u128::from(mx);
                int > mx || (int == mx && frac > 0)
            })
        };
        let mut deficit = Mixed { int: 0, frac: 0 };
        let mut excess = Mixed { int: 0, frac: 0 };
        for &q in &quotas {
            if below(q) {
                // min − (int + frac/den)
                match q.1 {
                    0 => deficit.add(lo - q.0, 0, den),
                    f => deficit.add(lo - q.0 - 1, den - f, den),
                }
            } else if above(q) {
                let mx = u128::from(max.unwrap_or(0));
                excess.add(q.0 - mx, q.1, den);
            }
        }
        if deficit == (Mixed { int: 0, frac: 0 }) && excess == deficit {
            // Every quota within bounds: floors, then the largest remainders.
            let floors: u128 = quotas.iter().map(|q| q.0).sum();
            let leftover = r.saturating_sub(floors) as usize;
            let mut rank: Vec<usize> = (0..free.len()).collect();
            // free is in name order, so the position breaks ties by name.
            rank.sort_by_key(|&k| (Reverse(quotas[k].1), k));
            let cut = (leftover > 0 && leftover < rank.len())
                .then(|| (quotas[rank[leftover - 1]].1, quotas[rank[leftover]].1))
                .filter(|(last_in, first_out)| last_in == first_out)
                .map(|(c, _)| c);
            for (place, &k) in rank.iter().enumerate() {
                let got = place < leftover;
                let share = quotas[k].0 + u128::from(got);
                how[free[k]] = Some((
                    share as u64,
                    How::Quota {
                        round: round(k),
                        leftover: leftover as u64,
                        got_remainder: got,
                        tie: cut == Some(quotas[k].1),
                    },
                ));
            }
            break;
        }
        let (bound, hit): (Bound, &dyn Fn((u128, u128)) -> bool) = if deficit >= excess {
            (Bound::Min, &below)
        } else {
            (Bound::Max, &above)
        };
        let value = match bound {
            Bound::Min => min,
            Bound::Max => max.unwrap_or(min),
        };
        let mut rest = Vec::with_capacity(free.len());
        for (k, &i) in free.iter().enumerate() {
            if hit(quotas[k]) {
                how[i] = Some((
                    value,
                    How::Held {
                        bound,
                        round: round(k),
                    },
                ));
                r = r.saturating_sub(u128::from(value));
                held += 1;
            } else {
                rest.push(i);
            }
        }
        free = rest;
    }

    let shares: Vec<Share> = order
        .iter()
        .zip(how)
        .map(|(&(name, weight), h)| {
            // Every cluster is decided: the loop only ends with none free.
            let (share, how) = h.unwrap_or((0, How::AllAt(Bound::Min)));
            Share {
                name: name.to_owned(),
                weight,
                share,
                how,
            }
        })
        .collect();
    let sum = shares.iter().map(|s| u128::from(s.share)).sum();
    Division {
        total,
        min,
        max,
        total_weight,
        sum,
        fit: Fit::Exact,
        shares,
    }
}

impl Division {
    /// One line on the whole division, for `fleetc explain`: e.g. "10
    /// replicas over 4 clusters by weight, largest remainder (Hamilton), ties
    /// by cluster name; at least 1 each".
    pub(crate) fn summary(&self) -> String {
        let n = self.shares.len();
        let mut s = format!(
            "{} over {} by weight, {METHOD}",
            count(u128::from(self.total), "replica"),
            count(n as u128, "cluster"),
        );
        match (self.min, self.max) {
            (0, None) => {}
            (lo, None) => s.push_str(&format!("; at least {lo} each")),
            (0, Some(hi)) => s.push_str(&format!("; at most {hi} each")),
            (lo, Some(hi)) => s.push_str(&format!("; at least {lo} and at most {hi} each")),
        }
        match self.fit {
            Fit::Exact => {}
            Fit::Excess(by) => s.push_str(&format!(
                "; the minimums add up to {}, {by} more than the total",
                self.sum
            )),
            Fit::Shortfall(by) if n == 0 => {
                s.push_str(&format!("; with no cluster, {by} are not placed"))
            }
            Fit::Shortfall(by) => s.push_str(&format!(
                "; the maximums add up to {}, {by} fewer than the total",
                self.sum
            )),
        }
        s
    }

    /// Why the cluster `name` got its share, in one sentence; `None` if it is
    /// not in this division.
    pub(crate) fn explain(&self, name: &str) -> Option<String> {
        let i = self
            .shares
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()?;
        Some(self.explain_share(&self.shares[i]))
    }

    fn explain_share(&self, s: &Share) -> String {
        let n = self.shares.len();
        match &s.how {
            How::AllAt(Bound::Min) => format!(
                "{}, the minimum: {} cannot give each of the {n} clusters its minimum {}, \
                 so every cluster gets {} ({} in all)",
                s.share,
                count(u128::from(self.total), "replica"),
                self.min,
                self.min,
                self.sum,
            ),
            How::AllAt(Bound::Max) => format!(
                "{}, the maximum: {} are more than the {n} clusters can take at {} each, \
                 so every cluster gets {} ({} in all)",
                s.share,
                count(u128::from(self.total), "replica"),
                s.share,
                s.share,
                self.sum,
            ),
            How::Held { bound, round } => {
                let (name, side) = match bound {
                    Bound::Min => ("minimum", "below"),
                    Bound::Max => ("maximum", "above"),
                };
                format!(
                    "{} of {}, the {name}: {}, {side} the {name} {}, so it is held there \
                     and the rest is divided again",
                    s.share,
                    self.total,
                    quota_clause(s.weight, round),
                    s.share,
                )
            }
            How::Quota {
                round,
                leftover,
                got_remainder,
                tie,
            } => {
                let mut out = format!(
                    "{} of {}: {}",
                    s.share,
                    self.total,
                    quota_clause(s.weight, round)
                );
                let rest = round.quota.fract();
                if rest.num == 0 {
                    return out;
                }
                let left = count(u128::from(*leftover), "replica");
                let rest = format!("{rest}").replacen("0.", ".", 1);
                if *got_remainder {
                    out.push_str(&format!(
                        ", floor {}, plus one of the {left} left over, which go to the \
                         largest remainders: this cluster's {rest} was among them",
                        round.quota.floor()
                    ));
                    if *tie {
                        out.push_str(", on a tie won by its name");
                    }
                } else {
                    out.push_str(&format!(
                        ", floor {}; the {left} left over went to the largest remainders, \
                         and this cluster's {rest} was not among them",
                        round.quota.floor()
                    ));
                    if *tie {
                        out.push_str(" (it tied with a name that sorts first)");
                    }
                }
                out
            }
        }
    }
}

/// "weight 3 of 8 gives a quota of 3.75", with what came before the round.
fn quota_clause(weight: u64, round: &Round) -> String {
    let quota = if round.quota.den == 1 {
        format!("exactly {}", round.quota)
    } else {
        round.quota.to_string()
    };
    let mut s = String::new();
    if round.held > 0 {
        let held = match round.held {
            1 => "1 cluster was".to_owned(),
            n => format!("{n} clusters were"),
        };
        s.push_str(&format!(
            "after {held} held at a bound, {} remained for the other {}; ",
            round.pool, round.clusters,
        ));
    }
    if round.even {
        s.push_str(&format!(
            "none of them has weight, so they are split evenly, a quota of {quota}"
        ));
    } else {
        s.push_str(&format!(
            "weight {weight} of {} gives a quota of {quota}",
            round.pool_weight
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shares(d: &Division) -> Vec<(&str, u64)> {
        d.shares
            .iter()
            .map(|s| (s.name.as_str(), s.share))
            .collect()
    }

    #[test]
    fn equal_weights_leftover_goes_to_the_first_names() {
        // W = 3, quotas 10/3 each: floors 3, 3, 3 = 9; the 1 left over goes
        // to the name that sorts first, since all remainders are 1/3.
        let d = divide(10, 0, None, &[("c", 1), ("a", 1), ("b", 1)]);
        assert_eq!(shares(&d), [("a", 4), ("b", 3), ("c", 3)]);
        assert_eq!(d.fit, Fit::Exact);
        assert_eq!(
            d.explain("a").unwrap(),
            "4 of 10: weight 1 of 3 gives a quota of 3.333…, floor 3, plus one of \
             the 1 replica left over, which go to the largest remainders: this cluster's \
             .333… was among them, on a tie won by its name"
        );
        assert_eq!(
            d.explain("c").unwrap(),
            "3 of 10: weight 1 of 3 gives a quota of 3.333…, floor 3; the 1 replica \
             left over went to the largest remainders, and this cluster's .333… was \
             not among them (it tied with a name that sorts first)"
        );
    }

    #[test]
    fn a_fleet_of_two_large_and_two_small_clusters() {
        // W = 3 + 3 + 1 + 1 = 8. Quotas 10·3/8 = 3.75, 3.75, 10·1/8 = 1.25,
        // 1.25, none below the minimum 1. Floors 3 + 3 + 1 + 1 = 8; the 2
        // left over go to the largest remainders, .75 and .75: 4, 4, 1, 1.
        let d = divide(
            10,
            1,
            None,
            &[
                ("small-b", 1),
                ("large-b", 3),
                ("small-a", 1),
                ("large-a", 3),
            ],
        );
        assert_eq!(
            shares(&d),
            [
                ("large-a", 4),
                ("large-b", 4),
                ("small-a", 1),
                ("small-b", 1)
            ]
        );
        assert_eq!((d.sum, d.total_weight, d.fit), (10, 8, Fit::Exact));
        assert_eq!(
            d.summary(),
            "10 replicas over 4 clusters by weight, largest remainder (Hamilton), ties by \
             cluster name; at least 1 each"
        );
        assert_eq!(
            d.explain("large-a").unwrap(),
            "4 of 10: weight 3 of 8 gives a quota of 3.75, floor 3, plus one of the 2 \
             replicas left over, which go to the largest remainders: this cluster's .75 \
             was among them"
        );
        assert_eq!(
            d.explain("small-b").unwrap(),
            "1 of 10: weight 1 of 8 gives a quota of 1.25, floor 1; the 2 replicas left \
             over went to the largest remainders, and this cluster's .25 was not among them"
        );
        assert_eq!(d.explain("medium"), None);
    }

    #[test]
    fn max_binds() {
        // W = 102: quotas 7/102 ≈ 0.069 (twice) and 700/102 ≈ 6.863. The
        // deficits below 1 add up to ≈ 1.863, the excess above 3 to ≈ 3.863,
        // so the maximum binds: c = 3, and the 4 left go 2, 2 to a and b.
        // (Holding a and b at 1 first would leave 5, and c could take only 3.)
        let d = divide(7, 1, Some(3), &[("a", 1), ("b", 1), ("c", 100)]);
        assert_eq!(shares(&d), [("a", 2), ("b", 2), ("c", 3)]);
        assert_eq!(d.fit, Fit::Exact);
        assert_eq!(
            d.explain("c").unwrap(),
            "3 of 7, the maximum: weight 100 of 102 gives a quota of 6.862…, above \
             the maximum 3, so it is held there and the rest is divided again"
        );
        assert_eq!(
            d.explain("a").unwrap(),
            "2 of 7: after 1 cluster was held at a bound, 4 remained for the other 2; \
             weight 1 of 2 gives a quota of exactly 2"
        );
    }

    #[test]
    fn min_binds() {
        // W = 10: quotas 1 and 9; 1 is below the minimum 2, so a = 2 and the
        // 8 left all go to b.
        let d = divide(10, 2, None, &[("b", 9), ("a", 1)]);
        assert_eq!(shares(&d), [("a", 2), ("b", 8)]);
        assert_eq!(
            d.explain("a").unwrap(),
            "2 of 10, the minimum: weight 1 of 10 gives a quota of exactly 1, below the \
             minimum 2, so it is held there and the rest is divided again"
        );
    }

    #[test]
    fn bounds_win_over_the_total() {
        let d = divide(3, 1, None, &[("a", 1), ("b", 1), ("c", 1), ("d", 1)]);
        assert_eq!(shares(&d), [("a", 1), ("b", 1), ("c", 1), ("d", 1)]);
        assert_eq!((d.sum, d.fit), (4, Fit::Excess(1)));
        assert_eq!(
            d.explain("a").unwrap(),
            "1, the minimum: 3 replicas cannot give each of the 4 clusters its minimum 1, \
             so every cluster gets 1 (4 in all)"
        );
        let d = divide(10, 0, Some(4), &[("a", 1), ("b", 5)]);
        assert_eq!(shares(&d), [("a", 4), ("b", 4)]);
        assert_eq!((d.sum, d.fit), (8, Fit::Shortfall(2)));
        assert!(d
            .summary()
            .ends_with("the maximums add up to 8, 2 fewer than the total"));
        let d = divide(5, 0, None, &[]);
        assert_eq!((d.sum, d.fit), (0, Fit::Shortfall(5)));
    }

    #[test]
    fn no_weight_splits_evenly() {
        // Every weight 0: 7 over 3 as if each weighed 1, 3, 2, 2.
        let d = divide(7, 0, None, &[("x", 0), ("y", 0), ("z", 0)]);
        assert_eq!(shares(&d), [("x", 3), ("y", 2), ("z", 2)]);
        // The weighted cluster is full at 2; the 5 left go evenly to the rest.
        let d = divide(7, 0, Some(3), &[("a", 5), ("x", 0), ("y", 0)]);
        assert_eq!(shares(&d), [("a", 3), ("x", 2), ("y", 2)]);
        assert_eq!(
            d.explain("x").unwrap(),
            "2 of 7: after 1 cluster was held at a bound, 4 remained for the other 2; \
             none of them has weight, so they are split evenly, a quota of exactly 2"
        );
    }

    #[test]
    fn ratio_display() {
        assert_eq!(Ratio::new(15, 4).to_string(), "3.75");
        assert_eq!(Ratio::new(8, 2).to_string(), "4");
        assert_eq!(Ratio::new(1, 8).to_string(), "0.125");
        assert_eq!(Ratio::new(2, 3).to_string(), "0.666…");
        assert_eq!(Ratio::new(u128::MAX - 1, u128::MAX).to_string(), "0.999…");
    }

    /// Up to 8 clusters with distinct names, in a shuffled order.
    fn fleet(weights: std::ops::Range<u64>) -> impl Strategy<Value = Vec<(String, u64)>> {
        prop::collection::btree_map("[a-e]{1,2}", weights, 0..8)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
    }

    /// `min ≤ max`, either may bind.
    fn bounds() -> impl Strategy<Value = (u64, Option<u64>)> {
        (0u64..5, prop::option::of(0u64..30)).prop_map(|(lo, hi)| (lo, hi.map(|h| lo + h)))
    }

    fn run(total: u64, lo: u64, hi: Option<u64>, f: &[(String, u64)]) -> Division {
        let f: Vec<(&str, u64)> = f.iter().map(|(n, w)| (n.as_str(), *w)).collect();
        divide(total, lo, hi, &f)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// 1. Within the bounds' reach, the shares add up to the total.
        #[test]
        fn sums_to_total(total in 0u64..200, (lo, hi) in bounds(), f in fleet(0..20)) {
            let n = f.len() as u64;
            let d = run(total, lo, hi, &f);
            // No cluster can hold any replica, whatever the bounds.
            let reach = if n == 0 { total == 0 } else { hi.is_none_or(|h| total <= n * h) };
            if n * lo <= total && reach {
                prop_assert_eq!(d.sum, u128::from(total));
                prop_assert_eq!(d.fit, Fit::Exact);
            } else {
                prop_assert_ne!(d.fit, Fit::Exact);
            }
            let sum: u128 = d.shares.iter().map(|s| u128::from(s.share)).sum();
            prop_assert_eq!(sum, d.sum);
        }

        /// 2. Every share is within the bounds, always.
        #[test]
        fn within_bounds(total in 0u64..200, (lo, hi) in bounds(), f in fleet(0..20)) {
            for s in run(total, lo, hi, &f).shares {
                prop_assert!(s.share >= lo, "{} < min {}", s.share, lo);
                prop_assert!(hi.is_none_or(|h| s.share <= h), "{} > max {:?}", s.share, hi);
            }
        }

        /// 3. Unbounded, every share is within one replica of its exact
        /// quota total·w/W.
        #[test]
        fn proportional(total in 0u64..1000, f in fleet(0..50)) {
            let d = run(total, 0, None, &f);
            let w = d.total_weight;
            if w == 0 {
                return Ok(()); // split evenly, not by weight
            }
            for s in &d.shares {
                let exact = u128::from(total) * u128::from(s.weight);
                let scaled = u128::from(s.share) * w;
                prop_assert!(scaled.abs_diff(exact) < w, "{}: {} vs {}/{}", s.name, s.share, exact, w);
            }
        }

        /// 4. The result depends only on the set of (name, weight): any
        /// order of the input gives the same division.
        #[test]
        fn order_does_not_matter(
            total in 0u64..200,
            (lo, hi) in bounds(),
            (f, g) in fleet(0..20).prop_flat_map(|f| (Just(f.clone()), Just(f).prop_shuffle())),
        ) {
            prop_assert_eq!(run(total, lo, hi, &f), run(total, lo, hi, &g));
        }

        /// 5. Ties go by name: with equal weights, the total % n left over
        /// go to the first names.
        #[test]
        fn ties_by_name(total in 0u64..100, n in 1usize..8, w in 1u64..10) {
            let f: Vec<(String, u64)> = (0..n).rev().map(|i| (format!("c{i}"), w)).collect();
            let d = run(total, 0, None, &f);
            let got: Vec<u64> = d.shares.iter().map(|s| s.share).collect();
            let n = n as u64;
            let want: Vec<u64> = (0..n).map(|i| total / n + u64::from(i < total % n)).collect();
            prop_assert_eq!(got, want);
        }

        /// The bounded division is the water-filling one: no replica could
        /// move from a cluster above `min` to one below `max` and leave the
        /// giver still above the taker per weight, (s_a − 1)/w_a ≤ (s_b + 1)/w_b.
        #[test]
        fn no_transfer_helps(total in 0u64..200, (lo, hi) in bounds(), f in fleet(1..20)) {
            let d = run(total, lo, hi, &f);
            if d.fit != Fit::Exact {
                return Ok(());
            }
            for a in &d.shares {
                for b in &d.shares {
                    // Could a give one to b? Only if a > min and b < max.
                    let movable = a.share > lo && hi.is_none_or(|h| b.share < h);
                    if !movable { continue; }
                    let (sa, wa) = (u128::from(a.share), u128::from(a.weight));
                    let (sb, wb) = (u128::from(b.share), u128::from(b.weight));
                    // a is over-served relative to b by more than one seat on
                    // each side: (sa − 1)/wa > (sb + 1)/wb.
                    prop_assert!(
                        (sa - 1) * wb <= (sb + 1) * wa,
                        "{}={} (w {}) could give to {}={} (w {})", a.name, a.share, a.weight, b.name, b.share, b.weight
                    );
                }
            }
        }

        /// No panic and the invariants hold on any input, huge values and
        /// max below min included.
        #[test]
        fn any_input(
            total in any::<u64>(),
            lo in prop_oneof![Just(0u64), 0u64..4, any::<u64>()],
            hi in prop::option::of(prop_oneof![0u64..4, any::<u64>(), Just(u64::MAX)]),
            f in prop::collection::btree_map("[a-e]{1,2}", prop_oneof![Just(0u64), any::<u64>(), Just(u64::MAX)], 0..6)
                .prop_map(|m| m.into_iter().collect::<Vec<_>>()),
        ) {
            let d = run(total, lo, hi, &f);
            let hi = hi.map(|h| h.max(lo));
            let n = f.len() as u128;
            let t = u128::from(total);
            if n > 0 && n * u128::from(lo) <= t && hi.is_none_or(|h| t <= n * u128::from(h)) {
                prop_assert_eq!(d.sum, t);
            }
            for s in &d.shares {
                prop_assert!(s.share >= lo && hi.is_none_or(|h| s.share <= h));
                let _ = d.explain(&s.name);
            }
            let _ = d.summary();
        }
    }
}
