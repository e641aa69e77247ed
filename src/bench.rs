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
//!
//! Given a scenario instead ([`Population::Scenario`]), it times that
//! scenario as written — its agents, network, rules and events, recording
//! at its own `record_every` unless told otherwise — for the steps asked
//! and projects the time of the scenario's full run from them: the capacity
//! check for the user's own job rather than for the core model.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::metrics;
use crate::output::{fmt_f64, PartFile};
use crate::scenario::{self, Scenario};

/// The population a benchmark runs.
#[derive(Debug, Clone)]
pub enum Population {
    /// The generated population of [`scenario()`].
    Generated {
        /// Number of agents.
        agents: u64,
        /// Mean degree (even: Watts–Strogatz joins each agent to `degree / 2` neighbours on each side).
        degree: u32,
        /// Rewiring probability of the Watts–Strogatz network (0: a ring lattice, 1: random).
        beta: f64,
    },
    /// A scenario as written (already validated, e.g. by [`crate::scenario::load`]).
    Scenario(Box<Scenario>),
}

impl Population {
    /// The scenario the benchmark runs.
    pub fn scenario(&self) -> Result<Scenario> {
        match self {
            Population::Generated {
                agents,
                degree,
                beta,
            } => scenario(*agents, *degree, *beta),
            Population::Scenario(s) => Ok((**s).clone()),
        }
    }
}

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The population.
    pub population: Population,
    /// Steps to time.
    pub steps: u64,
    /// Record metrics (and write a row of the time series) every this many
    /// steps; 0 never; `None`: every step for the generated population, the
    /// scenario's `record_every` for a scenario.
    pub record_every: Option<u64>,
    /// Seed of all random streams; `None`: 1 for the generated population,
    /// the scenario's seed for a scenario.
    pub seed: Option<u64>,
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
    /// The rest of a step: a scenario's events (interventions) and the ends
    /// of its issues (reflected appraisal).
    pub events: f64,
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
    /// The scenario's name, `None` (JSON `null`) for the generated population.
    pub scenario: Option<String>,
    /// Agents.
    pub agents: u64,
    /// Mean degree asked for (the generated population only).
    pub degree: Option<u32>,
    /// Rewiring probability (the generated population only).
    pub beta: Option<f64>,
    /// Directed tie halves built.
    pub tie_halves: u64,
    /// Mean degree built: tie halves per agent.
    pub mean_degree: f64,
    /// Steps timed.
    pub steps: u64,
    /// Seed of the timed run.
    pub seed: u64,
    /// Metrics recorded every this many steps (0: never).
    pub record_every: u64,
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
    /// For a scenario: what its full `powerdyn run` would take at the speed
    /// measured (`None` for the generated population).
    pub projection: Option<Projection>,
}

/// A scenario's full run projected from the benchmark: set-up, then
/// `steps` steps, `records` records of metrics (with their rows) and
/// `snapshots` snapshots of the agents, each at the mean time measured.
/// Left out: the events, issues and ties files (small, or written only for
/// small networks), the summary, the verdict and the commits of the files.
#[derive(Debug, Clone, Serialize)]
pub struct Projection {
    /// The scenario's steps.
    pub steps: u64,
    /// Mean seconds of a timed step, events and issue ends included.
    pub step_seconds: f64,
    /// Records the run makes: at step 0, every `record_every` steps and at the last.
    pub records: u64,
    /// Mean seconds of a record and its row (one record timed after the
    /// steps when none of them was recorded).
    pub record_seconds: f64,
    /// Snapshots of the agents (`agents.csv`) the run writes: at step 0,
    /// every `snapshot_every` steps and at the last.
    pub snapshots: u64,
    /// Seconds of one snapshot, formatted but not written to disk.
    pub snapshot_seconds: f64,
    /// Set-up plus the steps, records and snapshots.
    pub run_seconds: f64,
}

