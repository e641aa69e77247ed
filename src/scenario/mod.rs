//! Scenario files: the TOML format, and its validation in two phases.
//!
//! Phase one reads the text: TOML syntax, then every key against the keys
//! the format knows (unknown keys are refused with the nearest known key
//! suggested), then types and ranges. Phase two checks meaning: names unique
//! and safe, groups defined, the network possible for the number of agents.
//! Every problem is collected, with the file, line and column or field path,
//! and what to do, before anything is reported; nothing runs on a scenario
//! with any problem.
//!
//! The format is documented in `docs/scenarios.md`; a minimal file:
//!
//! ```toml
//! name = "couple"
//! steps = 1000
//! [[agents]]
//! name = "alex"
//! bases = { reward = 0.5, referent = 0.5 }
//! [[agents]]
//! name = "sam"
//! [network]
//! kind = "complete"
//! ```

pub mod dist;
pub mod reader;

use std::path::Path;

use sha2::{Digest, Sha256};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{Error, InputErrors, Result};
use crate::model::{BASE_NAMES, N_BASES};
use crate::network::NetworkSpec;
use crate::rules::RuleParams;
use dist::read_dist;
pub use dist::Dist;
use reader::{suggest, Ctx, Table};

/// Most agents a scenario may ask for.
pub const MAX_AGENTS: u64 = 200_000_000;
/// Most steps a run may ask for.
pub const MAX_STEPS: u64 = 1_000_000_000;
/// Most groups a scenario may declare.
pub const MAX_GROUPS: usize = 64;
/// Largest scenario file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// How each agent attribute of a cohort is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributes {
    /// The seven bases (for reward, connection and referent: the fixed endowment).
    pub bases: [Dist; N_BASES],
    /// Starting resources (resource units).
    pub resources: Dist,
    /// Resources gained per step.
    pub income: Dist,
    /// Personalized share of power motivation, in [0, 1].
    pub motive: Dist,
    /// Exit cost, in [0, 1].
    pub exit_cost: Dist,
    /// Starting self-esteem, in [0, 1].
    pub self_esteem: Dist,
    /// Outside alternatives (counted like engaged ties).
    pub alternatives: Dist,
    /// Starting opinion on the current issue, in [0, 1].
    pub opinion: Dist,
    /// Prejudice (the opinion's anchor), in [0, 1]; None: equal to the starting opinion.
    pub prejudice: Option<Dist>,
    /// Self-weight `W_ii` in influence, in [0, 1].
    pub self_weight: Dist,
    /// Susceptibility `lambda_i` to influence, in [0, 1].
    pub susceptibility: Dist,
}

/// A named individual or a population, as given in the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortSpec {
    /// Its name.
    pub name: String,
    /// Whether it is a named individual (`[[agents]]`) rather than a population.
    pub named: bool,
    /// Number of agents (1 for an individual).
    pub count: u64,
    /// Indices of the groups every member belongs to.
    pub groups: Vec<usize>,
    /// Attribute values or distributions.
    pub attributes: Attributes,
}

/// Options for metrics (`[metrics]`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// Largest group for which hierarchy metrics are computed from the
    /// dominance matrix (cost n^2 per record). Default 100.
    pub hierarchy_max_agents: usize,
    /// Randomisations for de Vries' h' test in summary.json. Default 1000.
    pub randomisations: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            hierarchy_max_agents: 100,
            randomisations: 1000,
        }
    }
}

/// Multipliers a group (or an intersection of groups) applies to its
/// members; 1 leaves a quantity unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Modifiers {
    /// Multipliers of the seven bases (of the endowments, for the derived ones).
    pub bases: [f64; N_BASES],
    /// Multiplier of income (pay).
    pub pay: f64,
    /// Multiplier of starting resources.
    pub resources: f64,
    /// Multiplier of others' acceptance of members' legitimate power.
    pub acceptance: f64,
    /// Multiplier of outside alternatives (access to the job market).
    pub alternatives: f64,
    /// Multiplier of the probability of promotion (promotion events).
    pub promotion: f64,
}

impl Default for Modifiers {
    fn default() -> Self {
        Modifiers {
            bases: [1.0; N_BASES],
            pay: 1.0,
            resources: 1.0,
            acceptance: 1.0,
            alternatives: 1.0,
            promotion: 1.0,
        }
    }
}

impl Modifiers {
    /// The combined effect of this and `other` (multipliers multiply).
    pub fn then(&self, other: &Modifiers) -> Modifiers {
        let mut bases = self.bases;
        for (b, o) in bases.iter_mut().zip(other.bases) {
            *b *= o;
        }
        Modifiers {
            bases,
            pay: self.pay * other.pay,
            resources: self.resources * other.resources,
            acceptance: self.acceptance * other.acceptance,
            alternatives: self.alternatives * other.alternatives,
            promotion: self.promotion * other.promotion,
        }
    }
}

fn read_modifiers(t: &mut Table<'_, '_>, ctx: &mut Ctx<'_>) -> Modifiers {
    let mut m = Modifiers::default();
    if let Some(mut b) = t.table(ctx, "bases") {
        for (k, name) in BASE_NAMES.iter().enumerate() {
            m.bases[k] = b.f64(ctx, name, 1.0, 0.0, 1e3);
        }
        b.finish(ctx);
    }
    m.pay = t.f64(ctx, "pay", 1.0, 0.0, 1e3);
    m.resources = t.f64(ctx, "resources", 1.0, 0.0, 1e3);
    m.acceptance = t.f64(ctx, "acceptance", 1.0, 0.0, 1.0);
    m.alternatives = t.f64(ctx, "alternatives", 1.0, 0.0, 1e3);
    m.promotion = t.f64(ctx, "promotion", 1.0, 0.0, 1e3);
    m
}

impl Scenario {
    /// The modifiers of a member of exactly these groups: each group's, then
    /// each intersection whose groups it all belongs to.
    pub fn modifiers_for(&self, groups: &[usize]) -> Modifiers {
        let mut m = Modifiers::default();
        for &g in groups {
            m = m.then(&self.group_modifiers[g]);
        }
        for (members, extra) in &self.intersections {
            if members.iter().all(|g| groups.contains(g)) {
                m = m.then(extra);
            }
        }
        m
    }
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name, safe as a folder name.
    pub name: String,
    /// What the scenario shows.
    pub description: String,
    /// Random seed.
    pub seed: u64,
    /// Number of steps to run.
    pub steps: u64,
    /// Record metrics every this many steps (and at step 0 and the last step).
    pub record_every: u64,
    /// Write agent snapshots every this many steps; 0 writes only the first and last.
    pub snapshot_every: u64,
    /// Group names, in file order.
    pub groups: Vec<String>,
    /// Each group's modifiers, in the order of `groups`.
    pub group_modifiers: Vec<Modifiers>,
    /// Modifiers for members of every group in a combination (intersectionality).
    pub intersections: Vec<(Vec<usize>, Modifiers)>,
    /// Individuals, then populations, in file order.
    pub cohorts: Vec<CohortSpec>,
    /// The network.
    pub network: NetworkSpec,
    /// Rule parameters.
    pub rules: RuleParams,
    /// What to measure beyond the standard columns.
    pub metrics: MetricsConfig,
    /// How the headline metrics are judged (`[verdict]`).
    pub verdict: crate::verdict::VerdictConfig,
    /// Events and interventions, in file order.
    pub events: Vec<crate::events::Event>,
    /// The file it was read from, as given.
    pub source: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// What reading it noticed that is likely not meant (an entry whose
    /// name is close to, but not, the name of an entry of the file it
    /// extends), each a sentence naming the file and line.
    pub warnings: Vec<String>,
    /// The files it was read from, as read: the file, then each base it
    /// extends (a run copies them into its folder, so that the folder
    /// alone can repeat the run). Empty for a sweep's point.
    pub inputs: Vec<InputFile>,
}

/// A file a scenario was read from, exactly as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Its path relative to the folder of the scenario file given, with `/`
    /// between folders: the file's own name, or a base's path at or below
    /// that folder (where `extends` must keep it). Plain names only: no
    /// `..`, no root, nothing empty.
    pub path: String,
    /// Its bytes (those hashed into [`Scenario::sha256`]).
    pub bytes: std::sync::Arc<[u8]>,
}

impl Scenario {
    /// Events a run of `steps` steps never applies, each as a sentence: an
    /// event is applied at the start of a step numbered 0 to `steps - 1`,
    /// so one that starts at `steps` or later never happens (a run cut
    /// short by `--steps`, or an event placed after the end).
    pub fn unreached_events(&self, steps: u64) -> Vec<String> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.from >= steps)
            .map(|(i, e)| {
                let kind = e.kind.name();
                let label = match &e.name {
                    Some(n) if n != kind => format!("`{n}`, {kind}"),
                    _ => kind.to_string(),
                };
                format!(
                    "events[{i}] ({label}) at step {} never happens: events apply at the start of steps 0 to {} (the last record, at step {steps}, is the state after them)",
                    e.from,
                    steps.saturating_sub(1)
                )
            })
            .collect()
    }

    /// Total number of agents.
    pub fn n_agents(&self) -> u64 {
        self.cohorts.iter().map(|c| c.count).sum()
    }

    /// Index of the first agent of each cohort.
    pub fn cohort_starts(&self) -> Vec<u64> {
        let mut s = 0;
        self.cohorts
            .iter()
            .map(|c| {
                let start = s;
                s += c.count;
                start
            })
            .collect()
    }
}

