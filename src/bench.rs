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
use crate::output::{push_f64, PartFile};
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
    /// The part of `decide` the steps after records spent taking the
    /// records' tie sums (estimated: the steps after every other record
    /// take them, the others not; see [`crate::metrics::Recorder`]).
    pub tie_sums: f64,
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
    /// Whether the act and derive passes ran their x86-64-v4 (AVX-512)
    /// twins, as they do on a CPU that has them
    /// ([`crate::engine::avx512_available`]).
    pub avx512: bool,
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
    let last = u64::from(every == 0 || !steps.is_multiple_of(every));
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
    // A record's tie sums are taken by the next step's influence and decide
    // pass (see `metrics::Recorder`); to learn what that adds to the step,
    // every other record takes them on its own instead (the rows are the
    // same bit for bit), and the steps after the others are compared with
    // the rest.
    let mut recorder = metrics::Recorder::new();
    let mut cost = RecordCost::default();
    let mut output_time = Duration::ZERO;
    let mut stepping = Duration::ZERO;
    let mut recorded = 0;
    let mut line = String::new();
    let mut write_rows = |rec: &mut metrics::Recorder, w: &mut dyn Write| -> Result<Duration> {
        let t = Instant::now();
        for (step, row) in rec.drain() {
            line.clear();
            line.push_str(&step.to_string());
            for &x in &row {
                line.push(',');
                push_f64(&mut line, x);
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
        Ok(t.elapsed())
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
        if recorded > 0 {
            let t = Instant::now();
            recorder.after_step(&mut sim);
            cost.fused += t.elapsed();
        }
        // What a run writes to its events and issues files, dropped here.
        drop(sim.take_event_log());
        drop(sim.take_issues());
        if record_every > 0 && s % record_every == 0 {
            let fused = recorded % 2 == 1;
            sim.set_fused_tie_sums(fused);
            let t = Instant::now();
            let counters = sim.take_counters();
            recorder.record(&mut sim, &counters);
            if fused {
                cost.fused += t.elapsed();
                cost.fused_records += 1;
            } else {
                cost.alone += t.elapsed();
            }
            recorded += 1;
        }
        output_time += write_rows(&mut recorder, ts.writer())?;
        progress(s, cfg.steps);
    }
    if recorded > 0 {
        let t = Instant::now();
        recorder.finish(&mut sim);
        cost.fused += t.elapsed();
    }
    output_time += write_rows(&mut recorder, ts.writer())?;
    sim.set_fused_tie_sums(true);
    let p = sim.timings;
    // Tie sums taken on their own at the start of a step (events were due).
    cost.fused += p.tie_sums;
    let split = cost.split(&p, cfg.steps, recorded, output_time);
    let t = Instant::now();
    ts.commit()?;
    output_time += t.elapsed();
    let projection = match &cfg.population {
        Population::Generated { .. } => None,
        Population::Scenario(sc) => {
            let record_seconds = if recorded > 0 {
                split.record.as_secs_f64()
            } else {
                // No record was timed: one now, its tie sums taken on their
                // own (a little more than a run pays).
                sim.set_fused_tie_sums(false);
                let t = Instant::now();
                let counters = sim.take_counters();
                let mut one = metrics::Recorder::new();
                one.record(&mut sim, &counters);
                write_rows(&mut one, &mut std::io::sink())?;
                t.elapsed().as_secs_f64()
            };
            let t = Instant::now();
            crate::run::write_snapshot(&sim, &mut std::io::sink())
                .map_err(|e| Error::Run(format!("cannot format a snapshot: {e}")))?;
            let snapshot_seconds = t.elapsed().as_secs_f64();
            let step_seconds = split.stepping(stepping, &p).as_secs_f64() / cfg.steps as f64;
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
    let step = split.step;
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
    let recording = split.record * recorded as u32;
    let metrics_time = cost.fused + cost.alone;
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
        avx512: sim.avx512(),
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
            tie_sums: split.in_steps.as_secs_f64(),
            events: stepping
                .saturating_sub(p.decide + p.apply + p.derive + p.tie_sums)
                .as_secs_f64(),
            metrics: metrics_time.as_secs_f64(),
            output: output_time.as_secs_f64(),
        },
        projection,
    })
}

