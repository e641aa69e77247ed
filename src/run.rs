//! Running a scenario to completion and writing its outputs.
//!
//! A run streams `timeseries.csv` (one row per recorded step) and
//! `agents.csv` (snapshots) as it goes, keeping in memory only a bounded,
//! evenly thinned copy of the headline series for the verdicts (its last
//! record always kept); then writes
//! `summary.json` and `manifest.json` and renames everything into place (see
//! [`crate::output`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::engine::Simulation;
use crate::error::{Error, Result};
use crate::metrics::{self, HEADLINE};
use crate::output::{fmt_f64, prepare_dir, push_f32, push_f64, PartFile};
use crate::scenario::Scenario;
use crate::verdict::{judge, Verdict, VerdictConfig};

/// Networks with at most this many tie halves also get `ties.csv` snapshots.
pub const MAX_TIE_SNAPSHOT_HALVES: usize = 100_000;

/// How to run a scenario.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Seed of all random streams.
    pub seed: u64,
    /// Number of steps.
    pub steps: u64,
    /// Folder to write into.
    pub out_dir: PathBuf,
    /// Worker threads; 0 uses one per core.
    pub threads: usize,
}

impl RunConfig {
    /// The scenario's own seed and steps, written to `out_dir`.
    pub fn from_scenario(s: &Scenario, out_dir: PathBuf) -> Self {
        RunConfig {
            seed: s.seed,
            steps: s.steps,
            out_dir,
            threads: 0,
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Steps run.
    pub steps: u64,
    /// Number of agents.
    pub agents: u64,
    /// Number of undirected ties.
    pub ties: u64,
    /// Final value of every metric, in column order.
    pub final_values: Vec<(String, f64)>,
    /// Verdict per headline metric.
    pub verdicts: Vec<(String, Verdict)>,
    /// Closed-form equilibrium opinions and social powers of the final
    /// influence network (influence on, at most `max_exact` agents).
    pub influence: Option<Influence>,
    /// Hierarchy metrics of the final dominance matrix, with de Vries'
    /// randomisation test (groups of at most `hierarchy_max_agents`).
    pub hierarchy: Option<crate::metrics::hierarchy::HierarchyMetrics>,
    /// Why the copies of the scenario's files in the run's folder cannot
    /// repeat the run, when they cannot (also in `manifest.json`).
    pub copies_warning: Option<String>,
}

/// The closed-form influence results of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Influence {
    /// Equilibrium opinion of each agent; None (null in summary.json) when
    /// opinions never settle (a periodic closed class).
    pub equilibrium: Option<Vec<f64>>,
    /// Social power of each agent.
    pub social_power: Vec<f64>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    scenario: &'a str,
    seed: u64,
    steps: u64,
    agents: u64,
    ties: u64,
    #[serde(rename = "final")]
    final_values: serde_json::Map<String, serde_json::Value>,
    verdicts: serde_json::Map<String, serde_json::Value>,
    /// How the verdicts were reached (the scenario's `[verdict]`).
    verdict_config: &'a VerdictConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    influence: Option<&'a Influence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hierarchy: Option<&'a crate::metrics::hierarchy::HierarchyMetrics>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    powerdyn_version: &'a str,
    /// The git commit of the build, when known.
    powerdyn_commit: Option<&'a str>,
    /// When the run started, UTC.
    started_utc: String,
    model_revision: u32,
    scenario: &'a str,
    scenario_path: &'a str,
    /// The same, absolute (resolved when the run starts), so the report
    /// finds the file from any folder.
    scenario_path_absolute: Option<String>,
    scenario_sha256: &'a str,
    seed: u64,
    steps: u64,
    agents: u64,
    ties: u64,
    threads: usize,
    wall_seconds: f64,
    files: Vec<&'a str>,
    /// Each output file's size in bytes, by name: `report` and `compare`
    /// refuse a folder whose files were cut short or changed since.
    file_bytes: std::collections::BTreeMap<&'a str, u64>,
    /// The copies of the scenario's files in the run's folder, the
    /// scenario first (see [`crate::output::INPUTS_DIR`]).
    inputs: Vec<String>,
    /// The command that repeats the run from its folder, with the copies.
    rerun: Option<String>,
    /// What the run did not do that the scenario asks for (events after its
    /// last step), and a copy of the scenario that does not read back as it.
    warnings: Vec<String>,
}

/// A warning when the copies of the scenario's files in `dir` (`paths`, the
/// scenario first) do not read back as the scenario that ran (a base
/// reached through a symbolic link, say): a rerun would need the originals.
fn check_copies(dir: &Path, scenario: &Scenario, paths: &[String]) -> Option<String> {
    let first = paths.first()?;
    let why = match crate::scenario::load(&dir.join(first)) {
        Ok(copy) if copy.sha256 == scenario.sha256 => return None,
        Ok(_) => "they read back as other files".to_string(),
        Err(e) => e.to_string(),
    };
    Some(format!(
        "the copies of the scenario's files in {}/ do not read back as the scenario ({why}); \
         repeat the run from the original files",
        crate::output::INPUTS_DIR
    ))
}

/// `word` as one word of a POSIX shell command: as it is when it holds only
/// letters, digits and `-_./+,:=@`, otherwise in single quotes.
pub(crate) fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./+,:=@".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The most records of a headline series the verdicts judge (a longer
/// series is thinned evenly, its last record kept); a sweep's runs judge the
/// same records as `powerdyn run`.
pub(crate) const VERDICT_RECORDS: usize = 1 << 15;

/// Keeps at most `cap` evenly spaced points of a long series (every
/// `stride`-th record), and its last record whatever the stride.
pub(crate) struct Thinned {
    cap: usize,
    stride: u64,
    seen: u64,
    steps: Vec<u64>,
    values: Vec<Vec<f64>>,
    /// The last record pushed (kept by [`Thinned::finish`] if the stride
    /// left it out).
    last: Option<(u64, Vec<f64>)>,
}

impl Thinned {
    pub(crate) fn new(cap: usize, series: usize) -> Self {
        Thinned {
            cap,
            stride: 1,
            seen: 0,
            steps: Vec::new(),
            values: vec![Vec::new(); series],
            last: None,
        }
    }

