//! The command-line layer: options, progress bar, messages, exit codes.
//! Exit codes: 0 success; 1 failure while running; 2 bad usage or bad input.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use powerdyn::run::{run, RunConfig};
use powerdyn::scenario;
use powerdyn::Error;

/// Agent-based simulator of power dynamics in groups.
#[derive(Parser)]
#[command(name = "powerdyn", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write its time series, snapshots, summary and manifest.
    Run(RunArgs),
    /// Check scenario files and report every problem, without running them.
    Validate(ValidateArgs),
    /// Run a parameter sweep: many runs of a scenario over a design of parameter points.
    Sweep(SweepArgs),
    /// Combine the output folders of a sharded sweep into one.
    Merge(MergeArgs),
    /// Write SLURM scripts that run a sweep as a job array, then merge it.
    Slurm(SlurmArgs),
    /// Turn a run's or a sweep's output folder into one self-contained report.html.
    Report(ReportArgs),
    /// Run a bundled teaching scenario, tell what happened, and write its report.
    Demo(DemoArgs),
    /// Put two runs side by side in one report (compare.html).
    Compare(CompareArgs),
    /// Time the core model on a generated population, or a scenario with
    /// --scenario, and print one JSON line (speed per phase, peak memory, a
    /// scenario's projected run time): a capacity check before a big job.
    Bench(BenchArgs),
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Time this scenario file as written (its agents, network, rules and
    /// events) instead of the generated population, and project its full run.
    #[arg(long, conflicts_with_all = ["agents", "degree", "beta"])]
    scenario: Option<PathBuf>,
    /// Number of agents.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(3..=scenario::MAX_AGENTS))]
    agents: u64,
    /// Mean degree of the network (even).
    #[arg(long, allow_negative_numbers = true, default_value_t = 8, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    degree: u32,
    /// Steps to time [default: 20, or the scenario's steps if fewer].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    steps: Option<u64>,
    /// Worker threads; 0 for one per core [default: one per core].
    #[arg(long, allow_negative_numbers = true, default_value_t = 0, hide_default_value = true, value_parser = clap::value_parser!(u16).range(0..=1024))]
    threads: u16,
    /// Rewiring probability of the Watts–Strogatz network: 0 a ring lattice, 1 a random network.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0.1)]
    beta: f64,
    /// Record metrics and write a time-series row every this many steps (0: never) [default: 1, or the scenario's record_every].
    #[arg(long, allow_negative_numbers = true)]
    record_every: Option<u64>,
    /// Random seed, 0 to 9223372036854775807 [default: 1, or the scenario's seed].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Folder for the benchmark's time series [default: output/bench].
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Run even if the estimated memory exceeds what the machine has available.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// The first run's output folder.
    a: PathBuf,
    /// The second run's output folder.
    b: PathBuf,
    /// Where to write compare.html [default: the first run's folder].
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The output folder of a run or a sweep.
    dir: PathBuf,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// The demo to run [default: couple-money].
    name: Option<String>,
    /// List the demos.
    #[arg(long, conflicts_with_all = ["name", "out"])]
    list: bool,
    /// Output folder [default: output/demo-<name>].
    #[arg(long, short)]
    out: Option<PathBuf>,
}

/// A teaching demo: its name, its scenario, the metric its terminal chart
/// shows, and the files the scenario extends (written beside it).
type Demo = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// The bundled teaching scenarios, embedded so a demo runs anywhere.
const DEMOS: [Demo; 9] = [
    (
        "couple-money",
        include_str!("../scenarios/couple-money.toml"),
        "resources_gini",
        &[],
    ),
    (
        "couple-money-counseling",
        include_str!("../scenarios/couple-money-counseling.toml"),
        "mean_resentment",
        &[(
            "couple-money.toml",
            include_str!("../scenarios/couple-money.toml"),
        )],
    ),
    (
        "balanced-couple",
        include_str!("../scenarios/balanced-couple.toml"),
        "dyad_imbalance",
        &[],
    ),
    (
        "bully-target-stays",
        include_str!("../scenarios/bully-target-stays.toml"),
        "mean_resentment",
        &[],
    ),
    (
        "bully-target-leaves",
        include_str!("../scenarios/bully-target-leaves.toml"),
        "mean_engagement",
        &[],
    ),
    (
        "abusive-isolation",
        include_str!("../scenarios/abusive-isolation.toml"),
        "mean_resentment",
        &[],
    ),
    (
        "seven-bases",
        include_str!("../scenarios/seven-bases.toml"),
        "power_gini",
        &[],
    ),
    (
        "domworld-despotic",
        include_str!("../scenarios/domworld-despotic.toml"),
        "dominance_cv",
        &[],
    ),
    (
        "exchange-star",
        include_str!("../scenarios/exchange-star.toml"),
        "bargain_share_gini",
        &[],
    ),
];