/// Why an input file could not be read (see [`read_input_file`]).
#[derive(Debug)]
pub enum ReadFailure {
    /// It does not exist or cannot be opened or read.
    Io(std::io::Error),
    /// It is a folder.
    Folder,
    /// It is not a regular file (a device, a pipe, a socket).
    NotAFile,
    /// It holds more than [`MAX_FILE_BYTES`].
    TooLarge(u64),
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::Io(e) => write!(f, "cannot be read: {e}"),
            ReadFailure::Folder => write!(f, "is a folder, not a file"),
            ReadFailure::NotAFile => {
                write!(f, "is not a regular file (a device, a pipe or a socket)")
            }
            ReadFailure::TooLarge(n) => write!(
                f,
                "holds {n} bytes or more; input files are at most {MAX_FILE_BYTES}"
            ),
        }
    }
}

/// Reads an input file (a scenario, a base it extends, a sweep file): a
/// regular file of at most [`MAX_FILE_BYTES`], read with that limit (so a
/// device or a growing file cannot exhaust memory, and a pipe cannot block).
pub fn read_input_file(path: &Path) -> std::result::Result<Vec<u8>, ReadFailure> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(ReadFailure::Io)?;
    if meta.is_dir() {
        return Err(ReadFailure::Folder);
    }
    if !meta.is_file() {
        return Err(ReadFailure::NotAFile);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadFailure::TooLarge(meta.len()));
    }
    let f = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadFailure::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let shown = path.display().to_string();
    let bytes = read_input_file(path).map_err(|e| {
        let (message, help) = match e {
            ReadFailure::Io(e) => (
                format!("cannot read the scenario file: {e}"),
                "check the path; scenario files end in .toml",
            ),
            ReadFailure::Folder => (
                "is a folder, not a scenario file".to_string(),
                "give the path of a .toml file",
            ),
            ReadFailure::NotAFile => (
                "is not a regular file (a device, a pipe or a socket)".to_string(),
                "give the path of a .toml file",
            ),
            ReadFailure::TooLarge(n) => (
                format!(
                    "the file holds {n} bytes or more; scenario files are at most {MAX_FILE_BYTES}"
                ),
                "use populations with counts and distributions instead of listing every agent",
            ),
        };
        Error::input(&shown, message, Some(help))
    })?;
    if file_kind(&bytes) == Some(FileKind::Sweep) {
        return Err(Error::input(
            &shown,
            "this is a sweep file (it names a base `scenario` and has [parameters]), not a scenario",
            Some(&format!(
                "check it with `powerdyn sweep {shown} --dry-run` (which validates every point and writes nothing), run it with `powerdyn sweep {shown}`"
            )),
        ));
    }
    let chain = chain_files(path, &shown, bytes)?;
    // Copies only when every file has a path that can be written.
    let inputs: Option<Vec<InputFile>> = chain
        .iter()
        .map(|(_, rel, bytes)| {
            Some(InputFile {
                path: rel.clone()?,
                bytes: bytes.as_slice().into(),
            })
        })
        .collect();
    let uncopyable = chain
        .iter()
        .find(|(_, rel, _)| rel.is_none())
        .map(|(s, _, _)| s.clone());
    let files = chain.into_iter().map(|(s, _, b)| (s, b)).collect();
    let mut sc = parse_chain(files).map_err(Error::Input)?;
    sc.inputs = inputs.unwrap_or_default();
    if let Some(f) = uncopyable {
        sc.warnings.push(format!(
            "{shown}: the base {f} has a path that cannot be written as plain names below the scenario's folder, so a run keeps no copy of the scenario's files and gives no rerun"
        ));
    }
    Ok(sc)
}

/// What a TOML file holds, told from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Agents, populations or a network, and neither a `scenario` nor
    /// `[parameters]`.
    Scenario,
    /// A `scenario` string beside a `[parameters]` table, and no agents or
    /// network of its own.
    Sweep,
}

/// Whether `bytes` hold a scenario or a sweep file (None: neither clearly,
/// or not TOML).
pub fn file_kind(bytes: &[u8]) -> Option<FileKind> {
    let doc = DeTable::parse(std::str::from_utf8(bytes).ok()?).ok()?;
    let t = doc.get_ref();
    let own = ["agents", "populations", "network"]
        .iter()
        .any(|k| t.contains_key(*k));
    let base = t.get("scenario").map(|v| v.get_ref());
    let parameters = t.get("parameters").map(|v| v.get_ref());
    match (own, base, parameters) {
        (true, None, None) => Some(FileKind::Scenario),
        (false, Some(DeValue::String(_)), Some(DeValue::Table(_))) => Some(FileKind::Sweep),
        _ => None,
    }
}

/// A scenario held in memory with the bases it extends (a program's
/// built-in scenarios, such as powerdyn's demos): `files[0]` is the
/// scenario, named by its file name, and the others its bases, each named
/// by its path relative to the scenario's folder, as `extends` names it
/// from there (plain names, `/` between folders). Read as [`load`] reads
/// files, with [`Scenario::inputs`] the texts given and
/// [`Scenario::source`] `(built in) <first name>`.
pub fn parse_files(files: &[(&str, &[u8])]) -> Result<Scenario> {
    let Some(&(first, _)) = files.first() else {
        return Err(Error::input("scenario", "no scenario given", None));
    };
    let bad = |name: &str, msg: String| Error::input(name, msg, None::<&str>);
    for (name, _) in files {
        if !name.split('/').all(plain_file_name) {
            return Err(bad(name, "not a relative path of plain names".into()));
        }
    }
    let mut order = vec![0usize];
    loop {
        let (name, bytes) = files[*order.last().expect("non-empty")];
        let Some(base) = extends_of(bytes) else {
            break;
        };
        // Relative to the naming file's folder.
        let here = name.rsplit_once('/').map(|(d, _)| d);
        let wanted = match here {
            Some(d) => format!("{d}/{base}"),
            None => base.clone(),
        };
        let Some(k) = files.iter().position(|(n, _)| *n == wanted) else {
            return Err(bad(
                name,
                format!("extends: `{base}` is not among the files given"),
            ));
        };
        if order.contains(&k) {
            return Err(bad(
                name,
                format!("extends: `{base}` extends itself (a cycle of extends)"),
            ));
        }
        if order.len() > MAX_EXTENDS {
            return Err(bad(
                name,
                format!("more than {MAX_EXTENDS} levels of extends"),
            ));
        }
        order.push(k);
    }
    let chain = order
        .iter()
        .map(|&k| (files[k].0.to_string(), files[k].1.to_vec()))
        .collect();
    let mut sc = parse_chain(chain).map_err(Error::Input)?;
    sc.inputs = order
        .iter()
        .map(|&k| InputFile {
            path: files[k].0.to_string(),
            bytes: files[k].1.into(),
        })
        .collect();
    // Not a path: nothing on disk is this scenario (a run's manifest must
    // not resolve the name against the current folder).
    sc.source = format!("(built in) {first}");
    Ok(sc)
}

/// The base a scenario's text names with `extends`, if it names one (and
/// is TOML at all).
pub(crate) fn extends_of(bytes: &[u8]) -> Option<String> {
    let doc = DeTable::parse(std::str::from_utf8(bytes).ok()?).ok()?;
    let base = doc.get_ref().get("extends")?.get_ref().as_str()?;
    Some(base.to_string())
}

/// Line and column (1-based) of the value of a scenario's `extends`.
fn extends_place(bytes: &[u8]) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let doc = DeTable::parse(text).ok()?;
    let start = doc.get_ref().get("extends")?.span().start;
    let before = text.get(..start)?;
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, col))
}

/// Most levels of `extends`.
pub const MAX_EXTENDS: usize = 8;

/// A file of a scenario's chain: its name in messages, its path relative to
/// the first file's folder (`None` when that cannot be written as plain
/// names), and its bytes.
pub(crate) type ChainFile = (String, Option<String>, Vec<u8>);