    pub(crate) fn push(&mut self, step: u64, vals: impl Iterator<Item = f64>) {
        let idx = self.seen;
        self.seen += 1;
        let last = self.last.get_or_insert_with(|| (step, Vec::new()));
        last.0 = step;
        last.1.clear();
        last.1.extend(vals);
        if !idx.is_multiple_of(self.stride) {
            return;
        }
        self.steps.push(step);
        for (v, &x) in self.values.iter_mut().zip(&last.1) {
            v.push(x);
        }
        if self.steps.len() >= self.cap {
            self.stride *= 2;
            halve(&mut self.steps);
            for v in &mut self.values {
                halve(v);
            }
        }
    }

    /// The steps and series kept, the last record included.
    pub(crate) fn finish(mut self) -> (Vec<u64>, Vec<Vec<f64>>) {
        if let Some((step, vals)) = self.last.take().filter(|l| self.steps.last() != Some(&l.0)) {
            self.steps.push(step);
            for (v, x) in self.values.iter_mut().zip(vals) {
                v.push(x);
            }
        }
        (self.steps, self.values)
    }
}

/// Keeps the elements at even positions.
fn halve<T: Copy>(v: &mut Vec<T>) {
    let kept: Vec<T> = v.iter().step_by(2).copied().collect();
    *v = kept;
}

/// Runs a scenario and writes its outputs. `progress(step, steps)` is called
/// as the run goes (at most a few hundred times).
pub fn run(
    scenario: &Scenario,
    cfg: &RunConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Summary> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Run(format!("cannot start worker threads: {e}")))?;
    pool.install(|| run_in_pool(scenario, cfg, progress))
}