/// The measured time of the records, by how their tie sums were taken.
#[derive(Debug, Default)]
struct RecordCost {
    /// Records whose tie sums the next step took (or the end of the run):
    /// their rows but for the tie sums, their finishing, and the tie sums
    /// taken at the start of a step before its events.
    fused: Duration,
    /// How many records had their tie sums taken by the next step.
    fused_records: u32,
    /// Records that took their tie sums on their own.
    alone: Duration,
}

/// The step and record times a run pays, from the benchmark's mix.
#[derive(Debug)]
struct CostSplit {
    /// The steps' phases without the records' tie sums.
    step: Duration,
    /// The estimated time the steps after records spent on their tie sums.
    in_steps: Duration,
    /// One record as a run pays it: its row, its tie sums in the next step
    /// and the writing of its row (the mean).
    record: Duration,
}

impl CostSplit {
    /// The steps' wall time without the records' tie sums.
    fn stepping(&self, stepping: Duration, p: &crate::engine::PhaseTimes) -> Duration {
        stepping.saturating_sub(self.in_steps + p.tie_sums)
    }
}

impl RecordCost {
    /// Splits the measured times: the tie sums a step took cost the
    /// difference between the mean influence and decide pass of the steps
    /// that took them and of the steps that did not.
    fn split(
        &self,
        p: &crate::engine::PhaseTimes,
        steps: u64,
        records: u64,
        output: Duration,
    ) -> CostSplit {
        let plain_steps = steps.saturating_sub(p.fused_steps);
        let per_step = if p.fused_steps > 0 && plain_steps > 0 {
            let fused = p.fused_decide.as_secs_f64() / p.fused_steps as f64;
            let plain = p.decide.saturating_sub(p.fused_decide).as_secs_f64() / plain_steps as f64;
            Duration::from_secs_f64((fused - plain).max(0.0))
        } else {
            Duration::ZERO
        };
        let in_steps = per_step * p.fused_steps as u32;
        let step = (p.decide + p.apply + p.derive).saturating_sub(in_steps);
        let mean = |total: Duration, n: u64| {
            if n == 0 {
                Duration::ZERO
            } else {
                total / n as u32
            }
        };
        let row = if self.fused_records > 0 {
            mean(self.fused + in_steps, u64::from(self.fused_records))
        } else {
            mean(self.alone, records)
        };
        CostSplit {
            step,
            in_steps,
            record: row + mean(output, records),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::occasions;

    #[test]
    fn the_tie_sums_a_step_took_are_charged_to_the_records() {
        use super::RecordCost;
        use std::time::Duration;
        let ms = Duration::from_millis;
        // 20 steps, 20 records, every other one's tie sums taken by the next
        // step: 10 steps took them (decide 115 ms each), 10 did not (105 ms).
        let p = crate::engine::PhaseTimes {
            decide: ms(2200),
            apply: ms(800),
            derive: ms(400),
            fused_decide: ms(1150),
            fused_steps: 10,
            tie_sums: Duration::ZERO,
        };
        let cost = RecordCost {
            fused: ms(300),
            fused_records: 10,
            alone: ms(500),
        };
        let split = cost.split(&p, 20, 20, ms(20));
        // 10 ms a step for the sums, 100 ms of them in all.
        assert_eq!(split.in_steps, ms(100));
        assert_eq!(split.step, ms(3300));
        // A record as a run pays it: 30 ms of row, 10 in the next step, 1 of output.
        assert_eq!(split.record, ms(41));
        assert_eq!(split.stepping(ms(3450), &p), ms(3350));
        // One record only: taken on its own, charged as measured.
        let p1 = crate::engine::PhaseTimes {
            fused_decide: Duration::ZERO,
            fused_steps: 0,
            ..p
        };
        let one = RecordCost {
            fused: Duration::ZERO,
            fused_records: 0,
            alone: ms(50),
        };
        let split = one.split(&p1, 20, 1, ms(1));
        assert_eq!(split.in_steps, Duration::ZERO);
        assert_eq!(split.step, ms(3400));
        assert_eq!(split.record, ms(51));
    }

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