#[derive(clap::Args)]
struct SlurmArgs {
    /// The sweep file (TOML).
    sweep: PathBuf,
    /// Array tasks (shards).
    #[arg(long, allow_negative_numbers = true)]
    tasks: u64,
    /// SLURM partition.
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per task (e.g. 01:00:00).
    #[arg(long)]
    time: Option<String>,
    /// CPUs per task.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    cpus: u32,
    /// Memory per task (e.g. 4G).
    #[arg(long)]
    mem: Option<String>,
    /// At most this many array tasks running at once (the cluster's fair share; SLURM's --array=...%M).
    #[arg(long, allow_negative_numbers = true)]
    max_running: Option<u64>,
    /// Folder for the scripts, shards, logs and merged results [default: output/<sweep name>-slurm].
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shards' output folders.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, short, required = true)]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// The sweep file (TOML).
    sweep: PathBuf,
    /// Output folder [default: output/<sweep name>].
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Worker threads; 0 for one per core [default: one per core].
    #[arg(long, allow_negative_numbers = true, default_value_t = 0, hide_default_value = true, value_parser = clap::value_parser!(u16).range(0..=1024))]
    threads: u16,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Print the number of runs, estimates of time and disk, and the first points; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Allow more than 10^7 runs, more memory than the machine has available, and replacing the outputs of another sweep (or shard) in --out.
    #[arg(long)]
    force: bool,
    /// Run only shard K of N (K from 0 to N-1): the runs whose id is K modulo N.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Output folder [default: output/<scenario name>].
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Random seed, 0 to 9223372036854775807, as in a scenario file [default: the scenario's seed].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Number of steps [default: the scenario's steps].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=scenario::MAX_STEPS))]
    steps: Option<u64>,
    /// Worker threads; 0 for one per core [default: one per core].
    #[arg(long, allow_negative_numbers = true, default_value_t = 0, hide_default_value = true, value_parser = clap::value_parser!(u16).range(0..=1024))]
    threads: u16,
    /// Print nothing but errors (no progress bar, no summary).
    #[arg(long, short)]
    quiet: bool,
    /// Run even if the estimated memory exceeds what the machine has available.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Ctrl-C, SIGTERM (as SLURM sends at `scancel` or a time limit) and