fn run_in_pool(
    scenario: &Scenario,
    cfg: &RunConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<Summary> {
    let started = Instant::now();
    crate::output::check_dir(&cfg.out_dir, crate::output::Holds::Run, "a run")?;
    crate::output::check_foreign(&cfg.out_dir)?;
    crate::output::check_input_room(&cfg.out_dir, &scenario.inputs)?;
    let sim = Simulation::new(scenario, cfg.seed, 0)?;
    // The folders this run makes, innermost first.
    let made: Vec<PathBuf> = cfg
        .out_dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    crate::output::create_dir(&cfg.out_dir)?;
    let result = run_in_dir(scenario, cfg, progress, sim, started);
    if result.is_err() {
        // The folders this run made and left empty (it failed or was
        // stopped before its outputs landed) go too.
        for d in &made {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
    result
}

/// The run proper, in its (existing) folder: everything it writes there
/// is gone again (or was never renamed into place) if it fails.
fn run_in_dir(
    scenario: &Scenario,
    cfg: &RunConfig,
    progress: &mut (dyn FnMut(u64, u64) + Send),
    mut sim: Simulation,
    started: Instant,
) -> Result<Summary> {
    // One writer at a time: another run into this folder is refused.
    let _lock = crate::output::FolderLock::take(&cfg.out_dir)?;
    prepare_dir(&cfg.out_dir, &scenario.inputs)?;
    // The scenario's files, copied now as read (renamed with the outputs).
    let inputs = crate::output::InputCopies::write(&cfg.out_dir, &scenario.inputs)?;
    let columns = metrics::column_names(&sim);
    let headline: Vec<usize> = HEADLINE
        .iter()
        .map(|h| {
            columns
                .iter()
                .position(|c| c == h)
                .expect("headline metric is a column")
        })
        .collect();

    let mut ts = PartFile::create(&cfg.out_dir, "timeseries.csv")?;
    let mut ag = PartFile::create(&cfg.out_dir, "agents.csv")?;
    let ts_path = ts.part_path().to_path_buf();
    let ag_path = ag.part_path().to_path_buf();
    let io = |p: &PathBuf| {
        let p = p.clone();
        move |e: csv::Error| Error::Run(format!("{}: {e}", p.display()))
    };
    let mut tsw = csv::Writer::from_writer(ts.writer());
    let mut header = vec!["step".to_string()];
    header.extend(columns.iter().cloned());
    tsw.write_record(&header).map_err(io(&ts_path))?;
    let agw = ag.writer();
    {
        let mut header = csv::Writer::from_writer(&mut *agw);
        header.write_record(agent_columns()).map_err(io(&ag_path))?;
        header.flush().map_err(|e| Error::io(&ag_path, e))?;
    }

    // Tie snapshots for networks small enough to read (and to draw).
    let write_ties = sim.world.ties.csr.targets.len() <= MAX_TIE_SNAPSHOT_HALVES;
    let mut tf = if write_ties {
        Some(PartFile::create(&cfg.out_dir, "ties.csv")?)
    } else {
        None
    };
    let tf_path = cfg.out_dir.join("ties.csv.part");
    let mut tiew = tf.as_mut().map(|f| f.writer());
    if let Some(w) = tiew.as_mut() {
        let mut header = csv::Writer::from_writer(&mut **w);
        header.write_record(tie_columns()).map_err(io(&tf_path))?;
        header.flush().map_err(|e| Error::io(&tf_path, e))?;
    }
    let tie_snapshot =
        |sim: &Simulation, w: &mut Option<&mut std::io::BufWriter<std::fs::File>>| -> Result<()> {
            let Some(w) = w.as_mut() else { return Ok(()) };
            write_tie_snapshot(sim, w).map_err(io(&tf_path))
        };

    // Events and interventions, one row per applied event.
    let mut events_file = if sim.events.is_empty() {
        None
    } else {
        Some(PartFile::create(&cfg.out_dir, "events.csv")?)
    };
    let ev_path = cfg.out_dir.join("events.csv.part");
    let mut evw = events_file
        .as_mut()
        .map(|f| csv::Writer::from_writer(f.writer()));
    if let Some(w) = evw.as_mut() {
        w.write_record(["step", "kind", "targets", "effect"])
            .map_err(io(&ev_path))?;
    }
    let event_rows = |sim: &mut Simulation, w: &mut Option<csv::Writer<_>>| -> Result<()> {
        let Some(w) = w.as_mut() else { return Ok(()) };
        for r in sim.take_event_log() {
            w.write_record([r.step.to_string(), r.kind.to_string(), r.targets, r.effect])
                .map_err(io(&ev_path))?;
        }
        Ok(())
    };

    // Reflected appraisal: one row per agent at the end of each issue.
    let mut issues_file = if sim.params.influence.enabled && sim.params.influence.issue_length > 0 {
        Some(PartFile::create(&cfg.out_dir, "issues.csv")?)
    } else {
        None
    };
    let is_path = cfg.out_dir.join("issues.csv.part");
    let mut issw = issues_file
        .as_mut()
        .map(|f| csv::Writer::from_writer(f.writer()));
    if let Some(w) = issw.as_mut() {
        w.write_record(["issue", "step", "agent", "name", "social_power"])
            .map_err(io(&is_path))?;
    }
    let issue_rows = |sim: &mut Simulation, w: &mut Option<csv::Writer<_>>| -> Result<()> {
        let Some(w) = w.as_mut() else { return Ok(()) };
        for rec in sim.take_issues() {
            for i in 0..sim.world.agents.len() {
                let p = rec
                    .social_power
                    .as_ref()
                    .map(|p| fmt_f64(p[i]))
                    .unwrap_or_default();
                w.write_record([
                    rec.issue.to_string(),
                    rec.step.to_string(),
                    i.to_string(),
                    sim.world.agent_label(i),
                    p,
                ])
                .map_err(io(&is_path))?;
            }
        }
        Ok(())
    };

    let mut thinned = Thinned::new(VERDICT_RECORDS, headline.len());
    let steps = cfg.steps;
    let report_every = (steps / 200).max(1);
    // Rows are finished one step late (their tie sums are taken by the
    // next step, see `metrics::Recorder`) and written as they finish.
    let mut recorder = metrics::Recorder::new();
    let mut last_row = Vec::new();
    let mut cell = String::new();
    let mut write_rows = |rec: &mut metrics::Recorder, tsw: &mut csv::Writer<_>| -> Result<()> {
        for (step, row) in rec.drain() {
            // Each cell formatted into one reused string.
            let mut write = || -> csv::Result<()> {
                tsw.write_field(step.to_string())?;
                for &x in &row {
                    cell.clear();
                    push_f64(&mut cell, x);
                    tsw.write_field(&cell)?;
                }
                tsw.write_record(None::<&[u8]>)
            };
            write().map_err(io(&ts_path))?;
            thinned.push(step, headline.iter().map(|&h| row[h]));
            last_row = row;
        }
        Ok(())
    };
    let snapshot = |sim: &Simulation, agw: &mut std::io::BufWriter<std::fs::File>| -> Result<()> {
        write_snapshot(sim, agw).map_err(io(&ag_path))
    };

    let counters = sim.take_counters();
    recorder.record(&mut sim, &counters);
    snapshot(&sim, agw)?;
    tie_snapshot(&sim, &mut tiew)?;
    progress(0, steps);
    while sim.step < steps {
        if crate::interrupt::requested() {
            return Err(Error::Interrupted(format!(
                "stopped at step {} of {steps}; nothing was kept (run it again)",
                sim.step
            )));
        }
        sim.step();
        recorder.after_step(&mut sim);
        event_rows(&mut sim, &mut evw)?;
        issue_rows(&mut sim, &mut issw)?;
        let s = sim.step;
        if s.is_multiple_of(scenario.record_every) || s == steps {
            let counters = sim.take_counters();
            recorder.record(&mut sim, &counters);
        }
        write_rows(&mut recorder, &mut tsw)?;
        if (scenario.snapshot_every > 0 && s.is_multiple_of(scenario.snapshot_every)) || s == steps
        {
            snapshot(&sim, agw)?;
            tie_snapshot(&sim, &mut tiew)?;
        }
        if s.is_multiple_of(report_every) || s == steps {
            progress(s, steps);
        }
    }
    recorder.finish(&mut sim);
    write_rows(&mut recorder, &mut tsw)?;
    tsw.flush().map_err(|e| Error::io(&ts_path, e))?;
    drop(tsw);
    agw.flush().map_err(|e| Error::io(&ag_path, e))?;
    if let Some(w) = tiew.as_mut() {
        w.flush().map_err(|e| Error::io(&tf_path, e))?;
    }
    if let Some(w) = issw.as_mut() {
        w.flush().map_err(|e| Error::io(&is_path, e))?;
    }
    drop(issw);
    if let Some(w) = evw.as_mut() {
        w.flush().map_err(|e| Error::io(&ev_path, e))?;
    }
    drop(evw);

    let vcfg = scenario.verdict.clone();
    let (kept_steps, kept_values) = thinned.finish();
    let verdicts: Vec<(String, Verdict)> = HEADLINE
        .iter()
        .zip(&kept_values)
        .map(|(name, values)| (name.to_string(), judge(&kept_steps, values, &vcfg)))
        .collect();
    let final_values: Vec<(String, f64)> = columns
        .iter()
        .cloned()
        .zip(last_row.iter().copied())
        .collect();
    let n_ties = sim.world.ties.csr.targets.len() as u64 / 2;
    let mut summary = Summary {
        scenario: scenario.name.clone(),
        copies_warning: None,
        seed: cfg.seed,
        steps,
        agents: sim.world.agents.len() as u64,
        ties: n_ties,
        final_values,
        verdicts,
        hierarchy: if sim.hierarchy_on() {
            Some(sim.dominance_wins().all(
                crate::rng::mix(&[cfg.seed, 0x6865_7261]),
                sim.metrics.randomisations,
            ))
        } else {
            None
        },
        influence: if sim.params.influence.enabled {
            sim.influence_closed_form()
                .map(|(equilibrium, social_power)| Influence {
                    equilibrium,
                    social_power,
                })
        } else {
            None
        },
    };

    let mut sj = PartFile::create(&cfg.out_dir, "summary.json")?;
    let json = SummaryJson {
        scenario: &summary.scenario,
        seed: summary.seed,
        steps: summary.steps,
        agents: summary.agents,
        ties: summary.ties,
        final_values: summary
            .final_values
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(v)))
            .collect(),
        verdicts: summary
            .verdicts
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect(),
        verdict_config: &scenario.verdict,
        influence: summary.influence.as_ref(),
        hierarchy: summary.hierarchy.as_ref(),
    };
    let sj_path = sj.part_path().to_path_buf();
    serde_json::to_writer_pretty(sj.writer(), &json)
        .map_err(|e| Error::Run(format!("{}: {e}", sj_path.display())))?;
    writeln!(sj.writer()).map_err(|e| Error::io(&sj_path, e))?;

    let (has_issues, has_events) = (issues_file.is_some(), events_file.is_some());
    ts.finish()?;
    ag.finish()?;
    sj.finish()?;
    // The copies first, and checked, so that the data files and the
    // manifest land one right after the other.
    let inputs_paths = inputs.paths().to_vec();
    inputs.commit()?;
    let copies_warning = check_copies(&cfg.out_dir, scenario, &inputs_paths);
    ts.commit()?;
    ag.commit()?;
    if let Some(mut f) = tf {
        f.finish()?;
        f.commit()?;
    }
    if let Some(mut f) = issues_file {
        f.finish()?;
        f.commit()?;
    }
    if let Some(mut f) = events_file {
        f.finish()?;
        f.commit()?;
    }
    sj.commit()?;
    let mut warnings = scenario.warnings.clone();
    warnings.extend(scenario.unreached_events(steps));
    let rerun_from = inputs_paths.first().filter(|_| copies_warning.is_none());
    summary.copies_warning = copies_warning.clone();
    warnings.extend(copies_warning);
    let mut mf = PartFile::create(&cfg.out_dir, "manifest.json")?;
    let files = {
        let mut f = vec!["timeseries.csv", "agents.csv"];
        if write_ties {
            f.push("ties.csv");
        }
        if has_issues {
            f.push("issues.csv");
        }
        if has_events {
            f.push("events.csv");
        }
        f.push("summary.json");
        f
    };
    let mut file_bytes = std::collections::BTreeMap::new();
    for &name in &files {
        let path = cfg.out_dir.join(name);
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        file_bytes.insert(name, meta.len());
    }
    let manifest = Manifest {
        powerdyn_version: env!("CARGO_PKG_VERSION"),
        powerdyn_commit: crate::build_commit(),
        started_utc: crate::output::utc_stamp(std::time::SystemTime::now() - started.elapsed()),
        model_revision: crate::MODEL_REVISION,
        scenario: &scenario.name,
        scenario_path: &scenario.source,
        scenario_path_absolute: std::fs::canonicalize(&scenario.source)
            .ok()
            .map(|p| p.display().to_string()),
        scenario_sha256: &scenario.sha256,
        seed: cfg.seed,
        steps,
        agents: summary.agents,
        ties: n_ties,
        threads: rayon::current_num_threads(),
        wall_seconds: started.elapsed().as_secs_f64(),
        files,
        file_bytes,
        inputs: inputs_paths.clone(),
        rerun: rerun_from.map(|p| {
            format!(
                "powerdyn run {} --seed {} --steps {steps}",
                shell_word(p),
                cfg.seed
            )
        }),
        warnings,
    };
    let mf_path = mf.part_path().to_path_buf();
    serde_json::to_writer_pretty(mf.writer(), &manifest)
        .map_err(|e| Error::Run(format!("{}: {e}", mf_path.display())))?;
    writeln!(mf.writer()).map_err(|e| Error::io(&mf_path, e))?;

    mf.commit()?;
    Ok(summary)
}

/// The columns of agents.csv.
pub(crate) fn agent_columns() -> Vec<&'static str> {
    let mut c = vec!["step", "agent", "name", "population", "groups"];
    c.extend(crate::model::BASE_NAMES);
    c.extend([
        "resources",
        "self_esteem",
        "motive",
        "exit_cost",
        "alternatives",
        "opinion",
        "self_weight",
        "social_power",
        "bargain_share",
        "exchange_rate",
        "exclusion_rate",
    ]);
    c
}

