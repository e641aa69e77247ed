//! Parameter sweeps: many runs of one scenario over a design of parameter
//! points, with replicates, in parallel, into tidy long-format files.
//!
//! A sweep file names a base scenario, the parameters to vary by their path
//! in the scenario (`rules.coercion.harm`, `populations.worker.exit_cost`,
//! `agents.sam.motive`), their values (a list, or a linear or logarithmic
//! range with an exact number of steps, or a range to sample), a design
//! (`grid`: every combination; `random`: independent uniform draws; `lhs`:
//! a Latin hypercube, McKay, Beckman & Conover 1979) and a number of
//! replicates. Run `r` of point `p` uses the seed `mix(sweep seed, p, r)`
//! (in a sobol design, `p` is the point's base sample: see
//! [`Sweep::run_seed`]), so every run can be reproduced alone.
//!
//! Runs go in fixed batches; within a batch they run in parallel and their
//! results are written in run order, so the files are byte-identical
//! whatever the thread count, and memory is bounded by the batch.

pub mod file;
pub mod slurm;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::metrics::{self, HEADLINE};
use crate::output::{fmt_f64, prepare_dir, PartFile};
use crate::verdict::judge;
pub use file::{Design, Parameter, Sweep};

/// Runs per batch: results of a batch are held in memory, then written.
pub const BATCH: usize = 64;

/// What one run produced.
struct RunResult {
    columns: Vec<String>,
    rows: Vec<(u64, Vec<f64>)>,
    verdicts: Vec<&'static str>,
}

fn run_one(sweep: &Sweep, point: usize, replicate: u64) -> Result<RunResult> {
    let scenario = sweep.scenario_at(point)?;
    let seed = sweep.run_seed(point, replicate);
    // Run index 0, as `powerdyn run` uses: the run's own seed already sets it
    // apart, and the run can be redone alone from its seed.
    let mut sim = Simulation::new(&scenario, seed, 0)?;
    let steps = sweep.steps.unwrap_or(scenario.steps);
    let columns = metrics::column_names(&sim);
    let mut rows = Vec::new();
    let mut recorder = metrics::Recorder::new();
    let record = |sim: &mut Simulation, recorder: &mut metrics::Recorder| {
        let c = sim.take_counters();
        recorder.record(sim, &c);
    };
    record(&mut sim, &mut recorder);
    while sim.step < steps {
        // A stop (Ctrl-C, SIGTERM) is heard between steps, not only between
        // batches: a batch of long runs would outlast SLURM's grace before
        // SIGKILL. The run is dropped; it is redone on resuming.
        if crate::interrupt::requested() {
            return Err(Error::Interrupted(String::new()));
        }
        sim.step();
        recorder.after_step(&mut sim);
        if sim.step % scenario.record_every == 0 || sim.step == steps {
            record(&mut sim, &mut recorder);
        }
        rows.extend(recorder.drain());
    }
    recorder.finish(&mut sim);
    rows.extend(recorder.drain());
    // The records `powerdyn run` judges: a long series thinned the same way.
    let heads: Vec<usize> = HEADLINE
        .iter()
        .map(|h| {
            columns
                .iter()
                .position(|c| c == h)
                .expect("headline column")
        })
        .collect();
    let mut thinned = crate::run::Thinned::new(crate::run::VERDICT_RECORDS, heads.len());
    for (step, row) in &rows {
        thinned.push(*step, heads.iter().map(|&k| row[k]));
    }
    let (steps_at, series) = thinned.finish();
    let cfg = scenario.verdict.clone();
    let verdicts = series
        .iter()
        .map(|v| judge(&steps_at, v, &cfg).verdict.as_str())
        .collect();
    Ok(RunResult {
        columns,
        rows,
        verdicts,
    })
}

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Folder to write into.
    pub out_dir: PathBuf,
    /// Worker threads; 0 uses one per core.
    pub threads: usize,
    /// Run only shard `k` of `n`: the runs whose id is `k` modulo `n`.
    pub shard: Option<(u64, u64)>,
    /// Replace the outputs of another sweep (another definition or shard,
    /// finished or not) in the folder; without it they are refused.
    pub replace: bool,
}

/// What a finished sweep reports.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSummary {
    /// Sweep name.
    pub name: String,
    /// Parameter points.
    pub points: usize,
    /// Runs done.
    pub runs: u64,
    /// Of those, the runs an earlier, interrupted call had done (a resumed
    /// sweep), or all of them when the folder held the sweep finished.
    pub resumed: u64,
    /// Whether the folder held this sweep finished, so nothing ran.
    pub finished_before: bool,
    /// Wall time in seconds.
    pub wall_seconds: f64,
    /// Why the copies of the sweep's files in its folder cannot repeat it,
    /// when they cannot (also in `manifest.json`).
    pub copies_warning: Option<String>,
}

/// Per point and step: the runs, and per metric the runs where it is
/// defined (finite), the sum of its defined values and, for their variance,
/// Welford's running mean and sum of squared deviations (a difference of
/// sums of squares loses the digits of a metric that hardly varies, and
/// gives values that do not vary a spread), all in run order. An undefined
/// value (a transitivity with no triad) is left out, not counted as 0.
#[derive(Default)]
struct Accumulator {
    steps: Vec<u64>,
    n: Vec<u64>,
    defined: Vec<Vec<u64>>,
    sum: Vec<Vec<f64>>,
    running_mean: Vec<Vec<f64>>,
    squares: Vec<Vec<f64>>,
}

impl Accumulator {
    fn add(&mut self, rows: &[(u64, Vec<f64>)]) {
        if self.steps.is_empty() {
            self.steps = rows.iter().map(|r| r.0).collect();
            self.n = vec![0; rows.len()];
            self.defined = rows.iter().map(|r| vec![0; r.1.len()]).collect();
            self.sum = rows.iter().map(|r| vec![0.0; r.1.len()]).collect();
            self.running_mean = self.sum.clone();
            self.squares = self.sum.clone();
        }
        for (k, (_, v)) in rows.iter().enumerate().take(self.steps.len()) {
            self.n[k] += 1;
            for (m, &x) in v.iter().enumerate() {
                if x.is_finite() {
                    self.defined[k][m] += 1;
                    self.sum[k][m] += x;
                    let delta = x - self.running_mean[k][m];
                    self.running_mean[k][m] += delta / self.defined[k][m] as f64;
                    self.squares[k][m] += delta * (x - self.running_mean[k][m]);
                }
            }
        }
    }
}

impl Accumulator {
    /// The mean of metric `m` at record `k` over the runs where it is
    /// defined (NaN where it is defined in none). Values that do not vary
    /// (no squared deviation) have that value as their mean exactly: the
    /// sum's rounding could put `sum / n` a bit off it, and the interval
    /// beside it.
    fn mean(&self, k: usize, m: usize) -> f64 {
        match self.defined[k][m] {
            0 => f64::NAN,
            _ if self.squares[k][m] == 0.0 => self.running_mean[k][m],
            d => self.sum[k][m] / d as f64,
        }
    }
}

/// Increasing indices as ranges: `0,2-4,9`.
fn index_ranges(ks: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut k = 0;
    while k < ks.len() {
        let start = ks[k];
        while k + 1 < ks.len() && ks[k + 1] == ks[k] + 1 {
            k += 1;
        }
        parts.push(if ks[k] == start {
            start.to_string()
        } else {
            format!("{start}-{}", ks[k])
        });
        k += 1;
    }
    parts.join(",")
}

/// Student's t quantile `t(0.975, df)`, the half-width factor of a 95%
/// interval for a mean from `df + 1` values: tabled for `df` up to 30, and
/// from the Cornish–Fisher expansion about the normal quantile beyond
/// (within 3e-8 there).
pub fn t975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706204736174703,
        4.302652729749464,
        3.182446305284263,
        2.7764451051977987,
        2.570581835636314,
        2.446911851144969,
        2.3646242515927834,
        2.306004135204166,
        2.2621571628540993,
        2.2281388519649385,
        2.200985160082949,
        2.1788128296634177,
        2.1603686564610127,
        2.1447866879169273,
        2.131449545559323,
        2.1199052992210112,
        2.1098155778331806,
        2.10092204024096,
        2.093024054408263,
        2.0859634472658364,
        2.079613844727662,
        2.0738730679040147,
        2.0686576104190406,
        2.0638985616280205,
        2.059538552753294,
        2.055529438642871,
        2.0518305164802833,
        2.048407141795244,
        2.045229642132703,
        2.0422724563012373,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df as usize - 1],
        _ => {
            let z: f64 = 1.959963984540054;
            let v = df as f64;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
            let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
                - 1920.0 * z.powi(3)
                - 945.0 * z)
                / 92160.0;
            z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
        }
    }
}