/// The file and the bases it extends, child first, each with its path
/// relative to the first file's folder (`/` between folders; see
/// [`InputFile::path`]) and its bytes: each base path is relative to the
/// file that names it and must stay inside the folder of the first file (a
/// scenario cannot make powerdyn read elsewhere).
pub(crate) fn chain_files(path: &Path, shown: &str, bytes: Vec<u8>) -> Result<Vec<ChainFile>> {
    let root_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .canonicalize()
        .map_err(|e| {
            Error::input(
                shown,
                format!("cannot resolve the scenario's folder: {e}"),
                None,
            )
        })?;
    let own_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| plain_file_name(n))
        .unwrap_or("scenario.toml")
        .to_string();
    let mut chain = vec![(shown.to_string(), Some(own_name), bytes)];
    let mut seen = vec![path
        .canonicalize()
        .map_err(|e| Error::input(shown, e.to_string(), None))?];
    loop {
        let (file, _, text) = chain.last().expect("non-empty");
        let Some(base) = extends_of(text) else {
            return Ok(chain);
        };
        let file = file.clone();
        let here = seen
            .last()
            .expect("non-empty")
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        // Placed at the `extends` value's line and column.
        let at = extends_place(text);
        let fail = |msg: String, help: &str| {
            Error::Input(InputErrors(vec![crate::error::Diagnostic {
                file: file.clone(),
                line_col: at,
                path: "extends".to_string(),
                message: msg,
                help: Some(help.to_string()),
            }]))
        };
        if base.trim().is_empty() {
            return Err(fail(
                "the base scenario's path is empty".to_string(),
                "give the path of the scenario this one extends, relative to this file, or remove extends",
            ));
        }
        if Path::new(&base).is_absolute() {
            return Err(fail(
                format!("`{base}` is an absolute path"),
                "give a path relative to this file, in its folder",
            ));
        }
        let target = here.join(&base);
        let canon = target.canonicalize().map_err(|e| {
            fail(
                format!("cannot read `{base}`: {e}"),
                "check the base scenario's path",
            )
        })?;
        if !canon.starts_with(&root_dir) {
            return Err(fail(
                format!("`{base}` lies outside the scenario's folder"),
                "keep base scenarios in the same folder as the scenario (or below it)",
            ));
        }
        if let Some(k) = seen.iter().position(|c| *c == canon) {
            // The files of the cycle, in the order they name each other.
            let short = |f: &str| {
                Path::new(f)
                    .file_name()
                    .map_or(f.to_string(), |n| n.to_string_lossy().into_owned())
            };
            let cycle: Vec<String> = chain[k..]
                .iter()
                .map(|(f, _, _)| short(f))
                .chain([short(&chain[k].0)])
                .collect();
            let what = if cycle.len() == 2 {
                format!("`{base}` extends itself")
            } else {
                format!("`{base}` is already in the chain: {}", cycle.join(" -> "))
            };
            return Err(fail(
                format!("{what} (a cycle of extends)"),
                "remove the cycle",
            ));
        }
        if chain.len() > MAX_EXTENDS {
            return Err(fail(
                format!("more than {MAX_EXTENDS} levels of extends"),
                "flatten the chain",
            ));
        }
        let bytes = read_input_file(&canon)
            .map_err(|e| fail(format!("`{base}` {e}"), "extend a .toml scenario file"))?;
        // Inside the folder, so a path of plain names below it.
        let rel = canon
            .strip_prefix(&root_dir)
            .ok()
            .and_then(|r| {
                r.components()
                    .map(|c| match c {
                        std::path::Component::Normal(n) => {
                            n.to_str().filter(|n| plain_file_name(n))
                        }
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .filter(|parts| !parts.is_empty())
            .map(|parts| parts.join("/"));
        seen.push(canon);
        chain.push((target.display().to_string(), rel, bytes));
    }
}

/// Whether `name` is a file or folder name a run may copy into its folder
/// as given: at most 255 bytes, no control character, no `/` or `\\`, and
/// neither `.` nor `..`.
pub(crate) fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
}

/// Parses and validates scenario text; `file` names it in messages.
/// A scenario that `extends` a base must be loaded from its file (see [`load`]).
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Scenario, InputErrors> {
    let extends = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| DeTable::parse(t).ok())
        .is_some_and(|d| d.get_ref().get("extends").is_some());
    if extends {
        return Err(InputErrors(vec![crate::error::Diagnostic {
            file: file.to_string(),
            line_col: None,
            path: "extends".to_string(),
            message: "a scenario that extends another must be read from its file".to_string(),
            help: Some(
                "load it with powerdyn run or validate FILE, so the base can be found beside it"
                    .to_string(),
            ),
        }]));
    }
    let mut sc = parse_chain(vec![(file.to_string(), bytes.to_vec())])?;
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| plain_file_name(n) && n.ends_with(".toml"))
        .unwrap_or("scenario.toml");
    sc.inputs = vec![InputFile {
        path: name.to_string(),
        bytes: bytes.into(),
    }];
    Ok(sc)
}

/// Moves every span of a parsed value by `off` bytes (into the combined text).
fn shift<'i>(v: Spanned<DeValue<'i>>, off: usize) -> Spanned<DeValue<'i>> {
    let span = v.span();
    let inner = match v.into_inner() {
        DeValue::Table(t) => DeValue::Table(
            t.into_iter()
                .map(|(k, v)| {
                    let ks = k.span();
                    (
                        Spanned::new(ks.start + off..ks.end + off, k.into_inner()),
                        shift(v, off),
                    )
                })
                .collect(),
        ),
        DeValue::Array(a) => DeValue::Array(a.into_iter().map(|x| shift(x, off)).collect()),
        other => other,
    };
    Spanned::new(span.start + off..span.end + off, inner)
}

/// The `name` of an array-of-tables entry, if it has one.
fn entry_name<'a>(v: &'a Spanned<DeValue<'_>>) -> Option<&'a str> {
    match v.get_ref() {
        DeValue::Table(t) => t
            .iter()
            .find(|(k, _)| k.get_ref() == "name")
            .and_then(|(_, v)| v.get_ref().as_str()),
        _ => None,
    }
}

/// An entry of a file's array of tables (`[[events]]`, ...) whose `name`
/// matches no entry of the file it extends but is close to one's: added as
/// a new entry, but likely meant to change that one.
struct NearMiss {
    array: String,
    /// The entry's index in the merged array (its errors' paths start with
    /// `array[index]`).
    index: usize,
    name: String,
    like: String,
    span: std::ops::Range<usize>,
}

impl NearMiss {
    fn message(&self) -> String {
        format!(
            "the {} entry named `{}` matches no entry of the file it extends, so it is added beside them; did you mean `{}`?",
            self.array, self.name, self.like
        )
    }
}

/// Lays `child` over `base`: tables merge key by key; in arrays of tables
/// (`[[agents]]`, `[[populations]]`, `[[events]]`, ...) an entry whose `name`
/// matches a base entry is laid over it and the others are appended;
/// anything else in the child replaces the base's.
fn overlay<'i>(base: &mut DeTable<'i>, child: DeTable<'i>, near: &mut Vec<NearMiss>) {
    for (k, v) in child {
        let existing = base
            .iter()
            .find(|(bk, _)| bk.get_ref() == k.get_ref())
            .map(|(bk, _)| bk.clone());
        match existing {
            Some(bk) => {
                let old = base.remove(&bk).expect("present");
                let tables = |a: &toml::de::DeArray<'_>| {
                    !a.is_empty() && a.iter().all(|x| matches!(x.get_ref(), DeValue::Table(_)))
                };
                let merged = match (old.into_inner(), v) {
                    (DeValue::Table(mut b), v) if matches!(v.get_ref(), DeValue::Table(_)) => {
                        let span = v.span();
                        if let DeValue::Table(c) = v.into_inner() {
                            overlay(&mut b, c, near);
                        }
                        Spanned::new(span, DeValue::Table(b))
                    }
                    (DeValue::Array(b), v)
                        if tables(&b) && matches!(v.get_ref(), DeValue::Array(c) if tables(c)) =>
                    {
                        let span = v.span();
                        let mut entries: Vec<Spanned<DeValue<'i>>> = b.into_iter().collect();
                        // Matched against the base's entries only: two
                        // new entries of one name are both added (and then
                        // refused as a repeated name).
                        let from_base = entries.len();
                        if let DeValue::Array(c) = v.into_inner() {
                            for item in c {
                                let same = entry_name(&item).and_then(|n| {
                                    entries[..from_base]
                                        .iter()
                                        .position(|e| entry_name(e) == Some(n))
                                });
                                match same {
                                    Some(k) => {
                                        let old = std::mem::replace(
                                            &mut entries[k],
                                            Spanned::new(0..0, DeValue::Boolean(false)),
                                        );
                                        let ispan = item.span();
                                        if let (DeValue::Table(mut bt), DeValue::Table(ct)) =
                                            (old.into_inner(), item.into_inner())
                                        {
                                            overlay(&mut bt, ct, near);
                                            entries[k] = Spanned::new(ispan, DeValue::Table(bt));
                                        }
                                    }
                                    None => {
                                        // A name close to a base entry's
                                        // is likely that entry misspelt.
                                        if let Some(n) = entry_name(&item) {
                                            let names = entries[..from_base]
                                                .iter()
                                                .filter_map(|e| entry_name(e));
                                            if let Some(c) = reader::near_miss(n, names) {
                                                near.push(NearMiss {
                                                    array: k.get_ref().to_string(),
                                                    index: entries.len(),
                                                    name: n.to_string(),
                                                    like: c.to_string(),
                                                    span: item.span(),
                                                });
                                            }
                                        }
                                        entries.push(item)
                                    }
                                }
                            }
                        }
                        Spanned::new(span, DeValue::Array(entries.into_iter().collect()))
                    }
                    (_, v) => v,
                };
                base.insert(k, merged);
            }
            None => {
                base.insert(k, v);
            }
        }
    }
}

