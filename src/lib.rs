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
//! - network generation is sequential from its own stream.
//!
//! The contract is tested in `tests/` at 1 and 2 threads and for the same seed
//! twice; different seeds give different outputs.

pub mod engine;
pub mod error;
pub mod metrics;
pub mod model;
pub mod network;
pub mod output;
pub mod rng;
pub mod rules;
pub mod run;
pub mod scenario;
pub mod verdict;

pub use error::{Error, Result};
