//! A full disk, simulated with a file-size limit: `ulimit -f` in bash, with
//! SIGXFSZ ignored so that a write beyond the limit fails with EFBIG ("File
//! too large") instead of killing the process. powerdyn must then stop with
//! exit code 1, name the file it could not write, and leave nothing that
//! looks complete; a sweep must resume from what it kept and end with the
//! same bytes as a sweep that never failed.

#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::root;

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `powerdyn args...` in `dir`, with files limited to `blocks` blocks
/// of 1024 bytes (bash's unit for `ulimit -f`), or unlimited with `None`.
fn powerdyn(dir: &Path, blocks: Option<u64>, args: &[&str]) -> Ran {
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    let limit = blocks.map_or_else(|| "unlimited".to_string(), |b| b.to_string());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\""
        ))
        .arg(&bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("bash starts");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Checks a failure on a full disk: exit 1, no panic, and a message naming
/// `file` and what went wrong.
fn assert_disk_full(ran: &Ran, file: &str) {
    assert_eq!(ran.code, Some(1), "a failure while running: {}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("error:") && ran.stderr.contains(file),
        "names the file {file}: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("File too large"),
        "says what failed: {}",
        ran.stderr
    );
}

/// Names of the entries of a folder (empty if it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A run's folder holds nothing that looks complete: no manifest and none of
/// the final output names (`.part` files may remain).
fn assert_no_complete_run(dir: &Path) {
    for name in powerdyn::output::RUN_FILES {
        assert!(
            !dir.join(name).exists(),
            "{name} in {}: {:?}",
            dir.display(),
            entries(dir)
        );
    }
}

/// The manifest without the fields that differ between two runs of the same
/// thing (wall time, thread count).
fn manifest(dir: &Path) -> serde_json::Value {
    let text = fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    let m = v.as_object_mut().expect("manifest is an object");
    m.remove("wall_seconds");
    m.remove("threads");
    m.remove("started_utc");
    v
}

/// Every file of a finished sweep is byte-identical to the uninterrupted
/// one's, and the manifests agree but for wall time, threads and the start.
fn assert_same_sweep(got: &Path, want: &Path) {
    assert_eq!(entries(got), entries(want), "the same files");
    let (g, w) = (contents(got), contents(want));
    assert_eq!(
        g.iter().map(|(f, _)| f).collect::<Vec<_>>(),
        w.iter().map(|(f, _)| f).collect::<Vec<_>>(),
        "the same files below the folder"
    );
    for ((f, a), (_, b)) in g.iter().zip(&w) {
        if f != "manifest.json" {
            assert!(a == b, "{f} differs from the uninterrupted sweep's");
        }
    }
    assert_eq!(manifest(got), manifest(want));
}

/// Every file below `dir` (its path there, `/` between folders) with its
/// bytes, in path order.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).expect("a folder") {
        let p = e.expect("entry").path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            for (f, b) in contents(&p) {
                v.push((format!("{name}/{f}"), b));
            }
        } else {
            v.push((name, fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn bully() -> PathBuf {
    root().join("scenarios/bully-target-stays.toml")
}

#[test]
fn a_run_that_fills_the_disk_fails_with_exit_1_naming_the_file_and_leaves_nothing_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    // 2000 steps of time series are about 90 kB: far beyond 20 blocks.
    let ran = powerdyn(
        tmp.path(),
        Some(20),
        &[
            "run",
            path_str(&bully()),
            "--steps",
            "2000",
            "--quiet",
            "--out",
            path_str(&out),
        ],
    );
    assert_disk_full(&ran, "timeseries.csv.part");
    assert_no_complete_run(&out);
    // The same run with room to write is complete.
    let ran = powerdyn(
        tmp.path(),
        None,
        &[
            "run",
            path_str(&bully()),
            "--steps",
            "2000",
            "--quiet",
            "--out",
            path_str(&out),
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(out.join("manifest.json").exists());
    assert!(!entries(&out).iter().any(|f| f.ends_with(".part")));
}

#[test]
fn a_run_that_fills_the_disk_in_the_folder_of_a_finished_run_leaves_no_stale_set_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let args = |steps: &'static str| {
        vec![
            "run".to_string(),
            path_str(&bully()).to_string(),
            "--steps".into(),
            steps.into(),
            "--quiet".into(),
            "--out".into(),
            path_str(&out).to_string(),
        ]
    };
    let a = args("100");
    let ran = powerdyn(
        tmp.path(),
        None,
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(out.join("manifest.json").exists());
    let a = args("2000");
    let ran = powerdyn(
        tmp.path(),
        Some(20),
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_disk_full(&ran, "timeseries.csv.part");
    // The earlier run's files are gone, manifest first: nothing mixes old and new.
    assert_no_complete_run(&out);
}

#[test]
fn a_run_with_no_room_at_all_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let ran = powerdyn(
        tmp.path(),
        Some(0),
        &[
            "run",
            path_str(&bully()),
            "--quiet",
            "--out",
            path_str(&out),
        ],
    );
    // The first file it writes is the folder's lock; it leaves none behind.
    assert_disk_full(&ran, ".powerdyn-lock");
    assert_no_complete_run(&out);
    assert!(!out.join(".powerdyn-lock").exists());
}

/// Runs the bundled bully-harm sweep (36 runs of 1000 steps) into `out`.
fn bully_harm(dir: &Path, blocks: Option<u64>, out: &Path) -> Ran {
    let sweep = root().join("scenarios/sweeps/bully-harm.toml");
    powerdyn(
        dir,
        blocks,
        &[
            "sweep",
            path_str(&sweep),
            "--quiet",
            "--threads",
            "2",
            "--out",
            path_str(out),
        ],
    )
}

#[test]
fn a_sweep_that_fills_the_disk_fails_with_exit_1_and_running_it_again_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    let ran = bully_harm(tmp.path(), None, &whole);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    // The time series of the first batch (all 36 runs, about 1.8 MB) does not fit.
    let out = tmp.path().join("full");
    let ran = bully_harm(tmp.path(), Some(50), &out);
    assert_disk_full(&ran, "timeseries.csv.part");
    assert!(!out.join("manifest.json").exists(), "{:?}", entries(&out));
    assert!(!out.join("runs.csv").exists(), "{:?}", entries(&out));
    assert!(!out.join("aggregate.csv").exists(), "{:?}", entries(&out));
    let ran = bully_harm(tmp.path(), None, &out);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_same_sweep(&out, &whole);

    // Room for the time series but not for aggregate.csv, written after it.
    let size = |f: &str| fs::metadata(whole.join(f)).unwrap().len();
    let fits = ["runs.csv", "timeseries.csv", "design.csv"]
        .map(size)
        .into_iter()
        .max()
        .unwrap();
    let blocks = fits / 1024 + 1;
    assert!(
        size("aggregate.csv") > blocks * 1024,
        "aggregate.csv must be the largest file for this case"
    );
    let out = tmp.path().join("late");
    let ran = bully_harm(tmp.path(), Some(blocks), &out);
    assert_disk_full(&ran, "aggregate.csv.part");
    assert!(!out.join("manifest.json").exists(), "{:?}", entries(&out));
    assert!(!out.join("aggregate.csv").exists(), "{:?}", entries(&out));
    // Every run was done: running again redoes only the aggregates.
    let sweep = root().join("scenarios/sweeps/bully-harm.toml");
    let args = ["sweep", path_str(&sweep), "--threads", "2", "--out"];
    let ran = powerdyn(tmp.path(), None, &[&args[..], &[path_str(&out)]].concat());
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout.contains("resumed after the 36 done before"),
        "{}",
        ran.stdout
    );
    assert_same_sweep(&out, &whole);
}

#[test]
fn a_sweep_that_fills_the_disk_after_a_batch_resumes_from_the_runs_it_kept() {
    let tmp = tempfile::tempdir().unwrap();
    // 2 x 2 points x 30 replicates = 120 runs: two batches of at most 64.
    let scen = tmp.path().join("scen");
    fs::create_dir_all(scen.join("sweeps")).unwrap();
    fs::copy(bully(), scen.join("bully.toml")).unwrap();
    let sweep = scen.join("sweeps/s.toml");
    fs::write(
        &sweep,
        "name = \"s\"\nscenario = \"../bully.toml\"\nsteps = 100\nreplicates = 30\n\
         [parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n\
         \"agents.employee.exit_cost\" = { values = [0.2, 0.8] }\n",
    )
    .unwrap();
    let go = |blocks: Option<u64>, out: &Path| {
        powerdyn(
            tmp.path(),
            blocks,
            &[
                "sweep",
                path_str(&sweep),
                "--quiet",
                "--threads",
                "2",
                "--out",
                path_str(out),
            ],
        )
    };
    let whole = tmp.path().join("whole");
    let ran = go(None, &whole);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    // A limit that holds the first batch's time series but not the second's.
    let ts = fs::read_to_string(whole.join("timeseries.csv")).unwrap();
    let first_batch: usize = ts
        .split_inclusive('\n')
        .take_while(|l| {
            l.starts_with("run_id")
                || l.split(',')
                    .next()
                    .and_then(|x| x.parse::<u64>().ok())
                    .is_some_and(|id| id < 64)
        })
        .map(str::len)
        .sum();
    let blocks = first_batch as u64 / 1024 + 1;
    assert!(
        blocks * 1024 < ts.len() as u64,
        "the second batch must not fit"
    );

    let out = tmp.path().join("o");
    let ran = go(Some(blocks), &out);
    assert_disk_full(&ran, "timeseries.csv.part");
    assert!(!out.join("manifest.json").exists(), "{:?}", entries(&out));
    // The first batch's runs were kept, in order, exactly as the whole sweep has them.
    let kept = fs::read_to_string(out.join("runs.csv.part")).unwrap();
    let runs = fs::read_to_string(whole.join("runs.csv")).unwrap();
    assert_eq!(kept.lines().count(), 1 + 64, "header and the first batch");
    assert!(runs.starts_with(&kept));

    let ran = go(None, &out);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_same_sweep(&out, &whole);
    assert!(!out.join(".sweep-state").exists());
}

#[test]
fn a_run_killed_partway_leaves_nothing_that_looks_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    // Far more steps than can finish before the kill (SIGKILL: no cleanup runs).
    for wait_ms in [5u64, 50, 200] {
        let mut child = std::process::Command::new(&bin)
            .args(["run", path_str(&bully()), "--steps", "500000000", "--quiet"])
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the run was still going when killed");
        assert_no_complete_run(&out);
    }
}
