//! The state of a simulation: agents as columns (struct of arrays), ties as
//! compressed sparse rows of directed halves.
//!
//! Agent `i`'s columns hold its seven power bases (French & Raven 1959; Raven
//! 1965), its resources, income, self-esteem, motive (personalized share,
//! Magee & Langner 2008), exit cost, outside alternatives and group
//! memberships. A relationship between `i` and `j` is stored as two halves,
//! `i -> j` in `i`'s row and `j -> i` in `j`'s row; `reverse` finds one from
//! the other in O(1). Each half holds the owner's engagement, resentment and
//! affect toward the other ([`TieState`], kept together because every rule
//! that reads one reads the others, and a half is read from the far end of a
//! tie in one cache line), and how often the owner prevailed over the other
//! (a column of its own, kept only for groups whose outputs show it).

use crate::network::Csr;

/// Number of power bases.
pub const N_BASES: usize = 7;
/// Names of the power bases, in column order.
pub const BASE_NAMES: [&str; N_BASES] = [
    "coercive",
    "reward",
    "legitimate",
    "connection",
    "referent",
    "informational",
    "expert",
];
/// Index of the coercive base.
pub const COERCIVE: usize = 0;
/// Index of the reward base.
pub const REWARD: usize = 1;
/// Index of the legitimate base.
pub const LEGITIMATE: usize = 2;
/// Index of the connection base.
pub const CONNECTION: usize = 3;
/// Index of the referent base.
pub const REFERENT: usize = 4;
/// Index of the informational base.
pub const INFORMATIONAL: usize = 5;
/// Index of the expert base.
pub const EXPERT: usize = 6;
/// The consult tactic (listen and talk), which uses no base.
pub const CONSULT: usize = 7;
/// Number of tactics: one per base, plus consult.
pub const N_TACTICS: usize = 8;
/// Names of the tactics, in column order.
pub const TACTIC_NAMES: [&str; N_TACTICS] = [
    "coercive",
    "reward",
    "legitimate",
    "connection",
    "referent",
    "informational",
    "expert",
    "consult",
];

/// One directed half of a relationship, owned by the agent whose row holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct TieState {
    /// The owner's investment in the relationship, in [0, 1]; 0 means exited.
    pub engagement: f32,
    /// The owner's resentment toward the other, >= 0.
    pub resentment: f32,
    /// The owner's liking of the other, in [-1, 1].
    pub affect: f32,
}

impl Default for TieState {
    fn default() -> Self {
        TieState {
            engagement: 1.0,
            resentment: 0.0,
            affect: 0.0,
        }
    }
}

/// A per-agent `f32` attribute stored once while every agent holds the same
/// value, and as a column of its own once they differ.
///
/// Many attributes are one number for a whole scenario (income 1, no
/// endowment, one self-esteem for all); storing such an attribute once saves
/// four bytes per agent each (with eight such attributes, 32 of an agent's
/// ~320 bytes) and reads one cached value instead of a stream. Reading is
/// [`Column::get`]; a rule or event that changes agents one by one asks for
/// [`Column::values_mut`], which spreads the shared value into a column
/// first. Values are compared bit for bit, so a column built from values that
/// are all equal holds exactly those values. Two columns are equal when they
/// give every agent the same value, bit for bit, however they store it.
#[derive(Debug, Clone, Default)]
pub struct Column {
    /// Number of agents (0: the attribute is absent).
    len: usize,
    /// `usize::MAX` while `values` holds one value per agent, 0 while it
    /// holds the one shared value: agent `i`'s value is `values[i & mask]`,
    /// without a branch.
    mask: usize,
    /// One value per agent, or the shared value alone.
    values: Vec<f32>,
}

impl Column {
    /// A column of `len` agents that all hold `value` (absent when `len` is 0).
    pub fn uniform(len: usize, value: f32) -> Column {
        if len == 0 {
            return Column::default();
        }
        Column {
            len,
            mask: 0,
            values: vec![value],
        }
    }

    /// A column holding `values`, stored once when they are all bit-for-bit equal.
    pub fn from_values(values: Vec<f32>) -> Column {
        match values.first() {
            Some(&v) if values.iter().all(|x| x.to_bits() == v.to_bits()) => {
                Column::uniform(values.len(), v)
            }
            None => Column::default(),
            _ => Column {
                len: values.len(),
                mask: usize::MAX,
                values,
            },
        }
    }

    /// Number of agents (0 when the attribute is absent).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the column holds no agents (the attribute is absent).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every agent holds the same value, stored once.
    pub fn is_uniform(&self) -> bool {
        self.mask == 0
    }

    /// Agent `i`'s value. `i` must be below [`Column::len`]: debug builds
    /// check it; release builds give the shared value of a uniform column
    /// for any `i` (and panic past the end of a per-agent one).
    #[inline]
    pub fn get(&self, i: usize) -> f32 {
        debug_assert!(i < self.len, "agent {i} of {}", self.len);
        self.values[i & self.mask]
    }

