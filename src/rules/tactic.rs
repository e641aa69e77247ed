//! Tactic choice and the target's response.
//!
//! An actor picks a partner (weighted by its engagement) and a tactic. The
//! propensity to use base `k` is the actor's holding of `k` times a preference
//! shaped by its motive (Magee & Langner 2008): a personalized motive (share
//! `m`) favours coercion; a socialized motive favours
//! giving rewards, sharing expertise and information, introductions, and
//! *consulting* — listening and talking instead of pushing, the article's
//! balanced relationship.
//!
//! ```text
//! pref_coercive = (m + retaliation * resentment(i,j)) * deterrence
//! deterrence    = exp(-fear * loss_aversion * coercive_j^2 / (coercive_i + coercive_j))
//! pref_reward   = 1 - m;  pref_connection = 0.5 (1 - m)
//! pref_info     = pref_expert = 1 - m/2;  pref_legitimate = pref_referent = 1
//! propensity_k  = base_i[k] * pref_k
//! propensity_consult = consult_rate * (1 - m) * sum_k propensity_k
//! ```
//!
//! (bases the scenario disallows get propensity 0; with sanctions, coercion's
//! propensity is further multiplied by `1 - sanction_detection`, see
//! [`super::coercion`]).
//!
//! The scenario's context brings motives out (Magee & Langner 2008: a
//! personalized motive predicts antisocial decisions in conflict, a
//! socialized one prosocial decisions): in a `conflict` the coercion
//! preference is multiplied by `1 + s m` and the prosocial ones by
//! `1 - s m / 2`; in a `cooperative` context the prosocial preferences by
//! `1 + s (1 - m)` and coercion by `1 - s (1 - m) / 2` (`s` the context
//! strength, factors floored at 0).
//!
//! Resentment toward the partner invites coercion (retaliation); the partner's
//! coercive capacity deters it through the expected loss from counter-coercion,
//! weighted by loss aversion (Molm 1997, about 2): the partner's chance of
//! prevailing, `coercive_j / (coercive_i + coercive_j)`, times the harm it can
//! do, `coercive_j`. Because that harm grows with the partner's absolute
//! capacity, equal high coercive capacity deters coercion more than equal low
//! capacity (the preference times the base, `C e^(-k C / 2)`, falls once
//! `C > 2 / k`), while under unequal capacity the stronger coerces and the
//! weaker is deterred: bilateral deterrence, which Lawler, Ford & Blegen
//! (1988) found "when actors have equal power, higher levels of coercive
//! capability will reduce the frequency of punitive tactics".
//!
//! The target complies with probability
//!
//! ```text
//! sigmoid(beta * (P(i over j) - P(j over i)) + bias_k
//!         + esteem_weight * (0.5 - self_esteem_j) - rho * resentment(j,i))
//! ```
//!
//! so power advantage, the tactic's own pull (being liked works better than
//! being feared), low self-esteem and low resentment all raise compliance.

use crate::model::{
    BASE_NAMES, COERCIVE, CONNECTION, EXPERT, INFORMATIONAL, N_BASES, N_TACTICS, REWARD,
};
use crate::scenario::reader::{Ctx, Table};

/// The situation agents act in (Magee & Langner 2008).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Motives act as they are.
    Neutral,
    /// A conflict of interest: a personalized motive turns antisocial (more
    /// coercion, less giving), in proportion to its share.
    Conflict,
    /// A cooperative task: a socialized motive turns prosocial (more giving,
    /// sharing and consulting, less coercion), in proportion to its share.
    Cooperative,
}

