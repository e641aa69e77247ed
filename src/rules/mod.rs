//! The interaction rules, one file each (see `docs/model.md` for the full account).
//!
//! A step is two-phase (see [`crate::engine`]): in the decide phase each agent
//! picks a partner and a tactic ([`tactic`], in its [`tactic::Context`]) and
//! the partner's response is drawn, using dyadic power ([`dependence`]); a
//! dissatisfied agent may instead voice, wait or neglect ([`response`],
//! backed by a [`coalition`]); agents may meet in dominance encounters
//! ([`contest`]) and bargain in exchange networks ([`negotiation`]). In the
//! apply phase each agent applies to its own state the effects of its own
//! act and of the acts aimed at it ([`reward`], [`coercion`], [`legitimate`],
//! [`referent`], [`knowledge`], [`connection`], [`consult`], [`status`]),
//! then resentment decays ([`resentment`]), engagement moves
//! ([`withdrawal`]), dependent agents seek alternatives ([`extension`]) and
//! agents earn and consume ([`resources`]). Derived bases are recomputed
//! before the next decide phase ([`derived`]); opinions move in their own
//! phase ([`influence`]).

pub mod coalition;
pub mod coercion;
pub mod connection;
pub mod consult;
pub mod contest;
pub mod dependence;
pub mod derived;
pub mod extension;
pub mod influence;
pub mod knowledge;
pub mod legitimate;
pub mod negotiation;
pub mod referent;
pub mod resentment;
pub mod resources;
pub mod response;
pub mod reward;
pub mod status;
pub mod tactic;
pub mod withdrawal;

use crate::model::N_TACTICS;
use crate::scenario::reader::{Ctx, Table};

/// All rule parameters of a scenario.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleParams {
    /// Derived bases.
    pub derived: derived::Params,
    /// Dyadic power.
    pub dependence: dependence::Params,
    /// Tactic choice and response.
    pub tactics: tactic::Params,
    /// Reward.
    pub reward: reward::Params,
    /// Coercion, isolation and contests.
    pub coercion: coercion::Params,
    /// Legitimate power.
    pub legitimate: legitimate::Params,
    /// Referent power.
    pub referent: referent::Params,
    /// Expert and informational power.
    pub knowledge: knowledge::Params,
    /// Connection power.
    pub connection: connection::Params,
    /// Consult.
    pub consult: consult::Params,
    /// Resentment.
    pub resentment: resentment::Params,
    /// Withdrawal.
    pub withdrawal: withdrawal::Params,
    /// Income and consumption.
    pub resources: resources::Params,
    /// Influence on opinions and reflected appraisal.
    pub influence: influence::Params,
    /// Contests and dominance encounters.
    pub contests: contest::Params,
    /// Bargaining in exchange networks.
    pub negotiation: negotiation::Params,
    /// Exit, voice, loyalty and neglect.
    pub response: response::Params,
    /// Coalitions against a common target.
    pub coalition: coalition::Params,
    /// Status giving.
    pub status: status::Params,
    /// Network extension.
    pub extension: extension::Params,
}

impl RuleParams {
    /// Reads the `[rules]` table (absent: all defaults). `resolve` maps an
    /// agent reference to its index, or to what to write instead (a "did you
    /// mean"), and `n` is the number of agents (for explicit influence
    /// weights).
    pub fn read(
        t: Option<Table<'_, '_>>,
        ctx: &mut Ctx<'_>,
        resolve: &dyn Fn(&str) -> Result<u32, String>,
        n: u64,
    ) -> Self {
        let Some(mut t) = t else {
            return RuleParams::default();
        };
        let p = RuleParams {
            derived: derived::Params::read(t.table(ctx, "derived"), ctx),
            dependence: dependence::Params::read(t.table(ctx, "dependence"), ctx),
            tactics: tactic::Params::read(t.table(ctx, "tactics"), ctx),
            reward: reward::Params::read(t.table(ctx, "reward"), ctx),
            coercion: coercion::Params::read(t.table(ctx, "coercion"), ctx),
            legitimate: legitimate::Params::read(t.table(ctx, "legitimate"), ctx),
            referent: referent::Params::read(t.table(ctx, "referent"), ctx),
            knowledge: {
                let e = t.table(ctx, "expert");
                let i = t.table(ctx, "informational");
                knowledge::Params::read(e, i, ctx)
            },
            connection: connection::Params::read(t.table(ctx, "connection"), ctx),
            consult: consult::Params::read(t.table(ctx, "consult"), ctx),
            resentment: resentment::Params::read(t.table(ctx, "resentment"), ctx),
            withdrawal: withdrawal::Params::read(t.table(ctx, "withdrawal"), ctx),
            resources: resources::Params::read(t.table(ctx, "resources"), ctx),
            contests: contest::Params::read(t.table(ctx, "contests"), ctx),
            negotiation: negotiation::Params::read(t.table(ctx, "negotiation"), ctx),
            response: response::Params::read(t.table(ctx, "response"), ctx),
            coalition: coalition::Params::read(t.table(ctx, "coalition"), ctx),
            status: status::Params::read(t.table(ctx, "status"), ctx),
            extension: extension::Params::read(t.table(ctx, "extension"), ctx),
            influence: influence::Params::read(t.table(ctx, "influence"), ctx, resolve, n),
        };
        t.finish(ctx);
        p
    }

    /// Which tactics may be chosen (their rule is switched on), in tactic order.
    pub fn allowed_tactics(&self) -> [bool; N_TACTICS] {
        if !self.tactics.enabled {
            return [false; N_TACTICS];
        }
        [
            self.coercion.enabled,
            self.reward.enabled,
            self.legitimate.enabled,
            self.connection.enabled,
            self.referent.enabled,
            self.knowledge.informational_enabled,
            self.knowledge.expert_enabled,
            self.consult.enabled,
        ]
    }
}
