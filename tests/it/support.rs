//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use powerdyn::run::{run, RunConfig, Summary};
use powerdyn::scenario::{self, Scenario};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled scenario by file stem.
pub fn bundled(name: &str) -> Scenario {
    scenario::load(&root().join("scenarios").join(format!("{name}.toml")))
        .expect("bundled scenario loads")
}

/// Every bundled scenario file, in name order.
pub fn bundled_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios folder")
        .map(|e| e.expect("folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Parses scenario text, panicking with the diagnostics on error.
pub fn parse(text: &str) -> Scenario {
    match scenario::parse_bytes("test.toml", text.as_bytes()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// Runs a scenario with a seed, steps and thread count into `dir`.
pub fn run_into(s: &Scenario, seed: u64, steps: u64, threads: usize, dir: &Path) -> Summary {
    let cfg = RunConfig {
        seed,
        steps,
        out_dir: dir.to_path_buf(),
        threads,
    };
    run(s, &cfg, &mut |_, _| {}).expect("run succeeds")
}

/// The verdict word of a headline metric.
pub fn verdict(s: &Summary, metric: &str) -> &'static str {
    s.verdicts
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, v)| v.verdict.as_str())
        .expect("metric has a verdict")
}

/// The level a headline metric ends at: the mean of its last 10% of records.
pub fn level(s: &Summary, metric: &str) -> f64 {
    s.verdicts
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, v)| v.final_value)
        .expect("metric has a verdict")
}

/// The final value of a metric.
pub fn final_value(s: &Summary, metric: &str) -> f64 {
    s.final_values
        .iter()
        .find(|(m, _)| m == metric)
        .map(|(_, v)| *v)
        .expect("metric exists")
}

/// The mean of a timeseries.csv column over recorded steps `>= from`.
pub fn mean_after(dir: &Path, column: &str, from: u64) -> f64 {
    let mut r = csv::Reader::from_path(dir.join("timeseries.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let k = header.iter().position(|h| h == column).expect("column");
    let (mut sum, mut n) = (0.0, 0);
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec[0].parse::<u64>().unwrap() >= from {
            sum += rec[k].parse::<f64>().unwrap();
            n += 1;
        }
    }
    sum / n as f64
}

/// Rewrites an output file of the run in `dir` as a test's deliberate edit,
/// recording its new size in the manifest (which `report` checks).
pub fn rewrite_output(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).unwrap();
    let mf = dir.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mf).unwrap()).unwrap();
    m["file_bytes"][name] = contents.len().into();
    std::fs::write(&mf, m.to_string()).unwrap();
}