/// SIGHUP ask a run, sweep or benchmark to stop cleanly at its next check
/// (exit code 130). Only the commands that check are given the handler:
/// the others keep the signals' default, which ends them at once.
fn listen_for_stop() {
    let _ = ctrlc::set_handler(powerdyn::interrupt::request);
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let result = match cli.command {
        Command::Run(a) => cmd_run(a),
        Command::Validate(a) => cmd_validate(a),
        Command::Sweep(a) => cmd_sweep(a),
        Command::Slurm(a) => cmd_slurm(a),
        Command::Report(a) => powerdyn::report::report(&a.dir).map(|p| {
            out_line(&format!("wrote {}", p.display()));
            0
        }),
        Command::Demo(a) => cmd_demo(a),
        Command::Bench(a) => cmd_bench(a),
        Command::Compare(c) => {
            let out = c.out.clone().unwrap_or_else(|| c.a.clone());
            powerdyn::report::compare(&c.a, &c.b, &out).map(|p| {
                out_line(&format!("wrote {}", p.display()));
                0
            })
        }
        Command::Merge(a) => powerdyn::sweep::merge(&a.shards, &a.out).map(|n| {
            if !a.quiet {
                out_line(&format!(
                    "merged {n} runs from {} shards -> {}",
                    a.shards.len(),
                    a.out.display()
                ));
            }
            0
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    }
}

fn report(e: &Error) {
    let text = match e {
        Error::Input(_) => e.to_string(),
        _ => format!("error: {e}"),
    };
    let _ = writeln!(std::io::stderr(), "{}", terminal_safe(&text));
}

/// `eprintln!` through [`terminal_safe`]: every line the command writes to
/// the terminal's error stream may quote a file.
macro_rules! say {
    ($($t:tt)*) => {{
        let _ = writeln!(std::io::stderr(), "{}", terminal_safe(&format!($($t)*)));
    }};
}

/// `text` with its control characters but for line breaks written out
/// (`\u{1b}`): a name or key quoted from a hostile file cannot move the
/// cursor, recolour the terminal or ring its bell.
fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

fn out_line(line: &str) {
    // A closed pipe (powerdyn ... | head) is not an error.
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn cmd_run(a: RunArgs) -> Result<i32, Error> {
    listen_for_stop();
    let sc = scenario::load(&a.scenario)?;
    run_scenario(sc, a)
}

/// `powerdyn run` of a scenario already read (`a.scenario` names it in
/// messages).
fn run_scenario(sc: scenario::Scenario, a: RunArgs) -> Result<i32, Error> {
    if !a.force {
        check_memory(&sc, &a.scenario)?;
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&sc.name));
    let mut cfg = RunConfig::from_scenario(&sc, out);
    if let Some(seed) = a.seed {
        cfg.seed = seed;
    }
    if let Some(steps) = a.steps {
        cfg.steps = steps;
    }
    cfg.threads = a.threads as usize;
    if !a.quiet {
        warn_disk(
            sc.estimated_output_bytes(cfg.steps),
            &cfg.out_dir,
            "record less often (record_every), take fewer snapshots (snapshot_every), run fewer steps, or choose another --out",
        );
    }
    if !a.quiet {
        for w in &sc.warnings {
            say!("warning: {w}");
        }
        for w in sc.unreached_events(cfg.steps) {
            say!(
                "warning: {}: {w}\n  help: move the event earlier or run longer (--steps); manifest.json records this",
                a.scenario.display()
            );
        }
    }
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = if show {
        let b = ProgressBar::with_draw_target(Some(cfg.steps), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] step {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b.set_message(sc.name.clone());
        b
    } else {
        ProgressBar::hidden()
    };
    let mut progress = |s: u64, _n: u64| bar.set_position(s);
    let summary = run(&sc, &cfg, &mut progress);
    bar.finish_and_clear();
    let summary = summary?;
    if !a.quiet {
        out_line(&format!(
            "{}: {} agents, {} {}, {} steps, seed {} -> {}",
            summary.scenario,
            summary.agents,
            summary.ties,
            if summary.ties == 1 { "tie" } else { "ties" },
            summary.steps,
            summary.seed,
            cfg.out_dir.display()
        ));
        if let Some(w) = &summary.copies_warning {
            say!("warning: {w}");
        }
        let mut undetermined = false;
        for (name, v) in &summary.verdicts {
            let settle = v
                .settle_step
                .map(|s| format!(" from step {s}"))
                .unwrap_or_default();
            undetermined |= v.verdict == powerdyn::verdict::Trend::Undetermined;
            out_line(&format!(
                "  {name:<16} {:<11} late mean {:.4}{settle} (Sen slope {:+.3e}/step, p = {:.3})",
                v.verdict.as_str(),
                v.final_value,
                v.sen_slope_per_step,
                v.mann_kendall_p
            ));
        }
        if undetermined {
            out_line(&format!(
                "  (undetermined: fewer than 8 records after the burn-in, too few to test for a trend; run longer or record more often than every {} steps)",
                sc.record_every
            ));
        }
    }
    Ok(0)
}

fn cmd_bench(a: BenchArgs) -> Result<i32, Error> {
    listen_for_stop();
    use powerdyn::bench;
    let (population, what) = match &a.scenario {
        Some(path) => (
            bench::Population::Scenario(Box::new(scenario::load(path)?)),
            path.clone(),
        ),
        None => (
            bench::Population::Generated {
                agents: a.agents,
                degree: a.degree,
                beta: a.beta,
            },
            PathBuf::from("powerdyn bench"),
        ),
    };
    let sc = population.scenario()?;
    if !a.force {
        check_memory(&sc, &what)?;
    }
    let steps = match (a.steps, &a.scenario) {
        (Some(n), _) => n,
        (None, Some(_)) => sc.steps.clamp(1, 20),
        (None, None) => 20,
    };
    let cfg = bench::BenchConfig {
        population,
        steps,
        record_every: a.record_every,
        seed: a.seed,
        out_dir: a.out.unwrap_or_else(|| Path::new("output").join("bench")),
        threads: a.threads as usize,
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(cfg.steps), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    let mut progress = |s: u64, _n: u64| bar.set_position(s);
    let report = bench::run(&cfg, &mut progress);
    bar.finish_and_clear();
    let report = report?;
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(flatten)]
        report: &'a bench::BenchReport,
        peak_rss_bytes: Option<u64>,
        bytes_per_agent: Option<f64>,
    }
    let peak = peak_rss_bytes();
    let line = Line {
        report: &report,
        peak_rss_bytes: peak,
        bytes_per_agent: peak.map(|b| b as f64 / report.agents.max(1) as f64),
    };
    let text = serde_json::to_string(&line)
        .map_err(|e| Error::Run(format!("cannot format the report: {e}")))?;
    out_line(&text);
    Ok(0)
}

/// A duration for people: seconds, minutes or hours.
fn duration_text(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{:.0} s", seconds.max(1.0))
    } else if seconds < 5400.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// Free bytes for an unprivileged user on the file system that holds
/// `dir` (or its nearest existing ancestor); None where that cannot be told.
#[cfg(target_os = "linux")]
fn free_disk_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = dir
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
        .unwrap_or(Path::new("."));
    let c = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a NUL-terminated path and `st` a plain struct that
    // statvfs fills in; nothing is kept past the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

#[cfg(not(target_os = "linux"))]
fn free_disk_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// Warns when a job's estimated output (`bytes`) is more than the free
/// space where `dir` would be: a warning, as the estimate is rough, before
/// the hours of a long job rather than at a full disk.
fn warn_disk(bytes: f64, dir: &Path, help: &str) {
    if let Some(free) = free_disk_bytes(dir) {
        if bytes > free as f64 {
            say!(
                "warning: {}: this job may write about {} of output, and the file system has {} free\n  help: {help}",
                dir.display(),
                size_text(bytes),
                size_text(free as f64)
            );
        }
    }
}

/// Peak resident memory of this process (VmHWM in /proc/self/status; Linux), None elsewhere.
fn peak_rss_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Memory available to a new process (Linux; None elsewhere): the
/// machine's `MemAvailable`, or less when this process's control group (a
/// SLURM job, a container) is limited — its limit less its usage.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    let machine = kb * 1024;
    let group = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|c| cgroup_room(&c, &|p| std::fs::read_to_string(p).ok()));
    Some(group.map_or(machine, |g| g.min(machine)))
}

