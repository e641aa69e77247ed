//! The `powerdyn` binary driven from outside: the files a run writes, the
//! options, exit codes, and the messages for every kind of bad input.
//!
//! Every command runs in a fresh temporary folder, so the default output
//! folder `output/<name>` lands there and can be checked for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::support::root;

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `powerdyn args...` in `dir`.
fn powerdyn(dir: &Path, args: &[&str]) -> Ran {
    let out = Command::cargo_bin("powerdyn")
        .expect("the powerdyn binary is built")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("powerdyn starts");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tempdir() -> TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Names of the entries of a folder.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("folder readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("folder readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A CSV file as its header and its data rows (no field holds a comma).
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = read(path);
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header line")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("scenario readable");
    format!("{:x}", Sha256::digest(bytes))
}

/// The seven bases, in column order.
const BASES: [&str; 7] = [
    "coercive",
    "reward",
    "legitimate",
    "connection",
    "referent",
    "informational",
    "expert",
];

/// The metrics that get a verdict in summary.json.
const HEADLINE: [&str; 6] = [
    "power_gini",
    "resources_gini",
    "dyad_imbalance",
    "mean_resentment",
    "mean_engagement",
    "withdrawn_share",
];

const VERDICTS: [&str; 5] = ["settles", "grows", "shrinks", "oscillates", "undetermined"];

/// Copies a bundled scenario into `dir` and runs it for 200 steps; returns
/// the copied file and the run's output folder.
fn run_bundled(dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    let file = dir.join(format!("{stem}.toml"));
    std::fs::copy(root().join("scenarios").join(format!("{stem}.toml")), &file)
        .expect("bundled scenario copied");
    let r = powerdyn(
        dir,
        &["run", &format!("{stem}.toml"), "--steps", "200", "--quiet"],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    assert!(
        r.stdout.is_empty(),
        "--quiet prints nothing, got: {}",
        r.stdout
    );
    (file, dir.join("output").join(stem))
}

/// A scenario with two groups, an individual in both and a population in one.
/// Its seed (99) and record_every (7) differ from anything the tests pass.
const GROUPS: &str = r#"name = "office"
seed = 99
steps = 1000
record_every = 7
[groups.staff]
[groups.bosses]
description = "those who decide"
[[agents]]
name = "boss"
groups = ["bosses", "staff"]
bases = { coercive = 0.5, legitimate = 1 }
[[populations]]
name = "workers"
count = 6
groups = ["staff"]
resources = { dist = "lognormal", mu = 4, sigma = 0.5 }
motive = { dist = "beta", a = 2, b = 5 }
bases = { expert = { dist = "uniform", low = 0, high = 1 }, referent = { dist = "normal", mean = 0.3, sd = 0.1 } }
[network]
kind = "complete"
"#;

// ---------------------------------------------------------------- outputs

#[test]
fn a_bundled_run_writes_all_five_files_its_scenario_and_no_part_files() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "balanced-couple");
    assert_eq!(
        entries(&out),
        [
            ".powerdyn-copies",
            "agents.csv",
            "manifest.json",
            "scenario",
            "summary.json",
            "ties.csv",
            "timeseries.csv"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<BTreeSet<_>>()
    );
    for f in files_under(dir.path()) {
        assert!(
            !f.to_string_lossy().ends_with(".part"),
            "left behind: {}",
            f.display()
        );
    }
}

#[test]
fn timeseries_csv_has_every_required_column_and_one_row_per_record() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "balanced-couple");
    let (header, rows) = csv(&out.join("timeseries.csv"));
    assert_eq!(header[0], "step");
    let mut required: Vec<String> = [
        "power_gini",
        "power_theil",
        "resources_gini",
        "dyad_imbalance",
        "cohesion",
        "mean_resentment",
        "mean_engagement",
        "mean_affect",
        "withdrawn_share",
        "compliance_rate",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    required.extend(BASES.iter().map(|b| format!("gini_{b}")));
    required.extend(BASES.iter().map(|b| format!("tactic_{b}")));
    required.push("tactic_consult".into());
    for c in &required {
        assert!(header.contains(c), "timeseries.csv lacks column {c}");
    }
    assert!(
        !header.iter().any(|c| c.starts_with("group_")),
        "no groups, no group columns: {header:?}"
    );
    // balanced-couple records every 10 steps: 0, 10, ..., 200.
    let steps: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<String> = (0..=200).step_by(10).map(|s| s.to_string()).collect();
    assert_eq!(steps, expected);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "ragged row {r:?}");
        for (v, name) in r.iter().zip(&header).skip(1) {
            if v.is_empty() {
                // Undefined, and documented so: no complete triad in a dyad.
                assert_eq!(name, "triangle_transitivity", "empty cell in {name}");
                continue;
            }
            let x: f64 = v.parse().unwrap_or_else(|_| panic!("not a number: {v}"));
            assert!(x.is_finite(), "{v} in {r:?}");
        }
    }
}

#[test]
fn agents_csv_has_identity_groups_bases_resources_and_self_esteem() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "balanced-couple");
    let (header, rows) = csv(&out.join("agents.csv"));
    let mut required = vec!["step", "agent", "name", "population", "groups"];
    required.extend(BASES);
    required.extend(["resources", "self_esteem"]);
    assert_eq!(&header[..required.len()], &required[..]);
    // Snapshots at the first and last step only (snapshot_every 500 > 200 steps).
    let ids: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("0", "robin"),
            ("0", "kai"),
            ("200", "robin"),
            ("200", "kai")
        ]
    );
}

#[test]
fn agents_csv_shows_the_alternatives_network_extension_raises() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "workplace-voice");
    let (header, rows) = csv(&out.join("agents.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (pop, alt, exit) = (col("population"), col("alternatives"), col("exit_cost"));
    assert_eq!(alt, exit + 1, "alternatives follows exit_cost");
    let value = |step: &str, population: &str| -> Vec<f64> {
        rows.iter()
            .filter(|r| r[0] == step && r[pop] == population)
            .map(|r| r[alt].parse().expect("a number"))
            .collect()
    };
    // The scenario's attributes at step 0: the mobile have 3 offers, the stuck none.
    assert!(value("0", "mobile").iter().all(|&a| a == 3.0));
    assert!(value("0", "stuck").iter().all(|&a| a == 0.0));
    // Dependent members search ([rules.extension]): the stuck find offers,
    // the mobile, already at the target, keep theirs.
    let stuck = value("200", "stuck");
    assert_eq!(stuck.len(), 4);
    assert!(stuck.iter().all(|&a| a > 0.1 && a < 2.0), "{stuck:?}");
    assert!(value("200", "mobile").iter().all(|&a| a == 3.0));
}

#[test]
fn ties_csv_holds_both_halves_of_each_tie_at_each_snapshot() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "balanced-couple");
    let (header, rows) = csv(&out.join("ties.csv"));
    assert_eq!(
        header,
        [
            "step",
            "from",
            "to",
            "engagement",
            "resentment",
            "affect",
            "wins",
            "closed"
        ]
    );
    let halves: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        halves,
        [
            ("0", "0", "1"),
            ("0", "1", "0"),
            ("200", "0", "1"),
            ("200", "1", "0")
        ]
    );
}