/// The records of a run's rows in a sweep's `timeseries.csv` (run id,
/// step and metrics), by one CSV writer, each cell formatted into one
/// reused string.
fn timeseries_bytes<'a>(id: &str, rows: impl IntoIterator<Item = (u64, &'a [f64])>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut cell = String::new();
    let write = || -> csv::Result<()> {
        for (step, values) in rows {
            w.write_field(id)?;
            w.write_field(step.to_string())?;
            for &x in values {
                cell.clear();
                crate::output::push_f64(&mut cell, x);
                w.write_field(&cell)?;
            }
            w.write_record(None::<&[u8]>)?;
        }
        Ok(())
    };
    // Writing to memory cannot fail, nor can records of one width.
    write().expect("a sweep's time-series records write to memory");
    w.into_inner().expect("writing to memory cannot fail")
}

/// One CSV record as bytes (the same quoting as the csv crate's writer).
fn csv_line<I, T>(fields: I) -> Vec<u8>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(fields);
    w.into_inner().unwrap_or_default()
}

/// The five verdict words, in the order of the verdict-share columns.
const VERDICTS: [&str; 5] = ["settles", "grows", "shrinks", "oscillates", "undetermined"];

/// The point being accumulated: its index, parameter values, metric sums and verdict counts.
type PointAcc = (usize, Vec<f64>, Accumulator, Vec<[u64; VERDICTS.len()]>);

/// Streams aggregate.csv and verdicts.csv point by point: runs arrive in run
/// order, so a point's replicates are contiguous and only the current point
/// is held in memory.
struct AggregateWriter {
    aggregate: PartFile,
    verdicts: PartFile,
    cols: usize,
    current: Option<PointAcc>,
}

impl AggregateWriter {
    fn new(out_dir: &Path, names: &[String], cols: &[String]) -> Result<Self> {
        let mut aggregate = PartFile::create(out_dir, "aggregate.csv")?;
        let mut verdicts = PartFile::create(out_dir, "verdicts.csv")?;
        let mut h = vec!["point".to_string(), "step".into(), "runs".into()];
        h.extend(names.iter().cloned());
        for c in cols {
            for s in ["n", "mean", "sd", "lo95", "hi95"] {
                h.push(format!("{c}_{s}"));
            }
        }
        let path = aggregate.part_path().to_path_buf();
        aggregate
            .writer()
            .write_all(&csv_line(&h))
            .map_err(|e| Error::io(&path, e))?;
        let mut v = vec!["point".to_string(), "runs".into()];
        v.extend(names.iter().cloned());
        for m in HEADLINE {
            for w in VERDICTS {
                v.push(format!("{m}_{w}"));
            }
        }
        let path = verdicts.part_path().to_path_buf();
        verdicts
            .writer()
            .write_all(&csv_line(&v))
            .map_err(|e| Error::io(&path, e))?;
        Ok(AggregateWriter {
            aggregate,
            verdicts,
            cols: cols.len(),
            current: None,
        })
    }

    fn add(
        &mut self,
        point: usize,
        values: &[f64],
        rows: &[(u64, Vec<f64>)],
        verdicts: &[&str],
    ) -> Result<()> {
        if self.current.as_ref().is_some_and(|c| c.0 != point) {
            self.flush()?;
        }
        let cur = self.current.get_or_insert_with(|| {
            (
                point,
                values.to_vec(),
                Accumulator::default(),
                vec![[0u64; VERDICTS.len()]; HEADLINE.len()],
            )
        });
        cur.2.add(rows);
        for (k, v) in verdicts.iter().enumerate().take(HEADLINE.len()) {
            if let Some(w) = VERDICTS.iter().position(|x| x == v) {
                cur.3[k][w] += 1;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some((point, values, a, counts)) = self.current.take() else {
            return Ok(());
        };
        let path = self.aggregate.part_path().to_path_buf();
        for (k, step) in a.steps.iter().enumerate() {
            let mut rec = vec![point.to_string(), step.to_string(), a.n[k].to_string()];
            rec.extend(values.iter().map(|&v| fmt_f64(v)));
            for m in 0..self.cols {
                // Over the runs where the metric is defined; empty cells
                // (NaN) when it is defined in none.
                let d = a.defined[k][m];
                let n = d as f64;
                let mean = a.mean(k, m);
                // One run has no spread to estimate: sd and interval are
                // undefined (empty cells), not 0.
                let var = if d > 1 {
                    (a.squares[k][m] / (n - 1.0)).max(0.0)
                } else {
                    f64::NAN
                };
                let sd = var.sqrt();
                // Student's t: with the few replicates sweeps often have,
                // 1.96 would make the interval far too narrow.
                let half = if d > 1 {
                    t975(d - 1) * sd / n.sqrt()
                } else {
                    f64::NAN
                };
                rec.push(d.to_string());
                rec.extend(
                    [mean, sd, mean - half, mean + half]
                        .iter()
                        .map(|&x| fmt_f64(x)),
                );
            }
            self.aggregate
                .writer()
                .write_all(&csv_line(&rec))
                .map_err(|e| Error::io(&path, e))?;
        }
        let runs: u64 = counts.first().map_or(0, |c| c.iter().sum());
        let mut rec = vec![point.to_string(), runs.to_string()];
        rec.extend(values.iter().map(|&v| fmt_f64(v)));
        for c in &counts {
            let total: u64 = c.iter().sum();
            rec.extend(c.iter().map(|&x| {
                fmt_f64(if total > 0 {
                    x as f64 / total as f64
                } else {
                    0.0
                })
            }));
        }
        let path = self.verdicts.part_path().to_path_buf();
        self.verdicts
            .writer()
            .write_all(&csv_line(&rec))
            .map_err(|e| Error::io(&path, e))?;
        Ok(())
    }

    fn finish(mut self) -> Result<(PartFile, PartFile)> {
        self.flush()?;
        Ok((self.aggregate, self.verdicts))
    }
}

/// The seed of the bootstrap resamples behind sensitivity.csv's intervals.
const BOOTSTRAP_SEED: u64 = 0x5EED_B007_57A9_0001;

/// Writes sensitivity.csv: for each metric's final value (mean over a
/// point's replicates) and each parameter, the first-order and total Sobol
/// indices (Saltelli 2010; Jansen 1999) and the half-widths of their 95%
/// bootstrap intervals, empty where they cannot be computed (a metric with
/// no variance, or undefined at some point).
fn write_sensitivity(
    out_dir: &Path,
    names: &[String],
    cols: &[String],
    finals: &[Vec<f64>],
) -> Result<PartFile> {
    let mut f = PartFile::create(out_dir, "sensitivity.csv")?;
    let path = f.part_path().to_path_buf();
    f.writer()
        .write_all(&csv_line([
            "metric",
            "parameter",
            "first_order",
            "total",
            "first_order_conf",
            "total_conf",
        ]))
        .map_err(|e| Error::io(&path, e))?;
    for (m, col) in cols.iter().enumerate() {
        let y: Vec<f64> = finals
            .iter()
            .map(|r| r.get(m).copied().unwrap_or(0.0))
            .collect();
        // Indices that cannot be computed (a metric with no variance over
        // the design, or undefined at some point) are empty cells.
        let ix = crate::sensitivity::sobol_indices(&y, names.len()).ok();
        // Their 95% bootstrap half-widths, from a fixed stream (the same in
        // a sweep and in its merged shards).
        let conf = crate::sensitivity::sobol_intervals(
            &y,
            names.len(),
            crate::sensitivity::RESAMPLES,
            BOOTSTRAP_SEED,
        )
        .ok();
        let at = |ix: &Option<crate::sensitivity::Indices>, k: usize| {
            ix.as_ref()
                .map_or((f64::NAN, f64::NAN), |ix| (ix.first[k], ix.total[k]))
        };
        for (k, name) in names.iter().enumerate() {
            let (first, total) = at(&ix, k);
            let (first_conf, total_conf) = at(&conf, k);
            let line = csv_line([
                format!("final_{col}"),
                name.clone(),
                fmt_f64(first),
                fmt_f64(total),
                fmt_f64(first_conf),
                fmt_f64(total_conf),
            ]);
            f.writer()
                .write_all(&line)
                .map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(f)
}

/// Per-point means of each metric's final value over the replicates where it
/// is defined (NaN where it is defined in none), in point order.
#[derive(Default)]
struct FinalMeans {
    sums: Vec<Vec<f64>>,
    counts: Vec<Vec<u64>>,
}

impl FinalMeans {
    fn add(&mut self, point: usize, last: &[f64]) {
        while self.sums.len() <= point {
            self.sums.push(vec![0.0; last.len()]);
            self.counts.push(vec![0; last.len()]);
        }
        for ((s, c), &x) in self.sums[point]
            .iter_mut()
            .zip(self.counts[point].iter_mut())
            .zip(last)
        {
            if x.is_finite() {
                *s += x;
                *c += 1;
            }
        }
    }

    fn means(&self) -> Vec<Vec<f64>> {
        self.sums
            .iter()
            .zip(&self.counts)
            .map(|(s, c)| {
                s.iter()
                    .zip(c)
                    .map(|(x, &c)| if c > 0 { x / c as f64 } else { f64::NAN })
                    .collect()
            })
            .collect()
    }
}

/// Runs a sweep. `progress(done, total)` is called after each batch.
pub fn run(
    sweep: &Sweep,
    cfg: &SweepConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<SweepSummary> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Run(format!("cannot start worker threads: {e}")))?;
    pool.install(|| run_in_pool(sweep, cfg, progress))
}

/// A shard written `K/N`, with `0 <= K < N`.
pub fn parse_shard(text: &str) -> Option<(u64, u64)> {
    text.split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)))
        .filter(|&(k, n)| k < n)
}