/// The columns of ties.csv.
fn tie_columns() -> Vec<&'static str> {
    "step,from,to,engagement,resentment,affect,wins,closed"
        .split(',')
        .collect()
}

/// Agents whose snapshot rows are formatted at once (in parallel, a
/// [`CHUNK`](crate::engine::CHUNK) of them per task) before they are
/// written: about 13 MB of text.
const SNAPSHOT_BATCH: usize = 32 * crate::engine::CHUNK;

/// Writes one snapshot of every agent (the rows of `agents.csv` at the
/// current step) to `out`.
///
/// The rows are formatted in parallel, each chunk of agents by a CSV writer
/// of its own into a buffer, and the buffers written in agent order: the
/// same bytes as one writer writing every row, whatever the number of
/// threads. Each cell is formatted into one reused string, so a row
/// allocates nothing.
pub(crate) fn write_snapshot<W: std::io::Write>(sim: &Simulation, out: &mut W) -> csv::Result<()> {
    use std::fmt::Write as _;
    let w = &sim.world;
    let a = &w.agents;
    let step = sim.step.to_string();
    // Social power, for groups small enough to compute it exactly.
    let power = if sim.params.influence.enabled {
        sim.influence_closed_form().map(|(_, p)| p)
    } else {
        None
    };
    let bargain = sim
        .bargaining
        .as_ref()
        .map(|b| crate::rules::negotiation::Summary::from_state(b, &sim.params.negotiation));
    // Each cohort's groups, joined once.
    let groups: Vec<String> = w
        .cohorts
        .iter()
        .map(|c| {
            let names: Vec<&str> = c.groups.iter().map(|&g| w.groups[g].as_str()).collect();
            names.join(";")
        })
        .collect();
    // One cell: `text` writes it into the reused string.
    let field = |wtr: &mut csv::Writer<Vec<u8>>, cell: &mut String, text: &dyn Fn(&mut String)| {
        cell.clear();
        text(cell);
        wtr.write_field(&*cell)
    };
    let row = |i: usize, wtr: &mut csv::Writer<Vec<u8>>, cell: &mut String| -> csv::Result<()> {
        let cohort = a.cohort_of(i);
        wtr.write_field(&step)?;
        field(wtr, cell, &|s| {
            let _ = write!(s, "{i}");
        })?;
        field(wtr, cell, &|s| w.push_agent_label(s, i))?;
        wtr.write_field(&w.cohorts[cohort].name)?;
        wtr.write_field(&groups[cohort])?;
        for base in &a.bases {
            field(wtr, cell, &|s| push_f32(s, base[i]))?;
        }
        field(wtr, cell, &|s| push_f64(s, a.resources[i]))?;
        for x in [
            a.self_esteem[i],
            a.motive.get(i),
            a.exit_cost.get(i),
            a.alternatives[i],
            a.opinion[i],
            a.self_weight.get(i),
        ] {
            field(wtr, cell, &|s| push_f32(s, x))?;
        }
        let optional = [
            power.as_ref().map(|p| p[i]),
            bargain.as_ref().map(|b| b.mean_share[i]),
            bargain.as_ref().map(|b| b.exchange_rate[i]),
            bargain.as_ref().map(|b| b.exclusion_rate[i]),
        ];
        for x in optional {
            field(wtr, cell, &|s| {
                if let Some(x) = x {
                    push_f64(s, x);
                }
            })?;
        }
        wtr.write_record(None::<&[u8]>)
    };
    write_agent_rows(a.len(), &agent_columns(), out, row)
}