/// Parses a scenario and the bases it extends (child first) as one document.
pub(crate) fn parse_chain(files: Vec<(String, Vec<u8>)>) -> Result<Scenario, InputErrors> {
    let file = files[0].0.clone();
    let mut texts = Vec::with_capacity(files.len());
    for (name, bytes) in &files {
        let one = |message: String, help: &str| {
            InputErrors(vec![crate::error::Diagnostic {
                file: name.clone(),
                line_col: None,
                path: String::new(),
                message,
                help: Some(help.to_string()),
            }])
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                return Err(one(
                    format!(
                        "the file is not UTF-8 text (invalid byte at offset {})",
                        e.valid_up_to()
                    ),
                    "save the scenario as UTF-8 TOML text",
                ))
            }
        };
        if text.starts_with('\u{feff}') {
            return Err(one(
                "the file starts with a byte-order mark".to_string(),
                "save the file as UTF-8 without a BOM",
            ));
        }
        texts.push(text);
    }
    // One text, each file starting on its own line.
    let mut combined = String::new();
    let mut offsets = Vec::with_capacity(texts.len());
    for t in &texts {
        offsets.push(combined.len());
        combined.push_str(t);
        combined.push('\n');
    }
    let mut hasher = Sha256::new();
    for (_, bytes) in &files {
        hasher.update(bytes);
    }
    let sha256 = format!("{:x}", hasher.finalize());
    let mut ctx = Ctx::new(&file, &combined);
    for (k, (name, _)) in files.iter().enumerate().skip(1) {
        ctx.add_segment(offsets[k], name);
    }
    let mut docs = Vec::with_capacity(texts.len());
    let mut failed = false;
    for (k, t) in texts.iter().enumerate() {
        let slice = &combined[offsets[k]..offsets[k] + t.len()];
        let (doc, errors) = DeTable::parse_recoverable(slice);
        let mut seen = Vec::new();
        // The start of the table a duplicate header opened: the keys under
        // it repeat the first table's, which is one mistake, said once.
        let mut repeated_table: Option<usize> = None;
        for e in errors {
            failed = true;
            let key = (e.span(), e.message().to_string());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let (msg, help) = reader::syntax_error(slice, e.message(), e.span());
            let at = e.span().map_or(0, |s| s.start).min(slice.len());
            let header_before = |at: usize| {
                let mut pos = 0;
                let mut last = None;
                for line in slice[..at].split_inclusive('\n') {
                    if line.trim_start().starts_with('[') {
                        last = Some(pos);
                    }
                    pos += line.len();
                }
                last
            };
            if msg.starts_with("TOML syntax: the key `")
                && repeated_table.is_some()
                && header_before(at) == repeated_table
            {
                continue;
            }
            if msg.starts_with("TOML syntax: the table [") {
                repeated_table = header_before(at + 1);
            }
            let span = e.span().map(|s| s.start + offsets[k]..s.end + offsets[k]);
            ctx.error(span, "", msg, help);
        }
        docs.push(shift(
            Spanned::new(doc.span(), DeValue::Table(doc.into_inner())),
            offsets[k],
        ));
    }
    if failed {
        return Err(in_file_order(ctx.diags, &files));
    }
    // Deepest base first, then each file over it.
    let mut docs = docs.into_iter().rev();
    let first = docs.next().expect("at least one file");
    let span = first.span();
    let DeValue::Table(mut merged) = first.into_inner() else {
        unreachable!("a document is a table")
    };
    let mut near = Vec::new();
    for d in docs {
        if let DeValue::Table(t) = d.into_inner() {
            overlay(&mut merged, t, &mut near);
        }
    }
    let doc = Spanned::new(span, merged);
    let root = Table::new(doc.get_ref(), doc.span(), "");
    let scenario = read_scenario(root, &mut ctx, &file, sha256);
    if ctx.diags.is_empty() {
        if let Some(mut s) = scenario {
            s.warnings = near
                .iter()
                .map(|m| format!("{}: {}", ctx.place(m.span.start), m.message()))
                .collect();
            // A group no one is in (a misspelt name, say) has no metrics.
            for (g, name) in s.groups.iter().enumerate() {
                if !s.cohorts.iter().any(|c| c.groups.contains(&g)) {
                    s.warnings.push(format!(
                        "{file}: groups.{name}: no agent or population is in this group, so it changes nothing and its columns (group_{name}_power, group_{name}_resources) stay empty; add groups = [\"{name}\"] to the [[agents]] or [[populations]] entries it holds"
                    ));
                }
            }
            return Ok(s);
        }
    }
    // A misspelt name is the likely cause of what went wrong with its entry:
    // said, as an error, beside the entry's own errors. A near miss whose
    // entry has none stays a warning, given once the other errors are fixed.
    for m in &near {
        let entry = format!("{}[{}]", m.array, m.index);
        let in_entry = ctx.diags.iter().any(|d| {
            d.path
                .strip_prefix(&entry)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        });
        if !in_entry {
            continue;
        }
        ctx.error(
            Some(m.span.clone()),
            &m.array,
            m.message(),
            format!(
                "write name = \"{}\" to change the entry of the file it extends",
                m.like
            ),
        );
    }
    Err(in_file_order(ctx.diags, &files))
}

/// Problems file by file (the scenario, then each base it extends), each
/// file's in line order; those without a place (whole-file checks) last.
fn in_file_order(
    mut diags: Vec<crate::error::Diagnostic>,
    files: &[(String, Vec<u8>)],
) -> InputErrors {
    let rank = |f: &str| {
        files
            .iter()
            .position(|(n, _)| n == f)
            .unwrap_or(files.len())
    };
    diags.sort_by_key(|d| (d.line_col.is_none(), rank(&d.file), d.line_col));
    InputErrors(diags)
}

impl Scenario {
    /// The name agent `i` goes by in messages and outputs: an individual's
    /// name, or `population#k` for the `k`-th member of a population (from 0).
    pub fn agent_label(&self, i: u64) -> String {
        let mut start = 0u64;
        for c in &self.cohorts {
            if i < start + c.count {
                return if c.named {
                    c.name.clone()
                } else {
                    format!("{}#{}", c.name, i - start)
                };
            }
            start += c.count;
        }
        format!("agent {i}")
    }
}

/// The problem with a name that names no agent: `usual`, unless the name
/// (before any `#index`) could not name anyone at all — then why (an agent
/// entry with it was refused for the same reason).
pub fn unknown_name_problem(label: &str, usual: String) -> String {
    let base = label.split('#').next().unwrap_or(label);
    match check_name(base) {
        Err(why) if !base.is_empty() => format!("`{label}` cannot name an agent: it {why}"),
        _ => usual,
    }
}

/// Names that become folder names, column names and labels: letters, digits, `_`, `-`, `.`.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(if c.is_alphanumeric() {
            format!(
                "contains {c:?}; names use only plain ASCII letters (a-z, A-Z), digits, '_', '-' and '.' (no accents or other alphabets)"
            )
        } else {
            format!("contains {c:?}; use only letters, digits, '_', '-' and '.'")
        });
    }
    if name.len() > 64 {
        return Err(format!("is {} characters long; at most 64", name.len()));
    }
    if name.starts_with('.') {
        return Err("must not start with a dot".into());
    }
    Ok(())
}

/// An optional `name` (of an intersection or an event: what a variant that
/// extends the scenario, or a sweep, calls the entry by), checked as
/// [`read_name`] checks names, and unique among `taken`'s.
fn read_entry_name(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    what: &str,
    taken: &mut std::collections::HashSet<String>,
) -> Option<String> {
    t.known(&["name"]);
    if !t.has("name") {
        return None;
    }
    let span = t.get("name").map(|v| v.span());
    let name = read_name(t, ctx, "name", &format!("the {what} name"))?;
    if !taken.insert(name.clone()) {
        ctx.error(
            span,
            &t.field("name"),
            format!("the name `{name}` is used by two {what}s"),
            format!("give every {what} its own name"),
        );
    }
    Some(name)
}

fn read_name(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    key: &'static str,
    what: &str,
) -> Option<String> {
    match t.string(ctx, key) {
        Some(s) => match check_name(s.get_ref()) {
            Ok(()) => Some(s.into_inner()),
            Err(why) => {
                ctx.error(
                    Some(s.span()),
                    &t.field(key),
                    format!("{what} {why}"),
                    "choose a short name of letters, digits, '_', '-' and '.', such as \"worker_1\"",
                );
                None
            }
        },
        None => {
            if !t.has(key) {
                ctx.error(
                    Some(t.span()),
                    &t.field(key),
                    format!("missing required key `{key}`"),
                    format!("add {key} = \"...\""),
                );
            }
            None
        }
    }
}

