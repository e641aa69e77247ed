//! The capacity benchmark behind `powerdyn bench`.
//!
//! Generates a population of `agents` agents with mixed bases and motives on
//! a Watts–Strogatz network of mean degree `degree` (rewiring probability
//! `beta`, 0.1 by default: mostly local ties with some long-range ones), with
//! every core rule and opinion influence (Friedkin–Johnsen with weights from
//! dyadic power) on, then runs it for `steps` steps, recording the metrics
//! and writing the time series as a run would. It reports the time of each
//! phase; the caller adds the peak memory of the process (see
//! `powerdyn bench`). A user runs it before a big job to learn how fast and
//! how large a run this machine can take.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::metrics;
use crate::output::{fmt_f64, PartFile};
use crate::scenario::{self, Scenario};

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Number of agents.
    pub agents: u64,
    /// Mean degree (even: Watts–Strogatz joins each agent to `degree / 2` neighbours on each side).
    pub degree: u32,
    /// Rewiring probability of the Watts–Strogatz network (0: a ring lattice, 1: random).
    pub beta: f64,
    /// Steps to time.
    pub steps: u64,
    /// Record metrics (and write a row of the time series) every this many steps; 0 never.
    pub record_every: u64,
    /// Seed of all random streams.
    pub seed: u64,
    /// Folder for the time series (`timeseries.csv`).
    pub out_dir: PathBuf,
    /// Worker threads; 0 uses one per core.
    pub threads: usize,
}

/// Seconds spent in each phase over the whole benchmark.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct PhaseSeconds {
    /// Opinion influence and decide (responses, partners, tactics) in one
    /// pass over the agents; bargaining when on.
    pub decide: f64,
    /// Apply (owner computes).
    pub apply: f64,
    /// Derived bases and profiles.
    pub derive: f64,
    /// Metrics of recorded steps.
    pub metrics: f64,
    /// Writing the time series.
    pub output: f64,
}

/// What a benchmark measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// powerdyn's version.
    pub version: &'static str,
    /// Agents.
    pub agents: u64,
    /// Mean degree asked for.
    pub degree: u32,
    /// Rewiring probability.
    pub beta: f64,
    /// Directed tie halves built.
    pub tie_halves: u64,
    /// Steps timed.
    pub steps: u64,
    /// Worker threads.
    pub threads: usize,
    /// Whether the step ran its x86-64-v3 (AVX2) twins, as it does on a CPU
    /// that has them ([`crate::engine::wide_vectors_available`]).
    pub wide_vectors: bool,
    /// Steps whose metrics were recorded.
    pub recorded: u64,
    /// Seconds to draw agents, generate the network and derive the bases.
    pub setup_seconds: f64,
    /// Agent-steps per second of the step itself (influence and decide, apply, derive).
    pub agent_steps_per_sec: f64,
    /// Agent-steps per second including metrics and output.
    pub agent_steps_per_sec_recorded: f64,
    /// Metrics and output time as a share of step time.
    pub recording_share: f64,
    /// Seconds per phase, summed over the steps.
    pub seconds: PhaseSeconds,
}

/// The benchmark population as a scenario (also what the criterion bench `benches/step.rs` uses).
pub fn scenario(agents: u64, degree: u32, beta: f64) -> Result<Scenario> {
    if degree < 2 || degree % 2 == 1 || u64::from(degree) >= agents {
        return Err(Error::input(
            "powerdyn bench",
            format!("--degree {degree} must be even, at least 2 and below the {agents} agents"),
            Some("use an even degree such as 8"),
        ));
    }
    if !(0.0..=1.0).contains(&beta) {
        return Err(Error::input(
            "powerdyn bench",
            format!("--beta {beta} must lie in [0, 1]"),
            Some("use 0.1 (mostly local ties) or 1 (a random network)"),
        ));
    }
    let mut s = scenario::synthetic_population(agents, degree).map_err(Error::Input)?;
    s.network = crate::network::NetworkSpec::WattsStrogatz { k: degree, beta };
    s.rules.influence.enabled = true;
    s.name = "bench".to_string();
    Ok(s)
}

