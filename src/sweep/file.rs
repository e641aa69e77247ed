//! Sweep files (TOML): the base scenario, the parameters and their values,
//! the design and the replicates.
//!
//! ```toml
//! name = "harm-sweep"
//! scenario = "../bully-target-stays.toml"   # relative to this file
//! seed = 1
//! replicates = 4
//! design = "grid"                           # grid, random or lhs
//! steps = 500                               # optional: overrides the scenario's
//!
//! [parameters]
//! "rules.coercion.harm" = { values = [0.1, 0.3, 0.5] }
//! "agents.employee.exit_cost" = { from = 0.0, to = 1.0, steps = 5 }
//! "rules.tactics.stake" = { from = 0.001, to = 0.1, steps = 3, scale = "log" }
//! ```
//!
//! With `design = "random"` or `"lhs"`, each parameter gives `low` and
//! `high` (and optionally `scale = "log"`) and the file gives `samples`.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::error::{Error, InputErrors, Result};
use crate::portable::{exp, ln};
use crate::rng::{purpose, stream};
use crate::scenario::reader::{as_number, near_miss, suggest, Ctx, Table};
use crate::scenario::{self, Scenario};

/// Most runs a sweep may ask for without `--force`.
pub const MAX_RUNS: u64 = 10_000_000;

/// Most parameter points a sweep may have, even with `--force` (each is held
/// in memory and its scenario checked before the sweep starts, about 30 µs a
/// point; replicates, which cost nothing to check, are not limited by this).
pub const MAX_POINTS: u64 = 1_000_000;

/// How parameter points are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Design {
    /// Every combination of the parameters' values.
    Grid,
    /// `samples` independent uniform draws.
    Random {
        /// Number of points.
        samples: usize,
    },
    /// A Latin hypercube of `samples` points.
    Lhs {
        /// Number of points.
        samples: usize,
    },
    /// Saltelli's cross-sampling of a Sobol sequence with `samples` base
    /// points: `samples * (d + 2)` points, from which first-order and total
    /// Sobol indices are estimated (see [`crate::sensitivity`]).
    Sobol {
        /// Base points.
        samples: usize,
    },
}

impl Design {
    /// The design's name.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Random { .. } => "random",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
        }
    }
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its path in the scenario, such as `rules.coercion.harm`.
    pub path: String,
    /// Its values (grid designs).
    pub values: Vec<f64>,
    /// Its range and scale (sampled designs): low, high, logarithmic.
    pub range: Option<(f64, f64, bool)>,
    /// Line and column of its key in the sweep file, for messages about
    /// the values it takes.
    pub line_col: Option<(usize, usize)>,
}

/// At most this many problems are reported from checking a sweep's points.
const MAX_POINT_PROBLEMS: usize = 20;

/// A validated sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Name.
    pub name: String,
    /// The sweep file, as given.
    pub source: String,
    /// The base scenario's path.
    pub scenario_path: PathBuf,
    /// The base scenario and the files it extends (child first).
    chain: Vec<(String, Vec<u8>)>,
    /// The sweep file, the base scenario and the files it extends, as read,
    /// each at its path relative to the folder above the sweep file's (the
    /// folder the base scenario must lie in): what a sweep copies into its
    /// output folder, so that the folder alone repeats it. Empty when a
    /// path there cannot be written as plain names.
    pub inputs: Vec<scenario::InputFile>,
    /// Sweep seed.
    pub seed: u64,
    /// Replicates per point.
    pub replicates: u64,
    /// Steps per run (None: the scenario's).
    pub steps: Option<u64>,
    /// Design.
    pub design: Design,
    /// Parameters, in file order.
    pub parameters: Vec<Parameter>,
    /// The points: one value per parameter.
    pub points: Vec<Vec<f64>>,
    /// The largest memory estimate of one run over the points, in bytes
    /// ([`Scenario::estimated_bytes`]).
    pub max_estimated_bytes: f64,
    /// The most agents of any point.
    pub max_agents: u64,
    /// Agents summed over the points (one replicate each).
    pub point_agents: f64,
    /// Agents times steps summed over the points (one replicate each): the
    /// work of one replicate of the design, for time estimates.
    pub point_agent_steps: f64,
    /// What the sweep's runs will not do that their scenarios ask for
    /// (events after the last step: a swept event parameter that varies
    /// nothing), each a sentence naming the points.
    pub warnings: Vec<String>,
    /// Whether the base scenario is valid on its own (asked once, when a
    /// point's problem lies in the base's files: only then is it the
    /// point's doing).
    base_ok: std::sync::OnceLock<bool>,
}

impl Sweep {
    /// Total runs: points times replicates.
    pub fn total_runs(&self) -> u64 {
        self.points.len() as u64 * self.replicates
    }

    /// The run id of a point's replicate.
    pub fn run_id(&self, point: usize, replicate: u64) -> u64 {
        point as u64 * self.replicates + replicate
    }

    /// The point and replicate of a run id.
    pub fn point_of(&self, run_id: u64) -> (usize, u64) {
        (
            (run_id / self.replicates) as usize,
            run_id % self.replicates,
        )
    }

    /// The seed of a run: mixed from the sweep seed, the point and the
    /// replicate. In a sobol design the `d + 2` points of one base sample
    /// (its `A`, `AB_j` and `B` rows) share their replicates' seeds — common
    /// random numbers — so that two rows differ only by the parameters
    /// that differ between them: a parameter that changes nothing gets
    /// indices of exactly 0, instead of the replicates' noise.
    pub fn run_seed(&self, point: usize, replicate: u64) -> u64 {
        let unit = match self.design {
            Design::Sobol { .. } => point / (self.parameters.len() + 2),
            _ => point,
        };
        crate::rng::mix(&[self.seed, unit as u64, replicate]) >> 1
    }

