//! Responses to dissatisfaction: exit, voice, loyalty, neglect.
//!
//! Rusbult and colleagues (Rusbult, Zembrodt & Gunn 1982; Rusbult 1987;
//! Rusbult, Johnson & Morrow 1986; Rusbult et al. 1988; meta-analysis Le &
//! Agnew 2003) sort responses to a dissatisfying relationship on two axes,
//! active–passive and constructive–destructive: **exit** (leave: active,
//! destructive), **voice** (speak up to improve things: active, constructive),
//! **loyalty** (wait for things to improve: passive, constructive) and
//! **neglect** (let things deteriorate, lower effort: passive, destructive).
//! Prior satisfaction favours the constructive responses, investment (here the
//! exit cost) favours voice and loyalty over exit and neglect, and good
//! alternatives favour the active ones.
//!
//! An agent whose strongest resentment exceeds the withdrawal threshold is
//! dissatisfied with that partner. With satisfaction `S = (1 + affect) / 2`
//! toward it, investment `I = exit_cost` and alternative quality
//! `A = a / (1 + a)` (`a` its outside alternatives), each step it draws a
//! response with probability proportional to `exp(sensitivity * score)`:
//!
//! ```text
//! exit    = (1 - S) + A + (1 - I)
//! voice   = S + A + I
//! loyalty = S + (1 - A) + I
//! neglect = (1 - S) + (1 - A) + (1 - I)
//! ```
//!
//! What each does in the step: **exit** withdraws (see [`super::withdrawal`]);
//! **voice** turns the agent's act into a complaint to the resented partner,
//! which succeeds with probability
//! `sigmoid(beta * (B - P(j over i)) + voice_bias)`, `B` the agent's power over
//! the partner (or its coalition's, see [`super::coalition`]); a heard
//! complaint wins a concession (the decision stake moves to the voicer) and
//! relieves its resentment by `relief`; **loyalty** stays engaged and waits
//! (no withdrawal); **neglect** idles, withdraws at half the rate and complies
//! with the partner's requests less (`neglect_compliance`).

use crate::scenario::reader::{Ctx, Table};

/// An agent's response this step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Response {
    /// Not dissatisfied.
    None = 0,
    /// Leave: withdraw.
    Exit = 1,
    /// Speak up: a complaint to the resented partner.
    Voice = 2,
    /// Wait: stay engaged.
    Loyalty = 3,
    /// Let things go: idle, half withdrawal, less compliance.
    Neglect = 4,
}

impl Response {
    /// From its stored byte.
    pub fn from_u8(x: u8) -> Response {
        match x {
            1 => Response::Exit,
            2 => Response::Voice,
            3 => Response::Loyalty,
            4 => Response::Neglect,
            _ => Response::None,
        }
    }
}

/// Parameters of the response rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether dissatisfied agents choose among exit, voice, loyalty and neglect
    /// (off: they only withdraw). Default false without a `[rules.response]` section.
    pub enabled: bool,
    /// How sharply the scores decide the response (per unit of score). Default 3.
    pub sensitivity: f64,
    /// Pull of a complaint on the partner (logit units). Default 0.
    pub voice_bias: f64,
    /// Share of the voicer's resentment a heard complaint relieves. Default 0.3.
    pub relief: f64,
    /// Share by which a neglecting agent's compliance falls. Default 0.5.
    pub neglect_compliance: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            sensitivity: 3.0,
            voice_bias: 0.0,
            relief: 0.3,
            neglect_compliance: 0.5,
        }
    }
}

impl Params {
    /// Reads `[rules.response]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            sensitivity: t.f64(ctx, "sensitivity", d.sensitivity, 0.0, 1e3),
            voice_bias: t.f64(ctx, "voice_bias", d.voice_bias, -50.0, 50.0),
            relief: t.f64(ctx, "relief", d.relief, 0.0, 1.0),
            neglect_compliance: t.f64(ctx, "neglect_compliance", d.neglect_compliance, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// The four scores (exit, voice, loyalty, neglect).
    pub fn scores(satisfaction: f32, investment: f32, alternatives: f32) -> [f32; 4] {
        let s = satisfaction.clamp(0.0, 1.0);
        let i = investment.clamp(0.0, 1.0);
        let a = alternatives.max(0.0) / (1.0 + alternatives.max(0.0));
        [
            (1.0 - s) + a + (1.0 - i),
            s + a + i,
            s + (1.0 - a) + i,
            (1.0 - s) + (1.0 - a) + (1.0 - i),
        ]
    }

    /// Draws a response from a uniform `u`, for an agent with this affect toward the resented
    /// partner, exit cost and outside alternatives.
    pub fn choose(&self, affect: f32, exit_cost: f32, alternatives: f32, u: f32) -> Response {
        let sc = Self::scores((1.0 + affect) / 2.0, exit_cost, alternatives);
        let top = sc.iter().copied().fold(f32::MIN, f32::max);
        let w: Vec<f32> = sc
            .iter()
            .map(|&x| crate::fastmath::exp(self.sensitivity as f32 * (x - top)))
            .collect();
        match super::tactic::choose(&w, u) {
            Some(0) => Response::Exit,
            Some(1) => Response::Voice,
            Some(2) => Response::Loyalty,
            Some(3) => Response::Neglect,
            _ => Response::Exit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(p: &Params, affect: f32, exit_cost: f32, alt: f32, r: Response) -> f64 {
        let n = 10_000;
        (0..n)
            .filter(|&k| p.choose(affect, exit_cost, alt, (k as f32 + 0.5) / n as f32) == r)
            .count() as f64
            / n as f64
    }

    #[test]
    fn investment_and_satisfaction_favour_the_constructive_responses() {
        let p = Params::default();
        let invested =
            share(&p, 0.5, 0.9, 0.0, Response::Loyalty) + share(&p, 0.5, 0.9, 0.0, Response::Voice);
        let free = share(&p, -0.5, 0.1, 0.0, Response::Loyalty)
            + share(&p, -0.5, 0.1, 0.0, Response::Voice);
        assert!(invested > free + 0.3, "{invested} vs {free}");
    }

    #[test]
    fn alternatives_favour_exit_and_voice_over_loyalty_and_neglect() {
        let p = Params::default();
        let active = |alt| {
            share(&p, 0.0, 0.5, alt, Response::Exit) + share(&p, 0.0, 0.5, alt, Response::Voice)
        };
        assert!(active(5.0) > active(0.0) + 0.2);
    }

    #[test]
    fn dissatisfied_uninvested_agents_without_alternatives_neglect_most() {
        let p = Params::default();
        let n = share(&p, -1.0, 0.0, 0.0, Response::Neglect);
        assert!(
            n > share(&p, -1.0, 0.0, 0.0, Response::Loyalty) && n > 0.4,
            "{n}"
        );
    }
}