/// The room left under the memory limit of the control group named in
/// `cgroup` (the text of /proc/self/cgroup), reading its files with
/// `read`: cgroup v2 (`0::/path`, `memory.max` and `memory.current`) or v1
/// (the `memory` controller's `memory.limit_in_bytes` and
/// `memory.usage_in_bytes`), at the group's path or, inside a container,
/// at the mount's root. None when there is no limit.
fn cgroup_room(cgroup: &str, read: &dyn Fn(&Path) -> Option<String>) -> Option<u64> {
    let number = |p: PathBuf| -> Option<u64> { read(&p)?.trim().parse().ok() };
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        let (root, limit, usage) = if controllers.is_empty() {
            (
                PathBuf::from("/sys/fs/cgroup"),
                "memory.max",
                "memory.current",
            )
        } else if controllers.split(',').any(|c| c == "memory") {
            (
                PathBuf::from("/sys/fs/cgroup/memory"),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            )
        } else {
            continue;
        };
        for dir in [root.join(path), root.clone()] {
            if let Some(max) = number(dir.join(limit)) {
                // v1 writes "no limit" as a number near 2^63.
                if max >= 1 << 60 {
                    return None;
                }
                let used = number(dir.join(usage)).unwrap_or(0);
                return Some(max.saturating_sub(used));
            }
        }
    }
    None
}

/// Refuses, before allocating anything, a run that cannot fit in memory.
fn check_memory(sc: &scenario::Scenario, path: &Path) -> Result<(), Error> {
    check_bytes(
        sc.estimated_bytes(),
        &format!(
            "{} agents, about {:.3e} ties",
            sc.n_agents(),
            powerdyn::scenario::expected_ties(&sc.network, &sc.cohorts)
        ),
        path,
        "use fewer agents or a sparser network, or pass --force to try anyway",
    )
}

/// Refuses a job estimated to need `need` bytes when less memory is available.
fn check_bytes(need: f64, what: &str, path: &Path, help: &str) -> Result<(), Error> {
    let Some(have) = available_memory() else {
        return Ok(());
    };
    if need > have as f64 {
        return Err(Error::input(
            path.display().to_string(),
            format!(
                "this job needs about {} of memory ({what}); {} are available",
                memory_text(need),
                memory_text(have as f64)
            ),
            Some(help),
        ));
    }
    Ok(())
}