/// Parameters of tactic choice and response.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether agents act on each other at all (influence attempts and consult); off leaves only
    /// the other rules (bargaining, dominance encounters, influence on opinions, complaints of
    /// dissatisfied agents). Default true.
    pub enabled: bool,
    /// Extra preference for coercion per unit of resentment toward the partner. Default 1.0.
    pub retaliation: f64,
    /// Weight of the fear of counter-coercion, per unit of expected loss in coercive-base units (0 switches deterrence off). Default 1.0.
    pub fear: f64,
    /// Loss aversion: losses weigh this many times gains (Molm 1997). Default 2.0.
    pub loss_aversion: f64,
    /// How readily socialized agents consult instead of pushing (dimensionless). Default 1.0.
    pub consult_rate: f64,
    /// `beta`: sensitivity of compliance to the power difference (per unit of power). Default 2.0.
    pub sensitivity: f64,
    /// `rho`: how much each unit of the target's resentment lowers compliance (logit units). Default 1.0.
    pub resentment_weight: f64,
    /// How much low self-esteem raises compliance (logit units per unit of esteem below 0.5). Default 1.0.
    pub esteem_weight: f64,
    /// Share of the target's resources (per tie) that a decision won by the actor moves to it (a reward pays for the decision instead, see [`super::reward`]). Default 0.02.
    pub stake: f64,
    /// The situation: `neutral`, `conflict` or `cooperative`. Default neutral.
    pub context: Context,
    /// How strongly the context brings out motives (dimensionless). Default 1.
    pub context_strength: f64,
    /// `bias_k`: each base's own pull on compliance (logit units), in base order.
    /// Defaults: coercive 0, reward 0.5, legitimate 0.5, connection 0.5, referent 1, informational 0.5, expert 0.5.
    pub bias: [f64; N_BASES],
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            retaliation: 1.0,
            fear: 1.0,
            loss_aversion: 2.0,
            consult_rate: 1.0,
            sensitivity: 2.0,
            resentment_weight: 1.0,
            esteem_weight: 1.0,
            stake: 0.02,
            context: Context::Neutral,
            context_strength: 1.0,
            bias: [0.0, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5],
        }
    }
}