/// The checks a sweep passes before anything is written, beyond those made
/// when it was loaded (every point's scenario): a shard split into no more
/// shards than runs, and the first and last points' worlds built (the
/// network checks need the network). `--dry-run` makes them too.
pub fn preflight(sweep: &Sweep, shard: Option<(u64, u64)>) -> Result<()> {
    if let Some((_, n)) = shard {
        if n > sweep.total_runs() {
            return Err(Error::input(
                "--shard",
                format!(
                    "{n} shards for {} runs: some shards would hold no run",
                    sweep.total_runs()
                ),
                Some("split the sweep in at most as many shards as it has runs"),
            ));
        }
    }
    if !sweep.points.is_empty() {
        for p in [0, sweep.points.len() - 1] {
            let s = sweep.scenario_at(p)?;
            Simulation::new(&s, sweep.run_seed(p, 0), 0)?;
        }
    }
    Ok(())
}

/// The cost of a sweep's runs, measured on one of them ([`probe`]).
#[derive(Debug, Clone, Copy)]
pub struct Probe {
    /// Seconds to build a run's world, per agent.
    pub setup_per_agent: f64,
    /// Seconds per agent-step on one thread, its records included.
    pub step_per_agent: f64,
    /// Steps timed.
    pub steps: u64,
    /// Bytes of one record in `timeseries.csv` (its `run_id`, `step` and
    /// metrics as written), the mean over the probe's records.
    pub record_bytes: f64,
    /// Bytes of one row of `aggregate.csv` (a point's step: `n`, mean and,
    /// with replicates, sd and interval of each metric), estimated from
    /// the probe's records: the mean as wide as the probe's value, the sd
    /// and the interval's bounds at least 17 characters wide (a statistic
    /// of several runs rarely rounds short), the mean over the probe's
    /// records (bully-sobol: 48.6 MB estimated, 43.5 MB written).
    pub aggregate_bytes: f64,
}

/// How fast the single-threaded end of a sweep (reading `runs.csv` and
/// `timeseries.csv`, writing the aggregates) goes through the bytes of the
/// time series and the aggregate together: 50–115 MB/s on the project's
/// machine (3.8 s for 133 + 307 MB in bully-sobol's 640 runs at 4,000
/// steps; 0.6 s for 11 + 20 MB in 20,000 runs of one step, where each
/// run's row costs more than its bytes).
pub const SUMMARY_BYTES_PER_SECOND: f64 = 75e6;

impl Probe {
    /// Wall seconds of a sweep's single-threaded end for `bytes` of time
    /// series and aggregate together.
    pub fn summary_seconds(bytes: f64) -> f64 {
        bytes / SUMMARY_BYTES_PER_SECOND
    }

    /// The CPU seconds of the whole sweep on one thread: every point's
    /// set-up and steps, replicated, at the probe's rates.
    pub fn sweep_seconds(&self, sweep: &Sweep) -> f64 {
        sweep.replicates as f64
            * (sweep.point_agents * self.setup_per_agent
                + sweep.point_agent_steps * self.step_per_agent)
    }
}

