//! Derived bases: reward from resources, connection from engaged ties,
//! referent from others' affect.
//!
//! French and Raven (1959) define reward power as the ability to give what
//! others value, connection power (Hersey, Blanchard & Natemeyer 1979; Raven 1965) as
//! access to other people, and referent power as influence from being liked
//! and identified with. powerdyn stores a fixed endowment for each of the
//! three and adds a part derived each step from the state:
//!
//! ```text
//! reward_i     = R0_i + g_r * ln(1 + resources_i / r_ref)
//! connection_i = C0_i + g_c * ln(1 + sum_j engagement(i, j))
//! referent_i   = F0_i + g_f * ln(1 + sum_j max(0, affect(j, i)))
//! ```
//!
//! The logarithm gives diminishing returns: the tenth friend or the millionth
//! dollar adds less than the first (a concave utility, as in Emerson's
//! dependence being on valued, not counted, resources). Spending resources
//! therefore lowers reward power, cut ties lower connection power, and
//! resentment that turns affect negative lowers referent power.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the derived bases.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether the derived parts are computed; when off, the three bases stay at their endowments. Default true.
    pub enabled: bool,
    /// `g_r`: reward power per unit of log resources (base units). Default 1.0.
    pub reward_gain: f64,
    /// `r_ref`: the resources at which reward power reaches `g_r * ln 2` (resource units). Default 100.
    pub resource_scale: f64,
    /// `g_c`: connection power per unit of log engaged ties (base units). Default 0.5.
    pub connection_gain: f64,
    /// `g_f`: referent power per unit of log received liking (base units). Default 0.5.
    pub referent_gain: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            reward_gain: 1.0,
            resource_scale: 100.0,
            connection_gain: 0.5,
            referent_gain: 0.5,
        }
    }
}

impl Params {
    /// Reads `[rules.derived]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            reward_gain: t.f64(ctx, "reward_gain", d.reward_gain, 0.0, 1e6),
            resource_scale: t.f64(ctx, "resource_scale", d.resource_scale, 1e-9, 1e15),
            connection_gain: t.f64(ctx, "connection_gain", d.connection_gain, 0.0, 1e6),
            referent_gain: t.f64(ctx, "referent_gain", d.referent_gain, 0.0, 1e6),
        };
        t.finish(ctx);
        p
    }

    /// Reward power from an endowment and resources.
    #[inline]
    pub fn reward(&self, endowment: f32, resources: f64) -> f32 {
        if !self.enabled {
            return endowment;
        }
        endowment
            + self.reward_gain as f32
                * crate::fastmath::ln_1p((resources.max(0.0) / self.resource_scale) as f32)
    }

    /// Connection power from an endowment and the sum of the agent's engagements.
    #[inline]
    pub fn connection(&self, endowment: f32, engaged: f32) -> f32 {
        if !self.enabled {
            return endowment;
        }
        endowment + self.connection_gain as f32 * crate::fastmath::ln_1p(engaged.max(0.0))
    }

    /// Referent power from an endowment and the positive affect others hold toward the agent.
    #[inline]
    pub fn referent(&self, endowment: f32, liked: f32) -> f32 {
        if !self.enabled {
            return endowment;
        }
        endowment + self.referent_gain as f32 * crate::fastmath::ln_1p(liked.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_resources_lowers_reward_power() {
        let p = Params::default();
        assert!(p.reward(0.0, 50.0) < p.reward(0.0, 100.0));
        assert!((p.reward(0.0, 100.0) - 2f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn fewer_engaged_ties_mean_less_connection_power() {
        let p = Params::default();
        assert!(p.connection(0.1, 1.0) < p.connection(0.1, 3.0));
    }

    #[test]
    fn switched_off_derived_bases_stay_at_endowment() {
        let p = Params {
            enabled: false,
            ..Params::default()
        };
        assert_eq!(p.reward(0.3, 1e6), 0.3);
        assert_eq!(p.referent(0.2, 5.0), 0.2);
    }
}