impl Params {
    /// Reads `[rules.tactics]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let mut p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            retaliation: t.f64(ctx, "retaliation", d.retaliation, 0.0, 1e6),
            fear: t.f64(ctx, "fear", d.fear, 0.0, 1e6),
            loss_aversion: t.f64(ctx, "loss_aversion", d.loss_aversion, 0.0, 1e6),
            consult_rate: t.f64(ctx, "consult_rate", d.consult_rate, 0.0, 1e6),
            sensitivity: t.f64(ctx, "sensitivity", d.sensitivity, 0.0, 1e6),
            resentment_weight: t.f64(ctx, "resentment_weight", d.resentment_weight, 0.0, 1e6),
            esteem_weight: t.f64(ctx, "esteem_weight", d.esteem_weight, 0.0, 1e6),
            stake: t.f64(ctx, "stake", d.stake, 0.0, 0.5),
            context: match t.string(ctx, "context") {
                None => d.context,
                Some(c) => match c.get_ref().as_str() {
                    "neutral" => Context::Neutral,
                    "conflict" => Context::Conflict,
                    "cooperative" => Context::Cooperative,
                    other => {
                        let names = ["neutral", "conflict", "cooperative"];
                        ctx.error(
                            Some(c.span()),
                            &t.field("context"),
                            format!("unknown context `{other}`"),
                            crate::scenario::reader::suggest(other, &names),
                        );
                        d.context
                    }
                },
            },
            context_strength: t.f64(ctx, "context_strength", d.context_strength, 0.0, 1e3),
            bias: d.bias,
        };
        if let Some(mut b) = t.table(ctx, "bias") {
            for (k, name) in BASE_NAMES.iter().enumerate() {
                p.bias[k] = b.f64(ctx, name, d.bias[k], -50.0, 50.0);
            }
            b.finish(ctx);
        }
        t.finish(ctx);
        p
    }

    /// Propensities of the eight tactics (seven bases, then consult) for an actor
    /// with these bases and motive, toward a partner it resents this much and
    /// whose coercive base is `partner_coercive`. `allowed[k]` is false for
    /// tactics whose rule is switched off.
    pub fn propensities(
        &self,
        bases: &[f32; N_BASES],
        motive: f32,
        resentment: f32,
        partner_coercive: f32,
        allowed: &[bool; N_TACTICS],
    ) -> [f32; N_TACTICS] {
        let m = motive.clamp(0.0, 1.0);
        let deterrence = self.deterrence(bases[COERCIVE], partner_coercive);
        let (antisocial, prosocial) = self.context_factors(m);
        let mut p = [0.0f32; N_TACTICS];
        let mut sum = 0.0;
        for k in 0..N_BASES {
            let pref = match k {
                COERCIVE => (m + self.retaliation as f32 * resentment) * deterrence * antisocial,
                REWARD => (1.0 - m) * prosocial,
                CONNECTION => 0.5 * (1.0 - m) * prosocial,
                INFORMATIONAL | EXPERT => (1.0 - 0.5 * m) * prosocial,
                _ => 1.0,
            };
            p[k] = if allowed[k] {
                bases[k].max(0.0) * pref
            } else {
                0.0
            };
            sum += p[k];
        }
        if allowed[crate::model::CONSULT] {
            p[crate::model::CONSULT] = self.consult_rate as f32 * (1.0 - m) * prosocial * sum;
        }
        p
    }

    /// The factor by which fear of counter-coercion damps the coercion
    /// preference of an actor with coercive base `own` toward a partner with
    /// `partner`: `exp(-fear * loss_aversion * L)`, where the expected loss
    /// `L = partner^2 / (own + partner)` is the partner's chance of prevailing
    /// in a counter-coercion (`partner / (own + partner)`) times the harm it
    /// can do (`partner`). 1 when neither holds coercive power.
    #[inline]
    pub fn deterrence(&self, own: f32, partner: f32) -> f32 {
        let (own, partner) = (own.max(0.0), partner.max(0.0));
        let total = own + partner;
        if total <= 0.0 {
            return 1.0;
        }
        let loss = partner * partner / total;
        crate::fastmath::exp_neg((self.fear * self.loss_aversion) as f32 * loss)
    }

    /// Multipliers of the antisocial (coercion) and prosocial (reward,
    /// connection, sharing knowledge, consult) preferences in the scenario's
    /// context, for an actor with personalized share `m` (Magee & Langner 2008).
    pub fn context_factors(&self, m: f32) -> (f32, f32) {
        let s = self.context_strength as f32;
        match self.context {
            Context::Neutral => (1.0, 1.0),
            Context::Conflict => (1.0 + s * m, (1.0 - 0.5 * s * m).max(0.0)),
            Context::Cooperative => ((1.0 - 0.5 * s * (1.0 - m)).max(0.0), 1.0 + s * (1.0 - m)),
        }
    }

    /// Probability that the target complies with tactic `k`, given the actor's
    /// power over the target, the target's power over the actor, the target's
    /// self-esteem and its resentment toward the actor.
    pub fn comply_probability(
        &self,
        k: usize,
        power_actor: f32,
        power_target: f32,
        target_esteem: f32,
        target_resentment: f32,
    ) -> f32 {
        let logit = self.sensitivity as f32 * (power_actor - power_target)
            + self.bias[k.min(N_BASES - 1)] as f32
            + self.esteem_weight as f32 * (0.5 - target_esteem)
            - self.resentment_weight as f32 * target_resentment;
        crate::fastmath::sigmoid(logit)
    }
}