    /// Agent `i`'s value, or `fallback` when the attribute is absent.
    #[inline]
    pub fn get_or(&self, i: usize, fallback: f32) -> f32 {
        if self.len == 0 {
            fallback
        } else {
            self.get(i)
        }
    }

    /// The values, one per agent, to change: a shared value is spread into a column first.
    pub fn values_mut(&mut self) -> &mut [f32] {
        if self.mask == 0 && self.len > 0 {
            self.values = vec![self.values[0]; self.len];
            self.mask = usize::MAX;
        }
        &mut self.values
    }

    /// The values, one per agent, when they are stored one per agent; `None`
    /// while every agent shares one value.
    pub fn as_slice(&self) -> Option<&[f32]> {
        (self.mask != 0).then_some(self.values.as_slice())
    }

    /// The values, one per agent, as a new vector.
    pub fn to_vec(&self) -> Vec<f32> {
        (0..self.len).map(|i| self.get(i)).collect()
    }
}

impl PartialEq for Column {
    fn eq(&self, other: &Column) -> bool {
        self.len == other.len
            && (0..self.len).all(|i| self.get(i).to_bits() == other.get(i).to_bits())
    }
}

/// A named individual or a population: a block of consecutive agents.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// The individual's or population's name.
    pub name: String,
    /// Whether this is a named individual (one agent).
    pub named: bool,
    /// First agent index.
    pub start: usize,
    /// Number of agents.
    pub count: usize,
    /// Group indices of every member.
    pub groups: Vec<usize>,
}

/// Agent columns: one entry per agent, except that a [`Column`] holds one
/// value while every agent shares it.
#[derive(Debug, Clone, Default)]
pub struct Agents {
    /// Current power bases, one column per base (see [`BASE_NAMES`]).
    pub bases: [Vec<f32>; N_BASES],
    /// Fixed endowments of the derived bases: reward, connection, referent.
    pub endowment: [Column; 3],
    /// The coercive base an agent's dominance relaxes toward (its starting
    /// value); empty unless contests forget.
    pub coercive_baseline: Column,
    /// The informational base an agent's information recovers toward (its
    /// starting value); empty unless knowledge renews.
    pub info_baseline: Column,
    /// Resources (money, means), >= 0.
    pub resources: Vec<f64>,
    /// Resources gained each step (salary).
    pub income: Column,
    /// Self-esteem in [0, 1].
    pub self_esteem: Vec<f32>,
    /// The self-esteem an agent recovers toward.
    pub esteem_baseline: Column,
    /// Personalized share of power motivation in [0, 1] (0 socialized, 1 personalized).
    pub motive: Column,
    /// Cost of leaving in [0, 1].
    pub exit_cost: Column,
    /// Alternatives outside the network (job offers, other partners), >= 0.
    pub alternatives: Vec<f32>,
    /// First agent of each cohort, ascending: cohorts are consecutive runs
    /// of agents, so an agent's cohort is found by binary search
    /// ([`Agents::cohort_of`]) instead of stored per agent.
    pub cohort_starts: Vec<u32>,
    /// Group memberships as a bit set (at most 64 groups); empty when the
    /// scenario declares no groups (see [`Agents::groups_of`]).
    pub groups: Vec<u64>,
    /// Opinion on the current issue, in [0, 1].
    pub opinion: Vec<f32>,
    /// Prejudice: the anchor of the opinion on the current issue.
    pub prejudice: Vec<f32>,
    /// Self-weight `W_ii` in influence, in [0, 1].
    pub self_weight: Column,
    /// Susceptibility `lambda_i` to influence, in [0, 1].
    pub susceptibility: Column,
    /// Response to dissatisfaction in the last step (see `rules::response::Response`).
    pub response: Vec<u8>,
    /// How far others accept the legitimate power of each cohort's members
    /// (their groups' acceptance), in [0, 1], indexed by cohort (see
    /// [`Agents::acceptance_of`]): group modifiers are the same for every
    /// member of a cohort, so they are stored once per cohort.
    pub cohort_acceptance: Vec<f32>,
    /// Multiplier of each cohort's members' chance of promotion (their
    /// groups'), indexed by cohort (see [`Agents::promotion_of`]).
    pub cohort_promotion: Vec<f32>,
}

impl Agents {
    /// Number of agents.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether there are no agents.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The cohort (population or named individual) of agent `i`; the last
    /// cohort for an index past the end. With one cohort, no search.
    #[inline]
    pub fn cohort_of(&self, i: usize) -> usize {
        match self.cohort_starts.len() {
            0 | 1 => 0,
            _ => self.cohort_starts.partition_point(|&s| s as usize <= i) - 1,
        }
    }