fn cmd_sweep(a: SweepArgs) -> Result<i32, Error> {
    listen_for_stop();
    use powerdyn::sweep;
    let sw = sweep::file::load(&a.sweep, a.force)?;
    let first = sw.scenario_at(0)?;
    let shard = match &a.shard {
        None => None,
        Some(s) => match sweep::parse_shard(s) {
            Some(kn) => Some(kn),
            None => {
                return Err(Error::input(
                    "--shard",
                    format!("`{s}` is not a shard"),
                    Some("write K/N with 0 <= K < N, such as 0/4"),
                ))
            }
        },
    };
    if !a.force {
        // Runs at once: one per worker thread, at most one per run.
        let threads = match a.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            t => t as usize,
        };
        let at_once = (threads as u64).min(sw.total_runs().max(1));
        check_bytes(
            sw.max_estimated_bytes * at_once as f64,
            &format!("{at_once} runs at once of up to {} agents", sw.max_agents),
            &a.sweep,
            "use fewer agents, a sparser network or fewer --threads, or pass --force to try anyway",
        )?;
    }
    let steps = sw.steps.unwrap_or(first.steps);
    let runs = sw.total_runs();
    if !a.quiet || a.dry_run {
        for w in &sw.warnings {
            let help = if w.contains("never happens") {
                "move the event earlier or run longer"
            } else {
                "see docs/sweeps.md"
            };
            say!(
                "warning: {}: {w}\n  help: {help}; manifest.json records this",
                a.sweep.display()
            );
        }
    }
    if a.dry_run {
        // The checks the sweep would make before its first run (it makes
        // them itself otherwise).
        sweep::preflight(&sw, shard)?;
        // Records per run, point by point when `steps` or `record_every` is
        // swept (the base scenario's would miss the points' own).
        let at = |name: &str| sw.parameters.iter().position(|p| p.path == name);
        let (steps_at, every_at) = (at("steps"), at("record_every"));
        let point_records: u64 = sw
            .points
            .iter()
            .map(|p| {
                let n = steps_at.map_or(steps, |k| p[k] as u64);
                let every = every_at.map_or(first.record_every, |k| (p[k] as u64).max(1));
                n / every + 2
            })
            .sum();
        let records = point_records * sw.replicates;
        let agents = if sw.max_agents == first.n_agents() {
            format!("{} agents each", first.n_agents())
        } else {
            format!("up to {} agents", sw.max_agents)
        };
        let steps_text = if sw.parameters.iter().any(|p| p.path == "steps") {
            "steps varying by point".to_string()
        } else {
            format!("{steps} steps")
        };
        let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        // A shard takes every n-th run from its k-th.
        let shard_runs = shard.map_or(runs, |(k, n)| runs.saturating_sub(k).div_ceil(n));
        let this_shard = match shard {
            Some((k, n)) => format!("; shard {k}/{n} does {} of them", plural(shard_runs, "run")),
            None => String::new(),
        };
        out_line(&format!(
            "{}: {} x {} = {} of {steps_text} ({agents}){this_shard}",
            sw.name,
            plural(sw.points.len() as u64, "point"),
            plural(sw.replicates, "replicate"),
            plural(runs, "run"),
        ));
        // One run of the first point, timed on one thread, scaled by every
        // point's agents and steps, over the threads (and this shard's share).
        let probe = sweep::probe(&sw, 0, std::time::Duration::from_secs(2))?;
        let threads = match a.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            t => t as usize,
        } as f64;
        let share = shard_runs as f64 / runs.max(1) as f64;
        let in_parallel = threads.min(shard_runs.max(1) as f64);
        let series_bytes = records as f64 * share * probe.record_bytes;
        let aggregate_bytes = point_records as f64 * probe.aggregate_bytes;
        // The runs over the threads, then the aggregates on one (a shard
        // writes none: `merge` does).
        let seconds = probe.sweep_seconds(&sw) * share / in_parallel
            + if shard.is_some() {
                0.0
            } else {
                sweep::Probe::summary_seconds(series_bytes + aggregate_bytes)
            };
        out_line(&format!(
            "estimate: {} on {} thread{} ({:.2} µs per agent-step measured on {} steps of point 0's first run, scaled by each point's agents and steps; runs of other sizes may differ); about {} of time series and {} of aggregates{}",
            duration_text(seconds),
            in_parallel,
            if in_parallel == 1.0 { "" } else { "s" },
            probe.step_per_agent * 1e6,
            probe.steps,
            size_text(series_bytes),
            size_text(aggregate_bytes),
            // A shard writes none: `merge` does, for the whole sweep.
            if shard.is_some() {
                " when the shards are merged"
            } else {
                ""
            }
        ));
        // Where the sweep (or its shard, which writes no aggregates) would write.
        let bytes = series_bytes
            + if shard.is_some() {
                0.0
            } else {
                aggregate_bytes
            };
        warn_disk(
            bytes,
            &sweep_out_dir(a.out.as_deref(), shard, &sw.name),
            "record less often (record_every in the scenario), run fewer replicates or points, or choose another --out",
        );
        let names: Vec<&str> = sw.parameters.iter().map(|p| p.path.as_str()).collect();
        out_line(&format!("parameters: {}", names.join(", ")));
        for (k, p) in sw.points.iter().take(5).enumerate() {
            let vals: Vec<String> = p.iter().map(|v| format!("{v}")).collect();
            out_line(&format!("  point {k}: {}", vals.join(", ")));
        }
        return Ok(0);
    }
    let out = sweep_out_dir(a.out.as_deref(), shard, &sw.name);
    let cfg = sweep::SweepConfig {
        out_dir: out.clone(),
        threads: a.threads as usize,
        shard,
        replace: a.force,
    };
    let show = !a.quiet && std::io::stderr().is_terminal();
    let bar = if show {
        let b = ProgressBar::with_draw_target(Some(runs), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] run {pos}/{len} ({rate}, eta {eta})")
                .map(|s| {
                    s.with_key(
                        "rate",
                        |st: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = write!(w, "{:.1} runs/s", st.per_sec());
                        },
                    )
                })
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message(sw.name.clone());
        b
    } else {
        ProgressBar::hidden()
    };
    // Without a terminal (a SLURM job's log), plain lines now and then.
    let mut log = (!a.quiet && !show).then(|| LogProgress::new(&sw.name));
    let mut progress = |d: u64, t: u64| {
        bar.set_position(d);
        if let Some(l) = log.as_mut() {
            l.update(d, t);
        }
    };
    let summary = sweep::run(&sw, &cfg, &mut progress);
    bar.finish_and_clear();
    let summary = summary?;
    if !a.quiet {
        if let Some(w) = &summary.copies_warning {
            say!("warning: {w}");
        }
        let what = format!("{} runs over {} points", summary.runs, summary.points);
        out_line(&if summary.finished_before {
            format!(
                "{}: already finished ({what}); nothing to run -> {}",
                summary.name,
                out.display()
            )
        } else if summary.resumed > 0 {
            format!(
                "{}: {what} in {:.1} s, resumed after the {} done before -> {}",
                summary.name,
                summary.wall_seconds,
                summary.resumed,
                out.display()
            )
        } else {
            format!(
                "{}: {what} in {:.1} s -> {}",
                summary.name,
                summary.wall_seconds,
                out.display()
            )
        });
    }
    Ok(0)
}

