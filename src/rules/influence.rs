//! Influence: opinions move toward the opinions of those who have power over
//! the agent, anchored by its prejudice.
//!
//! French (1956) and DeGroot (1974) model influence as repeated weighted
//! averaging; Friedkin & Johnsen (1990, 1999) add an anchor, the agent's
//! prejudice (its opinion before discussion), weighted by its susceptibility:
//!
//! ```text
//! x_i(t+1) = lambda_i * (W_ii x_i(t) + sum_j W_ij x_j(t)) + (1 - lambda_i) * u_i
//! W_ij     = (1 - W_ii) * C_ij,   sum_j C_ij = 1 over i's ties
//! ```
//!
//! `W_ii` is the agent's self-weight (its stubbornness) and `C_ij` the
//! relative weight it gives tie `j`. Weights are given explicitly in the
//! scenario (a weighted edge list or a matrix), in which case they are fixed
//! ("power held fixed"; given weights are relative: each row is normalised to
//! sum to 1; a row without a diagonal entry keeps the agent's `self_weight`
//! attribute and its other entries become the relative weights `C_ij`), or come from dyadic power (see [`super::dependence`]): the agent
//! spreads its openness `1 - s_i` (`s_i` its self-weight attribute) evenly
//! over its ties and listens to each partner fully when the partner has at
//! least as much power over it as it has over the partner, and in proportion
//! otherwise, keeping the rest for itself:
//!
//! ```text
//! W_ij = (1 - s_i) / deg_i * min(1, 2 P(j over i) / (P(j over i) + P(i over j)))
//! W_ii = 1 - sum_j W_ij
//! ```
//!
//! so the powerful listen less to the weak than the weak to the powerful
//! (French 1956: influence flows along power). With `lambda_i = 1` for all agents the
//! rule is French–DeGroot; with `coupled = true`, `lambda_i = 1 - W_ii`, the
//! Friedkin–Johnsen (1999) coupling. The update is synchronous: every agent
//! reads opinions at `t` and writes `t+1`.
//!
//! With the weights fixed, the equilibrium has closed forms, which
//! [`equilibrium`] and [`social_power`] compute for groups of up to
//! `max_exact` agents:
//!
//! ```text
//! DeGroot:           x* = (pi . x(0)) 1,   pi W = pi, sum pi = 1 (left Perron vector)
//! Friedkin–Johnsen:  y* = V u,   V = (I - Lambda W)^-1 (I - Lambda)
//! social power       c_j = pi_j (DeGroot) or (1/n) sum_i V_ij (Friedkin 2011)
//! ```
//!
//! The DeGroot consensus is given only when the network's closed class is
//! aperiodic ([`closed_class_aperiodic`]); otherwise opinions cycle.
//!
//! **Reflected appraisal** (Friedkin 2011; Jia, MirTabatabaei, Friedkin &
//! Bullo 2015): discussion runs over a sequence of issues of `issue_length`
//! steps. At the end of an issue each agent's self-weight becomes the social
//! power it exerted on that issue, `W_ii <- c_i`, and the next issue starts
//! from new opinions and prejudices drawn from the scenario's distributions.
//! With explicit relative weights `C` this is the DeGroot–Friedkin model,
//! whose self-weights converge to a fixed point set by the eigenvector
//! centrality of `C` (democracy, `1/n` each, when `C` is doubly stochastic;
//! autocracy of the centre of a star).

use crate::scenario::reader::{as_number, Ctx, Table};

/// The largest explicit influence weight: weights are relative (each row is
/// scaled to sum to 1), so a ceiling costs nothing and keeps a row's sum finite.
pub const MAX_WEIGHT: f64 = 1e12;

/// Parameters of the influence rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether opinions move. Default false without a `[rules.influence]`
    /// section (opinions stay at their starting values), true with one.
    pub enabled: bool,
    /// Friedkin–Johnsen coupling `lambda_i = 1 - W_ii` instead of the agents' own susceptibility. Default false.
    pub coupled: bool,
    /// Steps per issue for reflected appraisal; 0 means one issue for the whole run. Default 0.
    pub issue_length: u64,
    /// Largest group for which closed forms and social powers are computed (O(n^3)). Default 300.
    pub max_exact: usize,
    /// Explicit weights `(i, j, w)`: agent `i`'s weight on agent `j` (`i == j`: its self-weight), fixed for the run.
    pub explicit: Option<Vec<(u32, u32, f64)>>,
    /// Where each explicit weight was written (for the problems only the
    /// generated network shows: a weight on a pair it does not tie).
    pub explicit_places: Vec<crate::error::Place>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            coupled: false,
            issue_length: 0,
            max_exact: 300,
            explicit: None,
            explicit_places: Vec::new(),
        }
    }
}