/// The first shard folder below `dir/shards` that is not a shard of
/// `sweep` split in `tasks` (finished or not), described: the folders a job
/// array writes scripts for must hold only its own shards, or its tasks
/// refuse their folders and its merge misses shards. None when there is
/// none (or no `shards` folder).
pub fn foreign_shard(dir: &Path, sweep: &Sweep, tasks: u64) -> Option<String> {
    let hash = sweep.hash();
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("shards"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    for shard in found {
        let name = shard.file_name()?.to_string_lossy().to_string();
        // A finished shard's manifest, or an unfinished one's state.
        let (h, which) = match std::fs::read_to_string(shard.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        {
            Some(m) => (
                m["sweep_hash"].as_str().unwrap_or_default().to_string(),
                m["shard"].as_str().unwrap_or_default().to_string(),
            ),
            None => match std::fs::read_to_string(shard.join(".sweep-state")) {
                Ok(k) => {
                    let mut lines = k.lines();
                    let h = lines.next().unwrap_or_default().to_string();
                    // `shard Some((k, n))`
                    let digits: Vec<u64> = lines
                        .next()
                        .unwrap_or_default()
                        .split(|c: char| !c.is_ascii_digit())
                        .filter_map(|d| d.parse().ok())
                        .collect();
                    let which = match digits[..] {
                        [k, n] => format!("{k}/{n}"),
                        _ => String::new(),
                    };
                    (h, which)
                }
                Err(_) => continue,
            },
        };
        let (k, of_n) = which
            .split_once('/')
            .map(|(k, n)| (k.parse::<u64>().ok(), n.parse::<u64>().ok()))
            .unwrap_or((None, None));
        if h != hash {
            return Some(format!("{name} holds a shard of another definition of the sweep (an edited sweep file or scenario, or a powerdyn of another model revision)"));
        }
        if which.is_empty() {
            return Some(format!("{name} holds the whole sweep, not a shard"));
        }
        if of_n != Some(tasks) {
            return Some(format!(
                "{name} holds shard {which} of this sweep, split in another number of tasks than {tasks}"
            ));
        }
        if k.map(|k| format!("shard-{k}")) != Some(name.clone()) {
            return Some(format!("{name} holds shard {which}, not its own"));
        }
    }
    // The merge's folder, if a merge of another definition is there.
    let merged = std::fs::read_to_string(dir.join("merged/manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    if let Some(m) = merged {
        if m["sweep_hash"].as_str() != Some(hash.as_str()) {
            return Some(
                "merged holds the merged output of another definition of the sweep".to_string(),
            );
        }
    }
    None
}

/// Times point `point`'s first run on one thread, as a sweep runs it
/// (recording at its scenario's `record_every`), for at most its steps,
/// 1,000 steps or `budget` of wall time, whichever ends first: the rates a
/// time estimate scales by the points' agents and steps.
pub fn probe(sweep: &Sweep, point: usize, budget: Duration) -> Result<Probe> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| Error::Run(format!("cannot start a worker thread: {e}")))?;
    pool.install(|| {
        let scenario = sweep.scenario_at(point)?;
        let steps = sweep.steps.unwrap_or(scenario.steps).min(1000);
        let agents = scenario.n_agents().max(1) as f64;
        let t = Instant::now();
        let mut sim = Simulation::new(&scenario, sweep.run_seed(point, 0), 0)?;
        let setup = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut recorder = metrics::Recorder::new();
        let c = sim.take_counters();
        recorder.record(&mut sim, &c);
        // The records formatted as the sweep writes them (a run id as long
        // as the sweep's last), for the estimate of the disk used.
        let id = sweep.total_runs().saturating_sub(1).to_string();
        let (mut bytes, mut aggregate, mut records) = (0usize, 0usize, 0usize);
        let prefix = csv_line(
            [
                sweep.points.len().saturating_sub(1).to_string(),
                String::new(),
                sweep.replicates.to_string(),
            ]
            .into_iter()
            .chain(sweep.points[point].iter().map(|&x| fmt_f64(x))),
        )
        .len();
        let n = sweep.replicates.to_string().len();
        let mut measure = |rows: &mut dyn Iterator<Item = metrics::Row>| {
            for (step, v) in rows {
                bytes += timeseries_bytes(&id, [(step, &v[..])]).len();
                aggregate += prefix + step.to_string().len();
                for &x in &v {
                    let w = fmt_f64(x).len();
                    aggregate += if !x.is_finite() {
                        2 + 4
                    } else if sweep.replicates == 1 {
                        n + 1 + w + 4
                    } else if x == 0.0 {
                        n + 1 + 4 * 2
                    } else {
                        n + 1 + (w + 1) + 3 * (w.max(17) + 1)
                    };
                }
                records += 1;
            }
        };
        while sim.step < steps && (sim.step < 10 || t.elapsed() < budget) {
            sim.step();
            recorder.after_step(&mut sim);
            if sim.step % scenario.record_every == 0 {
                let c = sim.take_counters();
                recorder.record(&mut sim, &c);
            }
            measure(&mut recorder.drain());
        }
        recorder.finish(&mut sim);
        measure(&mut recorder.drain());
        let timed = sim.step.max(1);
        Ok(Probe {
            setup_per_agent: setup / agents,
            step_per_agent: t.elapsed().as_secs_f64() / (timed as f64 * agents),
            steps: timed,
            record_bytes: bytes as f64 / records.max(1) as f64,
            aggregate_bytes: aggregate as f64 / records.max(1) as f64,
        })
    })
}

fn run_in_pool(
    sweep: &Sweep,
    cfg: &SweepConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<SweepSummary> {
    use std::fs::OpenOptions;
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    preflight(sweep, cfg.shard)?;
    let out = &cfg.out_dir;
    crate::output::check_dir(out, crate::output::Holds::Sweep, "a sweep")?;
    crate::output::check_foreign(out)?;
    crate::output::check_input_room(out, &sweep.inputs)?;
    crate::output::create_dir(out)?;
    // One writer at a time (a second sweep started into the folder would
    // interleave its rows with the first's).
    let _lock = crate::output::FolderLock::take(out)?;
    let state_path = out.join(".sweep-state");
    let runs_part = out.join("runs.csv.part");
    let ts_part = out.join("timeseries.csv.part");
    let key = format!("{}\nshard {:?}\n", sweep.hash(), cfg.shard);
    // A finished sweep of the same definition in this folder: nothing to do.
    let finished: Option<serde_json::Value> = std::fs::read_to_string(out.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let shard = cfg.shard.map(|(k, n)| format!("{k}/{n}"));
    let other = |what: &str| {
        Error::input(
            out.display().to_string(),
            format!("this folder holds {what}; this sweep would replace it"),
            Some("give another --out, or pass --force to replace it"),
        )
    };
    if let Some(m) = &finished {
        let same = m["sweep_hash"].as_str() == Some(sweep.hash().as_str());
        if same && m["shard"].as_str() == shard.as_deref() {
            let runs = m["runs"].as_u64().unwrap_or(0);
            progress(runs, runs);
            return Ok(SweepSummary {
                name: sweep.name.clone(),
                points: sweep.points.len(),
                runs,
                resumed: runs,
                finished_before: true,
                wall_seconds: 0.0,
                copies_warning: None,
            });
        }
        if !cfg.replace {
            return Err(other(&match (same, m["shard"].as_str()) {
                (true, Some(s)) => format!("shard {s} of this sweep, finished"),
                (true, None) => "this sweep, finished whole (not sharded)".to_string(),
                (false, _) => format!(
                    "a finished sweep of another definition (points, replicates, steps or scenario files{})",
                    m["sweep"].as_str().map(|n| format!("; `{n}`")).unwrap_or_default()
                ),
            }));
        }
    }
    if !cfg.replace {
        if let Ok(k) = std::fs::read_to_string(&state_path) {
            if k != key {
                return Err(other(
                    "an unfinished sweep of another definition or shard (it would resume there)",
                ));
            }
        }
    }
    let ours = std::fs::read_to_string(&state_path).is_ok_and(|k| k == key);
    if ours && !cfg.replace {
        // Every run done and its logs renamed, but the sweep stopped before
        // its manifest (a crash or a full disk while writing the
        // aggregates): the logs go back to their working names, and the
        // sweep resumes with nothing left to run.
        for (part, name) in [(&runs_part, "runs.csv"), (&ts_part, "timeseries.csv")] {
            let done = out.join(name);
            if !part.exists() && done.is_file() {
                std::fs::rename(&done, part).map_err(|e| Error::io(&done, e))?;
            }
        }
    }
    let resume = ours && runs_part.exists() && ts_part.exists();
    let names: Vec<String> = sweep.parameters.iter().map(|p| p.path.clone()).collect();
    let total = sweep.total_runs();
    let ids: Vec<u64> = match cfg.shard {
        Some((k, n)) => (k..total).step_by(n as usize).collect(),
        None => (0..total).collect(),
    };
    let mut done = 0usize;
    let mut resumed = 0u64;
    if resume {
        done = resume_point(&runs_part, &ts_part, &ids)?;
        resumed = done as u64;
    } else {
        prepare_dir(out, &sweep.inputs)?;
        for f in OUTPUTS {
            let _ = std::fs::remove_file(out.join(f));
        }
        crate::output::write_fresh(&state_path, key.as_bytes())
            .map_err(|e| Error::io(&state_path, e))?;
        for p in [&runs_part, &ts_part] {
            crate::output::write_fresh(p, b"").map_err(|e| Error::io(p, e))?;
        }
    }
    // The sweep's files, copied now as read (renamed with the manifest).
    // The sweep's files, copied and checked now (a sweep keeps what it has
    // done when it stops, and its copies with it: the folder's record of
    // copies lists them), so that its end is as short as before them: the
    // manifest right after the aggregate.
    let inputs = crate::output::InputCopies::write(out, &sweep.inputs)?;
    let inputs_paths = inputs.paths().to_vec();
    inputs.commit()?;
    // A rerun only when the copies read back as this sweep.
    let copies_warning = check_copies(out, sweep, &inputs_paths);
    let open = |p: &Path| {
        OpenOptions::new()
            .append(true)
            .open(p)
            .map(std::io::BufWriter::new)
            .map_err(|e| Error::io(p, e))
    };
    let (mut runs_w, mut ts_w) = (open(&runs_part)?, open(&ts_part)?);
    let mut header_written = done > 0
        || std::fs::metadata(&runs_part)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
    let mut columns: Option<Vec<String>> = None;
    let n = ids.len() as u64;
    progress(done as u64, n);
    for batch in ids[done..].chunks(BATCH) {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted(format!(
                "stopped after {done} of {n} runs, which are kept; run the same command again to resume"
            )));
        }
        // Each run with its records of timeseries.csv, formatted by its task.
        let results: Vec<Result<(RunResult, Vec<u8>)>> = batch
            .par_iter()
            .map(|&id| {
                let (point, replicate) = sweep.point_of(id);
                run_one(sweep, point, replicate).map(|r| {
                    let rows = r.rows.iter().map(|(s, v)| (*s, &v[..]));
                    let bytes = timeseries_bytes(&id.to_string(), rows);
                    (r, bytes)
                })
            })
            .collect();
        let mut runs_bytes = Vec::new();
        let mut ts_bytes = Vec::new();
        // Interrupted mid-batch: the runs before the first one cut short
        // are kept (in run order, as a resume expects), the rest dropped.
        let mut stopped = false;
        for (&id, r) in batch.iter().zip(results) {
            let (r, run_ts_bytes) = match r {
                Err(Error::Interrupted(_)) => {
                    stopped = true;
                    break;
                }
                r => r?,
            };
            let (point, replicate) = sweep.point_of(id);
            let cols = columns.get_or_insert_with(|| r.columns.clone());
            if *cols != r.columns {
                return Err(Error::Run(format!(
                    "run {id} has different metric columns from the first run (a parameter changed the scenario's structure)"
                )));
            }
            if !header_written {
                let mut h = vec![
                    "run_id".to_string(),
                    "point".into(),
                    "replicate".into(),
                    "seed".into(),
                ];
                h.extend(names.iter().cloned());
                h.extend(cols.iter().map(|c| format!("final_{c}")));
                h.extend(HEADLINE.iter().map(|c| format!("verdict_{c}")));
                runs_bytes.extend(csv_line(&h));
                let mut th = vec!["run_id".to_string(), "step".into()];
                th.extend(cols.iter().cloned());
                ts_bytes.extend(csv_line(&th));
                header_written = true;
            }
            let mut rec = vec![
                id.to_string(),
                point.to_string(),
                replicate.to_string(),
                sweep.run_seed(point, replicate).to_string(),
            ];
            rec.extend(sweep.points[point].iter().map(|&v| fmt_f64(v)));
            let last = r.rows.last().map(|x| x.1.clone()).unwrap_or_default();
            rec.extend(last.iter().map(|&v| fmt_f64(v)));
            rec.extend(r.verdicts.iter().map(|v| v.to_string()));
            runs_bytes.extend(csv_line(&rec));
            ts_bytes.extend(run_ts_bytes);
            done += 1;
        }
        // Time series first, then the runs that make them count: a run is
        // complete once its row is in runs.csv (see `resume_point`).
        for (w, bytes, p) in [
            (&mut ts_w, &ts_bytes, &ts_part),
            (&mut runs_w, &runs_bytes, &runs_part),
        ] {
            w.write_all(bytes).map_err(|e| Error::io(p, e))?;
            w.flush().map_err(|e| Error::io(p, e))?;
            w.get_ref().sync_data().map_err(|e| Error::io(p, e))?;
        }
        progress(done as u64, n);
        if stopped {
            return Err(Error::Interrupted(format!(
                "stopped after {done} of {n} runs, which are kept; run the same command again to resume"
            )));
        }
    }
    drop((runs_w, ts_w));
    for (part, name) in [(&runs_part, "runs.csv"), (&ts_part, "timeseries.csv")] {
        std::fs::rename(part, out.join(name)).map_err(|e| Error::io(part, e))?;
    }
    // The design, in a form SALib and other tools read.
    let mut design_f = PartFile::create(out, "design.csv")?;
    let design_path = design_f.part_path().to_path_buf();
    design_f
        .writer()
        .write_all(crate::sensitivity::design_csv(&names, &sweep.points).as_bytes())
        .map_err(|e| Error::io(&design_path, e))?;
    design_f.commit()?;
    if cfg.shard.is_none() {
        summarize(
            out,
            names.len(),
            matches!(sweep.design, Design::Sobol { .. }),
        )?;
    }
    let mut summary = SweepSummary {
        name: sweep.name.clone(),
        points: sweep.points.len(),
        runs: done as u64,
        resumed,
        finished_before: false,
        wall_seconds: started.elapsed().as_secs_f64(),
        copies_warning: None,
    };
    // The steps every run took (the sweep's, or the base scenario's); none
    // when `steps` is a parameter (each point's value is in runs.csv).
    let steps = match sweep.steps {
        Some(n) => Some(n),
        None if names.iter().any(|p| p == "steps") => None,
        None => Some(sweep.scenario_at(0)?.steps),
    };
    // The sizes of the data files, which `merge` checks: a shard copied
    // back incompletely (its manifest arriving first) is refused.
    let mut files = serde_json::Map::new();
    for name in ["runs.csv", "timeseries.csv"] {
        let p = out.join(name);
        let bytes = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
        files.insert(name.to_string(), serde_json::json!({ "bytes": bytes }));
    }
    summary.copies_warning = copies_warning.clone();
    let rerun = inputs_paths
        .first()
        .filter(|_| copies_warning.is_none())
        .map(|p| {
            let shard = cfg
                .shard
                .map(|(k, n)| format!(" --shard {k}/{n}"))
                .unwrap_or_default();
            format!(
                "powerdyn sweep {}{shard}{}",
                crate::run::shell_word(p),
                force_flag(sweep.total_runs())
            )
        });
    let warnings: Vec<String> = sweep
        .warnings
        .iter()
        .cloned()
        .chain(copies_warning)
        .collect();
    let mut mf = PartFile::create(out, "manifest.json")?;
    let mf_path = mf.part_path().to_path_buf();
    let manifest = serde_json::json!({
        "powerdyn_version": env!("CARGO_PKG_VERSION"),
        "powerdyn_commit": crate::build_commit(),
        "started_utc": crate::output::utc_stamp(started_at),
        "model_revision": crate::MODEL_REVISION,
        "sweep": sweep.name,
        "sweep_path": sweep.source,
        "sweep_hash": sweep.hash(),
        "scenario_path": sweep.scenario_path.display().to_string(),
        "scenario_sha256": sweep.scenario_sha256(),
        "steps": steps,
        "seed": sweep.seed,
        "design": sweep.design.name(),
        "points": sweep.points.len(),
        "replicates": sweep.replicates,
        "runs": done,
        "shard": cfg.shard.map(|(k, n)| format!("{k}/{n}")),
        "parameters": names,
        "files": files,
        "inputs": inputs_paths,
        "rerun": rerun,
        "warnings": warnings,
        "threads": rayon::current_num_threads(),
        "wall_seconds": summary.wall_seconds,
    });
    serde_json::to_writer_pretty(mf.writer(), &manifest)
        .map_err(|e| Error::Run(format!("{}: {e}", mf_path.display())))?;
    writeln!(mf.writer()).map_err(|e| Error::io(&mf_path, e))?;
    mf.commit()?;
    let _ = std::fs::remove_file(&state_path);
    Ok(summary)
}

/// The copies of the sweep's files a finished shard in `dir` lists in its
/// manifest `m` (`inputs`), read back; a listed copy missing or not a path
/// of plain names under `scenario/` is refused (the shard is incomplete).
fn shard_copies(dir: &Path, m: &serde_json::Value) -> Result<Vec<crate::scenario::InputFile>> {
    let Some(list) = m["inputs"].as_array() else {
        return Ok(Vec::new());
    };
    let prefix = format!("{}/", crate::output::INPUTS_DIR);
    let mut files = Vec::with_capacity(list.len());
    for v in list {
        let rel = v.as_str().unwrap_or("");
        let inner = rel
            .strip_prefix(&prefix)
            .filter(|p| p.split('/').all(crate::scenario::plain_file_name) && !p.contains('\\'));
        let Some(inner) = inner else {
            return Err(Error::input(
                dir.display().to_string(),
                format!("its manifest lists `{rel}`, not a copy powerdyn writes"),
                Some("merge the shard folders as powerdyn wrote them"),
            ));
        };
        let p = dir.join(rel);
        let bytes = crate::scenario::read_input_file(&p).map_err(|e| {
            Error::input(
                dir.display().to_string(),
                format!("its copy `{rel}` of the sweep's files {e}"),
                Some("copy the whole shard folder back, including scenario/"),
            )
        })?;
        files.push(crate::scenario::InputFile {
            path: inner.to_string(),
            bytes: bytes.into(),
        });
    }
    Ok(files)
}

/// ` --force` for a sweep of more runs than need it ([`file::MAX_RUNS`]).
fn force_flag(runs: u64) -> &'static str {
    if runs > file::MAX_RUNS {
        " --force"
    } else {
        ""
    }
}