fn read_scenario(
    mut root: Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    file: &str,
    sha256: String,
) -> Option<Scenario> {
    // An `extends` that is not a file name has its own error; the sections
    // the base would have given are then not reported missing.
    let bad_extends = root
        .get("extends")
        .is_some_and(|v| v.get_ref().as_str().is_none());
    let _ = root.string(ctx, "extends");
    let name = read_name(&mut root, ctx, "name", "the scenario name");
    let description = root
        .string(ctx, "description")
        .map(|s| s.into_inner())
        .unwrap_or_default();
    let seed = root.u64(ctx, "seed", 1, 0, u64::MAX >> 1);
    let steps = root.u64(ctx, "steps", 1000, 1, MAX_STEPS);
    let record_every = root.u64(ctx, "record_every", 1, 1, MAX_STEPS);
    let snapshot_every = root.u64(ctx, "snapshot_every", 0, 0, MAX_STEPS);

    // Groups: [groups.<name>] tables, declared before use.
    let mut groups: Vec<String> = Vec::new();
    let mut group_modifiers: Vec<Modifiers> = Vec::new();
    if let Some(gt) = root.table(ctx, "groups") {
        for (k, v) in gt.entries() {
            let gname = k.get_ref().to_string();
            let path = gt.field(&gname);
            if let Err(why) = check_name(&gname) {
                ctx.error(
                    Some(k.span()),
                    &path,
                    format!("group name {why}"),
                    "rename the group",
                );
                continue;
            }
            match v.get_ref() {
                toml::de::DeValue::Table(inner) => {
                    let mut g = Table::new(inner, v.span(), path);
                    let _ = g.string(ctx, "description");
                    group_modifiers.push(read_modifiers(&mut g, ctx));
                    g.finish(ctx);
                }
                other => {
                    ctx.error(
                        Some(v.span()),
                        &path,
                        format!("expected a table, found {}", reader::type_name(other)),
                        format!("declare the group as [groups.{gname}]"),
                    );
                    group_modifiers.push(Modifiers::default());
                }
            }
            groups.push(gname);
        }
        if groups.len() > MAX_GROUPS {
            ctx.error(
                Some(gt.span()),
                "groups",
                format!("{} groups declared; at most {MAX_GROUPS}", groups.len()),
                "merge groups or split the scenario",
            );
        }
        // All keys are group names; nothing to finish.
    }
    let mut intersections = Vec::new();
    let mut intersection_names = std::collections::HashSet::new();
    for mut t in root.tables(ctx, "intersections") {
        let _ = read_entry_name(&mut t, ctx, "intersection", &mut intersection_names);
        let mut members = Vec::new();
        let listed = t.strings(ctx, "groups");
        for g in &listed {
            match groups.iter().position(|x| x == g.get_ref()) {
                Some(k) if members.contains(&k) => ctx.error(
                    Some(g.span()),
                    &t.field("groups"),
                    format!("group `{}` is listed twice", g.get_ref()),
                    "list each group of the intersection once",
                ),
                Some(k) => members.push(k),
                None => {
                    let names: Vec<&str> = groups.iter().map(String::as_str).collect();
                    ctx.error(
                        Some(g.span()),
                        &t.field("groups"),
                        format!("group `{}` is not declared", g.get_ref()),
                        suggest(g.get_ref(), &names),
                    );
                }
            }
        }
        // (An undeclared group has its own error.)
        if listed.len() < 2 {
            ctx.error(
                Some(t.span()),
                &t.field("groups"),
                "an intersection needs at least two groups",
                "list the groups whose combination the modifiers apply to",
            );
        }
        let m = read_modifiers(&mut t, ctx);
        t.finish(ctx);
        intersections.push((members, m));
    }

    let mut cohorts = Vec::new();
    let mut cohort_spans = Vec::new();
    let before_cohorts = ctx.diags.len();
    for mut t in root.tables(ctx, "agents") {
        let span = t.span();
        if let Some(c) = read_cohort(&mut t, ctx, true, &groups) {
            cohorts.push(c);
            cohort_spans.push((span, t.path.clone()));
        }
        t.finish(ctx);
    }
    for mut t in root.tables(ctx, "populations") {
        let span = t.span();
        if let Some(c) = read_cohort(&mut t, ctx, false, &groups) {
            cohorts.push(c);
            cohort_spans.push((span, t.path.clone()));
        }
        t.finish(ctx);
    }
    // Unique names across individuals and populations.
    let mut seen = std::collections::HashSet::with_capacity(cohorts.len());
    for (i, c) in cohorts.iter().enumerate() {
        if !seen.insert(c.name.as_str()) {
            let (span, path) = &cohort_spans[i];
            ctx.error(
                Some(span.clone()),
                &format!("{path}.name"),
                format!("the name `{}` is used twice", c.name),
                "give every individual and population its own name",
            );
        }
    }
    let total: u64 = cohorts
        .iter()
        .map(|c| c.count)
        .fold(0u64, |a, b| a.saturating_add(b));
    if total < 2 && ctx.diags.is_empty() {
        ctx.error(
            None,
            "agents",
            format!("the scenario has {total} agent(s); at least 2 are needed"),
            "add [[agents]] entries or a [[populations]] entry with count >= 2",
        );
    }
    if total > MAX_AGENTS {
        ctx.error(
            None,
            "populations",
            format!("the scenario asks for {total} agents; at most {MAX_AGENTS}"),
            "lower the population counts",
        );
    }

    let network = match root.table(ctx, "network") {
        Some(mut t) => {
            // The network is checked against the number of agents only
            // when every entry behind that number is right (a count out of
            // range, read as 0, would give false errors about the others).
            let counted = if ctx.diags.len() == before_cohorts {
                total
            } else {
                0
            };
            let n = read_network(&mut t, ctx, &cohorts, counted);
            t.finish(ctx);
            n
        }
        None if bad_extends => None,
        None => {
            ctx.error(
                Some(root.span()),
                "network",
                "missing the [network] section",
                "add [network] with kind = \"complete\" (or ring, erdos_renyi, watts_strogatz, barabasi_albert, hierarchy, block, edges)",
            );
            None
        }
    };
    let names = Names::new(&cohorts);
    let resolve = |label: &str| {
        names.resolve(label).map(|i| i as u32).ok_or_else(|| {
            names.hint(
                label,
                "name an individual, or a population member as population#index (from 0)",
            )
        })
    };
    let rules = RuleParams::read(root.table(ctx, "rules"), ctx, &resolve, total);
    let metrics = match root.table(ctx, "metrics") {
        Some(mut t) => {
            let d = MetricsConfig::default();
            let m = MetricsConfig {
                hierarchy_max_agents: t.u64(
                    ctx,
                    "hierarchy_max_agents",
                    d.hierarchy_max_agents as u64,
                    0,
                    5000,
                ) as usize,
                randomisations: t.u64(ctx, "randomisations", d.randomisations as u64, 0, 1_000_000)
                    as usize,
            };
            t.finish(ctx);
            m
        }
        None => MetricsConfig::default(),
    };
    let verdict = match root.table(ctx, "verdict") {
        Some(mut t) => {
            let d = crate::verdict::VerdictConfig::default();
            let v = crate::verdict::VerdictConfig {
                burn_in: t.f64(ctx, "burn_in", d.burn_in, 0.0, 0.9),
                alpha: t.f64(ctx, "alpha", d.alpha, 1e-6, 0.5),
                rel_tol: t.f64(ctx, "rel_tol", d.rel_tol, 0.0, 10.0),
                abs_tol: t.f64(ctx, "abs_tol", d.abs_tol, 0.0, 1e12),
                max_points: d.max_points,
            };
            t.finish(ctx);
            v
        }
        None => crate::verdict::VerdictConfig::default(),
    };
    let mut events = Vec::new();
    let mut event_names = std::collections::HashSet::new();
    for mut t in root.tables(ctx, "events") {
        let name = read_entry_name(&mut t, ctx, "event", &mut event_names);
        if let Some(mut e) = read_event(&mut t, ctx, &groups, &names, steps) {
            e.name = name;
            events.push(e);
        }
        t.finish(ctx);
    }
    root.finish(ctx);

    Some(Scenario {
        name: name?,
        description,
        seed,
        steps,
        record_every,
        snapshot_every,
        groups,
        group_modifiers,
        intersections,
        cohorts,
        network: network?,
        rules,
        metrics,
        verdict,
        events,
        source: file.to_string(),
        warnings: Vec::new(),
        inputs: Vec::new(),
        sha256,
    })
}