#[test]
fn summary_json_gives_each_headline_metric_a_verdict_slope_p_value_and_settle_step() {
    let dir = tempdir();
    let (_, out) = run_bundled(dir.path(), "couple-money");
    let s = json(&out.join("summary.json"));
    let verdicts = s["verdicts"].as_object().expect("a verdicts object");
    for m in HEADLINE {
        let v = verdicts
            .get(m)
            .unwrap_or_else(|| panic!("no verdict for {m}"));
        let word = v["verdict"].as_str().expect("verdict is a string");
        assert!(VERDICTS.contains(&word), "{m}: verdict {word:?}");
        let slope = v["sen_slope_per_step"].as_f64().expect("a Sen slope");
        assert!(slope.is_finite());
        let p = v["mann_kendall_p"].as_f64().expect("a p-value");
        assert!((0.0..=1.0).contains(&p), "{m}: p = {p}");
        let settle = v.get("settle_step").expect("a settle_step key");
        assert!(settle.is_null() || settle.is_u64(), "{m}: {settle}");
        if word != "settles" {
            assert!(settle.is_null(), "{m} {word} but settles at {settle}");
        }
    }
    assert_eq!(s["steps"], 200);
    assert_eq!(s["scenario"], "couple-money");
}

#[test]
fn manifest_json_records_version_hash_seed_steps_size_threads_and_wall_time() {
    let dir = tempdir();
    let (file, out) = run_bundled(dir.path(), "balanced-couple");
    let m = json(&out.join("manifest.json"));
    assert_eq!(m["powerdyn_version"], env!("CARGO_PKG_VERSION"));
    let sha = m["scenario_sha256"].as_str().expect("a hash string");
    assert_eq!(sha.len(), 64);
    assert!(sha
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    assert_eq!(sha, sha256_hex(&file));
    assert_eq!(m["seed"], 7, "the scenario's own seed");
    assert_eq!(m["steps"], 200, "--steps overrides the scenario's 2000");
    assert_eq!(m["agents"], 2);
    assert_eq!(m["ties"], 1);
    assert!(m["threads"].as_u64().expect("threads") >= 1);
    let wall = m["wall_seconds"].as_f64().expect("wall_seconds");
    assert!(wall.is_finite() && wall >= 0.0);
    // Provenance: the build's commit (null outside a git checkout) and the
    // start, UTC.
    let commit = &m["powerdyn_commit"];
    assert!(
        commit.is_null()
            || commit.as_str().is_some_and(|c| {
                let hash = c.strip_suffix("+modified").unwrap_or(c);
                hash.len() == 40 && hash.bytes().all(|b| b.is_ascii_hexdigit())
            }),
        "{commit}"
    );
    let stamp = m["started_utc"].as_str().expect("started_utc");
    assert!(
        stamp.len() == 20
            && stamp.starts_with("20")
            && stamp.ends_with('Z')
            && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
    // The sizes of the files it lists.
    for f in m["files"].as_array().unwrap() {
        let f = f.as_str().unwrap();
        assert_eq!(
            m["file_bytes"][f].as_u64(),
            Some(std::fs::metadata(out.join(f)).unwrap().len()),
            "{f}"
        );
    }
}

#[test]
fn a_scenario_with_groups_gets_power_and_resources_columns_per_group() {
    let dir = tempdir();
    std::fs::write(dir.path().join("office.toml"), GROUPS).unwrap();
    let r = powerdyn(
        dir.path(),
        &["run", "office.toml", "--steps", "20", "--quiet"],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let out = dir.path().join("output/office");
    let (header, _) = csv(&out.join("timeseries.csv"));
    let groups: Vec<&str> = header
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("group_"))
        .collect();
    assert_eq!(
        groups,
        [
            "group_staff_power",
            "group_staff_resources",
            "group_bosses_power",
            "group_bosses_resources"
        ]
    );
    let (_, rows) = csv(&out.join("agents.csv"));
    let first: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r[0] == "0")
        .map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(first.len(), 7);
    assert_eq!(first[0], ("boss", "boss", "bosses;staff"));
    assert_eq!(first[1], ("workers#0", "workers", "staff"));
    assert_eq!(first[6], ("workers#5", "workers", "staff"));
}

#[test]
fn a_group_no_one_is_in_is_warned_of_and_its_columns_stay_empty() {
    let dir = tempdir();
    let text = format!("{GROUPS}\n[groups.temps]\nacceptance = 0.5\n");
    std::fs::write(dir.path().join("office.toml"), text).unwrap();
    let r = powerdyn(dir.path(), &["run", "office.toml", "--steps", "5"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("groups.temps: no agent or population is in this group"),
        "{}",
        r.stderr
    );
    let (header, rows) = csv(&dir.path().join("output/office/timeseries.csv"));
    let k = header
        .iter()
        .position(|c| c == "group_temps_power")
        .unwrap();
    assert!(rows.iter().all(|r| r[k].is_empty()), "no members, no mean");
    let k = header
        .iter()
        .position(|c| c == "group_staff_power")
        .unwrap();
    assert!(rows.iter().all(|r| !r[k].is_empty()));
}

#[test]
fn out_seed_steps_and_threads_options_override_the_scenario() {
    let dir = tempdir();
    std::fs::write(dir.path().join("office.toml"), GROUPS).unwrap();
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "office.toml",
            "--out",
            "runs/first",
            "--seed",
            "7",
            "--steps",
            "50",
            "--threads",
            "2",
            "--quiet",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(
        !dir.path().join("output").exists(),
        "--out replaces output/<name>"
    );
    let out = dir.path().join("runs/first");
    let m = json(&out.join("manifest.json"));
    assert_eq!(m["seed"], 7);
    assert_eq!(m["steps"], 50);
    assert_eq!(m["threads"], 2);
    assert_eq!(m["agents"], 7);
    assert_eq!(m["ties"], 21);
    // record_every = 7: steps 0, 7, ..., 49, and the last step 50.
    let (_, rows) = csv(&out.join("timeseries.csv"));
    let steps: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let expected: Vec<u64> = (0..=50).filter(|s| s % 7 == 0 || *s == 50).collect();
    assert_eq!(steps, expected);
    assert_eq!(rows.len(), 9);
}

#[test]
fn a_run_that_is_not_quiet_prints_a_verdict_for_each_headline_metric() {
    let dir = tempdir();
    std::fs::write(dir.path().join("office.toml"), GROUPS).unwrap();
    let r = powerdyn(dir.path(), &["run", "office.toml", "--steps", "30"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let first = r.stdout.lines().next().expect("a first line");
    assert!(
        first.starts_with("office: 7 agents, 21 ties, 30 steps, seed 99"),
        "{first}"
    );
    for m in HEADLINE {
        let line = r
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(m))
            .unwrap_or_else(|| panic!("no line for {m} in\n{}", r.stdout));
        assert!(VERDICTS.iter().any(|v| line.contains(v)), "{line}");
    }
    // 30 steps recorded every 10: too few records to test, and it says so.
    assert!(r.stdout.contains("undetermined"), "{}", r.stdout);
    assert!(
        r.stdout.contains("too few to test for a trend"),
        "{}",
        r.stdout
    );
}

#[test]
fn ties_csv_is_written_up_to_100000_tie_halves_and_not_beyond() {
    // A ring with k = 4 has 2n tie halves.
    for (n, expect_ties) in [(25_000, true), (25_001, false)] {
        let dir = tempdir();
        let text = format!(
            "name = \"ring\"\n[[populations]]\nname = \"p\"\ncount = {n}\n\
             [network]\nkind = \"ring\"\nk = 4\n"
        );
        std::fs::write(dir.path().join("ring.toml"), text).unwrap();
        let r = powerdyn(dir.path(), &["run", "ring.toml", "--steps", "1", "--quiet"]);
        assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
        let out = dir.path().join("output/ring");
        assert_eq!(out.join("ties.csv").exists(), expect_ties, "n = {n}");
        assert!(out.join("manifest.json").exists());
        let listed = json(&out.join("manifest.json"))["files"].to_string();
        assert_eq!(listed.contains("ties.csv"), expect_ties, "{listed}");
    }
}

// ---------------------------------------------------------------- help and validate

#[test]
fn help_works_for_the_top_level_and_both_subcommands() {
    let dir = tempdir();
    let top = powerdyn(dir.path(), &["--help"]);
    assert_eq!(top.code, Some(0));
    assert!(top.stdout.contains("run") && top.stdout.contains("validate"));
    let run = powerdyn(dir.path(), &["run", "--help"]);
    assert_eq!(run.code, Some(0));
    for opt in ["--out", "--seed", "--steps", "--threads", "--quiet"] {
        assert!(run.stdout.contains(opt), "run --help lacks {opt}");
    }
    let validate = powerdyn(dir.path(), &["validate", "--help"]);
    assert_eq!(validate.code, Some(0));
    assert!(validate.stdout.contains("Usage: powerdyn validate"));
    assert!(entries(dir.path()).is_empty(), "help writes nothing");
}

#[test]
fn the_metric_columns_are_known_from_the_scenario_before_it_is_built() {
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let sc = powerdyn::scenario::load(&path).unwrap();
        let sim = powerdyn::engine::Simulation::new(&sc, sc.seed, 0).unwrap();
        assert_eq!(
            powerdyn::metrics::columns_of(&sc),
            powerdyn::metrics::column_names(&sim),
            "{}",
            path.display()
        );
    }
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "bundled scenarios: {files:?}");
    // The benchmarks' scenario files too (sweep files are checked by `sweep`).
    files.push(root().join("benches/capacity-ba.toml"));
    files.push(root().join("benches/sweep-base.toml"));
    files.push(root().join("benches/record-hierarchy.toml"));
    let dir = tempdir();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(|f| f.to_str().expect("UTF-8 path")));
    let r = powerdyn(dir.path(), &args);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    for f in &files {
        let shown = format!("ok: {}", f.display());
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&shown)),
            "no ok line for {}:\n{}",
            f.display(),
            r.stdout
        );
    }
    assert_eq!(r.stdout.lines().count(), files.len());
    assert!(entries(dir.path()).is_empty(), "validate writes nothing");
}