/// A warning when the copies of a sweep's files in `dir` (`paths`, the
/// sweep file first) do not read back as the sweep that ran (a file reached
/// through a symbolic link, say): repeating it would need the originals.
fn check_copies(dir: &Path, sweep: &Sweep, paths: &[String]) -> Option<String> {
    let first = paths.first()?;
    let why = match file::load_definition(&dir.join(first)) {
        Ok(copy) if copy.hash() == sweep.hash() => return None,
        Ok(_) => "they read back as another sweep".to_string(),
        Err(e) => e.to_string(),
    };
    Some(format!(
        "the copies of the sweep's files in {}/ do not read back as the sweep ({why}); \
         repeat it from the original files",
        crate::output::INPUTS_DIR
    ))
}

/// The keys of a sweep's manifest that describe the sweep itself, which a
/// merged manifest repeats from its shards.
pub const SWEEP_RECORD: [&str; 10] = [
    "sweep",
    "sweep_path",
    "scenario_path",
    "scenario_sha256",
    "steps",
    "seed",
    "design",
    "points",
    "replicates",
    "parameters",
];

/// Every file a sweep writes (cleared when a sweep starts afresh).
const OUTPUTS: [&str; 9] = [
    "runs.csv",
    "timeseries.csv",
    "aggregate.csv",
    "verdicts.csv",
    "sensitivity.csv",
    "design.csv",
    "manifest.json",
    "runs.csv.part",
    "timeseries.csv.part",
];