/// Occasions in `0..=steps` on which `powerdyn run` does something done at
/// step 0, every `every` steps (0: never) and at the last step.
pub fn occasions(steps: u64, every: u64) -> u64 {
    let periodic = steps.checked_div(every).unwrap_or(0);
    let last = u64::from(every == 0 || steps % every != 0);
    1 + periodic + last
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
    let s = cfg.population.scenario()?;
    let (seed, record_every) = match &cfg.population {
        Population::Generated { .. } => (cfg.seed.unwrap_or(1), cfg.record_every.unwrap_or(1)),
        Population::Scenario(sc) => (
            cfg.seed.unwrap_or(sc.seed),
            cfg.record_every.unwrap_or(sc.record_every),
        ),
    };
    // The benchmark writes only timeseries.csv: a folder holding a run's, a
    // sweep's (finished or not) or a merge's outputs is refused rather than
    // half overwritten.
    crate::output::check_dir(&cfg.out_dir, crate::output::Holds::Nothing, "a benchmark")?;
    for name in ["manifest.json", "summary.json", "runs.csv", "agents.csv"] {
        if cfg.out_dir.join(name).exists() {
            return Err(Error::input(
                cfg.out_dir.display().to_string(),
                format!("this folder holds the output of a run or sweep ({name}); the benchmark would replace its timeseries.csv"),
                Some("choose another --out, such as output/bench"),
            ));
        }
    }
    let t = Instant::now();
    let mut sim = Simulation::new(&s, seed, 0)?;
    let setup = t.elapsed();
    // The folder is made only once the world is built (a scenario can fail there).
    crate::output::create_dir(&cfg.out_dir)?;
    let mut ts = PartFile::create(&cfg.out_dir, "timeseries.csv")?;
    let ts_path = ts.part_path().to_path_buf();
    let io = |e: std::io::Error| Error::io(&ts_path, e);
    let mut header = vec!["step".to_string()];
    header.extend(metrics::column_names(&sim));
    writeln!(ts.writer(), "{}", header.join(",")).map_err(io)?;
    let (mut metrics_time, mut output_time) = (Duration::ZERO, Duration::ZERO);
    let mut stepping = Duration::ZERO;
    let mut recorded = 0;
    let mut line = String::new();
    let mut record =
        |sim: &mut Simulation, w: Option<&mut dyn Write>| -> Result<(Duration, Duration)> {
            let t = Instant::now();
            let counters = sim.take_counters();
            let row = metrics::compute(sim, &counters);
            let t2 = Instant::now();
            line.clear();
            line.push_str(&sim.step.to_string());
            for &x in &row {
                line.push(',');
                line.push_str(&fmt_f64(x));
            }
            line.push('\n');
            if let Some(w) = w {
                w.write_all(line.as_bytes()).map_err(io)?;
            }
            Ok((t2 - t, t2.elapsed()))
        };
    for s in 1..=cfg.steps {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted(format!(
                "benchmark stopped at step {} of {}; nothing was reported",
                s - 1,
                cfg.steps
            )));
        }
        let t = Instant::now();
        sim.step();
        stepping += t.elapsed();
        // What a run writes to its events and issues files, dropped here.
        drop(sim.take_event_log());
        drop(sim.take_issues());
        if record_every > 0 && s % record_every == 0 {
            let (m, o) = record(&mut sim, Some(ts.writer()))?;
            metrics_time += m;
            output_time += o;
            recorded += 1;
        }
        progress(s, cfg.steps);
    }
    // The mean record, before the file's one commit joins the output time.
    let mean_record =
        (recorded > 0).then(|| (metrics_time + output_time).as_secs_f64() / recorded as f64);
    let t = Instant::now();
    ts.commit()?;
    output_time += t.elapsed();
    let projection = match &cfg.population {
        Population::Generated { .. } => None,
        Population::Scenario(sc) => {
            let record_seconds = if let Some(d) = mean_record {
                d
            } else {
                let (m, o) = record(&mut sim, None)?;
                (m + o).as_secs_f64()
            };
            let t = Instant::now();
            let mut sink = csv::Writer::from_writer(std::io::sink());
            crate::run::write_snapshot(&sim, &mut sink)
                .and_then(|()| sink.flush().map_err(csv::Error::from))
                .map_err(|e| Error::Run(format!("cannot format a snapshot: {e}")))?;
            let snapshot_seconds = t.elapsed().as_secs_f64();
            let step_seconds = stepping.as_secs_f64() / cfg.steps as f64;
            let records = occasions(sc.steps, sc.record_every);
            let snapshots = occasions(sc.steps, sc.snapshot_every);
            Some(Projection {
                steps: sc.steps,
                step_seconds,
                records,
                record_seconds,
                snapshots,
                snapshot_seconds,
                run_seconds: setup.as_secs_f64()
                    + sc.steps as f64 * step_seconds
                    + records as f64 * record_seconds
                    + snapshots as f64 * snapshot_seconds,
            })
        }
    };
    let p = sim.timings;
    let step = p.decide + p.apply + p.derive;
    let agents = sim.world.agents.len() as u64;
    let halves = sim.world.ties.csr.targets.len() as u64;
    let agent_steps = agents as f64 * cfg.steps as f64;
    let rate = |d: Duration| {
        if d.is_zero() {
            0.0
        } else {
            agent_steps / d.as_secs_f64()
        }
    };
    let recording = metrics_time + output_time;
    let (degree, beta, name) = match &cfg.population {
        Population::Generated { degree, beta, .. } => (Some(*degree), Some(*beta), None),
        Population::Scenario(sc) => (None, None, Some(sc.name.clone())),
    };
    Ok(BenchReport {
        version: env!("CARGO_PKG_VERSION"),
        scenario: name,
        agents,
        degree,
        beta,
        tie_halves: halves,
        mean_degree: if agents > 0 {
            halves as f64 / agents as f64
        } else {
            0.0
        },
        steps: cfg.steps,
        seed,
        record_every,
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
            events: stepping.saturating_sub(step).as_secs_f64(),
            metrics: metrics_time.as_secs_f64(),
            output: output_time.as_secs_f64(),
        },
        projection,
    })
}

#[cfg(test)]
mod tests {
    use super::occasions;

    #[test]
    fn occasions_count_step_zero_the_period_and_the_last_step() {
        // 2000 steps recorded every 10: steps 0, 10, ..., 2000.
        assert_eq!(occasions(2000, 10), 201);
        // 25 steps every 10: 0, 10, 20 and the last, 25.
        assert_eq!(occasions(25, 10), 4);
        // Never periodically: the first and the last.
        assert_eq!(occasions(300, 0), 2);
        // A period longer than the run: the first and the last.
        assert_eq!(occasions(7, 50), 2);
    }
}