fn read_cohort(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    named: bool,
    groups: &[String],
) -> Option<CohortSpec> {
    let name = read_name(
        t,
        ctx,
        "name",
        if named {
            "the agent name"
        } else {
            "the population name"
        },
    );
    let count = if named {
        if let Some(v) = t.get("count") {
            ctx.error(
                Some(v.span()),
                &t.field("count"),
                "an [[agents]] entry is one agent: it has no count",
                "write [[populations]] (name, count and distributions) for many agents alike",
            );
        }
        1
    } else {
        match t.get("count") {
            None => {
                ctx.error(
                    Some(t.span()),
                    &t.field("count"),
                    "missing required key `count`",
                    "add count = <number of agents>",
                );
                0
            }
            Some(_) => t.u64(ctx, "count", 0, 1, MAX_AGENTS),
        }
    };
    let mut group_ids = Vec::new();
    for g in t.strings(ctx, "groups") {
        match groups.iter().position(|x| x == g.get_ref()) {
            Some(i) if !group_ids.contains(&i) => group_ids.push(i),
            Some(_) => {}
            None => {
                let names: Vec<&str> = groups.iter().map(String::as_str).collect();
                let hint = suggest(g.get_ref(), &names);
                ctx.error(
                    Some(g.span()),
                    &t.field("groups"),
                    format!("group `{}` is not declared", g.get_ref()),
                    if hint.starts_with("did you") {
                        hint
                    } else {
                        format!("declare it with [groups.{}]", g.get_ref())
                    },
                );
            }
        }
    }
    let big = 1e12;
    let mut bases: [Dist; N_BASES] = std::array::from_fn(|_| Dist::Const(0.0));
    if let Some(mut b) = t.table(ctx, "bases") {
        for (k, name) in BASE_NAMES.iter().enumerate() {
            bases[k] = read_dist(&mut b, ctx, name, 0.0, 1e6);
        }
        b.finish(ctx);
    }
    let attributes = Attributes {
        bases,
        resources: read_dist(t, ctx, "resources", 100.0, big),
        income: read_dist(t, ctx, "income", 0.0, big),
        motive: read_dist(t, ctx, "motive", 0.5, 1.0),
        exit_cost: read_dist(t, ctx, "exit_cost", 0.5, 1.0),
        self_esteem: read_dist(t, ctx, "self_esteem", 0.6, 1.0),
        alternatives: read_dist(t, ctx, "alternatives", 0.0, 1e6),
        opinion: read_dist(t, ctx, "opinion", 0.5, 1.0),
        prejudice: if t.has("prejudice") {
            Some(read_dist(t, ctx, "prejudice", 0.5, 1.0))
        } else {
            let _ = t.get("prejudice");
            None
        },
        self_weight: read_dist(t, ctx, "self_weight", 0.5, 1.0),
        susceptibility: read_dist(t, ctx, "susceptibility", 1.0, 1.0),
    };
    Some(CohortSpec {
        name: name?,
        named,
        count,
        groups: group_ids,
        attributes,
    })
}

const NETWORK_KINDS: [&str; 8] = [
    "complete",
    "ring",
    "erdos_renyi",
    "watts_strogatz",
    "barabasi_albert",
    "hierarchy",
    "block",
    "edges",
];

fn read_network(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    cohorts: &[CohortSpec],
    n: u64,
) -> Option<NetworkSpec> {
    let kind = t.string(ctx, "kind");
    let Some(kind) = kind else {
        if !t.has("kind") {
            ctx.error(
                Some(t.span()),
                "network.kind",
                "missing required key `kind`",
                format!("add kind = one of {}", NETWORK_KINDS.join(", ")),
            );
        }
        t.forgive();
        return None;
    };
    let kspan = kind.span();
    let n_f = n.max(2) as f64;
    // Checks against the number of agents only when that number is valid
    // (an invalid count has its own error; comparing with it would add
    // false ones, or overflow).
    let sized = (2..=MAX_AGENTS).contains(&n);
    let spec = match kind.get_ref().as_str() {
        "complete" => {
            let edges = n_f * (n_f - 1.0) / 2.0;
            if sized && edges > 50e6 {
                ctx.error(
                    Some(kspan.clone()),
                    "network.kind",
                    format!("a complete network of {n} agents has {edges:.0} ties, too many"),
                    "use erdos_renyi or watts_strogatz for large populations",
                );
                return None;
            }
            NetworkSpec::Complete
        }
        "ring" => NetworkSpec::Ring {
            k: read_k(t, ctx, n)?,
        },
        "watts_strogatz" => {
            let k = read_k(t, ctx, n);
            let beta = t.req_f64(ctx, "beta", 0.0, 1.0);
            NetworkSpec::WattsStrogatz { k: k?, beta: beta? }
        }
        "erdos_renyi" => {
            t.known(&["p", "mean_degree"]);
            if !t.has("mean_degree") && !t.has("p") {
                ctx.error(
                    Some(t.span()),
                    "network.p",
                    "missing the tie density: give p or mean_degree",
                    "add p = <probability of each tie> or mean_degree = <ties per agent>",
                );
                return None;
            }
            if t.has("mean_degree") && t.has("p") {
                let span = value_span(t, "p");
                ctx.error(
                    Some(span),
                    "network.p",
                    "give either p or mean_degree, not both",
                    "remove one of the two",
                );
                return None;
            }
            let p = if t.has("mean_degree") {
                let d = t.req_f64(ctx, "mean_degree", 0.0, 1e9)?;
                if sized && d > n_f - 1.0 {
                    let span = value_span(t, "mean_degree");
                    ctx.error(
                        Some(span),
                        "network.mean_degree",
                        format!("mean degree {d} is more than the {} other agents", n - 1),
                        "lower mean_degree",
                    );
                    return None;
                }
                d / (n_f - 1.0)
            } else {
                t.req_f64(ctx, "p", 0.0, 1.0)?
            };
            if sized && p * n_f * (n_f - 1.0) / 2.0 < 1.0 {
                ctx.error(
                    Some(kspan.clone()),
                    "network",
                    "this network would have no ties (expected fewer than one)",
                    "raise p or mean_degree",
                );
                return None;
            }
            NetworkSpec::ErdosRenyi { p }
        }
        "barabasi_albert" => {
            let m = t.u64(ctx, "m", 2, 1, u32::MAX as u64);
            if sized && m >= n {
                let span = value_span(t, "m");
                ctx.error(
                    Some(span),
                    "network.m",
                    format!("m = {m} must be below the {n} agents"),
                    "lower m",
                );
                return None;
            }
            NetworkSpec::BarabasiAlbert { m: m as u32 }
        }
        "hierarchy" => {
            let branching = t.u64(ctx, "branching", 3, 1, u32::MAX as u64) as u32;
            let peers = t.bool(ctx, "peers", true);
            NetworkSpec::Hierarchy { branching, peers }
        }
        "block" => {
            let p_within = t.req_f64(ctx, "p_within", 0.0, 1.0);
            let p_between = t.req_f64(ctx, "p_between", 0.0, 1.0);
            let (p_within, p_between) = (p_within?, p_between?);
            if p_within == 0.0 && p_between == 0.0 {
                ctx.error(
                    Some(kspan.clone()),
                    "network",
                    "this network would have no ties",
                    "raise p_within or p_between",
                );
                return None;
            }
            NetworkSpec::Block {
                p_within,
                p_between,
            }
        }
        "edges" => read_edges(t, ctx, cohorts)?,
        other => {
            ctx.error(
                Some(kspan),
                "network.kind",
                format!("unknown network kind `{other}`"),
                suggest(other, &NETWORK_KINDS),
            );
            t.forgive();
            return None;
        }
    };
    let ties = expected_ties(&spec, cohorts);
    if sized && ties > crate::network::MAX_EDGES as f64 {
        ctx.error(
            Some(kspan),
            "network",
            format!(
                "this network would have about {ties:.3e} ties; at most {} fit",
                crate::network::MAX_EDGES
            ),
            "use fewer agents or a sparser network",
        );
        return None;
    }
    Some(spec)
}

/// Expected number of undirected ties of a network over these cohorts,
/// computed without generating it.
pub fn expected_ties(spec: &NetworkSpec, cohorts: &[CohortSpec]) -> f64 {
    let n: u64 = cohorts.iter().map(|c| c.count).sum();
    match spec {
        NetworkSpec::Block {
            p_within,
            p_between,
        } => {
            let nf = n as f64;
            let within: f64 = cohorts
                .iter()
                .map(|c| c.count as f64 * (c.count as f64 - 1.0) / 2.0)
                .sum();
            let all = nf * (nf - 1.0) / 2.0;
            p_within * within + p_between * (all - within)
        }
        _ => crate::network::expected_edges(spec, n.min(u32::MAX as u64) as u32, &[]),
    }
}

impl Scenario {
    /// Estimated peak memory of a run in bytes: agent columns, profiles,
    /// effects and metric buffers per agent, plus tie halves and the edge list
    /// built on the way (see BENCHMARKS.md for the measured figures).
    pub fn estimated_bytes(&self) -> f64 {
        // Measured (BENCHMARKS.md, "Memory"): at most about 165 bytes per
        // agent besides its ties (less where agents share attributes),
        // plus about 36 while metrics are computed; 21
        // bytes per tie half (target, reverse, state, incoming flag), plus
        // the edge list built on the way.
        const PER_AGENT: f64 = 201.0;
        const PER_TIE: f64 = 2.0 * 21.0 + 16.0;
        self.n_agents() as f64 * PER_AGENT + expected_ties(&self.network, &self.cohorts) * PER_TIE
    }