/// Where an interrupted sweep resumes: the number of runs completed (their
/// rows in runs.csv.part, which must be the first runs of the list). Cuts a
/// partly written last line from runs.csv.part, and the time series of runs
/// that did not complete from timeseries.csv.part.
fn resume_point(runs_part: &Path, ts_part: &Path, ids: &[u64]) -> Result<usize> {
    let whole_lines = |p: &Path| -> Result<Vec<u8>> {
        let mut b = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let keep = b.iter().rposition(|&c| c == b'\n').map_or(0, |k| k + 1);
        b.truncate(keep);
        Ok(b)
    };
    let runs = whole_lines(runs_part)?;
    let mut completed = 0usize;
    for (k, line) in runs
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .skip(1)
        .enumerate()
    {
        let id: Option<u64> = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split(',').next())
            .and_then(|x| x.parse().ok());
        if id != ids.get(k).copied() {
            return Err(Error::Run(format!(
                "{}: the runs done so far are not those of this sweep; remove the folder or use another --out",
                runs_part.display()
            )));
        }
        completed = k + 1;
    }
    crate::output::write_fresh(runs_part, &runs).map_err(|e| Error::io(runs_part, e))?;
    // Keep the header and the rows of completed runs (they come first).
    let ts = whole_lines(ts_part)?;
    let done: std::collections::HashSet<u64> = ids[..completed].iter().copied().collect();
    let mut keep = 0usize;
    let mut offset = 0usize;
    for (k, line) in ts.split_inclusive(|&c| c == b'\n').enumerate() {
        let id: Option<u64> = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split(',').next())
            .and_then(|x| x.trim().parse().ok());
        let ok = k == 0 || id.is_some_and(|i| done.contains(&i));
        offset += line.len();
        if !ok {
            break;
        }
        keep = offset;
    }
    if completed == 0 {
        // Nothing counted yet: start both logs again.
        crate::output::write_fresh(runs_part, b"").map_err(|e| Error::io(runs_part, e))?;
        keep = 0;
    }
    crate::output::write_fresh(ts_part, &ts[..keep]).map_err(|e| Error::io(ts_part, e))?;
    Ok(completed)
}

/// Computes aggregate.csv, verdicts.csv and (for sobol designs)
/// sensitivity.csv from a folder's runs.csv and timeseries.csv, reading both
/// in run order.
fn summarize(out_dir: &Path, n_params: usize, sobol: bool) -> Result<()> {
    let runs_path = out_dir.join("runs.csv");
    let ts_path = out_dir.join("timeseries.csv");
    let bad = |p: &Path, m: String| Error::Run(format!("{}: {m}", p.display()));
    let mut runs =
        csv::Reader::from_path(&runs_path).map_err(|e| bad(&runs_path, e.to_string()))?;
    let header = runs
        .headers()
        .map_err(|e| bad(&runs_path, e.to_string()))?
        .clone();
    let names: Vec<String> = header
        .iter()
        .skip(4)
        .take(n_params)
        .map(str::to_string)
        .collect();
    let mut ts = csv::Reader::from_path(&ts_path).map_err(|e| bad(&ts_path, e.to_string()))?;
    let ts_header = ts
        .headers()
        .map_err(|e| bad(&ts_path, e.to_string()))?
        .clone();
    let cols: Vec<String> = ts_header.iter().skip(2).map(str::to_string).collect();
    let verdict_at: Vec<usize> = HEADLINE
        .iter()
        .map(|h| {
            header
                .iter()
                .position(|c| c == format!("verdict_{h}"))
                .unwrap_or(usize::MAX)
        })
        .collect();
    let mut agg = AggregateWriter::new(out_dir, &names, &cols)?;
    let mut finals = FinalMeans::default();
    let mut rows_iter = ts.records().peekable();
    for rec in runs.records() {
        let rec = rec.map_err(|e| bad(&runs_path, e.to_string()))?;
        let id: u64 = rec.get(0).and_then(|x| x.parse().ok()).unwrap_or(u64::MAX);
        let point: usize = rec.get(1).and_then(|x| x.parse().ok()).unwrap_or(0);
        let values: Vec<f64> = rec
            .iter()
            .skip(4)
            .take(n_params)
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        let verdicts: Vec<&str> = verdict_at
            .iter()
            .map(|&k| rec.get(k).unwrap_or(""))
            .collect();
        let last: Vec<f64> = rec
            .iter()
            .skip(4 + n_params)
            .take(cols.len())
            .map(|x| x.parse().unwrap_or(f64::NAN))
            .collect();
        // Only the sensitivity indices need them (0.7 KB a point).
        if sobol {
            finals.add(point, &last);
        }
        let mut rows = Vec::new();
        while let Some(Ok(row)) = rows_iter.peek() {
            if row.get(0).and_then(|x| x.parse::<u64>().ok()) != Some(id) {
                break;
            }
            let row = rows_iter
                .next()
                .expect("peeked")
                .map_err(|e| bad(&ts_path, e.to_string()))?;
            let step: u64 = row.get(1).and_then(|x| x.parse().ok()).unwrap_or(0);
            rows.push((
                step,
                row.iter()
                    .skip(2)
                    .map(|x| x.parse().unwrap_or(f64::NAN))
                    .collect(),
            ));
        }
        agg.add(point, &values, &rows, &verdicts)?;
    }
    let (a, v) = agg.finish()?;
    let sens = if sobol {
        Some(write_sensitivity(out_dir, &names, &cols, &finals.means())?)
    } else {
        None
    };
    a.commit()?;
    v.commit()?;
    if let Some(s) = sens {
        s.commit()?;
    }
    Ok(())
}

/// Checks that `shards` are the finished shards of one sweep, each given
/// once and all of them (`manifest.json` of each: the same `sweep_hash`, one
/// shard `K/N` for every `K < N`), and that `out_dir` is none of them, so that
/// a merge can neither mix sweeps nor overwrite its own input. Returns the
/// sweep's hash.
fn check_shards(shards: &[PathBuf], out_dir: &Path) -> Result<String> {
    let bad =
        |p: &Path, m: String, help: &str| Error::input(p.display().to_string(), m, Some(help));
    let finish = "let the shard finish (run its `powerdyn sweep --shard K/N` command again; on SLURM, `sbatch --array=K sweep.sbatch`), then merge";
    // The output folder, made absolute through its nearest existing
    // ancestor (it need not exist yet): not a shard's folder, nor inside one.
    let absolute = |p: &Path| -> Option<PathBuf> {
        let existing = p.ancestors().find(|a| a.exists())?;
        let rest = p.strip_prefix(existing).ok()?;
        let base = if existing.as_os_str().is_empty() {
            std::env::current_dir().ok()?
        } else {
            existing.canonicalize().ok()?
        };
        Some(base.join(rest))
    };
    if let Some(out) = absolute(out_dir) {
        if shards
            .iter()
            .filter_map(|d| d.canonicalize().ok())
            .any(|d| out.starts_with(&d))
        {
            return Err(bad(
                out_dir,
                "the merged output would go into a shard's folder".into(),
                "give --out a folder of its own, such as output/<sweep>-merged",
            ));
        }
    }
    // An earlier merge into the folder, finished or not (a merge writes no
    // resume state, so runs.csv without one is a merge cut short), may be
    // replaced; another command's output may not.
    let partial_merge =
        !out_dir.join("manifest.json").exists() && !out_dir.join(".sweep-state").exists();
    match crate::output::holds(out_dir) {
        crate::output::Holds::Sweep if partial_merge => {}
        _ => crate::output::check_dir(out_dir, crate::output::Holds::Merged, "merged shards")?,
    }
    // Every shard that is not finished, at once, each with what it is.
    let unfinished: Vec<crate::error::Diagnostic> = shards
        .iter()
        .filter(|d| !d.join("manifest.json").exists())
        .map(|d| crate::error::Diagnostic {
            file: d.display().to_string(),
            line_col: None,
            path: String::new(),
            message: if !d.exists() {
                "not there: deleted, or its task never started".to_string()
            } else if d.join(".sweep-state").exists() {
                "not finished: its sweep stopped, or is still running".to_string()
            } else {
                "not a finished shard: it has no manifest.json".to_string()
            },
            help: Some(finish.to_string()),
        })
        .collect();
    if !unfinished.is_empty() {
        return Err(Error::Input(crate::error::InputErrors(unfinished)));
    }
    let mut hash: Option<(String, &Path)> = None;
    let mut seen: Vec<Option<&Path>> = Vec::new();
    for dir in shards {
        let mpath = dir.join("manifest.json");
        let text = std::fs::read_to_string(&mpath).map_err(|_| {
            bad(
                dir,
                "not a finished shard: it has no manifest.json".into(),
                finish,
            )
        })?;
        let m: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| bad(&mpath, format!("not a sweep's manifest: {e}"), finish))?;
        let (Some(h), Some(shard)) = (m["sweep_hash"].as_str(), m["shard"].as_str()) else {
            return Err(bad(
                &mpath,
                "not the manifest of a sweep shard (no sweep_hash or shard)".into(),
                "give the folders written by `powerdyn sweep --shard K/N`",
            ));
        };
        // Data files as the shard wrote them (manifests before this check
        // have no sizes).
        if let Some(files) = m["files"].as_object() {
            for (name, f) in files {
                let (Some(expected), true) = (
                    f["bytes"].as_u64(),
                    matches!(name.as_str(), "runs.csv" | "timeseries.csv"),
                ) else {
                    continue;
                };
                let p = dir.join(name);
                let found = std::fs::metadata(&p).map(|m| m.len()).ok();
                if found != Some(expected) {
                    return Err(bad(
                        &p,
                        format!(
                            "{}, but the shard wrote {expected} bytes (its manifest.json says so): an incomplete copy?",
                            found.map_or("it is missing".to_string(), |b| format!("it holds {b} bytes"))
                        ),
                        "copy the shard's folder again in full (or run its `powerdyn sweep --shard K/N` command again), then merge",
                    ));
                }
            }
        }
        let parsed = parse_shard(shard).filter(|&(_, n)| n <= 1 << 20);
        let Some((k, n)) = parsed.map(|(k, n)| (k as usize, n as usize)) else {
            return Err(bad(&mpath, format!("shard `{shard}` is not K/N"), finish));
        };
        match &hash {
            None => hash = Some((h.to_string(), dir)),
            Some((h0, first)) if h0 != h => {
                return Err(bad(
                    dir,
                    format!(
                        "this shard comes from a different sweep than {} (the sweep definitions differ: points, seed, replicates, steps or scenario)",
                        first.display()
                    ),
                    "merge only the shards of one sweep file, run unchanged",
                ))
            }
            Some(_) => {}
        }
        if seen.is_empty() {
            seen = vec![None; n];
        } else if seen.len() != n {
            return Err(bad(
                dir,
                format!(
                    "shard {shard} splits the sweep in {n}, the first shard in {}",
                    seen.len()
                ),
                "merge the shards of one split",
            ));
        }
        if let Some(other) = seen[k] {
            return Err(bad(
                dir,
                format!("shard {shard} is given twice (also as {})", other.display()),
                "give each shard's folder once",
            ));
        }
        seen[k] = Some(dir);
    }
    let missing: Vec<usize> = (0..seen.len()).filter(|&k| seen[k].is_none()).collect();
    if !missing.is_empty() {
        // Every one, as the ranges a job array resubmits (`--array=0,2-4`).
        let list = index_ranges(&missing);
        let n = seen.len();
        return Err(Error::input(
            "merge",
            match missing.as_slice() {
                [k] => format!("shard {k}/{n} is missing"),
                _ => format!("{} of the {n} shards are missing: {list}", missing.len()),
            },
            Some(&format!(
                "run the missing shards (a SLURM job array: sbatch --array={list} with the sweep's script) and give the folders of every shard, 0 to {}",
                n - 1
            )),
        ));
    }
    let hash = hash.map(|(h, _)| h).unwrap_or_default();
    // A finished merge of another sweep in the folder is its only copy,
    // perhaps (the shards' scratch space purged): not replaced.
    if crate::output::holds(out_dir) == crate::output::Holds::Merged {
        let other = std::fs::read_to_string(out_dir.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|m| m["sweep_hash"].as_str() != Some(hash.as_str()));
        if other {
            return Err(bad(
                out_dir,
                "this folder holds the merged output of another sweep; this merge would replace it"
                    .into(),
                "give --out a folder of its own, or delete that folder first",
            ));
        }
    }
    Ok(hash)
}