    /// How far others accept agent `i`'s legitimate power.
    pub fn acceptance_of(&self, i: usize) -> f32 {
        self.cohort_acceptance[self.cohort_of(i)]
    }

    /// Multiplier of agent `i`'s chance of promotion.
    pub fn promotion_of(&self, i: usize) -> f32 {
        self.cohort_promotion[self.cohort_of(i)]
    }

    /// Agent `i`'s group memberships as a bit set (0 without groups).
    pub fn groups_of(&self, i: usize) -> u64 {
        self.groups.get(i).copied().unwrap_or(0)
    }

    /// Sum of an agent's seven bases: its total power.
    pub fn total_power(&self, i: usize) -> f32 {
        self.bases.iter().map(|col| col[i]).sum()
    }

    /// `out[k] = total_power(start + k)`, the same bits, a base at a time
    /// over the whole slice (a loop the compiler vectorises).
    pub fn total_power_into(&self, start: usize, out: &mut [f32]) {
        // The sum's starting value, as `total_power`'s `sum()` has it.
        out.fill(std::iter::empty::<f32>().sum());
        let end = start + out.len();
        for col in &self.bases {
            for (o, &b) in out.iter_mut().zip(&col[start..end]) {
                *o += b;
            }
        }
    }
}

/// Ties: the network's structure and the state of each directed half.
#[derive(Debug, Clone)]
pub struct Ties {
    /// Structure: rows, targets and reverse halves.
    pub csr: Csr,
    /// State of each half, indexed like `csr.targets`.
    pub state: Vec<TieState>,
    /// Times the owner of each half prevailed over the other side, indexed
    /// like `csr.targets`: decisions it won as the actor (by compliance or by
    /// winning the contest it started), contests and dominance encounters it
    /// won on either side, complaints it voiced that were heard. Kept only
    /// where an output shows them — groups small enough for the hierarchy
    /// metrics or for `ties.csv`; empty otherwise (see [`Ties::wins_of`]).
    pub wins: Vec<u32>,
    /// Explicit relative influence weights `C_ij` per half (row-normalised
    /// over the agent's ties); empty unless the scenario fixes the weights.
    pub relative: Vec<f64>,
    /// Closed halves (a tie cut, an agent gone or not yet joined): engagement
    /// 0, never re-engaged. Empty unless the scenario has such events.
    pub closed: Vec<bool>,
    /// Halves of ties cut by an event, or not yet added (both halves of a
    /// tie alike). Empty unless the scenario has such events.
    pub cut: Vec<bool>,
    /// Agents that have left or not yet joined. Empty unless the scenario
    /// has such events.
    pub absent: Vec<bool>,
}

impl Ties {
    /// Wins of half `e` (0 when wins are not kept).
    pub fn wins_of(&self, e: usize) -> u32 {
        self.wins.get(e).copied().unwrap_or(0)
    }

    /// The half from `i` to `j`, if they are tied.
    pub fn half(&self, i: usize, j: usize) -> Option<usize> {
        let row = self.csr.row(i);
        self.csr.targets[row.clone()]
            .binary_search(&(j as u32))
            .ok()
            .map(|k| row.start + k)
    }

    /// Whether half `e` is closed by an event (false when no event closes
    /// ties).
    #[inline]
    pub fn is_closed(&self, e: usize) -> bool {
        self.closed.get(e).copied().unwrap_or(false)
    }

    /// Allocates the flags of events that change membership or ties, every
    /// tie open and every agent present.
    pub fn allow_closing(&mut self) {
        self.closed = vec![false; self.state.len()];
        self.cut = vec![false; self.state.len()];
        self.absent = vec![false; self.csr.n()];
    }

    /// Agent `i` leaves (`gone`) or joins (`!gone`). Leaving closes every
    /// tie of `i`; joining opens those whose other end is present and that
    /// no event has cut (a tie to an agent who left stays closed), and
    /// leaves the engagement of a tie already open as it is.
    /// [`Ties::allow_closing`] must have been called.
    pub fn set_absent(&mut self, i: usize, gone: bool) -> usize {
        self.absent[i] = gone;
        let mut changed = 0;
        for e in self.csr.row(i) {
            let j = self.csr.targets[e] as usize;
            changed += usize::from(self.reconsider(e, gone || self.absent[j] || self.cut[e]));
        }
        changed
    }

    /// Cuts (`cut`) or adds (`!cut`) the tie at half `e`: an added tie opens
    /// only when both its ends are present. Returns whether the tie opened
    /// or closed. [`Ties::allow_closing`] must have been called.
    pub fn set_cut(&mut self, e: usize, cut: bool) -> bool {
        let r = self.csr.reverse[e] as usize;
        self.cut[e] = cut;
        self.cut[r] = cut;
        let (i, j) = (self.csr.targets[r] as usize, self.csr.targets[e] as usize);
        self.reconsider(e, cut || self.absent[i] || self.absent[j])
    }