    /// SHA-256 of the base scenario's files (child first): the
    /// `scenario_sha256` a run of the base scenario records.
    pub fn scenario_sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (_, bytes) in &self.chain {
            h.update(bytes);
        }
        format!("{:x}", h.finalize())
    }

    /// SHA-256 of the sweep as defined: its points, replicates, steps and
    /// seed, powerdyn's version and [`crate::MODEL_REVISION`], and the bytes
    /// of the base scenario and the files it extends.
    /// A sweep resumes only into a folder started by the same sweep.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(format!(
            "{} {} {:?} {}\n",
            self.seed,
            self.replicates,
            self.steps,
            self.design.name()
        ));
        h.update(format!(
            "powerdyn {} model {}\n",
            env!("CARGO_PKG_VERSION"),
            crate::MODEL_REVISION
        ));
        for p in &self.parameters {
            h.update(p.path.as_bytes());
            h.update(b"\n");
        }
        for pt in &self.points {
            for v in pt {
                h.update(v.to_le_bytes());
            }
        }
        for (_, bytes) in &self.chain {
            h.update(bytes);
        }
        format!("{:x}", h.finalize())
    }

    /// The TOML that sets a point's values over the base scenario.
    pub fn overrides(&self, point: usize) -> String {
        self.overrides_by_line(point).0
    }

    /// [`Sweep::overrides`] and, for each of its lines, the parameter it
    /// sets (the index into [`Sweep::parameters`]).
    fn overrides_by_line(&self, point: usize) -> (String, Vec<usize>) {
        let mut root = String::new();
        let mut arrays = String::new();
        let (mut root_lines, mut array_lines) = (Vec::new(), Vec::new());
        for (q, (p, &v)) in self.parameters.iter().zip(&self.points[point]).enumerate() {
            let value = if v.fract() == 0.0 && v.abs() < 9.0e15 {
                format!("{}", v as i64)
            } else {
                format!("{v:?}")
            };
            let seg: Vec<&str> = p.path.split('.').collect();
            if matches!(
                seg[0],
                "agents" | "populations" | "intersections" | "events"
            ) {
                arrays.push_str(&format!(
                    "[[{}]]\nname = \"{}\"\n{} = {}\n",
                    seg[0],
                    seg[1],
                    seg[2..].join("."),
                    value
                ));
                array_lines.extend([q; 3]);
            } else {
                root.push_str(&format!("{} = {}\n", p.path, value));
                root_lines.push(q);
            }
        }
        root_lines.extend(array_lines);
        (root + &arrays, root_lines)
    }

    /// Validates every point's scenario (in parallel; the first error in
    /// point order is returned) and returns the largest memory estimate of
    /// one run, the most agents of any point, and the agents and the agents
    /// times steps summed over the points.
    pub fn check_points(&self) -> Result<(f64, u64, f64, f64, Vec<String>)> {
        use rayon::prelude::*;
        // A point's columns are kept only where they differ from point 0's
        // (about 3 KB of names a point: a design of 10^6 points held 3 GB).
        // (A point 0 that does not parse is reported with the others below.)
        let f = self
            .scenario_at(0)
            .ok()
            .map(|s| crate::metrics::columns_of(&s));
        type Checked = (f64, u64, u64, Option<Vec<String>>, Vec<String>);
        let checked: Vec<Result<Checked>> = (0..self.points.len())
            .into_par_iter()
            .map(|p| {
                self.scenario_at(p).map(|s| {
                    let steps = self.steps.unwrap_or(s.steps);
                    let cols = crate::metrics::columns_of(&s);
                    (
                        s.estimated_bytes(),
                        s.n_agents(),
                        steps,
                        f.as_ref().filter(|f| **f != cols).map(|_| cols),
                        s.unreached_events(steps),
                    )
                })
            })
            .collect();
        let (mut bytes, mut agents) = (0.0f64, 0u64);
        let (mut all_agents, mut agent_steps) = (0.0f64, 0.0f64);
        // Each unreached event with the points it does not happen at.
        let mut unreached: Vec<(String, Vec<usize>)> = Vec::new();
        // Each problem once, at the first point that has it (a parameter's
        // bad value is the same mistake at every point that takes it).
        let mut problems: Vec<crate::error::Diagnostic> = Vec::new();
        // (Other errors, none today, come in point order below.)
        let at_a_point = format!("{} (point ", self.source);
        let place = |d: &crate::error::Diagnostic| {
            let file = if d.file.starts_with(&at_a_point) {
                self.source.clone()
            } else {
                d.file.clone()
            };
            (file, d.line_col, d.path.clone(), d.help.clone())
        };
        let mut more = false;
        for c in &checked {
            if let Err(Error::Input(e)) = c {
                for d in &e.0 {
                    let seen = problems.iter().any(|q| place(q) == place(d));
                    if !seen && problems.len() < MAX_POINT_PROBLEMS {
                        problems.push(d.clone());
                    } else if !seen {
                        more = true;
                    }
                }
            }
        }
        // In file order (a later parameter's value may fail at an earlier
        // point): the sweep file's lines, then the scenario's.
        // (Stable: the other files' problems keep their order.)
        problems.sort_by_key(|d| {
            let other = place(d).0 != self.source;
            (
                other,
                !other && d.line_col.is_none(),
                if other { None } else { d.line_col },
            )
        });
        if more {
            problems.push(crate::error::Diagnostic {
                file: self.source.clone(),
                line_col: None,
                path: String::new(),
                message: format!(
                    "more problems at other points: only the first {MAX_POINT_PROBLEMS} are shown"
                ),
                help: Some("fix these and check the sweep again".to_string()),
            });
        }
        if !problems.is_empty() {
            return Err(Error::Input(crate::error::InputErrors(problems)));
        }
        for (p, c) in checked.into_iter().enumerate() {
            let (b, a, steps, cols, late) = c?;
            for w in late {
                // The sentence less its step (which a swept `from` varies).
                let key = w.split(" at step ").next().unwrap_or(&w).to_string();
                match unreached.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, points)) => points.push(p),
                    None => unreached.push((key, vec![p])),
                }
            }
            bytes = bytes.max(b);
            agents = agents.max(a);
            all_agents += a as f64;
            agent_steps += a as f64 * steps as f64;
            // (Columns differ only where point 0's were read.)
            if let (Some(cols), Some(f)) = (cols, f.as_deref()) {
                let only = |x: &[String], y: &[String]| -> Vec<String> {
                    x.iter().filter(|c| !y.contains(c)).cloned().collect()
                };
                let mut how = Vec::new();
                for (word, names) in [("without", only(f, &cols)), ("with", only(&cols, f))] {
                    if !names.is_empty() {
                        how.push(format!("{word} {}", names.join(", ")));
                    }
                }
                if how.is_empty() {
                    how.push("in another order".to_string());
                }
                return Err(Error::input(
                    self.source.clone(),
                    format!(
                        "point {p} ({}) writes other metric columns than point 0 ({}): {}; all runs of a sweep share one time series",
                        self.point_values(p),
                        self.point_values(0),
                        how.join(" and "),
                    ),
                    Some("keep parameters that switch columns (a rule turned on or off, hierarchy_max_agents across the group size, groups) out of the sweep, or sweep each setting separately"),
                ));
            }
        }
        let n = self.points.len();
        let swept_events = self
            .parameters
            .iter()
            .any(|p| p.path.starts_with("events."));
        let warnings = unreached
            .into_iter()
            .map(|(event, points)| {
                let which = if points.len() == n {
                    "at any point".to_string()
                } else {
                    let shown: Vec<String> = points.iter().take(5).map(|p| p.to_string()).collect();
                    let more = if points.len() > 5 { ", ..." } else { "" };
                    format!(
                        "at {} of {n} points ({}{more})",
                        points.len(),
                        shown.join(", ")
                    )
                };
                let so = if swept_events {
                    ", so what the sweep varies of it changes nothing there"
                } else {
                    ""
                };
                format!("{event} never happens {which}: it starts after the runs' last step{so}")
            })
            .collect();
        Ok((bytes, agents, all_agents, agent_steps, warnings))
    }

    /// `path = value` for each parameter of point `point`.
    fn point_values(&self, point: usize) -> String {
        self.parameters
            .iter()
            .zip(&self.points[point])
            // A huge value in exponent form, not in its hundreds of digits.
            .map(|(p, v)| {
                if v.abs() >= 1e15 {
                    format!("{} = {v:e}", p.path)
                } else {
                    format!("{} = {v}", p.path)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The scenario of a point, validated.
    pub fn scenario_at(&self, point: usize) -> Result<Scenario> {
        self.scenario_at_named(point, true)
    }

    /// [`Sweep::scenario_at`]; with `name_point` false, messages about a
    /// value do not name the point (for a point made only to check one
    /// parameter's value, which the sweep itself may not have).
    fn scenario_at_named(&self, point: usize, name_point: bool) -> Result<Scenario> {
        // Messages about the point name it and its values. The text laid
        // over the base is generated, so its lines mean nothing to the
        // user: a problem with a value there is placed at the parameter's
        // key in the sweep file and named by the parameter's path.
        let label = format!(
            "{} (point {point}: {})",
            self.source,
            self.point_values(point)
        );
        let (text, owners) = self.overrides_by_line(point);
        let mut chain = vec![(label.clone(), text.into_bytes())];
        chain.extend(self.chain.iter().cloned());
        scenario::parse_chain(chain).map_err(|mut e| {
            for d in &mut e.0 {
                if d.file != label {
                    // A problem the point's values make in the base
                    // scenario (too few agents for its network, say) is
                    // placed there, and names the point; one the base has
                    // on its own (a misspelt key) does not.
                    let base_ok = || {
                        *self
                            .base_ok
                            .get_or_init(|| scenario::parse_chain(self.chain.clone()).is_ok())
                    };
                    if name_point && base_ok() {
                        d.message = format!(
                            "{} at point {point} ({})",
                            d.message,
                            self.point_values(point)
                        );
                    }
                    continue;
                }
                let owner = d
                    .line_col
                    .and_then(|(line, _)| owners.get(line.wrapping_sub(1)))
                    .map(|&q| &self.parameters[q]);
                match owner {
                    Some(p) if p.line_col.is_some() => {
                        d.file = self.source.clone();
                        d.line_col = p.line_col;
                        d.path = format!("parameters.\"{}\"", p.path);
                        // A key that takes a word or a switch: a sweep's
                        // values are numbers, so no quoting helps.
                        if d.message.starts_with("expected a string")
                            || d.message.starts_with("expected true or false")
                        {
                            d.help = Some(format!(
                                "a sweep varies numbers only, and {} takes {}: run one sweep for each setting, over scenarios that set it (extends)",
                                p.path,
                                if d.message.starts_with("expected a string") { "a word" } else { "true or false" }
                            ));
                        }
                        if d.message.contains("whole number") && !matches!(self.design, Design::Grid)
                        {
                            d.help = Some(format!(
                                "a {} design draws real numbers: sweep a whole-number key (a count, a step) with design = \"grid\" and values or from/to/steps",
                                self.design.name()
                            ));
                        }
                        if name_point {
                            d.message = format!(
                                "{} at point {point} ({})",
                                d.message,
                                self.point_values(point)
                            );
                        }
                    }
                    _ => d.line_col = None,
                }
            }
            Error::Input(e)
        })
    }
}

/// The layout of [`Sweep::inputs`]: the sweep file at `path` (`text`) and
/// the base scenario at `target` with its chain `chain` (paths relative to
/// the scenario's folder), relative to `root`, the folder above the sweep
/// file's. Empty when a path cannot be written as plain names.
fn copy_layout(
    path: &Path,
    text: &[u8],
    target: &Path,
    chain: &[scenario::ChainFile],
    root: Option<&Path>,
) -> Vec<scenario::InputFile> {
    // The folder `dir`, relative to `root`: plain names joined by `/`
    // (empty for `root` itself).
    let prefix = |dir: &Path| -> Option<String> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let c = dir.canonicalize().ok()?;
        let rel = c.strip_prefix(root?).ok()?;
        let parts = rel
            .components()
            .map(|c| match c {
                std::path::Component::Normal(n) => {
                    n.to_str().filter(|n| scenario::plain_file_name(n))
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        Some(parts.join("/"))
    };
    let join = |dir: String, rel: &str| {
        if dir.is_empty() {
            rel.to_string()
        } else {
            format!("{dir}/{rel}")
        }
    };
    let layout = || -> Option<Vec<scenario::InputFile>> {
        let name = path
            .file_name()?
            .to_str()
            .filter(|n| scenario::plain_file_name(n))?;
        let mut files = vec![scenario::InputFile {
            path: join(prefix(path.parent()?)?, name),
            bytes: text.into(),
        }];
        let scenario_dir = prefix(target.parent()?)?;
        for (_, rel, bytes) in chain {
            files.push(scenario::InputFile {
                path: join(scenario_dir.clone(), rel.as_deref()?),
                bytes: bytes.as_slice().into(),
            });
        }
        // A sweep beside its scenario under the same name (not possible on
        // one disk, but a symbolic link could do it): no copies.
        let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        (paths.len() == files.len()).then_some(files)
    };
    layout().unwrap_or_default()
}

/// Reads and validates a sweep file.
pub fn load(path: &Path, force: bool) -> Result<Sweep> {
    load_with(path, force, true)
}

/// [`load`] without checking every point (only the first): the sweep's
/// definition and [`Sweep::hash`], quickly, for a sweep already checked.
pub fn load_definition(path: &Path) -> Result<Sweep> {
    load_with(path, true, false)
}

fn load_with(path: &Path, force: bool, every_point: bool) -> Result<Sweep> {
    let shown = path.display().to_string();
    let bytes = scenario::read_input_file(path).map_err(|e| {
        Error::input(
            &shown,
            format!("the sweep file {e}"),
            Some("check the path; sweep files are .toml text files"),
        )
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        Error::input(
            &shown,
            "the file is not UTF-8 text",
            Some("save it as UTF-8 TOML"),
        )
    })?;
    if scenario::file_kind(&bytes) == Some(scenario::FileKind::Scenario) {
        return Err(Error::input(
            &shown,
            "this is a scenario file (it has agents or a network, and no base `scenario` or [parameters]), not a sweep",
            Some(&format!(
                "run it with `powerdyn run {shown}`, or write a sweep file that names it as its `scenario` (docs/sweeps.md)"
            )),
        ));
    }
    let mut ctx = Ctx::new(&shown, text);
    let doc = match DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let (msg, help) = crate::scenario::reader::syntax_error(text, e.message(), e.span());
            ctx.error(e.span(), "", msg, help);
            return Err(Error::Input(InputErrors(ctx.diags)));
        }
    };
    let mut t = Table::new(doc.get_ref(), doc.span(), "");
    let name = t
        .string(&mut ctx, "name")
        .map(|s| s.into_inner())
        .unwrap_or_else(|| "sweep".into());
    if let Err(why) = scenario::check_name(&name) {
        ctx.error(
            Some(t.span()),
            "name",
            format!("the sweep name {why}"),
            "use letters, digits, '_', '-' and '.'",
        );
    }
    let scenario_rel = t.string(&mut ctx, "scenario");
    let seed = t.u64(&mut ctx, "seed", 1, 0, u64::MAX >> 1);
    let replicates = t.u64(&mut ctx, "replicates", 1, 1, 1_000_000);
    let steps = t
        .has("steps")
        .then(|| t.u64(&mut ctx, "steps", 1, 1, scenario::MAX_STEPS));
    let design_name = t.string(&mut ctx, "design");
    let samples = t.u64(&mut ctx, "samples", 0, 1, 100_000_000) as usize;
    // An unknown design has its own error: the parameters are then not
    // checked against a design the file did not ask for.
    let mut design_known = true;
    let design = match design_name
        .as_ref()
        .map(|d| d.get_ref().as_str())
        .unwrap_or("grid")
    {
        "grid" => Design::Grid,
        "random" => Design::Random { samples },
        "lhs" => Design::Lhs { samples },
        "sobol" => Design::Sobol { samples },
        other => {
            let span = design_name.as_ref().map(|d| d.span());
            ctx.error(
                span,
                "design",
                format!("unknown design `{other}`"),
                suggest(other, &["grid", "random", "lhs", "sobol"]),
            );
            design_known = false;
            Design::Grid
        }
    };
    if matches!(design, Design::Grid) && t.has("samples") && design_known {
        ctx.error(
            t.get("samples").map(|x| x.span()),
            "samples",
            "a grid design takes no samples: its points are every combination of the values",
            "remove samples, or choose design = \"lhs\", \"random\" or \"sobol\"",
        );
    }
    if matches!(design, Design::Sobol { samples: 1 }) {
        ctx.error(
            t.get("samples").map(|x| x.span()),
            "samples",
            "a sobol design needs samples >= 2: one base sample gives no variance to apportion",
            "give samples = 2^k, such as 64 or 256",
        );
    }
    // (A `samples` out of range has its own error.)
    if !matches!(design, Design::Grid) && !t.has("samples") {
        ctx.error(
            Some(t.span()),
            "samples",
            format!("design = \"{}\" needs samples", design.name()),
            "add samples = <number of points>",
        );
    }
    let mut parameters = Vec::new();
    // Whether each parameter kept has a problem of its own, and how many
    // entries [parameters] has (kept or not).
    let mut flawed: Vec<bool> = Vec::new();
    let mut entries = 0usize;
    match t.table(&mut ctx, "parameters") {
        None => ctx.error(
            Some(t.span()),
            "parameters",
            "missing the [parameters] table",
            "add [parameters] with at least one parameter",
        ),
        Some(pt) => {
            for (k, v) in pt.entries() {
                entries += 1;
                let problems_before = ctx.diags.len();
                let path = k.get_ref().to_string();
                let field = format!("parameters.\"{path}\"");
                let seg: Vec<&str> = path.split('.').collect();
                let arrays = matches!(
                    seg[0],
                    "agents" | "populations" | "intersections" | "events"
                );
                // Each segment a bare TOML key (the path is written into the
                // overrides as it is, so nothing else may pass).
                let bare = |s: &&str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                };
                // Keys the sweep sets itself: a value swept there would be ignored.
                let overridden = match path.as_str() {
                    "seed" => Some((
                        "each run's seed is mixed from the sweep's `seed`, the point and the replicate",
                        "remove it: more replicates give more seeds, and the sweep's `seed` changes them all",
                    )),
                    "steps" if steps.is_some() => Some((
                        "the sweep file's own `steps` sets every run's steps",
                        "remove the sweep file's `steps` to sweep it, or remove this parameter",
                    )),
                    _ => None,
                };
                if let Some((why, help)) = overridden {
                    ctx.error(
                        Some(k.span()),
                        &field,
                        format!("`{path}` cannot be swept: {why}"),
                        help,
                    );
                    continue;
                }
                // `rules.coercion.harm = { ... }` without quotes nests
                // tables (rules -> coercion -> harm): say to quote the path.
                const SPEC: [&str; 7] = ["values", "from", "to", "steps", "low", "high", "scale"];
                let has_spec = |t: &DeTable<'_>| {
                    t.iter()
                        .any(|(k2, _)| SPEC.contains(&k2.get_ref().as_ref()))
                };
                let nested = match v.get_ref() {
                    DeValue::Table(spec) => {
                        !has_spec(spec)
                            && spec
                                .iter()
                                .any(|(_, x)| matches!(x.get_ref(), DeValue::Table(_)))
                    }
                    _ => false,
                };
                if let (true, DeValue::Table(spec)) = (nested, v.get_ref()) {
                    let mut full = path.clone();
                    let mut cur = spec;
                    while cur.len() == 1 {
                        let Some((k2, x)) = cur.iter().next() else {
                            break;
                        };
                        let DeValue::Table(t2) = x.get_ref() else {
                            break;
                        };
                        full.push('.');
                        full.push_str(k2.get_ref());
                        cur = t2;
                        if has_spec(cur) {
                            break;
                        }
                    }
                    ctx.error(
                        Some(k.span()),
                        &field,
                        format!("`{path}` holds tables, not a sweep: a dotted key without quotes nests tables"),
                        format!("quote the whole path: \"{full}\" = {{ values = [...] }}"),
                    );
                    continue;
                }
                if (arrays && seg.len() < 3) || !seg.iter().all(bare) {
                    ctx.error(
                        Some(k.span()),
                        &field,
                        format!("`{path}` is not a parameter path"),
                        "write a path of letters, digits, '_' and '-' joined by dots, such as rules.coercion.harm or populations.worker.exit_cost",
                    );
                    continue;
                }
                let DeValue::Table(spec) = v.get_ref() else {
                    // A key of the sweep itself written below [parameters]
                    // belongs, in TOML, to [parameters].
                    let own = [
                        "name",
                        "scenario",
                        "seed",
                        "replicates",
                        "design",
                        "samples",
                        "steps",
                    ];
                    if own.contains(&path.as_str()) {
                        ctx.error(
                            Some(k.span()),
                            &field,
                            format!("`{path}` is a key of the sweep itself, written here under [parameters]"),
                            "move it above [parameters] (in TOML a key belongs to the table above it)",
                        );
                        continue;
                    }
                    ctx.error(
                        Some(v.span()),
                        &field,
                        "expected a table",
                        "write { values = [...] } or { from = .., to = .., steps = .. }",
                    );
                    continue;
                };
                let mut s = Table::new(spec, v.span(), field.clone());
                let log = match s.string(&mut ctx, "scale") {
                    Some(x) if x.get_ref() == "log" => true,
                    Some(x) if x.get_ref() == "linear" => false,
                    Some(x) => {
                        ctx.error(
                            Some(x.span()),
                            &format!("{field}.scale"),
                            format!("unknown scale `{}`", x.get_ref()),
                            "use linear or log",
                        );
                        false
                    }
                    None => false,
                };
                // The forms given, for the design's check below: a form
                // given with a mistake has the mistake's error, a form the
                // design does not take is a mistake of its own.
                let ranged = s.has("from") || s.has("to") || s.has("steps");
                let listed = s.has("values") || ranged;
                let bounded = s.has("low") || s.has("high");
                // Two forms at once: say which to keep rather than merge them.
                if s.has("values") && ranged {
                    ctx.error(
                        Some(v.span()),
                        &field,
                        "both values and a from/to/steps range: a parameter takes one of them",
                        "keep values = [...] or the range, not both",
                    );
                    continue;
                }
                if listed && bounded {
                    ctx.error(
                        Some(v.span()),
                        &field,
                        "both grid values (values or from/to/steps) and a sampled range (low/high): a parameter takes the form of its design",
                        match design {
                            Design::Grid => "a grid design takes values or from/to/steps: remove low and high",
                            _ => "a sampled design takes low and high: remove values, from, to and steps",
                        },
                    );
                    continue;
                }
                if s.has("values") && s.has("scale") {
                    ctx.error(
                        s.get("scale").map(|x| x.span()),
                        &format!("{field}.scale"),
                        "scale spaces a range; listed values are taken as they are",
                        "remove scale, or give a range (from/to/steps, or low/high)",
                    );
                }
                let mut values = Vec::new();
                if let Some(vs) = s.get("values") {
                    match vs.get_ref() {
                        DeValue::Array(items) if !items.is_empty() => {
                            // Where each value was first listed.
                            let mut listed_at = Vec::new();
                            for (at, it) in items.iter().enumerate() {
                                match as_number(it.get_ref()) {
                                    Some(x) if x.is_finite() && values.contains(&x) => ctx.error(
                                        Some(it.span()),
                                        &format!("{field}.values"),
                                        format!(
                                            "{x} is listed already, as values[{}]: two points would be the same",
                                            values.iter().position(|&v| v == x).map_or(0, |k| listed_at[k])
                                        ),
                                        "list each value once; replicates = N gives each point more runs",
                                    ),
                                    Some(x) if x.is_finite() => {
                                        values.push(x);
                                        listed_at.push(at);
                                    }
                                    Some(x) => ctx.error(
                                        Some(it.span()),
                                        &format!("{field}.values"),
                                        crate::scenario::reader::non_finite_problem(it.get_ref(), x),
                                        "list finite numbers",
                                    ),
                                    None => ctx.error(
                                        Some(it.span()),
                                        &format!("{field}.values"),
                                        "expected a finite number",
                                        "list numbers",
                                    ),
                                }
                            }
                        }
                        _ => ctx.error(
                            Some(vs.span()),
                            &format!("{field}.values"),
                            "the list of values is empty or not a list",
                            "list at least one number",
                        ),
                    }
                }
                if ranged {
                    let from = s.req_f64(&mut ctx, "from", -1e15, 1e15);
                    let to = s.req_f64(&mut ctx, "to", -1e15, 1e15);
                    // (A `steps` given but refused has its own error.)
                    let had_steps = s.has("steps");
                    let n = s.u64(&mut ctx, "steps", 0, 1, 10_000_000);
                    if let (Some(a), Some(b)) = (from, to) {
                        if n == 0 {
                            if !had_steps {
                                ctx.error(
                                    Some(v.span()),
                                    &format!("{field}.steps"),
                                    "a range needs steps >= 1",
                                    "add steps = <number of values>",
                                );
                            }
                        } else if n > 1 && a == b {
                            ctx.error(
                                Some(v.span()),
                                &field,
                                format!("a range from {a} to {b} in {n} steps repeats {a}: its points would be the same"),
                                "give values = [x] for one value; replicates = N gives a point more runs",
                            );
                        } else if n == 1 && a != b {
                            ctx.error(
                                Some(v.span()),
                                &format!("{field}.steps"),
                                format!("a range of one step holds only from = {a}, not to = {b}"),
                                "give steps >= 2 to reach `to`, or values = [x] for one value",
                            );
                        } else if log && (a <= 0.0 || b <= 0.0) {
                            ctx.error(
                                Some(v.span()),
                                &field,
                                "a logarithmic range needs from and to > 0",
                                "use positive bounds or scale = \"linear\"",
                            );
                        } else if n > MAX_POINTS {
                            // Refused before its values are computed.
                            ctx.error(
                                Some(v.span()),
                                &format!("{field}.steps"),
                                format!("a range of {n} steps makes {n} parameter points; at most {MAX_POINTS} can be held, even with --force"),
                                "use fewer steps, or a sampled design (design = \"random\", \"lhs\" or \"sobol\")",
                            );
                        } else {
                            values.extend(range(a, b, n as usize, log));
                        }
                    }
                }
                let mut sampled = None;
                if s.has("low") || s.has("high") {
                    let lo = s.req_f64(&mut ctx, "low", -1e15, 1e15);
                    let hi = s.req_f64(&mut ctx, "high", -1e15, 1e15);
                    if let (Some(lo), Some(hi)) = (lo, hi) {
                        if hi < lo {
                            ctx.error(
                                Some(v.span()),
                                &field,
                                format!("the range is empty: low = {lo} is above high = {hi}"),
                                "give low <= high",
                            );
                        } else if log && lo <= 0.0 {
                            ctx.error(
                                Some(v.span()),
                                &field,
                                format!("a logarithmic range needs low > 0, found {lo}"),
                                "use a positive low or scale = \"linear\"",
                            );
                        } else {
                            sampled = Some((lo, hi, log));
                        }
                    }
                }
                match design {
                    _ if !design_known => {}
                    Design::Grid if !listed => ctx.error(
                        Some(v.span()),
                        &field,
                        "a grid design needs values or a from/to/steps range",
                        "add values = [...] or from, to and steps",
                    ),
                    Design::Random { .. } | Design::Lhs { .. } | Design::Sobol { .. }
                        if !bounded =>
                    {
                        ctx.error(
                            Some(v.span()),
                            &field,
                            format!("design = \"{}\" needs low and high", design.name()),
                            "add low and high (and scale = \"log\" for a log-uniform range)",
                        )
                    }
                    _ => {}
                }
                s.finish(&mut ctx);
                flawed.push(ctx.diags.len() > problems_before);
                parameters.push(Parameter {
                    path,
                    values,
                    range: sampled,
                    line_col: Some(ctx.line_col(k.span().start)),
                });
            }
            // A path inside another swept path: the two would set one table
            // and one of its keys (a duplicate key in the point's TOML).
            for p in &parameters {
                if let Some(q) = parameters
                    .iter()
                    .find(|q| q.path.starts_with(&format!("{}.", p.path)))
                {
                    ctx.diags.push(crate::error::Diagnostic {
                        file: shown.clone(),
                        line_col: p.line_col,
                        path: format!("parameters.\"{}\"", p.path),
                        message: format!(
                            "`{}` holds `{}`, which is swept too: a value cannot be swept beside a key inside it",
                            p.path, q.path
                        ),
                        help: Some(format!("sweep `{}` or `{}`, not both", p.path, q.path)),
                    });
                }
            }
            // (Parameters that were refused have their own errors.)
            if parameters.is_empty() && pt.entries().next().is_none() {
                ctx.error(
                    Some(pt.span()),
                    "parameters",
                    "no parameters to vary",
                    "add at least one parameter",
                );
            }
        }
    }
    t.finish(&mut ctx);
    // The base scenario: relative to the sweep file, inside its folder or the folder above.
    let mut scenario_path = PathBuf::new();
    let mut chain = Vec::new();
    let mut inputs = Vec::new();
    match &scenario_rel {
        None => {
            if !t_has_scenario(&doc) {
                ctx.error(
                    Some(doc.span()),
                    "scenario",
                    "missing the base `scenario`",
                    "add scenario = \"path/to/scenario.toml\"",
                );
            }
        }
        Some(rel) => {
            let here = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let allowed = here.join("..").canonicalize().ok();
            let target = here.join(rel.get_ref());
            match target.canonicalize() {
                _ if Path::new(rel.get_ref()).is_absolute() => {
                    ctx.error(Some(rel.span()), "scenario", "the base scenario's path is absolute", "give a path relative to the sweep file");
                }
                Ok(c) if allowed.as_ref().is_some_and(|a| c.starts_with(a)) => {
                    scenario_path = target.clone();
                    match scenario::read_input_file(&c) {
                        Ok(bytes) => match scenario::chain_files(&target, &target.display().to_string(), bytes) {
                            Ok(ch) => {
                                inputs = copy_layout(path, text.as_bytes(), &target, &ch, allowed.as_deref());
                                chain = ch.into_iter().map(|(s, _, b)| (s, b)).collect();
                            }
                            Err(e) => return Err(e),
                        },
                        Err(e) => ctx.error(Some(rel.span()), "scenario", format!("cannot read it: {e}"), "check the path"),
                    }
                }
                Ok(_) => ctx.error(
                    Some(rel.span()),
                    "scenario",
                    "the base scenario lies outside the sweep file's folder and the folder above it",
                    "keep sweeps beside or one folder below their scenarios",
                ),
                Err(e) => ctx.error(Some(rel.span()), "scenario", format!("cannot read `{}`: {e}", rel.get_ref()), "check the path"),
            }
        }
    }
    // Every problem at once: with mistakes in the file's own structure or
    // in the entries its parameters name, the parameters without one are
    // still checked against the base scenario (when it was read).
    let named = check_named_entries(&shown, &chain, &parameters);
    if !ctx.diags.is_empty() || !named.is_empty() {
        let mut diags = std::mem::take(&mut ctx.diags);
        if matches!(design, Design::Sobol { .. }) && entries > MAX_SOBOL_PARAMETERS {
            diags.push(too_many_for_sobol(&shown, entries));
        }
        let unnamed: Vec<usize> = named.iter().map(|(q, _)| *q).collect();
        diags.extend(named.into_iter().map(|(_, d)| d));
        // The parameters checked against the base scenario all the same.
        // When every one is sound (the mistakes are the file's own), at the
        // sweep's real points, as a sweep without those mistakes would be;
        // otherwise each sound one alone, for a misspelt path only (its
        // values with the base's other settings could be refused where the
        // sweep's points would not, or the other way round).
        // A sweep over `params` at `points`, to check them (not to run).
        let checking = |params: Vec<Parameter>, design: Design, points: Vec<Vec<f64>>| Sweep {
            name: name.clone(),
            source: shown.clone(),
            scenario_path: scenario_path.clone(),
            chain: chain.clone(),
            inputs: Vec::new(),
            seed,
            replicates,
            steps,
            design,
            points,
            parameters: params,
            max_estimated_bytes: 0.0,
            max_agents: 0,
            point_agents: 0.0,
            point_agent_steps: 0.0,
            warnings: Vec::new(),
            base_ok: std::sync::OnceLock::new(),
        };
        let all_sound = entries == parameters.len()
            && (0..parameters.len()).all(|q| !flawed[q] && !unnamed.contains(&q));
        let points = count_points(&parameters, design);
        if !chain.is_empty()
            && all_sound
            && design_known
            && points > 0
            && points <= MAX_POINTS as u128
            && !(matches!(design, Design::Sobol { .. }) && entries > MAX_SOBOL_PARAMETERS)
        {
            let whole = checking(
                parameters.clone(),
                design,
                design_points(&parameters, design, seed),
            );
            let checked = if every_point {
                whole.check_points().map(|_| ())
            } else {
                whole.scenario_at(0).map(|_| ())
            };
            if let Err(Error::Input(InputErrors(more))) = checked {
                diags.extend(more);
            }
        } else if !chain.is_empty() {
            for (q, p) in parameters.iter().enumerate() {
                if flawed[q] || unnamed.contains(&q) {
                    continue;
                }
                let value = p.values.first().copied().or(p.range.map(|r| r.0));
                let Some(value) = value else { continue };
                let alone = checking(vec![p.clone()], Design::Grid, vec![vec![value]]);
                if let Err(Error::Input(InputErrors(more))) = alone.scenario_at_named(0, false) {
                    diags.extend(
                        more.into_iter()
                            .filter(|d| d.file == shown && d.message.starts_with("unknown key")),
                    );
                }
            }
        }
        // The sweep file's problems top to bottom (those without a place
        // first), then the others as found; each once.
        diags.sort_by_key(|d| {
            let own = d.file == shown;
            (!own, if own { d.line_col } else { None })
        });
        let mut seen = std::collections::HashSet::new();
        diags.retain(|d| seen.insert((d.file.clone(), d.line_col, d.message.clone())));
        return Err(Error::Input(InputErrors(diags)));
    }
    if let Design::Sobol { .. } = design {
        if parameters.len() > MAX_SOBOL_PARAMETERS {
            return Err(Error::Input(InputErrors(vec![too_many_for_sobol(
                &shown,
                parameters.len(),
            )])));
        }
    }
    // Count the points before making them: a design too large to hold is
    // refused before anything is allocated.
    let n_points = count_points(&parameters, design);
    let runs = n_points.saturating_mul(replicates as u128);
    if n_points > MAX_POINTS as u128 {
        return Err(Error::input(
            &shown,
            format!("this sweep has {n_points} parameter points; at most {MAX_POINTS} can be held, even with --force"),
            Some("use fewer values or samples (replicates, up to 1000000 a point, do not count here: raise those instead)"),
        ));
    }
    if runs > MAX_RUNS as u128 && !force {
        return Err(Error::input(
            &shown,
            format!("this sweep makes {runs} runs; more than {MAX_RUNS} need --force"),
            Some("use fewer values, samples or replicates, or pass --force"),
        ));
    }
    let points = design_points(&parameters, design, seed);
    let sweep = Sweep {
        name,
        source: shown.clone(),
        scenario_path,
        chain,
        inputs,
        seed,
        replicates,
        steps,
        design,
        parameters,
        points,
        max_estimated_bytes: 0.0,
        max_agents: 0,
        point_agents: 0.0,
        point_agent_steps: 0.0,
        warnings: Vec::new(),
        base_ok: std::sync::OnceLock::new(),
    };
    // Every parameter path must exist (unknown keys are named with a
    // suggestion) and every value be in range: every point is checked, each
    // problem said once (at the first point that has it), so that nothing
    // out of range anywhere waits for its run. Without that, point 0.
    if !every_point && !sweep.points.is_empty() {
        sweep.scenario_at(0)?;
    }
    let mut sweep = sweep;
    if every_point {
        (
            sweep.max_estimated_bytes,
            sweep.max_agents,
            sweep.point_agents,
            sweep.point_agent_steps,
            sweep.warnings,
        ) = sweep.check_points()?;
        if sweep.inputs.is_empty() {
            sweep.warnings.push(
                "the sweep's files cannot all be written as plain names below the folder above the sweep file's, so its folder keeps no copy of them and gives no rerun".to_string()
            );
        }
        if let Design::Sobol { samples } = sweep.design {
            if !samples.is_power_of_two() {
                let (lo, hi) = (samples.next_power_of_two() / 2, samples.next_power_of_two());
                sweep.warnings.push(format!(
                    "samples = {samples} is not a power of two: a Sobol sequence is balanced over 2^k points (give {lo} or {hi})"
                ));
            }
        }
    }
    Ok(sweep)
}

/// A parameter of a named entry (`agents.<name>.<key>`, and the same for
/// `populations`, `intersections` and `events`) must name an entry the
/// scenario has: laid over the scenario, an entry of another name would be
/// added, as `extends` adds it, rather than varied — a misspelt name would
/// sweep a new agent with default settings and no ties.
fn check_named_entries(
    shown: &str,
    chain: &[(String, Vec<u8>)],
    parameters: &[Parameter],
) -> Vec<(usize, crate::error::Diagnostic)> {
    let mut diags = Vec::new();
    // A base scenario that could not be read has its own error: its
    // entries are unknown, not missing.
    if chain.is_empty() {
        return diags;
    }
    for (q, p) in parameters.iter().enumerate() {
        let seg: Vec<&str> = p.path.split('.').collect();
        let kind = seg[0];
        if !matches!(
            kind,
            "agents" | "populations" | "intersections" | "events" | "groups"
        ) || seg.len() < 2
        {
            continue;
        }
        let mut names: Vec<String> = Vec::new();
        let mut unnamed: Vec<String> = Vec::new();
        for (_, bytes) in chain {
            let Some(doc) = std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| DeTable::parse(t).ok())
            else {
                continue;
            };
            // Groups are a table of named tables ([groups.NAME]).
            if let Some(DeValue::Table(groups)) = doc.get_ref().get(kind).map(|v| v.get_ref()) {
                for (k, _) in groups.iter() {
                    if !names.iter().any(|m| m == k.get_ref().as_ref()) {
                        names.push(k.get_ref().to_string());
                    }
                }
                continue;
            }
            let Some(DeValue::Array(entries)) = doc.get_ref().get(kind).map(|v| v.get_ref()) else {
                continue;
            };
            for e in entries {
                if let DeValue::Table(t) = e.get_ref() {
                    match t.get("name").and_then(|v| v.get_ref().as_str()) {
                        Some(n) => {
                            if !names.iter().any(|m| m == n) {
                                names.push(n.to_string());
                            }
                        }
                        None => unnamed.push(
                            t.get("kind")
                                .and_then(|v| v.get_ref().as_str())
                                .unwrap_or("")
                                .to_string(),
                        ),
                    }
                }
            }
        }
        if names.iter().any(|n| n == seg[1]) {
            continue;
        }
        let entry = kind.trim_end_matches('s');
        let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
        // An unnamed entry (an event of that kind, say) is what was meant.
        let name_it = if unnamed.iter().any(|k| k == seg[1]) {
            format!(
                "the scenario's `{}` {entry} has no name: add name = \"{}\" to its [[{kind}]] table to sweep it",
                seg[1], seg[1]
            )
        } else if !unnamed.is_empty() {
            format!(
                "{} of its {kind} have no name: give the one you mean name = \"{}\" in its [[{kind}]] table",
                unnamed.len(),
                seg[1]
            )
        } else {
            String::new()
        };
        let help = match (
            names.is_empty(),
            near_miss(seg[1], candidates.iter().copied()),
        ) {
            _ if !name_it.is_empty() && near_miss(seg[1], candidates.iter().copied()).is_none() => {
                name_it
            }
            (true, _) => {
                format!("the scenario has no named {kind}; a sweep varies what the scenario has")
            }
            (false, Some(c)) => format!(
                "did you mean `{c}`? (its {kind}: {}; a sweep varies what the scenario has)",
                names.join(", ")
            ),
            (false, None) => format!(
                "its {kind}: {}; a sweep varies what the scenario has",
                names.join(", ")
            ),
        };
        diags.push((
            q,
            crate::error::Diagnostic {
                file: shown.to_string(),
                line_col: p.line_col,
                path: format!("parameters.\"{}\"", p.path),
                message: format!("the scenario has no {entry} named `{}`", seg[1]),
                help: Some(help),
            },
        ));
    }
    diags
}