/// Combines the folders of a sharded sweep (`--shard K/N`, every K) into one:
/// runs.csv and timeseries.csv in run order, then aggregate.csv, verdicts.csv
/// and sensitivity.csv computed from them as an unsharded sweep computes
/// them, so every file is byte-identical to those of the same sweep run
/// without sharding.
pub fn merge(shards: &[PathBuf], out_dir: &Path) -> Result<u64> {
    if shards.is_empty() {
        return Err(Error::input(
            "merge",
            "no shard folders given",
            Some("give the folders of every shard"),
        ));
    }
    let bad = |p: &Path, m: String| {
        Error::input(
            p.display().to_string(),
            m,
            Some("give the output folders of finished shards of one sweep"),
        )
    };
    let sweep_hash = check_shards(shards, out_dir)?;
    let mut header: Option<csv::StringRecord> = None;
    let mut runs: Vec<(u64, usize, csv::StringRecord)> = Vec::new();
    for (s, dir) in shards.iter().enumerate() {
        let path = dir.join("runs.csv");
        let mut r =
            csv::Reader::from_path(&path).map_err(|e| bad(&path, format!("cannot read: {e}")))?;
        let h = r.headers().map_err(|e| bad(&path, e.to_string()))?.clone();
        match &header {
            None => header = Some(h),
            Some(h0) if *h0 != h => {
                return Err(bad(
                    &path,
                    "its columns differ from the first shard's".into(),
                ))
            }
            Some(_) => {}
        }
        for rec in r.records() {
            let rec = rec.map_err(|e| bad(&path, e.to_string()))?;
            let id: u64 = rec
                .get(0)
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| bad(&path, "a run without an id".into()))?;
            runs.push((id, s, rec));
        }
    }
    runs.sort_by_key(|r| r.0);
    for (k, r) in runs.iter().enumerate() {
        if r.0 != k as u64 {
            return Err(bad(
                &shards[r.1],
                format!("run {k} is missing or repeated; are all shards finished and given once?"),
            ));
        }
    }
    let header = header.unwrap_or_default();
    let n_params = header
        .iter()
        .skip(4)
        .take_while(|c| !c.starts_with("final_"))
        .count();
    let manifest: Option<serde_json::Value> =
        std::fs::read_to_string(shards[0].join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
    let sobol = manifest.as_ref().and_then(|v| v["design"].as_str()) == Some("sobol");
    let design = std::fs::read(shards[0].join("design.csv")).ok();
    // The first shard's copies of the sweep's files (the shards ran the
    // same files: the sweep hash covers their bytes).
    let copies = manifest
        .as_ref()
        .map(|m| shard_copies(&shards[0], m))
        .transpose()?
        .unwrap_or_default();
    // The copies repeat the sweep when they did for the shard (it wrote a
    // rerun) and still read back as the sweep that ran — checked when this
    // powerdyn ran the shards (the sweep hash covers the version).
    let rerunnable = shards.iter().all(|d| {
        std::fs::read_to_string(d.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|m| m["rerun"].is_string())
    });
    let same_version = manifest.as_ref().is_some_and(|m| {
        m["powerdyn_version"].as_str() == Some(env!("CARGO_PKG_VERSION"))
            && m["model_revision"].as_u64() == Some(u64::from(crate::MODEL_REVISION))
    });
    if rerunnable && same_version {
        let first = manifest
            .as_ref()
            .and_then(|m| m["inputs"][0].as_str())
            .unwrap_or("");
        let same =
            file::load_definition(&shards[0].join(first)).is_ok_and(|sw| sw.hash() == sweep_hash);
        if !same {
            return Err(bad(
                &shards[0],
                format!(
                    "its copies of the sweep's files in {}/ are not those the shard ran (changed, or cut short, since)",
                    crate::output::INPUTS_DIR
                ),
            ));
        }
    }
    // Warnings of any shard, once each.
    let mut warnings: Vec<serde_json::Value> = Vec::new();
    for dir in shards {
        let m: Option<serde_json::Value> = std::fs::read_to_string(dir.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        for w in m
            .as_ref()
            .and_then(|m| m["warnings"].as_array())
            .into_iter()
            .flatten()
        {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
    }

    crate::output::check_foreign(out_dir)?;
    crate::output::check_input_room(out_dir, &copies)?;
    crate::output::create_dir(out_dir)?;
    let _lock = crate::output::FolderLock::take(out_dir)?;
    prepare_dir(out_dir, &copies)?;
    for f in OUTPUTS {
        let _ = std::fs::remove_file(out_dir.join(f));
    }
    let mut runs_f = PartFile::create(out_dir, "runs.csv")?;
    let runs_path = runs_f.part_path().to_path_buf();
    runs_f
        .writer()
        .write_all(&csv_line(&header))
        .map_err(|e| Error::io(&runs_path, e))?;
    for (_, _, rec) in &runs {
        runs_f
            .writer()
            .write_all(&csv_line(rec))
            .map_err(|e| Error::io(&runs_path, e))?;
    }
    let mut readers = Vec::new();
    let mut ts_header: Option<csv::StringRecord> = None;
    for dir in shards {
        let path = dir.join("timeseries.csv");
        let mut r =
            csv::Reader::from_path(&path).map_err(|e| bad(&path, format!("cannot read: {e}")))?;
        let h = r.headers().map_err(|e| bad(&path, e.to_string()))?.clone();
        if ts_header.as_ref().is_some_and(|h0| *h0 != h) {
            return Err(bad(
                &path,
                "its columns differ from the first shard's".into(),
            ));
        }
        ts_header.get_or_insert(h);
        readers.push(r.into_records().peekable());
    }
    let mut ts_f = PartFile::create(out_dir, "timeseries.csv")?;
    let ts_path = ts_f.part_path().to_path_buf();
    // One writer for every record (the same bytes as csv_line's).
    let mut ts_w = csv::Writer::from_writer(ts_f.writer());
    let write_err = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => Error::io(&ts_path, e),
            _ => Error::Run(format!("{}: {text}", ts_path.display())),
        }
    };
    ts_w.write_record(&ts_header.unwrap_or_default())
        .map_err(write_err)?;
    for (id, s, _) in &runs {
        let reader = &mut readers[*s];
        while let Some(Ok(row)) = reader.peek() {
            if row.get(0).and_then(|x| x.parse::<u64>().ok()) != Some(*id) {
                break;
            }
            let row = reader
                .next()
                .expect("peeked")
                .map_err(|e| bad(&shards[*s], e.to_string()))?;
            ts_w.write_record(&row).map_err(write_err)?;
        }
    }
    ts_w.flush().map_err(|e| Error::io(&ts_path, e))?;
    drop(ts_w);
    runs_f.commit()?;
    ts_f.commit()?;
    if let Some(d) = design {
        let mut f = PartFile::create(out_dir, "design.csv")?;
        let p = f.part_path().to_path_buf();
        f.writer().write_all(&d).map_err(|e| Error::io(&p, e))?;
        f.commit()?;
    }
    summarize(out_dir, n_params, sobol)?;
    let inputs = crate::output::InputCopies::write(out_dir, &copies)?;
    let inputs_paths = inputs.paths().to_vec();
    inputs.commit()?;
    let mut mf = PartFile::create(out_dir, "manifest.json")?;
    let mf_path = mf.part_path().to_path_buf();
    // The sweep's own record (from the first shard: the shards agree on
    // its definition), then what the merge did.
    let mut merged = serde_json::Map::new();
    merged.insert("powerdyn_version".into(), env!("CARGO_PKG_VERSION").into());
    merged.insert("powerdyn_commit".into(), crate::build_commit().into());
    merged.insert(
        "merged_utc".into(),
        crate::output::utc_stamp(std::time::SystemTime::now()).into(),
    );
    merged.insert("model_revision".into(), crate::MODEL_REVISION.into());
    if let Some(m) = manifest.as_ref().and_then(|m| m.as_object()) {
        for key in SWEEP_RECORD {
            if let Some(v) = m.get(key) {
                merged.insert(key.into(), v.clone());
            }
        }
    }
    merged.insert("sweep_hash".into(), sweep_hash.into());
    merged.insert("runs".into(), runs.len().into());
    // Each shard's provenance, in shard order: shards of one model revision
    // merge whatever powerdyn build ran them, and this says which did.
    let mut provenance: Vec<(u64, serde_json::Value)> = shards
        .iter()
        .filter_map(|d| {
            let text = std::fs::read_to_string(d.join("manifest.json")).ok()?;
            let m: serde_json::Value = serde_json::from_str(&text).ok()?;
            let shard = m["shard"].as_str()?.to_string();
            let k = shard.split('/').next()?.parse().ok()?;
            Some((
                k,
                serde_json::json!({
                    "shard": shard,
                    "powerdyn_commit": m["powerdyn_commit"],
                    "started_utc": m["started_utc"],
                }),
            ))
        })
        .collect();
    provenance.sort_by_key(|(k, _)| *k);
    merged.insert(
        "shard_provenance".into(),
        provenance.into_iter().map(|(_, v)| v).collect(),
    );
    merged.insert(
        "rerun".into(),
        inputs_paths
            .first()
            .filter(|_| rerunnable)
            .map(|p| {
                format!(
                    "powerdyn sweep {}{}",
                    crate::run::shell_word(p),
                    force_flag(runs.len() as u64)
                )
            })
            .into(),
    );
    merged.insert("inputs".into(), inputs_paths.into());
    merged.insert("warnings".into(), warnings.into());
    merged.insert(
        "merged_from".into(),
        shards
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .into(),
    );
    let manifest = serde_json::Value::Object(merged);
    serde_json::to_writer_pretty(mf.writer(), &manifest)
        .map_err(|e| Error::Run(format!("{}: {e}", mf_path.display())))?;
    writeln!(mf.writer()).map_err(|e| Error::io(&mf_path, e))?;
    mf.commit()?;
    Ok(runs.len() as u64)
}