/// Where a sweep writes: `--out`, or `output/<name>` (a shard's own
/// `output/<name>-shard-K-of-N`).
fn sweep_out_dir(out: Option<&Path>, shard: Option<(u64, u64)>, name: &str) -> PathBuf {
    match (out, shard) {
        (Some(o), _) => o.to_path_buf(),
        (None, Some((k, n))) => Path::new("output").join(format!("{name}-shard-{k}-of-{n}")),
        (None, None) => Path::new("output").join(name),
    }
}

/// A sweep's progress as lines for a log: at each tenth of the runs, and
/// at least every five minutes while runs finish.
struct LogProgress {
    name: String,
    start: std::time::Instant,
    last: std::time::Instant,
    /// The runs done at the first report (a resumed sweep's earlier runs).
    first: Option<u64>,
    tenth: u64,
}

impl LogProgress {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(300);

    fn new(name: &str) -> Self {
        let now = std::time::Instant::now();
        LogProgress {
            name: name.to_string(),
            start: now,
            last: now,
            first: None,
            tenth: 0,
        }
    }

    fn update(&mut self, done: u64, total: u64) {
        let first = *self.first.get_or_insert(done);
        if total == 0 || done == first {
            return;
        }
        let tenth = done * 10 / total;
        if tenth <= self.tenth && self.last.elapsed() < Self::EVERY {
            return;
        }
        self.tenth = tenth;
        self.last = std::time::Instant::now();
        let secs = self.start.elapsed().as_secs_f64();
        let rate = (done - first) as f64 / secs.max(1e-9);
        let left = (total - done) as f64 / rate.max(1e-9);
        let left = if done < total {
            format!(", about {} left", duration_text(left))
        } else {
            String::new()
        };
        say!(
            "{}: {done}/{total} runs ({:.0}%), {rate:.1} runs/s{left}",
            self.name,
            100.0 * done as f64 / total as f64,
        );
    }
}

/// Copies the sweep's files into `snapshot/scenario/` (as a sweep's folder
/// holds them) and returns the copy of the sweep file, absolute, when it
/// reads back as the same sweep; `None` (and no snapshot) when it does not.
fn take_snapshot(sw: &powerdyn::sweep::Sweep, snapshot: &Path) -> Result<Option<PathBuf>, Error> {
    if sw.inputs.is_empty() {
        return Ok(None);
    }
    let copies = powerdyn::output::InputCopies::write(snapshot, &sw.inputs)?;
    let first = snapshot.join(&copies.paths()[0]);
    copies.commit()?;
    let same =
        powerdyn::sweep::file::load_definition(&first).is_ok_and(|copy| copy.hash() == sw.hash());
    if !same {
        let _ = std::fs::remove_dir_all(snapshot);
        return Ok(None);
    }
    let abs = first.canonicalize().map_err(|e| Error::io(&first, e))?;
    powerdyn::sweep::slurm::check_path(&abs, "sweep file", false)?;
    Ok(Some(abs))
}