impl Params {
    /// Reads `[rules.influence]`; `resolve` maps an agent reference to its index, `n` is the number of agents.
    pub fn read(
        t: Option<Table<'_, '_>>,
        ctx: &mut Ctx<'_>,
        resolve: &dyn Fn(&str) -> Result<u32, String>,
        n: u64,
    ) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let mut p = Params {
            enabled: t.bool(ctx, "enabled", true),
            coupled: t.bool(ctx, "coupled", d.coupled),
            issue_length: t.u64(ctx, "issue_length", d.issue_length, 0, 1 << 40),
            max_exact: t.u64(ctx, "max_exact", d.max_exact as u64, 0, 5000) as usize,
            explicit: None,
            explicit_places: Vec::new(),
        };
        let has_list = t.has("weights");
        let has_matrix = t.has("matrix");
        if has_list && has_matrix {
            let span = t.get("matrix").map(|v| v.span());
            ctx.error(
                span,
                &t.field("matrix"),
                "give either weights or matrix, not both",
                "remove one of the two",
            );
        }
        if let Some(v) = t.get("weights") {
            p.explicit = read_list(v, &t.field("weights"), ctx, resolve, &mut p.explicit_places);
        }
        if let Some(v) = t.get("matrix") {
            p.explicit = read_matrix(v, &t.field("matrix"), ctx, n, &mut p.explicit_places);
        }
        if p.issue_length > 0 && n as usize > p.max_exact {
            ctx.error(
                Some(t.span()),
                &t.field("issue_length"),
                format!(
                    "reflected appraisal needs social powers, computed exactly for at most max_exact = {} agents; this scenario has {n}",
                    p.max_exact
                ),
                "raise max_exact (the cost grows as n^3) or set issue_length = 0",
            );
        }
        t.finish(ctx);
        p
    }

    /// Whether the weights are given and fixed.
    pub fn fixed(&self) -> bool {
        self.explicit.is_some()
    }
}