/// Runs the benchmark; `progress(step, steps)` is called after every step.
pub fn run(cfg: &BenchConfig, progress: &mut (dyn FnMut(u64, u64) + Send)) -> Result<BenchReport> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Run(format!("cannot start worker threads: {e}")))?;
    pool.install(|| run_in_pool(cfg, progress))
}

fn run_in_pool(
    cfg: &BenchConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<BenchReport> {
    let s = scenario(cfg.agents, cfg.degree, cfg.beta)?;
    // The benchmark writes only timeseries.csv: a folder holding a run's or
    // a sweep's outputs is refused rather than half overwritten.
    for name in ["manifest.json", "summary.json", "runs.csv", "agents.csv"] {
        if cfg.out_dir.join(name).exists() {
            return Err(Error::input(
                cfg.out_dir.display().to_string(),
                format!("this folder holds the output of a run or sweep ({name}); the benchmark would replace its timeseries.csv"),
                Some("choose another --out, such as output/bench"),
            ));
        }
    }
    std::fs::create_dir_all(&cfg.out_dir).map_err(|e| Error::io(&cfg.out_dir, e))?;
    let t = Instant::now();
    let mut sim = Simulation::new(&s, cfg.seed, 0)?;
    let setup = t.elapsed();
    let mut ts = PartFile::create(&cfg.out_dir, "timeseries.csv")?;
    let ts_path = ts.part_path().to_path_buf();
    let io = |e: std::io::Error| Error::io(&ts_path, e);
    let mut header = vec!["step".to_string()];
    header.extend(metrics::column_names(&sim));
    writeln!(ts.writer(), "{}", header.join(",")).map_err(io)?;
    let (mut metrics_time, mut output_time) = (Duration::ZERO, Duration::ZERO);
    let mut recorded = 0;
    let mut line = String::new();
    for s in 1..=cfg.steps {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted(format!(
                "benchmark stopped at step {} of {}; nothing was reported",
                s - 1,
                cfg.steps
            )));
        }
        sim.step();
        if cfg.record_every > 0 && s % cfg.record_every == 0 {
            let t = Instant::now();
            let counters = sim.take_counters();
            let row = metrics::compute(&sim, &counters);
            let t2 = Instant::now();
            line.clear();
            line.push_str(&sim.step.to_string());
            for &x in &row {
                line.push(',');
                line.push_str(&fmt_f64(x));
            }
            line.push('\n');
            ts.writer().write_all(line.as_bytes()).map_err(io)?;
            metrics_time += t2 - t;
            output_time += t2.elapsed();
            recorded += 1;
        }
        progress(s, cfg.steps);
    }
    let t = Instant::now();
    ts.commit()?;
    output_time += t.elapsed();
    let p = sim.timings;
    let step = p.decide + p.apply + p.derive;
    let agent_steps = cfg.agents as f64 * cfg.steps as f64;
    let rate = |d: Duration| {
        if d.is_zero() {
            0.0
        } else {
            agent_steps / d.as_secs_f64()
        }
    };
    let recording = metrics_time + output_time;
    Ok(BenchReport {
        version: env!("CARGO_PKG_VERSION"),
        agents: cfg.agents,
        degree: cfg.degree,
        beta: cfg.beta,
        tie_halves: sim.world.ties.csr.targets.len() as u64,
        steps: cfg.steps,
        threads: rayon::current_num_threads(),
        wide_vectors: sim.wide_vectors(),
        recorded,
        setup_seconds: setup.as_secs_f64(),
        agent_steps_per_sec: rate(step),
        agent_steps_per_sec_recorded: rate(step + recording),
        recording_share: if step.is_zero() {
            0.0
        } else {
            recording.as_secs_f64() / step.as_secs_f64()
        },
        seconds: PhaseSeconds {
            decide: p.decide.as_secs_f64(),
            apply: p.apply.as_secs_f64(),
            derive: p.derive.as_secs_f64(),
            metrics: metrics_time.as_secs_f64(),
            output: output_time.as_secs_f64(),
        },
    })
}