fn cmd_slurm(a: SlurmArgs) -> Result<i32, Error> {
    use powerdyn::sweep;
    let sw = sweep::file::load(&a.sweep, false)?;
    if a.tasks > sw.total_runs().max(1) {
        return Err(Error::input(
            "--tasks",
            format!("{} tasks for {} runs", a.tasks, sw.total_runs()),
            Some("use at most one task per run"),
        ));
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("{}-slurm", sw.name)));
    let opts = sweep::slurm::SlurmOptions {
        tasks: a.tasks,
        partition: a.partition.clone(),
        time: a.time.clone(),
        cpus: a.cpus,
        mem: a.mem.clone(),
        max_running: a.max_running,
    };
    // Everything that can be refused is checked before the folder is made.
    opts.check()?;
    // A task runs up to --cpus runs at once; each needs its memory.
    if let Some(mem) = opts.mem.as_deref().and_then(sweep::slurm::mem_bytes) {
        let per_task = sw.total_runs().div_ceil(a.tasks.max(1));
        let at_once = u64::from(a.cpus.max(1)).min(per_task.max(1));
        // The process itself (binary, threads, buffers): a 10,000-run sweep
        // of small runs peaks at about 21 MB (BENCHMARKS.md).
        const PROCESS: f64 = 32.0 * (1u64 << 20) as f64;
        let need = PROCESS + sw.max_estimated_bytes * at_once as f64;
        if need > mem as f64 {
            return Err(Error::input(
                "--mem",
                format!(
                    "a task needs about {:.2} GiB ({at_once} runs at once of up to {} agents); --mem gives {:.2} GiB",
                    need / (1u64 << 30) as f64,
                    sw.max_agents,
                    mem as f64 / (1u64 << 30) as f64
                ),
                Some("raise --mem, or lower --cpus (fewer runs at once)"),
            ));
        }
    }
    // The path the scripts will carry is the absolute one.
    let absolute = std::path::absolute(&out).map_err(|e| Error::io(&out, e))?;
    sweep::slurm::check_path(&absolute, "output folder", true)?;
    if let Some(which) = sweep::foreign_shard(&out, &sw, a.tasks) {
        return Err(Error::input(
            out.join("shards").display().to_string(),
            format!("{which}: the new tasks would refuse their folders and the merge would miss shards"),
            Some("write the scripts into another --out, or remove shards/ and merged/ there to start over (their runs are lost)"),
        ));
    }
    let original = a.sweep.canonicalize().map_err(|e| Error::io(&a.sweep, e))?;
    let binary = std::env::current_exe()
        .map_err(|e| Error::Run(format!("cannot find the powerdyn binary: {e}")))?;
    sweep::slurm::check_path(&original, "sweep file", false)?;
    sweep::slurm::check_path(&binary, "powerdyn binary", false)?;
    // The tasks read a snapshot of the sweep's files, taken now (they may
    // start hours later, after the originals have changed); one folder per
    // definition, so scripts written again after an edit leave the
    // snapshot of earlier shards in place.
    let snapshot = out.join(format!("snapshot-{}", &sw.hash()[..12]));
    powerdyn::output::check_input_room(&snapshot, &sw.inputs)?;
    let logs = out.join("logs");
    if logs.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
        return Err(Error::input(
            logs.display().to_string(),
            "the scripts' logs go to this folder, and it is a file".to_string(),
            Some("move the file away, or choose another --out"),
        ));
    }
    let existed = out.exists();
    powerdyn::output::create_dir(&out)?;
    let file = match take_snapshot(&sw, &snapshot) {
        Ok(Some(f)) => f,
        Ok(None) => {
            out_line(&format!(
                "note: the sweep's files cannot be copied so that they read back as this sweep (a file reached through a symbolic link?); the tasks read {} itself: leave it unchanged until every task has started",
                original.display()
            ));
            original
        }
        Err(e) => {
            if !existed {
                let _ = std::fs::remove_dir_all(&out);
            }
            return Err(e);
        }
    };
    let scripts = out
        .canonicalize()
        .map_err(|e| Error::io(&out, e))
        .and_then(|abs| {
            Ok((
                sweep::slurm::scripts(&binary, &file, &sw.name, &abs, &opts)?,
                abs,
            ))
        });
    let (scripts, out) = match scripts {
        Ok(s) => s,
        Err(e) => {
            if !existed {
                let _ = std::fs::remove_dir_all(&out);
            }
            return Err(e);
        }
    };
    // The logs' folder exists before any job: SLURM does not create the
    // folder of an --output file, and a script submitted by hand (not
    // through submit.sh) would lose its log.
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, e))?;
    for (name, text) in scripts {
        let path = out.join(&name);
        powerdyn::output::write_fresh(&path, text.as_bytes()).map_err(|e| Error::io(&path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        }
    }
    out_line(&format!(
        "wrote {}/sweep.sbatch ({} tasks), merge.sbatch and submit.sh; run {}/submit.sh on the cluster",
        out.display(),
        a.tasks,
        out.display()
    ));
    if a.tasks > 1001 {
        out_line(&format!(
            "note: {} tasks is more than SLURM's default MaxArraySize (1001); check your cluster's (scontrol show config | grep MaxArraySize) or use fewer --tasks",
            a.tasks
        ));
    }
    Ok(0)
}