/// Most parameters a sobol design takes.
const MAX_SOBOL_PARAMETERS: usize = 10;

/// The problem of a sobol design over `n` parameters, more than it takes.
fn too_many_for_sobol(shown: &str, n: usize) -> crate::error::Diagnostic {
    crate::error::Diagnostic {
        file: shown.to_string(),
        line_col: None,
        path: "parameters".to_string(),
        message: format!(
            "a sobol design takes at most {MAX_SOBOL_PARAMETERS} parameters; this sweep has {n}"
        ),
        help: Some("vary fewer parameters, or use lhs".to_string()),
    }
}

/// The number of points a design makes of `parameters` (counted before
/// they are made, so that a design too large to hold is refused first).
fn count_points(parameters: &[Parameter], design: Design) -> u128 {
    match design {
        Design::Grid => parameters
            .iter()
            .map(|p| p.values.len() as u128)
            .fold(1u128, |a, b| a.saturating_mul(b)),
        Design::Random { samples } | Design::Lhs { samples } => samples as u128,
        Design::Sobol { samples } => samples as u128 * (parameters.len() as u128 + 2),
    }
}

fn t_has_scenario(doc: &toml::Spanned<DeTable<'_>>) -> bool {
    doc.get_ref().iter().any(|(k, _)| k.get_ref() == "scenario")
}