    /// Estimated bytes a run of `steps` steps writes: its time series, agent
    /// snapshots and (for networks small enough) tie snapshots, at about the
    /// most bytes per cell measured on the bundled scenarios (16 for the
    /// time series' full-precision numbers, 10 for agents.csv, 8 for
    /// ties.csv; 7.5–11.8, 4.7–6.2 and 2.5–5.4 measured).
    pub fn estimated_output_bytes(&self, steps: u64) -> f64 {
        let records = crate::bench::occasions(steps, self.record_every) as f64;
        let snapshots = crate::bench::occasions(steps, self.snapshot_every) as f64;
        let columns = crate::metrics::columns_of(self).len() as f64;
        let halves = 2.0 * expected_ties(&self.network, &self.cohorts);
        let ties = if halves <= crate::run::MAX_TIE_SNAPSHOT_HALVES as f64 {
            snapshots * halves * 8.0 * 8.0
        } else {
            0.0
        };
        records * columns * 16.0 + snapshots * self.n_agents() as f64 * 23.0 * 10.0 + ties
    }
}

fn read_k(t: &mut Table<'_, '_>, ctx: &mut Ctx<'_>, n: u64) -> Option<u32> {
    // (As in read_network: only a valid number of agents is compared with.)
    let sized = (2..=MAX_AGENTS).contains(&n);
    let k = t.u64(ctx, "k", 4, 2, u32::MAX as u64);
    if k % 2 == 1 || (sized && k >= n) {
        let span = value_span(t, "k");
        // The largest even number of neighbours the agents allow.
        let most = n.saturating_sub(1) & !1;
        let help = if !sized {
            "use an even number of neighbours such as 4 or 8".to_string()
        } else if most >= 4 {
            format!(
                "use an even number of neighbours below {n}, such as {}",
                most.min(8)
            )
        } else if most == 2 {
            format!("use k = 2, the only even number below the {n} agents")
        } else {
            "add agents: a ring needs at least 3".to_string()
        };
        let problem = if sized {
            format!("k = {k} must be even and below the {n} agents")
        } else {
            format!("k = {k} must be even")
        };
        ctx.error(Some(span), "network.k", problem, help);
        return None;
    }
    Some(k as u32)
}

/// The span of a key's value, or of the table when the key is absent.
fn value_span(t: &mut Table<'_, '_>, key: &'static str) -> std::ops::Range<usize> {
    t.get(key).map(|v| v.span()).unwrap_or_else(|| t.span())
}

/// The agents' names, indexed once: a reference resolves in constant time
/// (a scenario may name tens of thousands of individuals in its edges).
pub(crate) struct Names<'a> {
    cohorts: &'a [CohortSpec],
    /// Each cohort's first agent index.
    starts: Vec<u64>,
    /// Individuals' and populations' cohorts by name (the first, should a
    /// name be used twice: that is refused on its own).
    individuals: std::collections::HashMap<&'a str, usize>,
    populations: std::collections::HashMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    fn new(cohorts: &'a [CohortSpec]) -> Self {
        let mut starts = Vec::with_capacity(cohorts.len());
        let mut next = 0u64;
        let (mut individuals, mut populations) = Default::default();
        for (k, c) in cohorts.iter().enumerate() {
            starts.push(next);
            next += c.count;
            let map: &mut std::collections::HashMap<&str, usize> = if c.named {
                &mut individuals
            } else {
                &mut populations
            };
            map.entry(c.name.as_str()).or_insert(k);
        }
        Names {
            cohorts,
            starts,
            individuals,
            populations,
        }
    }

    /// The cohort (individual or population) called `name`.
    fn cohort(&self, name: &str) -> Option<usize> {
        let first = |m: &std::collections::HashMap<&str, usize>| m.get(name).copied();
        match (first(&self.individuals), first(&self.populations)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Resolves an agent reference: an individual's name, or
    /// `population#index`.
    fn resolve(&self, label: &str) -> Option<u64> {
        if let Some(&i) = self.individuals.get(label) {
            return Some(self.starts[i]);
        }
        let (pop, idx) = label.rsplit_once('#')?;
        // Written as counted: `w#0`, `w#12` — not `w#00` or `w#+1`, which
        // name the same agent another way.
        let canonical =
            idx.bytes().all(|b| b.is_ascii_digit()) && (idx == "0" || !idx.starts_with('0'));
        if !canonical {
            return None;
        }
        let idx: u64 = idx.parse().ok()?;
        let &i = self.populations.get(pop)?;
        (idx < self.cohorts[i].count).then(|| self.starts[i] + idx)
    }

    /// "did you mean" the named individual nearest `label`, or `otherwise`.
    fn hint(&self, label: &str, otherwise: &str) -> String {
        let named = self
            .cohorts
            .iter()
            .filter(|c| c.named)
            .map(|c| c.name.as_str());
        match reader::near_miss(label, named) {
            Some(c) => format!("did you mean `{c}`?"),
            None => otherwise.to_string(),
        }
    }
}

fn read_edges(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    cohorts: &[CohortSpec],
) -> Option<NetworkSpec> {
    let Some(v) = t.get("edges") else {
        ctx.error(
            Some(t.span()),
            "network.edges",
            "missing required key `edges`",
            "add edges = [[\"alex\", \"sam\"], ...] naming agents (or population#index)",
        );
        return None;
    };
    let toml::de::DeValue::Array(items) = v.get_ref() else {
        ctx.error(
            Some(v.span()),
            "network.edges",
            format!(
                "expected a list of pairs, found {}",
                reader::type_name(v.get_ref())
            ),
            "write edges = [[\"alex\", \"sam\"], ...]",
        );
        return None;
    };
    let names = Names::new(cohorts);
    // Every problem of every pair is reported: each pair is checked on its
    // own, and repeats among the pairs that resolved.
    let mut edges = Vec::with_capacity(items.len());
    let mut listed: Vec<usize> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("network.edges[{i}]");
        let pair: Option<Vec<&str>> = match item.get_ref() {
            toml::de::DeValue::Array(p) if p.len() == 2 => {
                p.iter().map(|x| x.get_ref().as_str()).collect()
            }
            _ => None,
        };
        let Some(pair) = pair else {
            ctx.error(
                Some(item.span()),
                &path,
                "expected a pair of agent names",
                "write [\"alex\", \"sam\"]",
            );
            ok = false;
            continue;
        };
        let mut ends = [0u32; 2];
        let mut resolved = true;
        for (e, label) in pair.iter().enumerate() {
            match names.resolve(label) {
                Some(x) => ends[e] = x as u32,
                None => {
                    resolved = false;
                    ctx.error(
                        Some(item.span()),
                        &path,
                        unknown_name_problem(label, format!("no agent is called `{label}`")),
                        names.hint(
                            label,
                            "name an individual, or a population member as population#index (from 0)",
                        ),
                    );
                }
            }
        }
        if !resolved {
            ok = false;
            continue;
        }
        if ends[0] == ends[1] {
            ctx.error(
                Some(item.span()),
                &path,
                "an agent cannot be tied to itself",
                "remove this pair",
            );
            ok = false;
            continue;
        }
        edges.push((ends[0], ends[1]));
        listed.push(i);
    }
    if items.is_empty() {
        ctx.error(
            Some(v.span()),
            "network.edges",
            "the edge list is empty",
            "list at least one pair",
        );
        return None;
    }
    let mut seen: Vec<((u32, u32), usize)> = edges
        .iter()
        .zip(&listed)
        .map(|(&(a, b), &i)| ((a.min(b), a.max(b)), i))
        .collect();
    seen.sort_unstable();
    for w in seen.windows(2) {
        if w[0].0 == w[1].0 {
            ctx.error(
                Some(items[w[1].1].span()),
                &format!("network.edges[{}]", w[1].1),
                format!("this pair repeats network.edges[{}]", w[0].1),
                "list each tie once; ties are undirected",
            );
            ok = false;
        }
    }
    ok.then_some(NetworkSpec::Edges(edges))
}

/// A synthetic population for benchmarks and capacity checks: `agents`
/// agents with mixed bases, motives and exit costs on a Watts–Strogatz
/// network of mean degree `degree` (even, at least 2) with rewiring 0.1,
/// every rule on.
pub fn synthetic_population(agents: u64, degree: u32) -> Result<Scenario, InputErrors> {
    let text = format!(
        r#"
name = "synthetic"
description = "Synthetic population for benchmarks"
steps = 100
[[populations]]
name = "p"
count = {agents}
resources = {{ dist = "lognormal", mu = 4.0, sigma = 0.5 }}
income = 1.0
motive = {{ dist = "uniform", low = 0, high = 1 }}
exit_cost = {{ dist = "uniform", low = 0, high = 1 }}
bases = {{ coercive = {{ dist = "uniform", low = 0, high = 1 }}, legitimate = {{ dist = "beta", a = 2, b = 5 }}, expert = 0.3, informational = 0.2 }}
[network]
kind = "watts_strogatz"
k = {degree}
beta = 0.1
"#
    );
    parse_bytes("synthetic.toml", text.as_bytes())
}

const EVENT_KINDS: [&str; 11] = [
    "leave",
    "join",
    "tie_cut",
    "tie_add",
    "counseling",
    "arbitration",
    "sanctions",
    "job_market",
    "promotion",
    "demotion",
    "resource_shock",
];