#[test]
fn validate_reports_the_bad_file_and_still_passes_the_good_one() {
    let dir = tempdir();
    std::fs::write(dir.path().join("a.toml"), "name = \"a\"\nstepz = 10\n").unwrap();
    std::fs::write(dir.path().join("b.toml"), GROUPS).unwrap();
    let r = powerdyn(dir.path(), &["validate", "a.toml", "b.toml"]);
    assert_eq!(r.code, Some(2));
    assert!(r.stdout.contains("ok: b.toml"), "stdout: {}", r.stdout);
    assert!(!r.stdout.contains("a.toml"), "stdout: {}", r.stdout);
    assert!(r.stderr.contains("a.toml:2:1: stepz"), "{}", r.stderr);
    assert!(r.stderr.contains("1 of 2 file(s) have problems"));
    assert!(!r.stderr.contains("b.toml"), "{}", r.stderr);
}

// ---------------------------------------------------------------- bad input

/// Runs `run` and `validate` on `bad.toml` holding `bytes` in a fresh folder;
/// checks that both refuse it with exit code 2, a message naming the file and
/// a help line, and that nothing was written. Returns the run's stderr.
fn refused(bytes: &[u8]) -> String {
    let dir = tempdir();
    std::fs::write(dir.path().join("bad.toml"), bytes).unwrap();
    refused_in(&dir, "bad.toml")
}

