//! # powerdyn
//!
//! An agent-based simulator of power dynamics in groups. Agents hold mixes of
//! the seven power bases of French and Raven (coercive, reward, legitimate,
//! connection, referent, informational, expert) and act on each other through
//! a network by rules — reward, coercion, withdrawal, resentment, consult —
//! and powerdyn writes time series of how imbalance grows or settles, and
//! says which.
//!
//! The library never prints, exits or reads the command line; the `powerdyn`
//! binary is a thin layer over it. Read a scenario with [`scenario::load`],
//! run it with [`run::run`], or drive a [`engine::Simulation`] step by step.
//!
//! ```
//! use powerdyn::engine::Simulation;
//! use powerdyn::scenario;
//!
//! let text = r#"
//! name = "couple"
//! [[agents]]
//! name = "alex"
//! motive = 0.9
//! bases = { coercive = 1.0, legitimate = 0.5 }
//! [[agents]]
//! name = "sam"
//! exit_cost = 0.9
//! [network]
//! kind = "complete"
//! "#;
//! let s = scenario::parse_bytes("couple.toml", text.as_bytes()).expect("a valid scenario");
//! let mut sim = Simulation::new(&s, s.seed, 0).expect("builds");
//! for _ in 0..200 {
//!     sim.step();
//! }
//! // Sam's half of the tie: coercion has left resentment behind.
//! let sam_half = sim.world.ties.csr.row(1).start;
//! assert!(sim.world.ties.state[sam_half].resentment > 0.0);
//! ```
//!
//! ## Determinism contract
//!
//! The same scenario file, seed and step count give **byte-identical**
//! `timeseries.csv`, `agents.csv` and `summary.json`, whatever the number of
//! threads (`manifest.json` records the thread count and wall time, and so
//! differs). This holds because:
//!
//! - every random draw comes from a stream keyed by `(seed, run, step, agent)`
//!   and a purpose tag, from a portable, bit-specified generator
//!   ([`rng`]: SplitMix64 keying of PCG-64 MCG), never from thread identity;
//! - each step reads state `t` and writes state `t+1` in two phases
//!   ([`engine`]); in the apply phase every agent writes only its own state;
//! - every floating-point reduction runs over fixed chunks of agents
//!   ([`engine::CHUNK`]) combined in index order; counters are integers;
//! - network generation is sequential from its own stream;
//! - every logarithm, exponential and power, and every sampler of starting
//!   values, is powerdyn's own ([`fastmath`] in the step, [`portable`]
//!   elsewhere: fdlibm's `exp` and `ln`, polar-method normals,
//!   Marsaglia–Tsang gammas), built from IEEE-754 basic operations, and Rust
//!   never fuses a multiply and an add unasked.
//!
//! The contract is tested in `tests/` at 1 and 2 threads and for the same seed
//! twice; different seeds give different outputs. CI (`.ci/cross-build.sh`)
//! checks that a build for x86-64-v3 (AVX2) writes the same files as the
//! baseline x86-64 build for every bundled scenario and for the bench
//! population (see `docs/model.md`, section 6).

pub mod alloc;
pub mod bench;
pub mod engine;
pub mod error;
pub mod events;
pub mod fastmath;
pub mod interrupt;
pub mod metrics;
pub mod model;
pub mod network;
pub mod output;
pub mod portable;
mod prefetch;
pub mod report;
pub mod rng;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod sensitivity;
pub mod sweep;
pub mod verdict;

pub use error::{Error, Result};

/// The git commit this powerdyn was built from, when it was built from a
/// git checkout (recorded in every manifest beside the version).
pub fn build_commit() -> Option<&'static str> {
    option_env!("POWERDYN_COMMIT").filter(|c| !c.is_empty())
}

/// The revision of the model's results: raised whenever a change alters what
/// any run writes (a rule, a metric, a random stream). It is recorded in every
/// manifest and mixed into a sweep's hash, so that a sweep folder started by
/// an earlier revision is started over rather than resumed, and `merge`
/// refuses shards of different revisions.
pub const MODEL_REVISION: u32 = 11;