/// Writes the CSV records `row` writes for each agent `0..n` to `out`,
/// formatted in parallel: a [`CHUNK`](crate::engine::CHUNK) of agents per
/// task, by a CSV writer of its own into a buffer, [`SNAPSHOT_BATCH`]
/// agents at a time, the buffers written in agent order — the same bytes as
/// one writer writing every record, whatever the number of threads. `row`
/// gets a string to format cells into, reused across its calls.
///
/// Each chunk's writer first writes `header` (cut from its buffer), so that
/// it refuses a record with another number of fields, as one writer after
/// the file's header would.
fn write_agent_rows<W: std::io::Write>(
    n: usize,
    header: &[&str],
    out: &mut W,
    row: impl Fn(usize, &mut csv::Writer<Vec<u8>>, &mut String) -> csv::Result<()> + Sync,
) -> csv::Result<()> {
    use rayon::prelude::*;
    let chunk = crate::engine::CHUNK;
    let header_bytes = {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header)?;
        w.into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?
            .len()
    };
    for batch in (0..n).step_by(SNAPSHOT_BATCH) {
        let end = (batch + SNAPSHOT_BATCH).min(n);
        let starts: Vec<usize> = (batch..end).step_by(chunk).collect();
        let parts: Vec<csv::Result<Vec<u8>>> = starts
            .into_par_iter()
            .map(|lo| {
                let mut wtr = csv::Writer::from_writer(Vec::new());
                wtr.write_record(header)?;
                let mut cell = String::new();
                for i in lo..(lo + chunk).min(end) {
                    row(i, &mut wtr, &mut cell)?;
                }
                wtr.into_inner()
                    .map_err(|e| csv::Error::from(e.into_error()))
            })
            .collect();
        for part in parts {
            out.write_all(&part?[header_bytes..])?;
        }
    }
    Ok(())
}