fn refused_in(dir: &TempDir, file: &str) -> String {
    let before = entries(dir.path());
    let r = powerdyn(dir.path(), &["run", file, "--steps", "5", "--quiet"]);
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    assert!(
        r.stderr.starts_with(&format!("error: {file}")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("\n  help: "), "{}", r.stderr);
    assert!(!dir.path().join("output").exists(), "output folder created");
    assert_eq!(entries(dir.path()), before, "run wrote something");
    let v = powerdyn(dir.path(), &["validate", file]);
    assert_eq!(v.code, Some(2), "validate stderr: {}", v.stderr);
    assert!(v.stdout.is_empty(), "validate stdout: {}", v.stdout);
    assert!(
        v.stderr.starts_with(r.stderr.trim_end()),
        "validate and run disagree:\n{}\n---\n{}",
        v.stderr,
        r.stderr
    );
    assert!(v.stderr.contains("1 of 1 file(s) have problems"));
    r.stderr
}

/// Whether `stderr` places a problem at `file:line:col:` for some column.
fn at_line(stderr: &str, file: &str, line: usize) -> bool {
    let prefix = format!("{file}:{line}:");
    stderr.match_indices(&prefix).any(|(i, _)| {
        let rest = &stderr[i + prefix.len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(':')
    })
}

/// A valid pair of agents on a complete network, to append problems to.
const PAIR: &str = r#"[[agents]]
name = "alex"
[[agents]]
name = "sam"
[network]
kind = "complete"
"#;

#[test]
fn control_characters_quoted_from_a_file_reach_the_terminal_written_out() {
    // An escape sequence and a bell in a key, an edge's name and a kind.
    let err = refused(
        format!(
            "name = \"x\"\n\"\\u001b[31mevil\\u0007\" = 1\n{}",
            PAIR.replace("kind = \"complete\"", "kind = \"x\\u001b[1m\"")
        )
        .as_bytes(),
    );
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    assert!(err.contains("unknown key `\\u{1b}[31mevil\\u{7}`"), "{err}");
    assert!(err.contains("x\\u{1b}[1m"), "{err}");
}

#[test]
fn a_toml_syntax_error_is_placed_by_line_and_column() {
    let err = refused(b"name = \"x\"\nsteps = 10\n[[agents]\nname = \"a\"\n");
    assert!(err.contains("TOML syntax"), "{err}");
    assert!(at_line(&err, "bad.toml", 3), "{err}");
}

#[test]
fn an_unknown_top_level_key_suggests_the_nearest_known_key() {
    let err = refused(format!("name = \"x\"\nstepz = 10\n{PAIR}").as_bytes());
    assert!(
        err.contains("bad.toml:2:1: stepz: unknown key `stepz`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `steps`?"), "{err}");
}

#[test]
fn an_unknown_rule_parameter_suggests_the_nearest_parameter() {
    let err = refused(format!("name = \"x\"\n{PAIR}[rules.coercion]\nharn = 0.3\n").as_bytes());
    assert!(
        err.contains("bad.toml:9:1: rules.coercion.harn: unknown key `harn`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `harm`?"), "{err}");
}

#[test]
fn a_value_of_the_wrong_type_is_refused() {
    let err = refused(format!("name = \"x\"\nsteps = \"ten\"\n{PAIR}").as_bytes());
    assert!(
        err.contains("bad.toml:2:9: steps: expected a whole number, found a string"),
        "{err}"
    );
}

#[test]
fn out_of_range_rule_parameters_and_attributes_are_refused_with_their_range() {
    let err =
        refused(format!("name = \"x\"\n{PAIR}[rules.coercion]\nisolation = 1.5\n").as_bytes());
    assert!(
        err.contains("bad.toml:9:13: rules.coercion.isolation: 1.5 is out of range"),
        "{err}"
    );
    assert!(err.contains("help: use a value between 0 and 1"), "{err}");

    let err = refused(
        b"name = \"x\"\n[[agents]]\nname = \"a\"\nmotive = -0.1\n[[agents]]\nname = \"b\"\n\
          [network]\nkind = \"complete\"\n",
    );
    assert!(
        err.contains("bad.toml:4:10: agents[0].motive: -0.1 is out of range"),
        "{err}"
    );
    assert!(err.contains("help: use a value between 0 and 1"), "{err}");
}

#[test]
fn nan_and_infinity_are_refused() {
    let err = refused(
        b"name = \"x\"\n[[agents]]\nname = \"a\"\nresources = nan\n[[agents]]\nname = \"b\"\n\
          [network]\nkind = \"complete\"\n",
    );
    assert!(err.contains("bad.toml:4:13: agents[0].resources"), "{err}");
    assert!(err.contains("NaN"), "{err}");

    let err = refused(
        b"name = \"x\"\n[[populations]]\nname = \"p\"\ncount = 3\nincome = inf\n\
          [network]\nkind = \"complete\"\n[rules.tactics]\nstake = -inf\n",
    );
    assert!(
        err.contains("bad.toml:5:10: populations[0].income"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:9:9: rules.tactics.stake: must be a finite number"),
        "{err}"
    );
}

#[test]
fn an_undeclared_group_is_refused_with_a_near_miss_when_there_is_one() {
    let err = refused(
        b"name = \"x\"\n[groups.workers]\n[[agents]]\nname = \"a\"\ngroups = [\"worker\"]\n\
          [[agents]]\nname = \"b\"\ngroups = [\"zzzzz\"]\n[network]\nkind = \"complete\"\n",
    );
    assert!(
        err.contains("bad.toml:5:11: agents[0].groups: group `worker` is not declared"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `workers`?"), "{err}");
    assert!(
        err.contains("bad.toml:8:11: agents[1].groups: group `zzzzz` is not declared"),
        "{err}"
    );
    assert!(
        err.contains("help: declare it with [groups.zzzzz]"),
        "{err}"
    );
}

#[test]
fn an_unknown_network_kind_suggests_the_nearest_kind() {
    let err = refused(b"name = \"x\"\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[network]\nkind = \"compleet\"\n");
    assert!(
        err.contains("bad.toml:7:8: network.kind: unknown network kind `compleet`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `complete`?"), "{err}");
}

#[test]
fn a_ring_with_odd_k_is_refused() {
    let err = refused(
        b"name = \"x\"\n[[populations]]\nname = \"p\"\ncount = 10\n[network]\nkind = \"ring\"\nk = 3\n",
    );
    assert!(err.contains("network.k: k = 3 must be even"), "{err}");
    assert!(
        at_line(&err, "bad.toml", 5) || at_line(&err, "bad.toml", 7),
        "{err}"
    );
}

#[test]
fn explicit_edges_naming_unknown_agents_are_refused() {
    let err = refused(
        b"name = \"x\"\n[[agents]]\nname = \"alice\"\n[[agents]]\nname = \"bob\"\n\
          [[populations]]\nname = \"p\"\ncount = 2\n[network]\nkind = \"edges\"\n\
          edges = [[\"alice\", \"bobb\"], [\"p#1\", \"carol\"], [\"p#0\", \"p#2\"]]\n",
    );
    assert!(
        err.contains("bad.toml:11:10: network.edges[0]: no agent is called `bobb`"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `bob`?"), "{err}");
    assert!(
        err.contains("network.edges[1]: no agent is called `carol`"),
        "{err}"
    );
    assert!(
        err.contains("network.edges[2]: no agent is called `p#2`"),
        "{err}"
    );
    assert!(err.contains("3 problems found"), "{err}");
}

#[test]
fn duplicate_agent_names_are_refused() {
    let err = refused(
        b"name = \"x\"\n[[agents]]\nname = \"a\"\n[[populations]]\nname = \"a\"\ncount = 3\n\
          [network]\nkind = \"complete\"\n",
    );
    assert!(
        err.contains("bad.toml:4:1: populations[0].name: the name `a` is used twice"),
        "{err}"
    );
}

#[test]
fn a_scenario_with_one_agent_is_refused() {
    let err = refused(b"name = \"x\"\n[[agents]]\nname = \"a\"\n[network]\nkind = \"complete\"\n");
    assert!(
        err.contains("agents: the scenario has 1 agent(s); at least 2 are needed"),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_refused() {
    let dir = tempdir();
    let err = refused_in(&dir, "nowhere.toml");
    assert!(err.contains("cannot read the scenario file"), "{err}");
}

#[test]
fn a_folder_given_instead_of_a_file_is_refused() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("folder.toml")).unwrap();
    let err = refused_in(&dir, "folder.toml");
    assert!(err.contains("folder.toml: is a folder"), "{err}");
}

#[test]
fn a_file_with_a_byte_order_mark_is_refused() {
    let mut bytes = b"\xef\xbb\xbfname = \"x\"\n".to_vec();
    bytes.extend_from_slice(PAIR.as_bytes());
    let err = refused(&bytes);
    assert!(err.contains("byte-order mark"), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_is_refused() {
    let mut bytes = b"name = \"x\xff\"\n".to_vec();
    bytes.extend_from_slice(PAIR.as_bytes());
    let err = refused(&bytes);
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn scenario_names_that_could_escape_the_output_folder_or_carry_markup_are_refused() {
    for name in ["../evil", "<b>x</b>", "a/b", "..", "/tmp/evil"] {
        // Run inside `work`, a folder of its own, so anything written next
        // to it (output/../evil lands beside output/) would show.
        let outer = tempdir();
        let work = tempfile::Builder::new()
            .prefix("work")
            .tempdir_in(outer.path())
            .unwrap();
        let text = format!("name = \"{name}\"\n{PAIR}");
        std::fs::write(work.path().join("bad.toml"), text).unwrap();
        let err = refused_in(&work, "bad.toml");
        assert!(
            err.contains("bad.toml:1:8: name: the scenario name"),
            "{err}"
        );
        assert_eq!(entries(outer.path()).len(), 1, "written outside: {name}");
    }
}

#[test]
fn a_file_with_several_problems_reports_them_all_at_once() {
    let text = "name = \"multi\"\nstepz = 10\nsteps = \"ten\"\n[groups.workers]\n\
                [[agents]]\nname = \"a\"\nresources = nan\ngroups = [\"worker\"]\n\
                [[agents]]\nname = \"b\"\nmotive = -0.1\n[network]\nkind = \"rign\"\n\
                [rules.coercion]\nharn = 0.3\nisolation = 1.5\n";
    let err = refused(text.as_bytes());
    let diags: BTreeSet<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert!(diags.len() >= 3, "{err}");
    assert_eq!(diags.len(), 8, "{err}");
    assert!(err.ends_with("8 problems found\n"), "{err}");
    for needle in [
        "stepz",
        "steps:",
        "worker",
        "resources",
        "motive",
        "rign",
        "harn",
        "isolation",
    ] {
        assert!(
            diags.iter().any(|d| d.contains(needle)),
            "no {needle}: {err}"
        );
    }
}

// ---------------------------------------------------------------- bad usage

fn bad_usage(args: &[&str]) {
    let dir = tempdir();
    std::fs::write(dir.path().join("office.toml"), GROUPS).unwrap();
    let r = powerdyn(dir.path(), args);
    assert_eq!(r.code, Some(2), "{args:?}: stderr {}", r.stderr);
    assert!(r.stderr.contains("error:"), "{args:?}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    assert!(!dir.path().join("output").exists(), "{args:?} ran");
}

#[test]
fn an_unknown_subcommand_is_bad_usage() {
    bad_usage(&["frobnicate", "office.toml"]);
}

#[test]
fn run_without_a_file_is_bad_usage() {
    bad_usage(&["run"]);
    bad_usage(&["validate"]);
}

#[test]
fn zero_steps_is_bad_usage() {
    bad_usage(&["run", "office.toml", "--steps", "0"]);
}

#[test]
fn a_negative_number_is_said_to_be_invalid_not_taken_for_an_option() {
    for args in [
        &["run", "office.toml", "--seed", "-1"][..],
        &["run", "office.toml", "--steps", "-5"][..],
        &["bench", "--agents", "-3"][..],
        &["bench", "--record-every", "-1"][..],
        &["slurm", "office.toml", "--tasks", "-2"][..],
        &["slurm", "office.toml", "--tasks", "2", "--cpus", "-1"][..],
        &[
            "slurm",
            "office.toml",
            "--tasks",
            "2",
            "--max-running",
            "-1",
        ][..],
    ] {
        bad_usage(args);
        let dir = tempdir();
        let r = powerdyn(dir.path(), args);
        assert!(
            r.stderr.contains("invalid value '-"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("use '-- -"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn a_demo_name_with_list_is_bad_usage() {
    bad_usage(&["demo", "couple-money", "--list"]);
}

#[test]
fn threads_that_are_not_a_number_are_bad_usage() {
    bad_usage(&["run", "office.toml", "--threads", "abc"]);
}

#[test]
fn a_network_too_large_to_index_is_refused_before_anything_runs() {
    let stderr = refused(
        b"name = \"big\"\n[[populations]]\nname = \"p\"\ncount = 100000000\n[network]\nkind = \"hierarchy\"\nbranching = 100000\n",
    );
    assert!(stderr.contains("ties; at most"), "{stderr}");
    assert!(at_line(&stderr, "bad.toml", 6), "{stderr}");
}

#[test]
fn a_run_that_cannot_fit_in_memory_is_refused_unless_forced() {
    // 150 million agents on a ring: valid, but about 60 GiB, more than any
    // machine this project runs on has free.
    let dir = tempdir();
    let text = "name = \"huge\"\n[[populations]]\nname = \"p\"\ncount = 150000000\n[network]\nkind = \"ring\"\nk = 8\n";
    std::fs::write(dir.path().join("huge.toml"), text).unwrap();
    let v = powerdyn(dir.path(), &["validate", "huge.toml"]);
    assert_eq!(v.code, Some(0), "the file itself is valid: {}", v.stderr);
    let r = powerdyn(dir.path(), &["run", "huge.toml", "--quiet"]);
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("GiB of memory"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert!(!dir.path().join("output").exists(), "nothing written");
}

/// Runs `powerdyn bench` on a small population and parses its one JSON line.
fn bench(dir: &Path, extra: &[&str]) -> (Ran, Value) {
    let mut args = vec!["bench", "--agents", "3000", "--steps", "4"];
    args.extend_from_slice(extra);
    let r = powerdyn(dir, &args);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {}", r.stdout);
    let v: Value = serde_json::from_str(lines[0]).expect("valid JSON");
    (r, v)
}

#[test]
fn bench_prints_one_json_line_with_speed_memory_and_each_phase() {
    let dir = tempdir();
    let (_, v) = bench(dir.path(), &["--threads", "2", "--degree", "6"]);
    assert_eq!(v["agents"], 3000);
    assert_eq!(v["degree"], 6);
    assert_eq!(v["steps"], 4);
    assert_eq!(v["threads"], 2);
    assert_eq!(
        v["wide_vectors"],
        powerdyn::engine::wide_vectors_available(),
        "the AVX2 twins run where the CPU has them"
    );
    assert_eq!(v["recorded"], 4);
    assert_eq!(
        v["tie_halves"],
        3000 * 6,
        "Watts–Strogatz keeps the lattice's tie count"
    );
    assert!(v["agent_steps_per_sec"].as_f64().unwrap() > 0.0);
    assert!(v["agent_steps_per_sec_recorded"].as_f64().unwrap() > 0.0);
    for phase in ["decide", "apply", "derive", "tie_sums", "metrics", "output"] {
        assert!(
            v["seconds"][phase].as_f64().unwrap() >= 0.0,
            "phase {phase}: {v}"
        );
    }
    // The records' tie sums the steps took are part of their decide pass.
    assert!(v["seconds"]["tie_sums"].as_f64() <= v["seconds"]["decide"].as_f64());
    if cfg!(target_os = "linux") {
        let rss = v["peak_rss_bytes"].as_u64().expect("peak RSS on Linux");
        assert!(rss > 0);
        let per = v["bytes_per_agent"].as_f64().unwrap();
        assert!((per - rss as f64 / 3000.0).abs() < 1e-6);
    }
    // The time series was written, one row per step, under output/bench.
    let (header, rows) = csv(&dir.path().join("output/bench/timeseries.csv"));
    assert_eq!(header[0], "step");
    assert!(
        header.iter().any(|h| h == "opinion_sd"),
        "influence metrics recorded"
    );
    assert_eq!(rows.len(), 4);
}

#[test]
fn bench_time_series_is_the_same_on_one_and_two_threads() {
    let dir = tempdir();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let (_, v1) = bench(
        dir.path(),
        &["--threads", "1", "--out", a.to_str().unwrap()],
    );
    let (_, v2) = bench(
        dir.path(),
        &["--threads", "2", "--out", b.to_str().unwrap()],
    );
    assert_eq!(
        (v1["threads"].clone(), v2["threads"].clone()),
        (1.into(), 2.into())
    );
    assert_eq!(
        read(&a.join("timeseries.csv")),
        read(&b.join("timeseries.csv")),
        "the benchmark's run is deterministic across threads"
    );
}

#[test]
fn bench_without_recording_skips_metrics_and_output_rows() {
    let dir = tempdir();
    let (_, v) = bench(dir.path(), &["--record-every", "0"]);
    assert_eq!(v["recorded"], 0);
    assert_eq!(v["seconds"]["tie_sums"].as_f64(), Some(0.0));
    assert_eq!(v["seconds"]["metrics"].as_f64(), Some(0.0));
    let (_, rows) = csv(&dir.path().join("output/bench/timeseries.csv"));
    assert!(rows.is_empty());
}

#[test]
fn bench_refuses_bad_sizes_with_exit_code_2_and_nothing_written() {
    let dir = tempdir();
    for (args, needle) in [
        (
            vec!["bench", "--degree", "7", "--agents", "100"],
            "--degree 7",
        ),
        (
            vec!["bench", "--degree", "100", "--agents", "50"],
            "--degree 100",
        ),
        (vec!["bench", "--beta", "1.5", "--agents", "100"], "--beta"),
        (vec!["bench", "--beta", "NaN", "--agents", "100"], "--beta"),
        (vec!["bench", "--agents", "1"], "--agents"),
        (vec!["bench", "--agents", "1000000000000"], "--agents"),
        (vec!["bench", "--steps", "0"], "--steps"),
    ] {
        let r = powerdyn(dir.path(), &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert!(!dir.path().join("output").exists(), "nothing written");
}

/// A scenario of 400 agents for `powerdyn bench --scenario`: its own
/// network, seed, cadence and an event inside the timed steps.
const BENCH_SCENARIO: &str = r#"
name = "capacity"
seed = 9
steps = 300
record_every = 5

[[populations]]
name = "people"
count = 400

[network]
kind = "barabasi_albert"
m = 3

[[events]]
kind = "promotion"
step = 7
targets = ["people"]
amount = 0.5
probability = 0.5
"#;

#[test]
fn bench_times_a_scenario_as_written_and_projects_its_full_run() {
    let dir = tempdir();
    std::fs::write(dir.path().join("capacity.toml"), BENCH_SCENARIO).unwrap();
    let r = powerdyn(
        dir.path(),
        &["bench", "--scenario", "capacity.toml", "--steps", "20"],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON line");
    assert_eq!(v["scenario"], "capacity");
    assert_eq!(v["agents"], 400);
    assert_eq!((v["degree"].is_null(), v["beta"].is_null()), (true, true));
    assert_eq!(v["seed"], 9, "the scenario's seed");
    assert_eq!(v["record_every"], 5, "the scenario's cadence");
    assert_eq!(v["recorded"], 4);
    // The projection: the run's 300 steps, its 61 records (steps 0, 5, ...,
    // 300) and 2 snapshots (steps 0 and 300), each at the time measured.
    let p = &v["projection"];
    assert_eq!(p["steps"], 300);
    assert_eq!(
        (p["records"].clone(), p["snapshots"].clone()),
        (61.into(), 2.into())
    );
    let f = |k: &str| p[k].as_f64().unwrap();
    assert!(
        f("record_seconds") > 0.0 && f("snapshot_seconds") > 0.0,
        "{p}"
    );
    let sum = v["setup_seconds"].as_f64().unwrap()
        + 300.0 * f("step_seconds")
        + 61.0 * f("record_seconds")
        + 2.0 * f("snapshot_seconds");
    assert!((f("run_seconds") - sum).abs() <= 1e-9 * sum, "{p}");
    // A step's time is at least its phases' (events come on top), but for
    // the records' tie sums some steps took, which are the records'.
    let phases: f64 = ["decide", "apply", "derive", "events"]
        .iter()
        .map(|k| v["seconds"][k].as_f64().unwrap())
        .sum::<f64>()
        - v["seconds"]["tie_sums"].as_f64().unwrap();
    assert!(20.0 * f("step_seconds") >= phases * 0.999, "{v}");
    if cfg!(target_os = "linux") {
        let per = v["bytes_per_agent"].as_f64().unwrap();
        assert!((per - v["peak_rss_bytes"].as_f64().unwrap() / 400.0).abs() < 1e-6);
    }
    // As written: the time series is the run's, row for row (the promotion
    // at step 7 included), for the steps the benchmark timed.
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "capacity.toml",
            "--steps",
            "20",
            "--quiet",
            "--out",
            "run",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let (bh, brows) = csv(&dir.path().join("output/bench/timeseries.csv"));
    let (rh, rrows) = csv(&dir.path().join("run/timeseries.csv"));
    assert_eq!(bh, rh);
    let later: Vec<_> = rrows.into_iter().filter(|r| r[0] != "0").collect();
    assert_eq!(brows, later, "the benchmark ran the scenario as written");
    assert_eq!(brows.len(), 4);
}

#[test]
fn bench_of_a_short_scenario_times_its_own_steps_and_takes_overrides() {
    let dir = tempdir();
    let short = BENCH_SCENARIO.replace("steps = 300", "steps = 7");
    std::fs::write(dir.path().join("short.toml"), short).unwrap();
    let r = powerdyn(
        dir.path(),
        &[
            "bench",
            "--scenario",
            "short.toml",
            "--seed",
            "4",
            "--record-every",
            "2",
            "--threads",
            "1",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON line");
    assert_eq!(v["steps"], 7, "no more steps than the scenario has");
    assert_eq!(
        (v["seed"].clone(), v["record_every"].clone()),
        (4.into(), 2.into())
    );
    assert_eq!(v["recorded"], 3);
    assert_eq!(v["threads"], 1);
    assert!(v["projection"].is_object());

    // A cadence longer than the steps timed: no row, but the projection
    // still counts the run's records (0, 50, ..., 300), timed on one made
    // after the steps.
    let sparse = BENCH_SCENARIO.replace("record_every = 5", "record_every = 50");
    std::fs::write(dir.path().join("sparse.toml"), sparse).unwrap();
    let r = powerdyn(
        dir.path(),
        &["bench", "--scenario", "sparse.toml", "--out", "s"],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON line");
    assert_eq!(v["recorded"], 0);
    assert_eq!(v["projection"]["records"], 7);
    assert!(v["projection"]["record_seconds"].as_f64().unwrap() > 0.0);

    // The generated population has no projection.
    let (_, g) = bench(dir.path(), &[]);
    assert!(g["projection"].is_null() && g["scenario"].is_null());
}

#[test]
fn bench_refuses_a_bad_scenario_or_mixed_options_with_exit_code_2() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("bad.toml"),
        BENCH_SCENARIO.replace("count = 400", "count = -4"),
    )
    .unwrap();
    for (args, needle) in [
        (vec!["bench", "--scenario", "bad.toml"], "bad.toml:"),
        (vec!["bench", "--scenario", "missing.toml"], "missing.toml"),
        (
            vec!["bench", "--scenario", "bad.toml", "--agents", "100"],
            "--agents",
        ),
        (
            vec!["bench", "--scenario", "bad.toml", "--beta", "0.5"],
            "--beta",
        ),
    ] {
        let r = powerdyn(dir.path(), &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert!(!dir.path().join("output").exists(), "nothing written");
}

#[test]
fn bench_and_run_refuse_bad_output_folders_and_leave_them_alone() {
    let dir = tempdir();
    std::fs::write(dir.path().join("capacity.toml"), BENCH_SCENARIO).unwrap();
    // A sweep cut short: its state and partial files stay as they were.
    let sweep = dir.path().join("sweep");
    std::fs::create_dir(&sweep).unwrap();
    std::fs::write(sweep.join(".sweep-state"), "state").unwrap();
    std::fs::write(sweep.join("timeseries.csv.part"), "partial").unwrap();
    let r = powerdyn(
        dir.path(),
        &["bench", "--scenario", "capacity.toml", "--out", "sweep"],
    );
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("sweep"), "{}", r.stderr);
    assert_eq!(read(&sweep.join("timeseries.csv.part")), "partial");
    assert_eq!(
        entries(&sweep),
        [".sweep-state", "timeseries.csv.part"]
            .map(String::from)
            .into(),
    );
    // A file where a folder should be: bad input (exit 2), not an I/O failure.
    for cmd in [
        vec!["bench", "--scenario", "capacity.toml", "--steps", "2"],
        vec!["run", "capacity.toml", "--steps", "2", "--quiet"],
    ] {
        for out in ["capacity.toml", "capacity.toml/sub"] {
            let mut args = cmd.clone();
            args.extend(["--out", out]);
            let r = powerdyn(dir.path(), &args);
            assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains("not a folder"), "{args:?}: {}", r.stderr);
        }
    }
    assert_eq!(read(&dir.path().join("capacity.toml")), BENCH_SCENARIO);
    // A scenario that validates but cannot be built (a tie cut between two
    // agents with no tie) leaves no folder behind.
    let untied = "name = \"untied\"\nsteps = 10\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[[agents]]\nname = \"c\"\n[network]\nkind = \"edges\"\nedges = [[\"a\", \"b\"]]\n[[events]]\nkind = \"tie_cut\"\npairs = [[\"a\", \"c\"]]\nstep = 2\n";
    std::fs::write(dir.path().join("untied.toml"), untied).unwrap();
    let r = powerdyn(
        dir.path(),
        &["bench", "--scenario", "untied.toml", "--out", "u/sub"],
    );
    assert_eq!(r.code, Some(2), "stderr: {}", r.stderr);
    assert!(!dir.path().join("u").exists(), "no folder made");
}

#[test]
fn bench_refuses_a_folder_holding_a_run_and_leaves_the_run_alone() {
    let dir = tempdir();
    let scenario = root().join("scenarios/couple-money.toml");
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            scenario.to_str().unwrap(),
            "--out",
            "x",
            "--steps",
            "20",
            "-q",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let before = entries(&dir.path().join("x"));
    let r = powerdyn(
        dir.path(),
        &["bench", "--agents", "100", "--steps", "2", "--out", "x"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("holds the output of a run"),
        "{}",
        r.stderr
    );
    assert_eq!(
        entries(&dir.path().join("x")),
        before,
        "the run's files are untouched"
    );
}

/// An event the run never reaches (placed after the last step, or cut off
/// by `--steps`) is not silent: `validate` and `run` warn, naming it, and
/// the run's manifest records it.
#[test]
fn events_after_the_last_step_are_warned_about_and_recorded() {
    let dir = tempdir();
    let text =
        std::fs::read_to_string(crate::support::root().join("scenarios/bully-sanctions.toml"))
            .unwrap();
    std::fs::copy(
        crate::support::root().join("scenarios/bully-target-stays.toml"),
        dir.path().join("bully-target-stays.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("late.toml"),
        text.replace("step = 500", "step = 3000"),
    )
    .unwrap();
    let v = powerdyn(dir.path(), &["validate", "late.toml"]);
    assert_eq!(v.code, Some(0), "{}", v.stderr);
    assert!(
        v.stderr
            .contains("warning: late.toml: events[0] (sanctions) at step 3000 never happens"),
        "{}",
        v.stderr
    );
    std::fs::write(dir.path().join("ok.toml"), &text).unwrap();
    let ok = powerdyn(dir.path(), &["validate", "ok.toml"]);
    assert!(!ok.stderr.contains("warning"), "{}", ok.stderr);
    // Cut short by --steps: the event at step 500 of a 150-step run.
    let r = powerdyn(
        dir.path(),
        &["run", "ok.toml", "--steps", "150", "--out", "short"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("at step 500 never happens: events apply at the start of steps 0 to 149"),
        "{}",
        r.stderr
    );
    let m: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("short/manifest.json"))).unwrap();
    assert_eq!(m["warnings"].as_array().unwrap().len(), 1, "{m}");
    let full = powerdyn(
        dir.path(),
        &["run", "ok.toml", "--steps", "600", "-q", "--out", "full"],
    );
    assert_eq!(full.code, Some(0));
    let m: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("full/manifest.json"))).unwrap();
    assert_eq!(m["warnings"], serde_json::json!([]));
}

/// A scenario that extends a base, in a temporary folder: the base in a
/// subfolder, so the copy keeps the layout.
fn variant_with_base(dir: &Path) {
    std::fs::create_dir_all(dir.join("bases")).unwrap();
    std::fs::copy(
        root().join("scenarios/couple-money.toml"),
        dir.join("bases/couple-money.toml"),
    )
    .unwrap();
    let child = read(&root().join("scenarios/couple-money-counseling.toml")).replace(
        "extends = \"couple-money.toml\"",
        "extends = \"bases/couple-money.toml\"",
    );
    assert!(child.contains("bases/couple-money.toml"));
    std::fs::write(dir.join("counseling.toml"), child).unwrap();
}

#[test]
fn a_run_folder_holds_its_scenario_files_and_repeats_the_run_from_them() {
    let dir = tempdir();
    variant_with_base(dir.path());
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "counseling.toml",
            "--steps",
            "1100",
            "--seed",
            "11",
            "-q",
            "--out",
            "first",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let first = dir.path().join("first");
    let m = json(&first.join("manifest.json"));
    assert_eq!(
        m["inputs"],
        serde_json::json!([
            "scenario/counseling.toml",
            "scenario/bases/couple-money.toml"
        ])
    );
    for (copy, original) in [
        ("scenario/counseling.toml", "counseling.toml"),
        (
            "scenario/bases/couple-money.toml",
            "bases/couple-money.toml",
        ),
    ] {
        assert_eq!(
            std::fs::read(first.join(copy)).unwrap(),
            std::fs::read(dir.path().join(original)).unwrap(),
            "{copy} is the file as read"
        );
    }
    let rerun = m["rerun"].as_str().expect("a rerun command");
    assert_eq!(
        rerun,
        "powerdyn run scenario/counseling.toml --seed 11 --steps 1100"
    );
    assert_eq!(m["warnings"], serde_json::json!([]));

    // The originals gone, the folder alone repeats the run.
    std::fs::remove_dir_all(dir.path().join("bases")).unwrap();
    std::fs::remove_file(dir.path().join("counseling.toml")).unwrap();
    let mut args: Vec<&str> = rerun.split(' ').skip(1).collect();
    args.extend(["-q", "--out", "../second"]);
    let r = powerdyn(&first, &args);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let second = dir.path().join("second");
    for f in ["timeseries.csv", "agents.csv", "summary.json"] {
        assert_eq!(
            std::fs::read(first.join(f)).unwrap(),
            std::fs::read(second.join(f)).unwrap(),
            "{f} repeated byte for byte"
        );
    }
    assert_eq!(
        json(&second.join("manifest.json"))["scenario_sha256"],
        m["scenario_sha256"]
    );

    // The report tells the story from the copy.
    let r = powerdyn(dir.path(), &["report", "first"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let html = read(&first.join("report.html"));
    assert!(
        !html.contains("not at hand"),
        "the report found the copy of the scenario"
    );
    assert!(html.contains("powerdyn run scenario/counseling.toml --seed 11 --steps 1100"));
    assert!(
        html.contains("the base it extends, <code>bases/couple-money.toml</code>"),
        "the base's parameters shown too"
    );
}

#[test]
fn a_new_run_replaces_the_scenario_copies_of_the_last_and_keeps_other_files() {
    let dir = tempdir();
    variant_with_base(dir.path());
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "counseling.toml",
            "--steps",
            "20",
            "-q",
            "--out",
            "out",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let out = dir.path().join("out");
    std::fs::write(out.join("scenario/notes.txt"), "mine").unwrap();
    std::fs::copy(
        root().join("scenarios/balanced-couple.toml"),
        dir.path().join("balanced-couple.toml"),
    )
    .unwrap();
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "balanced-couple.toml",
            "--steps",
            "20",
            "-q",
            "--out",
            "out",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let mut left: Vec<String> = walk(&out.join("scenario"))
        .into_iter()
        .map(|p| {
            p.strip_prefix(&out)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["scenario/balanced-couple.toml", "scenario/notes.txt"],
        "the last run's copies and their emptied folder are gone; the user's file stays"
    );
    assert_eq!(
        json(&out.join("manifest.json"))["inputs"],
        serde_json::json!(["scenario/balanced-couple.toml"])
    );
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// Running a run folder's own copy into that folder again: the copies are
/// kept, even when the new run is interrupted (they may be all that is left).
#[test]
fn an_interrupted_rerun_into_its_own_folder_keeps_the_scenario_copies() {
    let dir = tempdir();
    variant_with_base(dir.path());
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "counseling.toml",
            "--steps",
            "50",
            "-q",
            "--out",
            "self",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let own = dir.path().join("self");
    let before: Vec<Vec<u8>> = [
        "scenario/counseling.toml",
        "scenario/bases/couple-money.toml",
    ]
    .iter()
    .map(|f| std::fs::read(own.join(f)).unwrap())
    .collect();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("powerdyn"))
        .args([
            "run",
            "scenario/counseling.toml",
            "--steps",
            "50000000",
            "-q",
            "--out",
            ".",
        ])
        .current_dir(&own)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the run is under way (its time series started).
    for _ in 0..200 {
        if own.join("timeseries.csv.part").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !own.join("manifest.json").exists(),
        "nothing looks complete"
    );
    for (f, bytes) in [
        "scenario/counseling.toml",
        "scenario/bases/couple-money.toml",
    ]
    .iter()
    .zip(&before)
    {
        assert_eq!(&std::fs::read(own.join(f)).unwrap(), bytes, "{f} kept");
    }
    // And the folder repeats its run again.
    let r = powerdyn(
        &own,
        &[
            "run",
            "scenario/counseling.toml",
            "--steps",
            "50",
            "-q",
            "--out",
            ".",
        ],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
}

/// Copies that cannot repeat the run (an `extends` path through `..`) are
/// said to be so: a warning on screen and in the manifest, and no rerun.
#[test]
fn copies_that_cannot_repeat_the_run_are_warned_about_and_give_no_rerun() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::copy(
        root().join("scenarios/couple-money.toml"),
        dir.path().join("base.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("v.toml"),
        "extends = \"sub/../base.toml\"\nname = \"v\"\n",
    )
    .unwrap();
    let r = powerdyn(
        dir.path(),
        &["run", "v.toml", "--steps", "20", "--out", "o"],
    );
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("do not read back as the scenario"),
        "{}",
        r.stderr
    );
    let m = json(&dir.path().join("o/manifest.json"));
    assert_eq!(m["rerun"], Value::Null);
    assert!(m["warnings"][0]
        .as_str()
        .unwrap()
        .contains("do not read back"));
    let r = powerdyn(dir.path(), &["report", "o"]);
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    assert!(!read(&dir.path().join("o/report.html")).contains("to repeat"));
}

/// `report` and `compare` given a folder that is not there say so (rather
/// than that it is not a folder, or holds no run).
#[test]
fn report_and_compare_say_when_a_folder_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "x").unwrap();
    for (args, expect) in [
        (&["report", "nothere"][..], "nothere: does not exist"),
        (&["report", "file"][..], "file: is not a folder"),
        (
            &["compare", "nothere", "file"][..],
            "nothere: does not exist",
        ),
    ] {
        let r = powerdyn(dir.path(), args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(expect), "{args:?}: {}", r.stderr);
    }
}

/// Runs the bundled `scenario` with `table` appended, as `name.toml` into
/// folder `name` of `dir` (with `args` added), and checks that it ran.
fn run_with(dir: &Path, scenario: &str, name: &str, table: &str, args: &[&str]) {
    let base = std::fs::read_to_string(root().join("scenarios").join(scenario)).unwrap();
    std::fs::write(dir.join(format!("{name}.toml")), format!("{base}\n{table}")).unwrap();
    let file = format!("{name}.toml");
    let mut all = vec!["run", file.as_str(), "-q", "--out", name];
    all.extend(args);
    let r = powerdyn(dir, &all);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// `[verdict]` sets how the headline metrics are judged: a stricter alpha
/// turns a trend with p = 0.02 into *settles*, summary.json records the
/// settings, and values out of range or misspelt keys are refused.
#[test]
fn the_verdict_table_sets_how_metrics_are_judged_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(root().join("scenarios/abusive-isolation.toml")).unwrap();
    let judged = |name: &str, table: &str| {
        run_with(dir.path(), "abusive-isolation.toml", name, table, &[]);
        let text = std::fs::read_to_string(dir.path().join(name).join("summary.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let plain = judged("plain", "");
    assert_eq!(plain["verdicts"]["dyad_imbalance"]["verdict"], "grows");
    let p = plain["verdicts"]["dyad_imbalance"]["mann_kendall_p"]
        .as_f64()
        .unwrap();
    assert!(p > 0.01 && p < 0.05, "p = {p}");
    assert_eq!(plain["verdict_config"]["alpha"], 0.05);
    let strict = judged("strict", "[verdict]\nalpha = 0.01\nburn_in = 0.3\n");
    assert_eq!(strict["verdicts"]["dyad_imbalance"]["verdict"], "settles");
    assert_eq!(strict["verdict_config"]["alpha"], 0.01);
    assert_eq!(strict["verdict_config"]["burn_in"], 0.3);
    for (table, expect) in [
        (
            "[verdict]\nalpha = 0.9\n",
            "verdict.alpha: 0.9 is out of range",
        ),
        ("[verdict]\nalfa = 0.01\n", "unknown key `alfa`"),
    ] {
        std::fs::write(dir.path().join("bad.toml"), format!("{base}\n{table}")).unwrap();
        let r = powerdyn(dir.path(), &["validate", "bad.toml"]);
        assert_eq!(r.code, Some(2), "{table}");
        assert!(r.stderr.contains(expect), "{table}: {}", r.stderr);
    }
}

/// `compare` judges differences by the practical size the runs' summaries
/// record (the larger where they differ), and says it in short numbers.
#[test]
fn compare_takes_the_practical_size_from_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (name, table) in [
        ("a", ""),
        ("b", "[verdict]\nrel_tol = 0.07\nabs_tol = 0.02\n"),
    ] {
        run_with(
            dir.path(),
            "couple-money.toml",
            name,
            table,
            &["--steps", "300"],
        );
    }
    let r = powerdyn(dir.path(), &["compare", "a", "b", "--out", "c"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let html = std::fs::read_to_string(dir.path().join("c/compare.html")).unwrap();
    assert!(
        html.contains("practical size</strong> (0.02, or 7% of the level)")
            || html.contains("practical size (0.02, or 7% of the level)"),
        "{html}"
    );
}

/// A folder holding the bullying scenario as `bully.toml` and the sweep
/// `sw.toml` over it (`body`: the sweep file but for its `scenario`).
fn bully_sweep(body: &str) -> TempDir {
    let dir = tempdir();
    std::fs::copy(
        crate::support::root().join("scenarios/bully-target-stays.toml"),
        dir.path().join("bully.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sw.toml"),
        format!("scenario = \"bully.toml\"\n{body}"),
    )
    .unwrap();
    dir
}

#[test]
fn a_sweep_without_a_terminal_logs_its_progress_in_plain_lines() {
    // As in a SLURM job's output file: no progress bar, lines now and then.
    let dir = bully_sweep(
        "name = \"sw\"\nsteps = 20\nreplicates = 20\n[parameters]\n\"rules.coercion.harm\" = { from = 0.1, to = 0.6, steps = 10 }\n",
    );
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--threads", "1"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", r.stderr);
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("sw: ") && l.contains(" runs/s")),
        "{}",
        r.stderr
    );
    assert!(
        lines.last().unwrap().starts_with("sw: 200/200 runs (100%)"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains('\r') && !r.stderr.contains('\u{1b}'),
        "no bar"
    );
    // Quiet is quiet.
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--out", "q", "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.is_empty() && r.stdout.is_empty(), "{}", r.stderr);
}

#[test]
fn a_sweep_whose_output_cannot_fit_on_the_disk_is_warned_of_by_its_dry_run() {
    // About 88 TB of time series: more than any disk this runs on.
    let dir = bully_sweep(
        "name = \"huge\"\nsteps = 1000000000\nreplicates = 1000\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.2] }\n",
    );
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--dry-run"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: output/huge: this job may write about")
            && r.stderr.contains("free\n  help: record less often"),
        "{}",
        r.stderr
    );
    assert!(
        !dir.path().join("output").exists(),
        "a dry run writes nothing"
    );
}

#[test]
fn a_runs_estimated_output_is_at_least_what_it_writes_and_not_far_above() {
    let dir = tempdir();
    for name in [
        "bully-target-stays",
        "couple-money",
        "influence-team",
        "domworld-despotic",
    ] {
        let s = crate::support::bundled(name);
        let out = dir.path().join(name);
        crate::support::run_into(&s, s.seed, s.steps, 1, &out);
        let written: u64 = ["timeseries.csv", "agents.csv", "ties.csv"]
            .iter()
            .filter_map(|f| std::fs::metadata(out.join(f)).ok())
            .map(|m| m.len())
            .sum();
        let estimate = s.estimated_output_bytes(s.steps);
        assert!(
            estimate >= written as f64 && estimate <= 4.0 * written as f64,
            "{name}: estimated {estimate}, wrote {written}"
        );
    }
}