    /// Closes the tie at half `e`, or opens it if it is closed; returns
    /// whether it changed.
    fn reconsider(&mut self, e: usize, closed: bool) -> bool {
        if closed == self.closed[e] {
            return false;
        }
        self.set_closed(e, closed);
        true
    }

    /// Opens or closes both halves of the tie at half `e`.
    pub fn set_closed(&mut self, e: usize, closed: bool) {
        let r = self.csr.reverse[e] as usize;
        for h in [e, r] {
            self.closed[h] = closed;
            self.state[h].engagement = if closed { 0.0 } else { 1.0 };
        }
    }
}

/// The whole state of a simulation.
#[derive(Debug, Clone)]
pub struct World {
    /// Agent columns.
    pub agents: Agents,
    /// Tie rows.
    pub ties: Ties,
    /// Named individuals and populations, in agent order.
    pub cohorts: Vec<Cohort>,
    /// Group names, in declaration order (bit `g` of `agents.groups`).
    pub groups: Vec<String>,
}

impl World {
    /// The display name of agent `i`: its own name, or `population#k`.
    pub fn agent_label(&self, i: usize) -> String {
        let mut s = String::new();
        self.push_agent_label(&mut s, i);
        s
    }

    /// Appends [`Self::agent_label`] of agent `i` to `out`.
    pub fn push_agent_label(&self, out: &mut String, i: usize) {
        use std::fmt::Write;
        let c = &self.cohorts[self.agents.cohort_of(i)];
        out.push_str(&c.name);
        if !c.named {
            let _ = write!(out, "#{}", i - c.start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_power_into_is_total_power_bit_for_bit() {
        let n = 37;
        let mut a = Agents::default();
        for (k, col) in a.bases.iter_mut().enumerate() {
            *col = (0..n)
                .map(|i| match (i + k) % 11 {
                    0 => -0.0,
                    1 => 0.0,
                    2 => 1e-40,
                    _ => (i * 7 + k * 3) as f32 * 0.137 - 1.0,
                })
                .collect();
        }
        // An agent whose bases are all -0.0: the sign of the sum's zero.
        for col in a.bases.iter_mut() {
            col[5] = -0.0;
        }
        for start in [0, 3] {
            let mut out = vec![f32::NAN; n - start - 2];
            a.total_power_into(start, &mut out);
            for (k, &p) in out.iter().enumerate() {
                assert_eq!(
                    p.to_bits(),
                    a.total_power(start + k).to_bits(),
                    "{}",
                    start + k
                );
            }
        }
    }

    #[test]
    fn a_column_of_equal_values_is_stored_once_and_spreads_when_changed() {
        let c = Column::from_values(vec![0.25; 5]);
        assert!(c.is_uniform());
        assert_eq!(c.len(), 5);
        assert_eq!(c.to_vec(), vec![0.25; 5]);
        let mut d = c.clone();
        d.values_mut()[3] = 0.5;
        assert!(!d.is_uniform());
        assert_eq!(d.to_vec(), vec![0.25, 0.25, 0.25, 0.5, 0.25]);
        // Values that differ, even only in the sign of zero, keep a column.
        let e = Column::from_values(vec![0.0, -0.0]);
        assert!(!e.is_uniform());
        assert_eq!(e.get(1).to_bits(), (-0.0f32).to_bits());
        let f = Column::from_values(vec![1.0, 2.0, 3.0]);
        assert_eq!((f.get(0), f.get(2)), (1.0, 3.0));
        // An absent attribute falls back.
        let none = Column::default();
        assert!(none.is_empty());
        assert_eq!(none.get_or(7, 0.75), 0.75);
        assert_eq!(c.get_or(4, 0.75), 0.25);
        // Equality is of the values agents hold, not of how they are stored.
        let mut spread = c.clone();
        spread.values_mut();
        assert!(!spread.is_uniform());
        assert_eq!(spread, c);
        assert_ne!(d, c);
        assert_ne!(e, Column::from_values(vec![0.0, 0.0]));
        assert_ne!(Column::uniform(4, 0.25), c, "lengths differ");
    }

    #[test]
    fn an_agents_cohort_is_the_run_it_falls_in() {
        let mut a = Agents::default();
        assert_eq!(a.cohort_of(5), 0, "no cohorts recorded: the first");
        a.cohort_starts = vec![0];
        assert_eq!(a.cohort_of(999), 0);
        // Cohorts of 3, 1 and 4 agents: 0 0 0 | 1 | 2 2 2 2.
        a.cohort_starts = vec![0, 3, 4];
        let got: Vec<usize> = (0..8).map(|i| a.cohort_of(i)).collect();
        assert_eq!(got, vec![0, 0, 0, 1, 2, 2, 2, 2]);
    }
}