/// Writes one snapshot of every tie half (the rows of `ties.csv` at the
/// current step) to `out`, agent by agent as [`write_snapshot`] does.
pub(crate) fn write_tie_snapshot<W: std::io::Write>(
    sim: &Simulation,
    out: &mut W,
) -> csv::Result<()> {
    use std::fmt::Write as _;
    let ties = &sim.world.ties;
    let csr = &ties.csr;
    let step = sim.step.to_string();
    write_agent_rows(
        sim.world.agents.len(),
        &tie_columns(),
        out,
        |i, wtr, cell| {
            for e in csr.row(i) {
                let t = &ties.state[e];
                wtr.write_field(&step)?;
                for k in [i, csr.targets[e] as usize] {
                    cell.clear();
                    let _ = write!(cell, "{k}");
                    wtr.write_field(&*cell)?;
                }
                for x in [t.engagement, t.resentment, t.affect] {
                    cell.clear();
                    push_f32(cell, x);
                    wtr.write_field(&*cell)?;
                }
                cell.clear();
                let _ = write!(cell, "{}", ties.wins_of(e));
                wtr.write_field(&*cell)?;
                wtr.write_field(if ties.is_closed(e) { "1" } else { "0" })?;
                wtr.write_record(None::<&[u8]>)?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::{shell_word, Thinned};

    /// The snapshot as first written: one writer, a `String` per cell.
    fn sequential_snapshot(sim: &crate::engine::Simulation) -> Vec<u8> {
        use crate::output::{fmt_f32, fmt_f64};
        let (w, a) = (&sim.world, &sim.world.agents);
        let power = if sim.params.influence.enabled {
            sim.influence_closed_form().map(|(_, p)| p)
        } else {
            None
        };
        let mut out = csv::Writer::from_writer(Vec::new());
        for i in 0..a.len() {
            let c = &w.cohorts[a.cohort_of(i)];
            let groups: Vec<&str> = c.groups.iter().map(|&g| w.groups[g].as_str()).collect();
            let mut rec = vec![
                sim.step.to_string(),
                i.to_string(),
                w.agent_label(i),
                c.name.clone(),
                groups.join(";"),
            ];
            rec.extend(a.bases.iter().map(|b| fmt_f32(b[i])));
            rec.push(fmt_f64(a.resources[i]));
            rec.push(fmt_f32(a.self_esteem[i]));
            rec.push(fmt_f32(a.motive.get(i)));
            rec.push(fmt_f32(a.exit_cost.get(i)));
            rec.push(fmt_f32(a.alternatives[i]));
            rec.push(fmt_f32(a.opinion[i]));
            rec.push(fmt_f32(a.self_weight.get(i)));
            rec.push(power.as_ref().map(|p| fmt_f64(p[i])).unwrap_or_default());
            rec.extend([String::new(), String::new(), String::new()]);
            out.write_record(&rec).unwrap();
        }
        out.into_inner().unwrap()
    }

    /// The tie snapshot as first written: one writer, a `String` per cell.
    fn sequential_tie_snapshot(sim: &crate::engine::Simulation) -> Vec<u8> {
        use crate::output::fmt_f32;
        let (ties, csr) = (&sim.world.ties, &sim.world.ties.csr);
        let mut out = csv::Writer::from_writer(Vec::new());
        for i in 0..sim.world.agents.len() {
            for e in csr.row(i) {
                let t = &ties.state[e];
                out.write_record([
                    sim.step.to_string(),
                    i.to_string(),
                    csr.targets[e].to_string(),
                    fmt_f32(t.engagement),
                    fmt_f32(t.resentment),
                    fmt_f32(t.affect),
                    ties.wins_of(e).to_string(),
                    u8::from(ties.is_closed(e)).to_string(),
                ])
                .unwrap();
            }
        }
        out.into_inner().unwrap()
    }

    #[test]
    fn a_snapshot_row_of_another_width_than_its_header_is_refused() {
        let row = |_: usize, w: &mut csv::Writer<Vec<u8>>, _: &mut String| w.write_record(["1"]);
        let err = super::write_agent_rows(3, &["a", "b"], &mut Vec::new(), row).unwrap_err();
        assert!(err.to_string().contains("fields"), "{err}");
    }

    #[test]
    fn snapshots_written_in_parallel_batches_are_the_sequential_text() {
        // More agents than one batch holds, the last chunk and batch partial.
        let n = super::SNAPSHOT_BATCH as u64 + 3 * crate::engine::CHUNK as u64 + 5;
        let s = crate::bench::scenario(n, 4, 0.1).unwrap();
        let mut sim = crate::engine::Simulation::new(&s, 2, 0).unwrap();
        sim.step();
        let expected = sequential_snapshot(&sim);
        let expected_ties = sequential_tie_snapshot(&sim);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut got = Vec::new();
            pool.install(|| super::write_snapshot(&sim, &mut got))
                .unwrap();
            assert!(got == expected, "{threads} threads");
            let mut got = Vec::new();
            pool.install(|| super::write_tie_snapshot(&sim, &mut got))
                .unwrap();
            assert!(got == expected_ties, "ties, {threads} threads");
        }
        let halves = sim.world.ties.csr.targets.len();
        assert_eq!(
            expected_ties.iter().filter(|&&b| b == b'\n').count(),
            halves
        );
        assert_eq!(expected.iter().filter(|&&b| b == b'\n').count(), n as usize);
    }

    #[test]
    fn a_thinned_series_keeps_its_first_and_last_records_evenly_between() {
        for records in [1u64, 7, 8, 9, 40, 41, 100] {
            let mut t = Thinned::new(8, 2);
            for r in 0..records {
                t.push(r * 10, [r as f64, -(r as f64)].into_iter());
            }
            let (steps, values) = t.finish();
            assert!(steps.len() <= 9, "{records}: {steps:?}");
            assert_eq!(steps[0], 0);
            assert_eq!(*steps.last().unwrap(), (records - 1) * 10, "{records}");
            assert!(steps.windows(2).all(|w| w[0] < w[1]));
            // Every kept step but the last on the stride, its values with it.
            let stride = steps.get(1).map_or(10, |s| s - steps[0]);
            for (k, &s) in steps[..steps.len() - 1].iter().enumerate() {
                assert_eq!(s, k as u64 * stride, "{records}: {steps:?}");
            }
            for (k, &s) in steps.iter().enumerate() {
                assert_eq!(values[0][k], (s / 10) as f64);
                assert_eq!(values[1][k], -((s / 10) as f64));
            }
        }
    }

    #[test]
    fn shell_words_are_quoted_only_when_a_shell_would_split_or_expand_them() {
        assert_eq!(shell_word("scenario/a-b_c.toml"), "scenario/a-b_c.toml");
        assert_eq!(shell_word("scenario/my run.toml"), "'scenario/my run.toml'");
        assert_eq!(shell_word("scenario/$HOME.toml"), "'scenario/$HOME.toml'");
        assert_eq!(shell_word("scenario/it's.toml"), r"'scenario/it'\''s.toml'");
        assert_eq!(shell_word(""), "''");
    }
}