fn read_list(
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    path: &str,
    ctx: &mut Ctx<'_>,
    resolve: &dyn Fn(&str) -> Result<u32, String>,
    places: &mut Vec<crate::error::Place>,
) -> Option<Vec<(u32, u32, f64)>> {
    places.clear();
    let toml::de::DeValue::Array(items) = v.get_ref() else {
        ctx.error(
            Some(v.span()),
            path,
            "expected a list of [from, to, weight] triples",
            "write weights = [[\"alex\", \"sam\", 0.3], [\"alex\", \"alex\", 0.7]]",
        );
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    // Each pair's first entry.
    let mut seen = std::collections::HashMap::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let here = format!("{path}[{k}]");
        let triple = match item.get_ref() {
            toml::de::DeValue::Array(x) if x.len() == 3 => Some((
                x[0].get_ref().as_str().map(str::to_string),
                x[1].get_ref().as_str().map(str::to_string),
                as_number(x[2].get_ref()),
            )),
            _ => None,
        };
        match triple {
            Some((Some(a), Some(b), Some(w))) if (0.0..=MAX_WEIGHT).contains(&w) => {
                match (resolve(&a), resolve(&b)) {
                    (Ok(i), Ok(j)) => match seen.entry((i, j)) {
                        std::collections::hash_map::Entry::Occupied(first) => {
                            // Not summed: a repeated pair is a slip.
                            ctx.error(
                                Some(item.span()),
                                &here,
                                format!(
                                    "the weight of `{a}` on `{b}` is given twice (first at {path}[{}])",
                                    first.get()
                                ),
                                "give each pair once",
                            );
                            ok = false;
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(k);
                            out.push((i, j, w));
                            places.push(ctx.place_of(item.span(), &here));
                        }
                    },
                    (ia, ib) => {
                        // Each end that names nobody, with what to write instead.
                        for (name, r) in [(&a, ia), (&b, ib)] {
                            if let Err(help) = r {
                                ctx.error(
                                    Some(item.span()),
                                    &here,
                                    crate::scenario::unknown_name_problem(
                                        name,
                                        format!("no agent is called `{name}`"),
                                    ),
                                    help,
                                );
                            }
                        }
                        ok = false;
                    }
                }
            }
            Some((Some(_), Some(_), _)) => {
                ctx.error(
                    Some(item.span()),
                    &here,
                    "the weight must be a number from 0 to 1e12",
                    "write a weight such as 0.25",
                );
                ok = false;
            }
            _ => {
                ctx.error(
                    Some(item.span()),
                    &here,
                    "expected [from, to, weight]",
                    "write [\"alex\", \"sam\", 0.3]: alex's weight on sam's opinion",
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn read_matrix(
    v: &toml::Spanned<toml::de::DeValue<'_>>,
    path: &str,
    ctx: &mut Ctx<'_>,
    n: u64,
    places: &mut Vec<crate::error::Place>,
) -> Option<Vec<(u32, u32, f64)>> {
    places.clear();
    let rows = match v.get_ref() {
        toml::de::DeValue::Array(rows) => rows,
        _ => {
            ctx.error(
                Some(v.span()),
                path,
                "expected a matrix (a list of rows)",
                "write matrix = [[0.5, 0.5], [0.2, 0.8]]",
            );
            return None;
        }
    };
    if rows.len() as u64 != n {
        ctx.error(
            Some(v.span()),
            path,
            format!(
                "the matrix has {} rows; the scenario has {n} agents",
                rows.len()
            ),
            "give one row per agent, in agent order (individuals, then populations)",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, row) in rows.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let cells = match row.get_ref() {
            toml::de::DeValue::Array(x) if x.len() as u64 == n => Some(x),
            _ => None,
        };
        let values: Option<Vec<f64>> =
            cells.and_then(|x| x.iter().map(|c| as_number(c.get_ref())).collect());
        match values {
            Some(vals) if vals.iter().all(|w| (0.0..=MAX_WEIGHT).contains(w)) => {
                for (j, w) in vals.into_iter().enumerate() {
                    // A matrix row always gives its diagonal, 0 included:
                    // s_i = c_ii / (c_ii + sum_j c_ij).
                    if w > 0.0 || i == j {
                        out.push((i as u32, j as u32, w));
                        let span = cells.map_or(row.span(), |x| x[j].span());
                        places.push(ctx.place_of(span, &format!("{here}[{j}]")));
                    }
                }
            }
            _ => {
                ctx.error(
                    Some(row.span()),
                    &here,
                    format!("expected a row of {n} numbers from 0 to 1e12"),
                    "write each row as [w_i1, w_i2, ...]",
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// A dense square matrix in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Size.
    pub n: usize,
    /// Entries, row-major.
    pub a: Vec<f64>,
}

impl Dense {
    /// The zero matrix.
    pub fn zeros(n: usize) -> Self {
        Dense {
            n,
            a: vec![0.0; n * n],
        }
    }

    /// Entry (i, j).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }

    /// Mutable entry (i, j).
    pub fn at_mut(&mut self, i: usize, j: usize) -> &mut f64 {
        &mut self.a[i * self.n + j]
    }
}

/// Solves `A X = B` for `X` (B has `m` columns, row-major n×m) by Gaussian
/// elimination with partial pivoting; None if A is singular.
pub fn solve(a: &Dense, b: &[f64], m: usize) -> Option<Vec<f64>> {
    let n = a.n;
    let mut a = a.a.clone();
    let mut b = b.to_vec();
    for col in 0..n {
        let (piv, max) = (col..n)
            .map(|r| (r, a[r * n + col].abs()))
            .fold((col, -1.0), |best, x| if x.1 > best.1 { x } else { best });
        if max < 1e-13 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            for k in 0..m {
                b.swap(piv * m + k, col * m + k);
            }
        }
        let d = a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                for k in 0..m {
                    b[r * m + k] -= f * b[col * m + k];
                }
            }
        }
    }
    let mut x = vec![0.0; n * m];
    for r in (0..n).rev() {
        for k in 0..m {
            let mut s = b[r * m + k];
            for c in r + 1..n {
                s -= a[r * n + c] * x[c * m + k];
            }
            x[r * m + k] = s / a[r * n + r];
        }
    }
    Some(x)
}

/// The left Perron vector of a row-stochastic `w`: `pi W = pi`, `sum pi = 1`.
/// None if it is not unique (the influence network has more than one closed class).
pub fn left_perron(w: &Dense) -> Option<Vec<f64>> {
    let n = w.n;
    if n == 0 {
        return Some(Vec::new());
    }
    // (W^T - I) pi = 0 with the last equation replaced by sum pi = 1.
    let mut m = Dense::zeros(n);
    for i in 0..n {
        for j in 0..n {
            *m.at_mut(i, j) = w.at(j, i) - if i == j { 1.0 } else { 0.0 };
        }
    }
    for j in 0..n {
        *m.at_mut(n - 1, j) = 1.0;
    }
    let mut rhs = vec![0.0; n];
    rhs[n - 1] = 1.0;
    let pi = solve(&m, &rhs, 1)?;
    pi.iter().all(|x| x.is_finite() && *x > -1e-9).then_some(pi)
}

/// Whether the closed class of `w` (the agents reachable from the one of
/// largest Perron weight `pi`, along ties `i -> j` with `W_ij > 0`) is
/// aperiodic: the greatest common divisor of its cycle lengths is 1. DeGroot
/// opinions converge to a consensus only then (a row-stochastic matrix with
/// one closed class converges when that class is aperiodic; Seneta 1981,
/// Jackson 2008 ch. 8). The period is the gcd of `level(i) + 1 - level(j)`
/// over the class's ties, with levels from a breadth-first search.
pub fn closed_class_aperiodic(w: &Dense, pi: &[f64]) -> bool {
    let n = w.n;
    let Some(start) = (0..n).max_by(|&a, &b| pi[a].total_cmp(&pi[b])) else {
        return true;
    };
    let mut level = vec![usize::MAX; n];
    level[start] = 0;
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(i) = queue.pop_front() {
        for j in 0..n {
            if w.at(i, j) > 0.0 && level[j] == usize::MAX {
                level[j] = level[i] + 1;
                queue.push_back(j);
            }
        }
    }
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let mut period = 0;
    for i in (0..n).filter(|&i| level[i] != usize::MAX) {
        for j in (0..n).filter(|&j| w.at(i, j) > 0.0) {
            // level[i] + 1 >= level[j] for every tie a breadth-first search sees.
            period = gcd(period, level[i] + 1 - level[j]);
        }
    }
    period == 1
}

/// The total-effects matrix `V = (I - Lambda W)^-1 (I - Lambda)` of Friedkin–Johnsen; None if singular.
pub fn total_effects(w: &Dense, lambda: &[f64]) -> Option<Dense> {
    let n = w.n;
    let mut m = Dense::zeros(n);
    let mut rhs = vec![0.0; n * n];
    for (i, &l) in lambda.iter().enumerate().take(n) {
        for j in 0..n {
            *m.at_mut(i, j) = if i == j { 1.0 } else { 0.0 } - l * w.at(i, j);
        }
        rhs[i * n + i] = 1.0 - l;
    }
    solve(&m, &rhs, n).map(|a| Dense { n, a })
}

/// Whether every agent is fully susceptible (the French–DeGroot case).
fn degroot(lambda: &[f64]) -> bool {
    lambda.iter().all(|&l| l >= 1.0)
}

/// The equilibrium opinions: the consensus `pi . x0` for DeGroot, `V u` for Friedkin–Johnsen.
pub fn equilibrium(w: &Dense, lambda: &[f64], x0: &[f64], prejudice: &[f64]) -> Option<Vec<f64>> {
    let n = w.n;
    if degroot(lambda) {
        let pi = left_perron(w)?;
        if !closed_class_aperiodic(w, &pi) {
            // Opinions cycle for ever (two agents listening only to each
            // other swap opinions every step): there is no consensus.
            return None;
        }
        let c: f64 = pi.iter().zip(x0).map(|(p, x)| p * x).sum();
        Some(vec![c; n])
    } else {
        let v = total_effects(w, lambda)?;
        Some(
            (0..n)
                .map(|i| (0..n).map(|j| v.at(i, j) * prejudice[j]).sum())
                .collect(),
        )
    }
}

/// Social power of each agent: `pi` for DeGroot, the column means of `V` for Friedkin–Johnsen.
/// Both are non-negative shares; a rounding error just below zero (about
/// -2e-17 in one review's extreme scenario; anything above -1e-12) and a
/// negative zero are given as 0, while a larger negative value or NaN is
/// left as it is, to be seen.
pub fn social_power(w: &Dense, lambda: &[f64]) -> Option<Vec<f64>> {
    let n = w.n;
    let shares = if degroot(lambda) {
        left_perron(w)?
    } else {
        let v = total_effects(w, lambda)?;
        (0..n)
            .map(|j| (0..n).map(|i| v.at(i, j)).sum::<f64>() / n as f64)
            .collect()
    };
    Some(
        shares
            .into_iter()
            .map(|x| if x <= 0.0 && x > -1e-12 { 0.0 } else { x })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense(rows: &[&[f64]]) -> Dense {
        let n = rows.len();
        Dense {
            n,
            a: rows.iter().flat_map(|r| r.iter().copied()).collect(),
        }
    }

    #[test]
    fn the_left_perron_vector_of_a_doubly_stochastic_matrix_is_uniform() {
        let w = dense(&[&[0.5, 0.25, 0.25], &[0.25, 0.5, 0.25], &[0.25, 0.25, 0.5]]);
        let pi = left_perron(&w).unwrap();
        for p in pi {
            assert!((p - 1.0 / 3.0).abs() < 1e-12);
        }
    }

    #[test]
    fn a_reducible_network_with_two_stubborn_agents_has_no_unique_perron_vector() {
        let w = dense(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.5, 0.5, 0.0]]);
        assert!(left_perron(&w).is_none());
    }

    #[test]
    fn a_periodic_closed_class_has_no_consensus() {
        // Two agents listening only to each other swap opinions every step.
        let swap = dense(&[&[0.0, 1.0], &[1.0, 0.0]]);
        assert!(left_perron(&swap).is_some());
        assert!(equilibrium(&swap, &[1.0, 1.0], &[0.1, 0.9], &[0.1, 0.9]).is_none());
        // A three-cycle with a follower outside it: period 3.
        let cycle = dense(&[
            &[0.0, 1.0, 0.0, 0.0],
            &[0.0, 0.0, 1.0, 0.0],
            &[1.0, 0.0, 0.0, 0.0],
            &[0.5, 0.0, 0.0, 0.5],
        ]);
        assert!(equilibrium(&cycle, &[1.0; 4], &[0.0, 0.5, 1.0, 0.2], &[0.0; 4]).is_none());
        // Cycles of lengths 2 and 3 together: aperiodic, a consensus.
        let mixed = dense(&[&[0.0, 0.5, 0.5], &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]]);
        let x = equilibrium(&mixed, &[1.0; 3], &[0.0, 0.5, 1.0], &[0.0; 3]).unwrap();
        // It is the limit of the iteration.
        let mut y = vec![0.0, 0.5, 1.0];
        for _ in 0..2000 {
            y = (0..3)
                .map(|i| (0..3).map(|j| mixed.at(i, j) * y[j]).sum())
                .collect();
        }
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-9, "{x:?} {y:?}");
        }
        // A self-weight makes any class aperiodic.
        let lazy = dense(&[&[0.1, 0.9], &[1.0, 0.0]]);
        assert!(equilibrium(&lazy, &[1.0, 1.0], &[0.1, 0.9], &[0.0; 2]).is_some());
    }

    #[test]
    fn friedkin_johnsen_with_no_susceptibility_keeps_prejudices() {
        let w = dense(&[&[0.5, 0.5], &[0.5, 0.5]]);
        let y = equilibrium(&w, &[0.0, 0.0], &[0.1, 0.9], &[0.1, 0.9]).unwrap();
        assert!((y[0] - 0.1).abs() < 1e-12 && (y[1] - 0.9).abs() < 1e-12);
        let c = social_power(&w, &[0.0, 0.0]).unwrap();
        assert!((c[0] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn solve_inverts_a_small_system() {
        let a = dense(&[&[2.0, 1.0], &[1.0, 3.0]]);
        let x = solve(&a, &[3.0, 5.0], 1).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12);
        assert!(solve(&dense(&[&[1.0, 2.0], &[2.0, 4.0]]), &[1.0, 1.0], 1).is_none());
    }
}