/// `n` values from `a` to `b`, each computed from its index (no accumulated
/// rounding); the last is exactly `b`. Logarithmic spacing with `log`.
pub fn range(a: f64, b: f64, n: usize, log: bool) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    let exact: Vec<f64> = (0..n)
        .map(|k| {
            if k == 0 {
                a
            } else if k == n - 1 {
                b
            } else if log {
                let (la, lb) = (ln(a), ln(b));
                exp(la + (lb - la) * k as f64 / (n - 1) as f64)
            } else {
                a + (b - a) * k as f64 / (n - 1) as f64
            }
        })
        .collect();
    let last = n - 1;
    let rounded: Vec<f64> = exact
        .iter()
        .enumerate()
        .map(|(k, &x)| if k == 0 || k == last { x } else { round15(x) })
        .collect();
    // In a range narrower than the 15th digit, rounding could tie two values
    // or step past an end: the values are then kept unrounded.
    let order = |v: &[f64]| {
        v.windows(2)
            .map(|w| w[0].partial_cmp(&w[1]))
            .collect::<Vec<_>>()
    };
    if order(&rounded) == order(&exact) {
        rounded
    } else {
        exact
    }
}

/// `x` as the shortest decimal within 4e-15 of it (relative), or else
/// rounded to 15 significant digits: this drops the last bits that
/// floating-point steps leave (0.010000000000000005 and
/// 0.0000999999999999999 for 10^-2 and 10^-4 on a log scale,
/// 0.30000000000000004 on a linear one), so that the values a user filters
/// on in pandas or R (`df[df.stake == 0.01]`) are the ones they wrote down.
/// (A logarithmic step goes through `ln` and `exp`, whose rounding can
/// reach the 15th digit; 4e-15 is far below any difference a sweep means.)
/// Formatting and parsing are exact in Rust, so this is the same on every
/// platform.
fn round15(x: f64) -> f64 {
    let to = |digits: usize| -> f64 {
        format!("{x:.prec$e}", prec = digits - 1)
            .parse()
            .unwrap_or(x)
    };
    let close = |y: f64| (y - x).abs() <= 4e-15 * x.abs();
    // A decimal of d digits is one of d + 1 digits too, so the nearest of
    // more digits is at least as close: closeness only grows with the
    // digits, and a binary search finds the fewest (most values have no
    // short form, which one test at 14 digits tells).
    if !close(to(14)) {
        return to(15);
    }
    let (mut lo, mut hi) = (1, 14);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if close(to(mid)) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    to(lo)
}