fn read_event(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    groups: &[String],
    who: &Names<'_>,
    steps: u64,
) -> Option<crate::events::Event> {
    use crate::events::{Event, Kind, Targets};
    let cohorts = who.cohorts;
    let mut pair_places = Vec::new();
    let kind = t.string(ctx, "kind");
    let Some(kind) = kind else {
        if !t.has("kind") {
            ctx.error(
                Some(t.span()),
                &t.field("kind"),
                "missing required key `kind`",
                format!("add kind = one of {}", EVENT_KINDS.join(", ")),
            );
        }
        t.forgive();
        return None;
    };
    // The schedule's keys, whichever form this entry uses.
    t.known(&["step", "from", "every", "until", "targets"]);
    let single = t.has("step");
    let from = if single {
        t.u64(ctx, "step", 0, 0, MAX_STEPS)
    } else {
        t.u64(ctx, "from", 0, 0, MAX_STEPS)
    };
    let every = if single {
        0
    } else {
        t.u64(ctx, "every", 0, 0, MAX_STEPS)
    };
    let until = if single {
        from
    } else {
        t.u64(ctx, "until", steps.max(from), from, MAX_STEPS)
    };
    if single && (t.has("from") || t.has("every") || t.has("until")) {
        ctx.error(
            Some(t.span()),
            &t.field("step"),
            "give either step (once) or from/every/until (a schedule), not both",
            "remove step, or remove from, every and until (to make a schedule from the file a scenario extends happen once, give from = N and every = 0 instead of step)",
        );
    }
    // Targets: individuals, populations, or group:<name>.
    let mut targets = Targets {
        all: true,
        ..Targets::default()
    };
    // An empty list would apply the event to no one (or, read as absent,
    // to everyone): neither is what it says.
    if let Some(v) = t.get("targets") {
        if matches!(v.get_ref(), DeValue::Array(a) if a.is_empty()) {
            ctx.error(
                Some(v.span()),
                &t.field("targets"),
                "the list of targets is empty",
                "name at least one target, or leave targets out to target everyone",
            );
        }
    }
    let names = t.strings(ctx, "targets");
    if !names.is_empty() {
        targets.all = false;
        let mut labels = Vec::new();
        for n in &names {
            let name = n.get_ref();
            labels.push(name.clone());
            if let Some(g) = name.strip_prefix("group:") {
                match groups.iter().position(|x| x == g) {
                    Some(k) => targets.groups.push(k),
                    None => {
                        let known: Vec<&str> = groups.iter().map(String::as_str).collect();
                        ctx.error(
                            Some(n.span()),
                            &t.field("targets"),
                            format!("group `{g}` is not declared"),
                            suggest(g, &known),
                        );
                    }
                }
            } else {
                match who.cohort(name) {
                    Some(k) => targets.cohorts.push(k),
                    None => {
                        let known: Vec<&str> = cohorts.iter().map(|c| c.name.as_str()).collect();
                        // A group named without its prefix.
                        let hint = if groups.iter().any(|g| g == name) {
                            format!("did you mean `group:{name}`? (groups are named with the group: prefix)")
                        } else {
                            suggest(name, &known)
                        };
                        ctx.error(
                            Some(n.span()),
                            &t.field("targets"),
                            unknown_name_problem(
                                name,
                                format!("no individual or population is called `{name}`"),
                            ),
                            if hint.starts_with("did you") {
                                hint
                            } else {
                                "name individuals, populations, or groups as group:<name>"
                                    .to_string()
                            },
                        );
                    }
                }
            }
        }
        targets.label = labels.join(";");
    } else {
        targets.label = "all".to_string();
    }
    let kind = match kind.get_ref().as_str() {
        "counseling" => Kind::Counseling {
            motive_reduction: t.f64(ctx, "motive_reduction", 0.5, 0.0, 1.0),
            relief: t.f64(ctx, "relief", 0.5, 0.0, 1.0),
            affect_gain: t.f64(ctx, "affect_gain", 0.2, 0.0, 1.0),
            esteem_gain: t.f64(ctx, "esteem_gain", 0.1, 0.0, 1.0),
        },
        "arbitration" => Kind::Arbitration {
            arbitrator: match t.string(ctx, "arbitrator") {
                Some(a) if who.individuals.contains_key(a.get_ref().as_ref() as &str) => {
                    Some(a.into_inner())
                }
                Some(a) => {
                    ctx.error(
                        Some(a.span()),
                        &t.field("arbitrator"),
                        unknown_name_problem(
                            a.get_ref(),
                            format!("no individual is called `{}`", a.get_ref()),
                        ),
                        who.hint(
                            a.get_ref(),
                            "name an [[agents]] entry as the arbitrator, or leave it out",
                        ),
                    );
                    None
                }
                None => None,
            },
            neutrality: t.f64(ctx, "neutrality", 1.0, 0.0, 1.0),
            threshold: t.f64(ctx, "threshold", 1.0, 0.0, 1e6),
            award: t.f64(ctx, "award", 0.1, 0.0, 1.0),
            relief: t.f64(ctx, "relief", 0.5, 0.0, 1.0),
        },
        "sanctions" => Kind::Sanctions {
            detection: t.f64(ctx, "detection", 0.5, 0.0, 1.0),
            penalty: t.f64(ctx, "penalty", 0.05, 0.0, 0.5),
        },
        "job_market" => {
            let exit_cost = t
                .has("exit_cost")
                .then(|| t.f64(ctx, "exit_cost", 0.5, 0.0, 1.0));
            let alternatives = t
                .has("alternatives")
                .then(|| t.f64(ctx, "alternatives", 0.0, 0.0, 1e6));
            let _ = (t.get("exit_cost"), t.get("alternatives"));
            if exit_cost.is_none() && alternatives.is_none() {
                ctx.error(
                    Some(t.span()),
                    &t.path,
                    "a job_market event changes nothing",
                    "give exit_cost, alternatives, or both",
                );
            }
            Kind::JobMarket {
                exit_cost,
                alternatives,
            }
        }
        "promotion" | "demotion" => {
            let amount = t.f64(ctx, "amount", 0.5, 0.0, 1e6);
            Kind::Promotion {
                amount: if kind.get_ref() == "demotion" {
                    -amount
                } else {
                    amount
                },
                probability: t.f64(ctx, "probability", 1.0, 0.0, 1.0),
            }
        }
        "resource_shock" => Kind::ResourceShock {
            factor: t.f64(ctx, "factor", 1.0, 0.0, 1e6),
            amount: t.f64(ctx, "amount", 0.0, -1e12, 1e12),
        },
        "leave" => Kind::Leave,
        "join" => Kind::Join,
        "tie_cut" | "tie_add" => {
            let mut pairs = Vec::new();
            match t.get("pairs") {
                Some(v) => {
                    match v.get_ref() {
                        DeValue::Array(items) => {
                            for (k, item) in items.iter().enumerate() {
                                let pair: Option<Vec<u64>> = match item.get_ref() {
                                    DeValue::Array(p) if p.len() == 2 => p
                                        .iter()
                                        .map(|x| x.get_ref().as_str().and_then(|l| who.resolve(l)))
                                        .collect(),
                                    _ => None,
                                };
                                match pair {
                                    Some(p) if p[0] != p[1] => {
                                        pairs.push((p[0] as u32, p[1] as u32));
                                        pair_places.push(ctx.place_of(
                                            item.span(),
                                            &format!("{}.pairs[{k}]", t.path),
                                        ));
                                    }
                                    _ => {
                                        // A name that names no one says so
                                        // (and why, if it cannot name anyone).
                                        let unknown = match item.get_ref() {
                                            DeValue::Array(p) => p
                                                .iter()
                                                .filter_map(|x| x.get_ref().as_str())
                                                .find(|l| who.resolve(l).is_none()),
                                            _ => None,
                                        };
                                        let usual = "write [\"alex\", \"sam\"] with names of individuals or population#index".to_string();
                                        let (problem, help) = match unknown {
                                            Some(l) => {
                                                let help = who.hint(l, &usual);
                                                (
                                                    unknown_name_problem(
                                                        l,
                                                        format!("no agent is called `{l}`"),
                                                    ),
                                                    help,
                                                )
                                            }
                                            None => (
                                                "expected a pair of two different agents"
                                                    .to_string(),
                                                usual,
                                            ),
                                        };
                                        ctx.error(
                                            Some(item.span()),
                                            &format!("{}.pairs[{k}]", t.path),
                                            problem,
                                            help,
                                        )
                                    }
                                }
                            }
                        }
                        _ => ctx.error(
                            Some(v.span()),
                            &t.field("pairs"),
                            "expected a list of pairs",
                            "write pairs = [[\"a\", \"b\"]]",
                        ),
                    }
                }
                None => ctx.error(
                    Some(t.span()),
                    &t.field("pairs"),
                    "missing required key `pairs`",
                    "add pairs = [[\"a\", \"b\"]]",
                ),
            }
            if kind.get_ref() == "tie_cut" {
                Kind::TieCut { pairs }
            } else {
                Kind::TieAdd { pairs }
            }
        }
        other => {
            ctx.error(
                Some(kind.span()),
                &t.field("kind"),
                format!("unknown event kind `{other}`"),
                suggest(other, &EVENT_KINDS),
            );
            t.forgive();
            return None;
        }
    };
    Some(Event {
        name: None,
        kind,
        from,
        every,
        until,
        targets,
        pair_places,
    })
}