fn cmd_demo(a: DemoArgs) -> Result<i32, Error> {
    listen_for_stop();
    if a.list {
        for (name, text, _, _) in DEMOS {
            let desc = text
                .lines()
                .find_map(|l| l.strip_prefix("description = "))
                .unwrap_or("")
                .trim_matches('"');
            out_line(&format!("{name:<24} {desc}"));
        }
        return Ok(0);
    }
    let name = a.name.clone().unwrap_or_else(|| "couple-money".to_string());
    let Some((_, text, metric, bases)) = DEMOS.iter().find(|(n, _, _, _)| *n == name) else {
        let names: Vec<&str> = DEMOS.iter().map(|d| d.0).collect();
        return Err(Error::input(
            "demo",
            format!("there is no demo called `{name}`"),
            Some(
                &match powerdyn::scenario::reader::near_miss(&name, names.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`? (powerdyn demo --list)"),
                    None => format!("choose one of: {} (powerdyn demo --list)", names.join(", ")),
                },
            ),
        ));
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("demo-{name}")));
    // Refused before anything is written or said, as `run` would refuse it.
    powerdyn::output::check_dir(&out, powerdyn::output::Holds::Run, "a run")?;
    // The scenario and the files it extends, as built in; the run copies
    // them into its folder (scenario/), where the report finds the story.
    let file = format!("{name}.toml");
    let mut files: Vec<(&str, &[u8])> = vec![(&file, text.as_bytes())];
    files.extend(bases.iter().map(|(f, t)| (*f, t.as_bytes())));
    let sc = scenario::parse_files(&files)?;
    out_line(&format!("powerdyn demo: {name}\n"));
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        out_line(line.trim_start_matches('#').trim_start());
    }
    out_line("");
    run_scenario(
        sc,
        RunArgs {
            scenario: PathBuf::from(&file),
            out: Some(out.clone()),
            seed: None,
            steps: None,
            threads: 0,
            quiet: false,
            force: false,
        },
    )?;
    out_line("\nWhat happened:");
    out_line(powerdyn::report::narrative(&out)?.trim_end());
    let ts = powerdyn::report::Table::read(&out.join("timeseries.csv"))?;
    out_line("");
    out_line(&powerdyn::report::svg::ascii_chart(
        &format!("{metric} by step"),
        &ts.values("step"),
        &ts.values(metric),
        12,
        64,
    ));
    let report = powerdyn::report::report(&out)?;
    out_line(&format!(
        "\nThe full report, with charts: {}",
        report.display()
    ));
    Ok(0)
}

/// `validate` builds the world of a scenario estimated to need at most
/// this much memory (256 MiB: about 620,000 agents of degree 8), so that
/// the problems only its network shows are reported without a run.
const VALIDATE_BUILD_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

fn cmd_validate(a: ValidateArgs) -> Result<i32, Error> {
    let mut failed = 0;
    for f in &a.files {
        // A scenario small enough is also built, at its own seed: the
        // problems only its network shows are found here too.
        let loaded = scenario::load(f).and_then(|s| {
            if s.estimated_bytes() <= VALIDATE_BUILD_BYTES {
                powerdyn::engine::Simulation::new(&s, s.seed, 0)?;
            }
            Ok(s)
        });
        match loaded {
            Ok(s) => {
                out_line(&format!(
                    "ok: {} ({}: {} agents, {} steps)",
                    f.display(),
                    s.name,
                    s.n_agents(),
                    s.steps
                ));
                for w in s.unreached_events(s.steps) {
                    say!(
                        "warning: {}: {w}\n  help: move the event earlier or raise steps",
                        f.display()
                    );
                }
                for w in &s.warnings {
                    say!("warning: {w}");
                }
                if s.estimated_bytes() > VALIDATE_BUILD_BYTES {
                    say!(
                        "note: {}: the checks that need the network (pairs it does not tie, a random network with no tie) are left to `run`: the scenario is estimated at {}, above the {} validate builds",
                        f.display(),
                        memory_text(s.estimated_bytes()),
                        memory_text(VALIDATE_BUILD_BYTES)
                    );
                }
            }
            Err(e) => {
                failed += 1;
                report(&e);
            }
        }
    }
    if failed > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "{failed} of {} file(s) have problems",
            a.files.len()
        );
        Ok(2)
    } else {
        Ok(0)
    }
}

/// An amount of memory in the binary units of `free`, `top` and SLURM's
/// `--mem`: `850.0 MiB`, `3.2 GiB` (every memory figure the command gives).
fn memory_text(bytes: f64) -> String {
    let mib = bytes / (1u64 << 20) as f64;
    if mib < 1024.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{:.1} GiB", mib / 1024.0)
    }
}

/// A size of files in bytes as a reader takes it in: `850 KB`, `57.5 MB`, `3.2 GB`.
fn size_text(bytes: f64) -> String {
    match bytes {
        b if b < 1e6 => format!("{:.0} KB", (b / 1e3).max(1.0)),
        b if b < 1e9 => format!("{:.1} MB", b / 1e6),
        b => format!("{:.1} GB", b / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::cgroup_room;
    use std::path::Path;

    fn files(list: &'static [(&'static str, &'static str)]) -> impl Fn(&Path) -> Option<String> {
        move |p: &Path| {
            list.iter()
                .find(|(f, _)| Path::new(f) == p)
                .map(|(_, t)| t.to_string())
        }
    }

    #[test]
    fn the_room_under_a_control_groups_memory_limit() {
        // cgroup v2, a SLURM job's group limited to 4 GiB with 1 GiB used.
        let v2 = files(&[
            ("/sys/fs/cgroup/slurm/job_7/memory.max", "4294967296\n"),
            ("/sys/fs/cgroup/slurm/job_7/memory.current", "1073741824\n"),
        ]);
        assert_eq!(cgroup_room("0::/slurm/job_7\n", &v2), Some(3 << 30));
        // No limit.
        let max = files(&[("/sys/fs/cgroup/memory.max", "max\n")]);
        assert_eq!(cgroup_room("0::/\n", &max), None);
        // cgroup v1, inside a container: the group's files at the mount's root.
        let v1 = files(&[
            ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "104857600\n"),
            ("/sys/fs/cgroup/memory/memory.usage_in_bytes", "4857600\n"),
        ]);
        let text = "5:devices:/\n4:memory:/docker/abc\n0::/\n";
        assert_eq!(cgroup_room(text, &v1), Some(100_000_000));
        // v1 without a limit (a number near 2^63).
        let unlimited = files(&[(
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "9223372036854771712\n",
        )]);
        assert_eq!(cgroup_room("4:memory:/x\n", &unlimited), None);
        // Nothing readable: no limit known.
        assert_eq!(cgroup_room("4:memory:/x\n", &files(&[])), None);
    }
}