fn design_points(params: &[Parameter], design: Design, seed: u64) -> Vec<Vec<f64>> {
    use rand::Rng as _;
    let scale = |u: f64, (lo, hi, log): (f64, f64, bool)| {
        if log {
            exp(ln(lo) + u * (ln(hi) - ln(lo)))
        } else {
            lo + u * (hi - lo)
        }
    };
    match design {
        Design::Grid => {
            // The last parameter varies fastest.
            let mut points = vec![Vec::new()];
            for p in params {
                points = points
                    .into_iter()
                    .flat_map(|pt| {
                        p.values.iter().map(move |&v| {
                            let mut q = pt.clone();
                            q.push(v);
                            q
                        })
                    })
                    .collect();
            }
            points
        }
        Design::Random { samples } => (0..samples)
            .map(|i| {
                let mut rng = stream(seed, i as u64, 0, 0, purpose::SWEEP);
                params
                    .iter()
                    .map(|p| scale(rng.random::<f64>(), p.range.unwrap_or((0.0, 1.0, false))))
                    .collect()
            })
            .collect(),
        Design::Sobol { samples } => crate::sensitivity::saltelli(samples, params.len())
            .unwrap_or_default()
            .into_iter()
            .map(|u| {
                u.iter()
                    .zip(params)
                    .map(|(&x, p)| scale(x, p.range.unwrap_or((0.0, 1.0, false))))
                    .collect()
            })
            .collect(),
        Design::Lhs { samples } => {
            let n = samples;
            let mut cols: Vec<Vec<f64>> = Vec::with_capacity(params.len());
            for (d, p) in params.iter().enumerate() {
                let mut rng = stream(seed, d as u64, 1, 0, purpose::SWEEP);
                let mut perm: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    let j = rng.random_range(0..=i);
                    perm.swap(i, j);
                }
                cols.push(
                    perm.iter()
                        .map(|&s| {
                            scale(
                                (s as f64 + rng.random::<f64>()) / n as f64,
                                p.range.unwrap_or((0.0, 1.0, false)),
                            )
                        })
                        .collect(),
                );
            }
            (0..n)
                .map(|i| cols.iter().map(|c| c[i]).collect())
                .collect()
        }
    }
}