#[cfg(test)]
mod aggregate_tests {
    use super::{t975, Accumulator, FinalMeans};

    #[test]
    fn values_that_do_not_vary_have_no_spread_and_intervals_use_students_t() {
        let mut a = Accumulator::default();
        // Three equal values that a sum of squares turns into a spread of 1e-5.
        for _ in 0..3 {
            a.add(&[(30, vec![399.9999999999999])]);
        }
        assert_eq!(a.squares, [[0.0]]);
        // Their mean is that value: three of 0.04367273888158808 sum to a
        // number whose third is 0.04367273888158809.
        let x = 0.043_672_738_881_588_08;
        let mut b = Accumulator::default();
        for _ in 0..3 {
            b.add(&[(0, vec![x, 1.0 + x])]);
        }
        assert_ne!((x + x + x) / 3.0, x);
        assert_eq!(b.mean(0, 0), x);
        assert_eq!(b.mean(0, 1), 1.0 + x);
        let mut c = Accumulator::default();
        c.add(&[(0, vec![f64::NAN, 1.0])]);
        c.add(&[(0, vec![f64::NAN, 2.0])]);
        assert!(c.mean(0, 0).is_nan());
        assert_eq!(c.mean(0, 1), 1.5);
        // t(0.975) falls from 12.7 (two runs) towards 1.96.
        assert_eq!(t975(1), 12.706204736174703);
        assert!((t975(31) - 2.0395134463963194).abs() < 1e-7);
        assert!((t975(100) - 1.983971518523759).abs() < 1e-9);
        assert!((t975(1_000_000) - 1.959966).abs() < 1e-6);
        let mut prev = f64::INFINITY;
        for df in 1..200 {
            assert!(t975(df) < prev, "decreasing at {df}");
            prev = t975(df);
        }
    }

    #[test]
    fn missing_shards_are_listed_as_job_array_ranges() {
        use super::index_ranges;
        assert_eq!(index_ranges(&[0, 2, 3, 4, 9]), "0,2-4,9");
        assert_eq!(index_ranges(&[5]), "5");
        assert_eq!(index_ranges(&[1, 2]), "1-2");
        assert_eq!(index_ranges(&[]), "");
    }

    #[test]
    fn undefined_values_are_left_out_of_counts_sums_and_means() {
        let mut a = Accumulator::default();
        for v in [[1.0, f64::NAN], [3.0, 2.0], [f64::INFINITY, f64::NAN]] {
            a.add(&[(10, v.to_vec())]);
        }
        assert_eq!(a.n, [3]);
        assert_eq!(a.defined, [[2, 1]]);
        assert_eq!(a.sum, [[4.0, 2.0]]);
        // Deviations from the mean 2: (1 - 2)^2 + (3 - 2)^2.
        assert_eq!(a.squares, [[2.0, 0.0]]);

        let mut f = FinalMeans::default();
        f.add(1, &[1.0, f64::NAN]);
        f.add(1, &[3.0, f64::NAN]);
        f.add(0, &[f64::NAN, 5.0]);
        let m = f.means();
        assert!(m[0][0].is_nan() && m[0][1] == 5.0);
        assert!(m[1][0] == 2.0 && m[1][1].is_nan());
    }
}

#[cfg(test)]
mod probe_tests {
    use super::{probe, Probe};

    #[test]
    fn a_sweeps_time_scales_with_every_points_agents_and_steps() {
        let text = "name = \"p\"\nscenario = \"bully.toml\"\nsteps = 40\nreplicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.5] }\n";
        let tmp = tempfile::tempdir().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(
            root.join("scenarios/bully-target-stays.toml"),
            tmp.path().join("bully.toml"),
        )
        .unwrap();
        std::fs::write(tmp.path().join("p.toml"), text).unwrap();
        let sw = super::file::load(&tmp.path().join("p.toml"), false).unwrap();
        // Two agents, two points, 40 steps each.
        assert_eq!((sw.point_agents, sw.point_agent_steps), (4.0, 160.0));
        let p = probe(&sw, 0, std::time::Duration::from_secs(1)).unwrap();
        assert_eq!(p.steps, 40);
        assert!(p.step_per_agent > 0.0 && p.setup_per_agent > 0.0);
        let rates = Probe {
            setup_per_agent: 0.5,
            step_per_agent: 0.25,
            steps: 40,
            record_bytes: 100.0,
            aggregate_bytes: 300.0,
        };
        // 3 replicates x (4 agents x 0.5 + 160 agent-steps x 0.25).
        assert_eq!(rates.sweep_seconds(&sw), 3.0 * (2.0 + 40.0));
    }
}