/// Picks an index with probability proportional to `weights`, from a uniform `u` in [0, 1).
/// None when all weights are zero.
pub fn choose(weights: &[f32], u: f32) -> Option<usize> {
    let total: f32 = weights.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut target = u * total;
    let mut last = None;
    for (k, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            if target < w {
                return Some(k);
            }
            target -= w;
            last = Some(k);
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CONSULT, LEGITIMATE, REFERENT};

    const ALL: [bool; N_TACTICS] = [true; N_TACTICS];

    #[test]
    fn personalized_motive_favours_coercion_and_socialized_favours_consult() {
        let p = Params::default();
        let b = [1.0; N_BASES];
        let pers = p.propensities(&b, 1.0, 0.0, 0.0, &ALL);
        let soc = p.propensities(&b, 0.0, 0.0, 0.0, &ALL);
        assert!(pers[COERCIVE] > soc[COERCIVE]);
        assert_eq!(soc[COERCIVE], 0.0);
        assert!(soc[CONSULT] > 0.0 && pers[CONSULT] == 0.0);
        assert!(soc[REWARD] > pers[REWARD]);
    }

    #[test]
    fn resentment_invites_retaliation_and_a_strong_partner_deters_it() {
        let p = Params::default();
        let b = [1.0; N_BASES];
        let calm = p.propensities(&b, 0.2, 0.0, 0.0, &ALL)[COERCIVE];
        let resentful = p.propensities(&b, 0.2, 2.0, 0.0, &ALL)[COERCIVE];
        let deterred = p.propensities(&b, 0.2, 2.0, 1.0, &ALL)[COERCIVE];
        assert!(resentful > calm);
        assert!(deterred < resentful / 2.0);
    }

    #[test]
    fn equal_high_coercive_power_deters_coercion_and_unequal_power_invites_the_stronger() {
        // Lawler, Ford & Blegen (1988): bilateral deterrence.
        let p = Params::default();
        let coercion = |own: f32, partner: f32| {
            let mut b = [1.0; N_BASES];
            b[COERCIVE] = own;
            let props = p.propensities(&b, 0.5, 0.0, partner, &ALL);
            props[COERCIVE] / props.iter().sum::<f32>()
        };
        assert!(coercion(5.0, 5.0) < coercion(2.0, 2.0));
        assert!(coercion(2.0, 2.0) < coercion(1.0, 1.0));
        assert!(coercion(2.0, 0.5) > coercion(0.5, 2.0));
        assert!(coercion(2.0, 0.5) > coercion(2.0, 2.0));
        assert_eq!(p.deterrence(0.0, 0.0), 1.0);
        let off = Params {
            fear: 0.0,
            ..Params::default()
        };
        assert_eq!(off.deterrence(1.0, 9.0), 1.0);
    }

    #[test]
    fn conflict_brings_out_coercion_in_the_personalized_and_cooperation_brings_out_giving_in_the_socialized(
    ) {
        let b = [1.0; N_BASES];
        let neutral = Params::default();
        let conflict = Params {
            context: Context::Conflict,
            ..Params::default()
        };
        let cooperative = Params {
            context: Context::Cooperative,
            ..Params::default()
        };
        let pers = |p: &Params| p.propensities(&b, 0.9, 0.0, 0.0, &ALL);
        let soc = |p: &Params| p.propensities(&b, 0.1, 0.0, 0.0, &ALL);
        assert!(pers(&conflict)[COERCIVE] > pers(&neutral)[COERCIVE]);
        assert!(pers(&conflict)[REWARD] < pers(&neutral)[REWARD]);
        assert!(soc(&cooperative)[CONSULT] > soc(&neutral)[CONSULT]);
        assert!(soc(&cooperative)[REWARD] > soc(&neutral)[REWARD]);
        assert!(soc(&cooperative)[COERCIVE] < soc(&neutral)[COERCIVE]);
    }

    #[test]
    fn switched_off_tactics_are_never_chosen() {
        let p = Params::default();
        let mut allowed = ALL;
        allowed[COERCIVE] = false;
        let props = p.propensities(&[1.0; N_BASES], 1.0, 5.0, 0.0, &allowed);
        assert_eq!(props[COERCIVE], 0.0);
    }

    #[test]
    fn compliance_rises_with_power_advantage_and_falls_with_resentment() {
        let p = Params::default();
        let base = p.comply_probability(LEGITIMATE, 1.0, 1.0, 0.5, 0.0);
        assert!(p.comply_probability(LEGITIMATE, 2.0, 1.0, 0.5, 0.0) > base);
        assert!(p.comply_probability(LEGITIMATE, 1.0, 1.0, 0.5, 2.0) < base);
        assert!(p.comply_probability(REFERENT, 1.0, 1.0, 0.5, 0.0) > base);
    }

    #[test]
    fn choose_follows_the_weights() {
        let w = [0.0, 1.0, 3.0];
        assert_eq!(choose(&w, 0.0), Some(1));
        assert_eq!(choose(&w, 0.24), Some(1));
        assert_eq!(choose(&w, 0.26), Some(2));
        assert_eq!(choose(&w, 0.999_999), Some(2));
        assert_eq!(choose(&[0.0, 0.0], 0.5), None);
    }
}
