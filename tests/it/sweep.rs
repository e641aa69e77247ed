//! Parameter sweeps: designs, determinism, outputs and bad sweep files.

use std::fs;
use std::path::Path;

use powerdyn::sweep::{self, file::range};

use crate::support::root;

/// `dir/scen` holding a copy of the bullying scenario as `bully.toml`, and
/// an empty `sweeps` folder below it.
fn bully_copy(dir: &Path) -> std::path::PathBuf {
    let scen = dir.join("scen");
    fs::create_dir_all(scen.join("sweeps")).unwrap();
    fs::copy(
        root().join("scenarios/bully-target-stays.toml"),
        scen.join("bully.toml"),
    )
    .unwrap();
    scen
}

fn write_sweep(dir: &Path, body: &str) -> std::path::PathBuf {
    // The sweep sits one folder below a copy of the bullying scenario.
    let scen = bully_copy(dir);
    let path = scen.join("sweeps/s.toml");
    fs::write(
        &path,
        format!("name = \"s\"\nscenario = \"../bully.toml\"\nsteps = 60\n{body}"),
    )
    .unwrap();
    path
}

fn run(path: &Path, out: &Path, threads: usize) -> sweep::SweepSummary {
    let sw = sweep::file::load(path, false).expect("valid sweep");
    let cfg = sweep::SweepConfig {
        out_dir: out.to_path_buf(),
        threads,
        shard: None,
        replace: false,
    };
    sweep::run(&sw, &cfg, &mut |_, _| {}).expect("sweep runs")
}

#[test]
fn ranges_are_exact_at_both_ends_and_log_ranges_are_geometric() {
    let r = range(0.1, 0.9, 9, false);
    assert_eq!(r.len(), 9);
    assert_eq!((r[0], r[8]), (0.1, 0.9));
    assert!((r[4] - 0.5).abs() < 1e-15);
    let l = range(0.001, 0.1, 3, true);
    assert_eq!(l[2], 0.1);
    assert!((l[1] - 0.01).abs() < 1e-15);
}

#[test]
fn range_values_are_the_ones_a_user_would_filter_on() {
    // Exactly, not 0.0010000000000000002 and 0.010000000000000005.
    assert_eq!(range(0.001, 0.1, 3, true), [0.001, 0.01, 0.1]);
    assert_eq!(range(1e-4, 1.0, 5, true), [1e-4, 1e-3, 1e-2, 1e-1, 1.0]);
    // Where ln and exp round at the 15th digit (0.0000999999999999999).
    assert_eq!(range(1e-5, 0.1, 5, true), [1e-5, 1e-4, 1e-3, 1e-2, 0.1]);
    for (n, decades) in [(9, 1), (13, 1), (7, 3)] {
        let r = range(1e-6, 1e6, n, true);
        for (k, x) in r.iter().enumerate().step_by(decades) {
            if (k * 12) % (n - 1) == 0 {
                let power = -6 + (k * 12 / (n - 1)) as i32;
                assert_eq!(*x, format!("1e{power}").parse::<f64>().unwrap(), "{r:?}");
            }
        }
    }
    // Not 0.30000000000000004.
    assert_eq!(range(0.1, 0.5, 5, false), [0.1, 0.2, 0.3, 0.4, 0.5]);
    assert_eq!(range(0.0, 1.0, 11, false)[3], 0.3);
    // Values between the ends that have no short form keep 15 digits.
    let r = range(1.0, 10.0, 3, true);
    assert_eq!(r[1], 3.16227766016838);
    // A range narrower than the 15th digit keeps its values unrounded:
    // rounding would step past `to` or tie a value with `from`.
    for (a, b) in [
        (0.123_456_789_012_345_68, 0.123_456_789_012_345_7),
        (0.3, 0.3000000000000001),
    ] {
        let r = range(a, b, 3, false);
        assert!(r[0] < r[1] && r[1] < r[2], "{r:?}");
    }
}

#[test]
fn a_grid_sweep_runs_every_combination_with_replicates_the_same_on_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n\"agents.employee.exit_cost\" = { from = 0.1, to = 0.9, steps = 3 }\n",
    );
    let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
    run(&path, &a, 1);
    run(&path, &b, 2);
    for f in ["runs.csv", "timeseries.csv", "aggregate.csv"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let runs = fs::read_to_string(a.join("runs.csv")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1 + 2 * 3 * 3,
        "6 points x 3 replicates"
    );
    assert!(runs.lines().next().unwrap().contains("verdict_power_gini"));
    // Runs differ by seed, and each can be reproduced alone from runs.csv.
    let seeds: std::collections::BTreeSet<&str> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    assert_eq!(seeds.len(), 18);
    let aggregate = fs::read_to_string(a.join("aggregate.csv")).unwrap();
    assert!(aggregate
        .lines()
        .next()
        .unwrap()
        .contains("power_gini_lo95"));
}

#[test]
fn random_and_latin_hypercube_designs_draw_the_asked_number_of_points_in_range() {
    let tmp = tempfile::tempdir().unwrap();
    for design in ["random", "lhs"] {
        let path = write_sweep(
            tmp.path(),
            &format!("design = \"{design}\"\nsamples = 10\n[parameters]\n\"rules.coercion.harm\" = {{ low = 0.1, high = 0.5 }}\n\"rules.tactics.stake\" = {{ low = 0.001, high = 0.1, scale = \"log\" }}\n"),
        );
        let sw = sweep::file::load(&path, false).unwrap();
        assert_eq!(sw.points.len(), 10);
        assert!(sw
            .points
            .iter()
            .all(|p| (0.1..=0.5).contains(&p[0]) && (0.001..=0.1).contains(&p[1])));
        if design == "lhs" {
            // One point per tenth of each range.
            let mut strata: Vec<usize> = sw
                .points
                .iter()
                .map(|p| ((p[0] - 0.1) / 0.04).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..10).collect::<Vec<_>>());
        }
    }
}

#[test]
fn bad_sweep_files_are_refused_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("[parameters]\n\"rules.coercion.harn\" = { values = [0.1] }\n", "did you mean `harm`"),
        ("[parameters]\n\"rules.coercion.harm\" = { from = 0.1, to = 0.5 }\n", "steps >= 1"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [] }\n", "empty"),
        ("design = \"sobolx\"\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n", "unknown design"),
        ("[parameters]\n\"rules.coercion.harm\" = { from = 0.2, to = 0.4, steps = 1 }\n", "a range of one step holds only from = 0.2, not to = 0.4"),
        ("replicates = 1000000\n[parameters]\n\"rules.tactics.stake\" = { from = 0.001, to = 0.1, steps = 1000 }\n\"rules.coercion.harm\" = { from = 0.1, to = 1.0, steps = 100 }\n", "need --force"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [5000000.0] }\n", "out of range"),
        // A path is written into each point's TOML: only bare keys pass.
        ("[parameters]\n\"rules.coercion.harm = 0.1\\nextends = \\\"/etc/passwd\\\"\\nx\" = { values = [5] }\n", "is not a parameter path"),
        ("[parameters]\n\"agents.a\\\"b.exit_cost\" = { values = [0.5] }\n", "is not a parameter path"),
        // Keys the sweep itself sets.
        ("[parameters]\n\"seed\" = { values = [1, 2] }\n", "`seed` cannot be swept"),
        ("[parameters]\n\"steps\" = { values = [10, 40] }\n", "`steps` cannot be swept"),
        // A dotted path without quotes nests tables: say to quote it.
        ("[parameters]\nrules.coercion.harm = { values = [0.1] }\n", "quote the whole path: \"rules.coercion.harm\""),
        // A name the scenario does not have would add an entry, not vary one.
        ("[parameters]\n\"agents.employe.exit_cost\" = { values = [0.1, 0.9] }\n", "no agent named `employe`"),
        ("[parameters]\n\"agents.Employee.exit_cost\" = { values = [0.1, 0.9] }\n", "did you mean `employee`?"),
        ("[parameters]\n\"populations.staff.count\" = { values = [5] }\n", "no named populations"),
        ("[parameters]\n\"events.sanction.step\" = { values = [5] }\n", "no event named `sanction`"),
        // Two forms at once, or keys the form does not take: refused, not merged.
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3], from = 0.1, to = 0.5, steps = 3 }\n", "both values and a from/to/steps range"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3], low = 0.1, high = 0.3 }\n", "remove low and high"),
        ("design = \"lhs\"\nsamples = 4\n[parameters]\n\"rules.coercion.harm\" = { from = 0.1, to = 0.5, steps = 3, low = 0.1, high = 0.5 }\n", "remove values, from, to and steps"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3], scale = \"log\" }\n", "listed values are taken as they are"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.1, 0.3] }\n", "0.1 is listed already, as values[0]"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.2, 0.1, 0.1] }\n", "s.toml:5:47: parameters.\"rules.coercion.harm\".values: 0.1 is listed already, as values[0]"),
        // A key of the sweep written below [parameters].
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\nreplicates = 3\n", "s.toml:6:1: parameters.\"replicates\": `replicates` is a key of the sweep itself, written here under [parameters]"),
        // Words and switches cannot be swept: no quoting helps.
        ("[parameters]\n\"network.kind\" = { values = [1, 2] }\n", "network.kind takes a word: run one sweep for each setting"),
        ("[parameters]\n\"rules.coercion.enabled\" = { values = [0, 1] }\n", "rules.coercion.enabled takes true or false"),
        ("replicates = 2\nreplicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n", "the key `replicates` is given twice"),
        ("[parameters]\n\"rules.coercion.harm\" = { from = 0.3, to = 0.3, steps = 3 }\n", "repeats 0.3"),
        ("samples = 8\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n", "a grid design takes no samples"),
        ("design = \"sobol\"\nsamples = 1\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.2 }\n", "needs samples >= 2"),
        // A path inside another swept path.
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n\"rules.coercion\" = { values = [0.1] }\n", "s.toml:6:1: parameters.\"rules.coercion\": `rules.coercion` holds `rules.coercion.harm`"),
        // A group the scenario does not declare would be a new, empty one.
        ("[parameters]\n\"groups.staff.acceptance\" = { values = [0.5] }\n", "s.toml:5:1: parameters.\"groups.staff.acceptance\": the scenario has no group named `staff`"),
    ];
    for (body, expect) in cases {
        let path = write_sweep(tmp.path(), body);
        let err = sweep::file::load(&path, false).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{body}");
        assert!(err.to_string().contains(expect), "{body}: {err}");
    }
    // One mistake, one error: no "needs values", "needs samples" or "no
    // parameters" after the mistake's own error.
    let single = [
        ("[parameters]\n\"rules.coercion.harm\" = { from = nan, to = 0.4, steps = 3 }\n", "must be a finite number"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [true] }\n", "expected a finite number"),
        ("[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 1e400] }\n", "1e400 is out of range"),
        ("design = \"latin\"\nsamples = 4\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.3 }\n", "unknown design `latin`"),
        ("design = \"random\"\nsamples = 4\n[parameters]\n\"rules.coercion.harm\" = { low = 0.5, high = 0.3 }\n", "low = 0.5 is above high = 0.3"),
        ("design = \"random\"\nsamples = 4\n[parameters]\n\"rules.coercion.harm\" = { low = 0.0, high = 0.3, scale = \"log\" }\n", "a logarithmic range needs low > 0"),
        ("design = \"sobol\"\nsamples = 1000000000\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.3 }\n", "between 1 and 100000000"),
        ("design = \"lhs\"\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.3 }\n", "design = \"lhs\" needs samples"),
        ("[parameters]\n\"seed\" = { values = [1, 2] }\n", "more replicates give more seeds"),
        ("[parameters]\n\"rules.coercion.harm\" = { from = 0.1, to = 0.5, steps = 0 }\n", "0 is out of range"),
    ];
    // Mistakes of every kind at once, top to bottom: a key of the sweep
    // file, a misspelt path (found only against the scenario), a
    // misspelt name and a form's key; the path of the misspelt name is not
    // checked further (it would only add an entry's errors).
    let path = write_sweep(
        tmp.path(),
        "replicat = 2\n[parameters]\n\"rules.coercion.harn\" = { values = [0.1, 0.3] }\n\"agents.employe.exit_cost\" = { values = [0.1] }\n\"rules.resentment.decay\" = { from = 0.1, too = 0.2, steps = 2 }\n",
    );
    let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
        panic!("refused as input")
    };
    let lines: Vec<usize> =
        e.0.iter()
            .filter_map(|d| d.line_col.map(|(l, _)| l))
            .collect();
    assert_eq!(lines, [4, 6, 7, 8, 8], "{e}");
    for x in [
        "unknown key `replicat`",
        "did you mean `harm`",
        "no agent named `employe`",
        "unknown key `too`",
        "missing required key `to`",
    ] {
        assert!(e.to_string().contains(x), "{x}: {e}");
    }
    // Beside a mistake of the file, a parameter with a mistake of its own
    // is not checked further (a random design's `values` are not drawn),
    // and the others only for a misspelt path (their values are checked
    // at the sweep's points, which it makes once its parameters are right).
    let path = write_sweep(
        tmp.path(),
        "design = \"random\"\nsamples = 4\nreplicat = 2\n[parameters]\n\"agents.employee.count\" = { values = [1, 2] }\n\"rules.coercion.harm\" = { low = 0.1, high = 5000000.0 }\n\"rules.coercion.harn\" = { low = 0.1, high = 0.2 }\n",
    );
    let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
        panic!("refused as input")
    };
    let text = e.to_string();
    assert_eq!(e.0.len(), 3, "{text}");
    assert!(text.contains("unknown key `replicat`"), "{text}");
    assert!(
        text.contains("design = \"random\" needs low and high"),
        "{text}"
    );
    assert!(
        text.contains("unknown key `harn`") && !text.contains("at point"),
        "{text}"
    );
    // With only the file's own mistakes, the sweep's real points are
    // checked too, and named.
    let path = write_sweep(
        tmp.path(),
        "replicat = 2\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 5000000.0] }\n",
    );
    let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
        panic!("refused as input")
    };
    let text = e.to_string();
    assert_eq!(e.0.len(), 2, "{text}");
    assert!(text.contains("unknown key `replicat`"), "{text}");
    assert!(
        text.contains("5000000 is out of range at point 1 (rules.coercion.harm = 5000000)"),
        "{text}"
    );
    let eleven: String = (0..11)
        .map(|k| format!("\"agents.employee.bases.b{k}\" = {{ low = 0.1, high = 0.2 }}\n"))
        .collect();
    let path = write_sweep(
        tmp.path(),
        &format!("design = \"sobol\"\nsamples = 8\nreplicat = 2\n[parameters]\n{eleven}"),
    );
    let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
        panic!("refused as input, not a panic")
    };
    assert!(e.to_string().contains("at most 10 parameters"), "{e}");
    assert!(e.to_string().contains("unknown key `replicat`"), "{e}");
    // A form the design does not take is a mistake of its own, beside one
    // in the form given: both are said at once.
    let two = [
        ("[parameters]\n\"rules.coercion.harm\" = { low = 0.5, high = 0.3 }\n", ["low = 0.5 is above high = 0.3", "a grid design needs values"]),
        ("design = \"lhs\"\nsamples = 4\n[parameters]\n\"rules.coercion.harm\" = { values = [true] }\n", ["expected a finite number", "design = \"lhs\" needs low and high"]),
    ];
    for (body, expect) in two {
        let path = write_sweep(tmp.path(), body);
        let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
            panic!("{body}: refused as input")
        };
        assert_eq!(e.0.len(), 2, "{body}: {e}");
        for x in expect {
            assert!(e.to_string().contains(x), "{body}: {e}");
        }
    }
    for (body, expect) in single {
        let path = write_sweep(tmp.path(), body);
        let Err(powerdyn::Error::Input(e)) = sweep::file::load(&path, false) else {
            panic!("{body}: refused as input")
        };
        assert_eq!(e.0.len(), 1, "{body}: {e}");
        assert!(e.to_string().contains(expect), "{body}: {e}");
    }
}

#[test]
fn any_run_of_a_sweep_is_redone_alone_by_a_run_with_its_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 2\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
    );
    let out = tmp.path().join("out");
    run(&path, &out, 2);
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let ts = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    // run_id, point, replicate, seed, harm, ...: redo run 3 (point 1, replicate 1).
    let row: Vec<&str> = runs.lines().nth(4).unwrap().split(',').collect();
    assert_eq!(row[0], "3");
    let (seed, harm): (u64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
    assert_eq!(harm, 0.6);
    // The base scenario with the point's value, as a user would write it.
    let child = tmp.path().join("scen/redo.toml");
    fs::write(
        &child,
        format!("extends = \"bully.toml\"\nname = \"redo\"\n[rules.coercion]\nharm = {harm}\n"),
    )
    .unwrap();
    let s = powerdyn::scenario::load(&child).unwrap();
    let alone = tmp.path().join("alone");
    crate::support::run_into(&s, seed, 60, 1, &alone);
    let sweep_rows: Vec<&str> = ts.lines().filter_map(|l| l.strip_prefix("3,")).collect();
    let alone_ts = fs::read_to_string(alone.join("timeseries.csv")).unwrap();
    let alone_rows: Vec<&str> = alone_ts.lines().skip(1).collect();
    assert_eq!(sweep_rows.len(), alone_rows.len());
    assert_eq!(
        sweep_rows, alone_rows,
        "the run alone differs from the sweep's run 3"
    );
    // What the redo needs is in the sweep's manifest: the steps, and the
    // base scenario's hash as a run of it records it.
    let json = |p: std::path::PathBuf| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
    };
    let m = json(out.join("manifest.json"));
    assert_eq!(m["steps"], 60);
    let base = powerdyn::scenario::load(&tmp.path().join("scen/bully.toml")).unwrap();
    let based = tmp.path().join("base");
    crate::support::run_into(&base, 1, 1, 1, &based);
    assert_eq!(
        m["scenario_sha256"],
        json(based.join("manifest.json"))["scenario_sha256"]
    );
}

#[test]
fn more_shards_than_runs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
    );
    let sw = sweep::file::load(&path, false).unwrap();
    let out = tmp.path().join("shard");
    let cfg = sweep::SweepConfig {
        out_dir: out.clone(),
        threads: 1,
        shard: Some((2, 3)),
        replace: false,
    };
    let err = sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("3 shards for 2 runs"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_top_level_key_can_be_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"record_every\" = { values = [5, 20] }\n",
    );
    let out = tmp.path().join("out");
    run(&path, &out, 1);
    let ts = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    // 60 steps: 13 records every 5 steps (0, 5, ..., 60), 4 every 20.
    let rows = |id: &str| {
        ts.lines()
            .filter(|l| l.starts_with(&format!("{id},")))
            .count()
    };
    assert_eq!((rows("0"), rows("1")), (13, 4));
}

#[test]
fn the_dry_runs_time_series_size_is_measured_from_formatted_records() {
    // The probe formats its records as the sweep writes them: its size per
    // record times the records comes within a few percent of the file
    // (a guess of 60 columns of 12 bytes was 29% high on sweep-base).
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.5] }\n",
    );
    let sw = sweep::file::load(&path, false).unwrap();
    let probe = sweep::probe(&sw, 0, std::time::Duration::from_secs(2)).unwrap();
    let out = tmp.path().join("out");
    run(&path, &out, 1);
    let ts = fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let header = ts.lines().next().unwrap().len() + 1;
    let records = ts.lines().count() - 1;
    let actual = (ts.len() - header) as f64;
    let estimate = probe.record_bytes * records as f64;
    assert!(
        (estimate / actual - 1.0).abs() < 0.05,
        "estimated {estimate} bytes, wrote {actual}"
    );
}

#[test]
fn the_benchmark_sweep_files_plan_their_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (file, runs) in [
        ("sweep-throughput.toml", "= 200 runs"),
        ("sweep-hierarchy.toml", "= 200 runs"),
        ("sweep-10k.toml", "= 10000 runs"),
    ] {
        let out = assert_cmd::Command::cargo_bin("powerdyn")
            .unwrap()
            .current_dir(dir.path())
            .args(["sweep", root().join("benches").join(file).to_str().unwrap()])
            .arg("--dry-run")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains(runs), "{file}: {text}");
    }
    assert!(
        fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a dry run writes nothing"
    );
}

#[test]
fn the_cli_dry_run_counts_runs_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = root().join("scenarios/sweeps/bully-harm.toml");
    let dry = |more: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("powerdyn")
            .unwrap()
            .current_dir(dir.path())
            .args(["sweep", file.to_str().unwrap(), "--dry-run"])
            .args(more)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let text = dry(&[]);
    assert!(text.contains("9 points x 4 replicates = 36 runs"), "{text}");
    // A time measured on the first run, not assumed.
    assert!(
        text.contains("estimate: ") && text.contains("per agent-step measured on"),
        "{text}"
    );
    assert!(
        text.contains("of time series and ") && text.contains(" of aggregates"),
        "{text}"
    );
    assert!(!dir.path().join("output").exists());
    // A shard's dry run says what the shard does (every 4th run from its 1st).
    let text = dry(&["--shard", "1/4"]);
    assert!(
        text.contains("of aggregates when the shards are merged"),
        "{text}"
    );
    assert!(
        text.contains("= 36 runs of 1000 steps (2 agents each); shard 1/4 does 9 runs of them"),
        "{text}"
    );
}

#[test]
fn shards_merged_give_exactly_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 2\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3, 0.6] }\n\"agents.employee.exit_cost\" = { values = [0.2, 0.8] }\n",
    );
    let sw = sweep::file::load(&path, false).unwrap();
    let whole = tmp.path().join("whole");
    run(&path, &whole, 2);
    let mut shards = Vec::new();
    for k in 0..3 {
        let dir = tmp.path().join(format!("shard{k}"));
        let cfg = sweep::SweepConfig {
            out_dir: dir.clone(),
            threads: 1,
            shard: Some((k, 3)),
            replace: false,
        };
        sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap();
        assert!(
            !dir.join("aggregate.csv").exists(),
            "shards leave the aggregate to the merge"
        );
        shards.push(dir);
    }
    // Given in any order.
    shards.reverse();
    let merged = tmp.path().join("merged");
    assert_eq!(sweep::merge(&shards, &merged).unwrap(), 12);
    for f in ["runs.csv", "timeseries.csv", "aggregate.csv"] {
        assert_eq!(
            fs::read(merged.join(f)).unwrap(),
            fs::read(whole.join(f)).unwrap(),
            "{f}"
        );
    }
    // A missing shard is an error, not a silently smaller sweep.
    let err = sweep::merge(&shards[..2], &tmp.path().join("bad")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("shard 0/3 is missing"), "{err}");
    // Every missing shard, as a job array would run them again.
    let err = sweep::merge(&shards[..1], &tmp.path().join("bad")).unwrap_err();
    assert!(
        err.to_string()
            .contains("2 of the 3 shards are missing: 0-1")
            && err.to_string().contains("sbatch --array=0-1"),
        "{err}"
    );
    assert!(
        !tmp.path().join("bad").exists(),
        "a refused merge writes nothing"
    );
    // The merged manifest says what the sweep was, as a whole sweep's does.
    let m = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
    };
    let (mm, mw) = (m(&merged), m(&whole));
    for key in sweep::SWEEP_RECORD.iter().chain(&["sweep_hash", "runs"]) {
        assert_eq!(mm[key], mw[key], "{key}");
    }
    assert_eq!(mm["merged_from"].as_array().unwrap().len(), 3);
    // Which build ran each shard, and when, in shard order (they were given
    // in reverse).
    let prov = mm["shard_provenance"].as_array().unwrap();
    let order: Vec<&str> = prov.iter().map(|p| p["shard"].as_str().unwrap()).collect();
    assert_eq!(order, ["0/3", "1/3", "2/3"]);
    for p in prov {
        assert_eq!(
            p["powerdyn_commit"],
            serde_json::json!(powerdyn::build_commit())
        );
        assert!(p["started_utc"].as_str().unwrap().ends_with('Z'), "{p}");
    }
    // It holds the sweep's files, as the whole sweep's folder does, and
    // says how to repeat the sweep from them.
    assert_eq!(
        mm["inputs"],
        serde_json::json!(["scenario/sweeps/s.toml", "scenario/bully.toml"])
    );
    assert_eq!(mm["inputs"], mw["inputs"]);
    assert_eq!(mm["rerun"], "powerdyn sweep scenario/sweeps/s.toml");
    assert_eq!(mw["rerun"], mm["rerun"]);
    assert_eq!(
        m(&shards[0])["rerun"],
        "powerdyn sweep scenario/sweeps/s.toml --shard 2/3",
        "shards were given in reverse"
    );
    assert_eq!(
        tree(&merged.join("scenario")),
        tree(&whole.join("scenario"))
    );
    assert_eq!(
        fs::read(whole.join("scenario/sweeps/s.toml")).unwrap(),
        fs::read(&path).unwrap()
    );
    // A shard copied back incompletely (its manifest first, its time series
    // cut short) is refused, naming the file.
    let copy = tmp.path().join("copy");
    fs::create_dir_all(&copy).unwrap();
    copy_tree(&shards[0], &copy);
    let ts = fs::read(copy.join("timeseries.csv")).unwrap();
    fs::write(copy.join("timeseries.csv"), &ts[..ts.len() / 2]).unwrap();
    let torn = [copy.clone(), shards[1].clone(), shards[2].clone()];
    let err = sweep::merge(&torn, &tmp.path().join("bad2")).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("timeseries.csv") && err.to_string().contains("incomplete copy"),
        "{err}"
    );
    assert!(!tmp.path().join("bad2").exists());
}

#[test]
fn a_merge_refuses_mixed_sweeps_unfinished_or_repeated_shards_and_its_own_input() {
    let tmp = tempfile::tempdir().unwrap();
    let shards_of = |body: &str, tag: &str| two_shards(&tmp.path().join(tag), body);
    let one = shards_of(
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
        "a",
    );
    // The same sweep but for its last value: its shards hold the same run ids.
    let other = shards_of(
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.7] }\n",
        "b",
    );
    let snapshot = |d: &Path| -> Vec<(String, Vec<u8>)> { tree(d) };
    let before = snapshot(&one[0]);
    let out = tmp.path().join("merged");
    let refused = |shards: &[std::path::PathBuf], out: &Path, expect: &str| {
        let err = sweep::merge(shards, out).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{err}");
        assert!(err.to_string().contains(expect), "{expect}: {err}");
    };
    refused(
        &[one[0].clone(), other[1].clone()],
        &out,
        "a different sweep",
    );
    refused(&[one[0].clone(), one[0].clone()], &out, "given twice");
    // An unfinished shard (no manifest) is not merged.
    let unfinished = tmp.path().join("unfinished");
    fs::create_dir(&unfinished).unwrap();
    for f in ["runs.csv", "timeseries.csv"] {
        fs::copy(one[1].join(f), unfinished.join(f)).unwrap();
    }
    refused(
        &[one[0].clone(), unfinished.clone()],
        &out,
        "not a finished shard",
    );
    // Every shard that is missing or unfinished is named at once, with what it is.
    let gone = tmp.path().join("gone");
    let running = tmp.path().join("running");
    fs::create_dir(&running).unwrap();
    fs::write(running.join(".sweep-state"), "x").unwrap();
    let err = sweep::merge(&[one[0].clone(), unfinished, gone, running], &out)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unfinished: not a finished shard")
            && err.contains("gone: not there: deleted, or its task never started")
            && err.contains("running: not finished: its sweep stopped, or is still running")
            && err.contains("sbatch --array=K sweep.sbatch"),
        "{err}"
    );
    refused(&one, &one[0], "would go into a shard's folder");
    refused(&one, &one[1].join("sub"), "would go into a shard's folder");
    assert!(!one[1].join("sub").exists());
    assert!(!out.exists(), "a refused merge writes nothing");
    // A merge cut short (runs.csv written, no manifest) can be run again.
    let cut = tmp.path().join("cut");
    fs::create_dir(&cut).unwrap();
    fs::copy(one[0].join("runs.csv"), cut.join("runs.csv")).unwrap();
    sweep::merge(&one, &cut).unwrap();
    assert!(cut.join("manifest.json").exists());
    assert_eq!(snapshot(&one[0]), before, "the shard is untouched");
    // The good merge still works, and a run refuses to write into it.
    sweep::merge(&one, &out).unwrap();
    let scenario = powerdyn::scenario::load(&tmp.path().join("a/scen/bully.toml")).unwrap();
    let cfg = powerdyn::run::RunConfig {
        seed: 1,
        steps: 5,
        out_dir: out.clone(),
        threads: 1,
    };
    let err = powerdyn::run::run(&scenario, &cfg, &mut |_, _| {}).unwrap_err();
    assert!(
        err.to_string().contains("holds the output of a merge"),
        "{err}"
    );
    assert!(out.join("aggregate.csv").exists());
}

#[test]
fn every_point_of_a_sweep_is_checked_before_a_run_starts() {
    let tmp = tempfile::tempdir().unwrap();
    // One bad value in the middle of 30 points.
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"agents.employee.exit_cost\" = { values = [0.1, 2.0, 0.5] }\n\"rules.coercion.harm\" = { from = 0.1, to = 0.6, steps = 10 }\n",
    );
    let err = sweep::file::load(&path, false).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    // Placed at the parameter's line in the sweep file (line 5), named by
    // the sweep's path, once (not once for each of the ten points with 2).
    let text = err.to_string();
    assert!(
        text.contains("s.toml:5:1: parameters.\"agents.employee.exit_cost\": 2 is out of range at point 10 (agents.employee.exit_cost = 2, "),
        "{text}"
    );
    assert_eq!(text.matches("out of range").count(), 1, "{text}");
    // A bad point 0 does not hide the others' problems.
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"agents.employee.exit_cost\" = { values = [5.0, 0.1] }\n\"rules.coercion.harm\" = { values = [0.1, -3.0] }\n",
    );
    let text = sweep::file::load(&path, false).unwrap_err().to_string();
    assert!(
        text.contains("5 is out of range at point 0 ")
            && text.contains("-3 is out of range at point 1 ")
            && text.contains("2 problems found"),
        "{text}"
    );
    // Two parameters with bad values: both said, each at its own line.
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n\"rules.tactics.stake\" = { values = [0.1, 0.9] }\n\"agents.employee.exit_cost\" = { values = [0.5, 1.5] }\n",
    );
    let text = sweep::file::load(&path, false).unwrap_err().to_string();
    assert!(
        text.contains(
            "s.toml:6:1: parameters.\"rules.tactics.stake\": 0.9 is out of range at point 2 "
        ) && text.contains(
            "s.toml:7:1: parameters.\"agents.employee.exit_cost\": 1.5 is out of range at point 1 "
        ) && text.contains("2 problems found"),
        "{text}"
    );
    // In file order, although line 7's value fails at an earlier point.
    assert!(
        text.find("s.toml:6:1:") < text.find("s.toml:7:1:"),
        "{text}"
    );
    // Designs too large to hold are refused from their size alone, at once.
    for body in [
        "[parameters]\n\"rules.coercion.harm\" = { from = 0.1, to = 0.6, steps = 10000000 }\n\"rules.tactics.stake\" = { from = 0.01, to = 0.05, steps = 10000000 }\n",
        "design = \"random\"\nsamples = 100000000\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.6 }\n",
    ] {
        let path = write_sweep(tmp.path(), body);
        let start = std::time::Instant::now();
        let err = sweep::file::load(&path, true).unwrap_err();
        assert!(err.to_string().contains("parameter points; at most"), "{err}");
        assert!(start.elapsed().as_secs() < 10);
    }
}

#[test]
fn a_parameter_that_switches_metric_columns_is_refused_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    // The bullying dyad has hierarchy metrics at a threshold of 100 agents,
    // none at 0.
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"metrics.hierarchy_max_agents\" = { values = [100, 0] }\n",
    );
    let err = sweep::file::load(&path, false).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let msg = err.to_string();
    assert!(
        msg.contains("point 1 (metrics.hierarchy_max_agents = 0)"),
        "{msg}"
    );
    assert!(msg.contains("without landau_h"), "{msg}");
}

#[test]
fn undefined_metrics_are_left_out_of_the_aggregate_not_counted_as_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.2, 0.4] }\n",
    );
    let out = tmp.path().join("out");
    run(&path, &out, 2);
    let text = fs::read_to_string(out.join("aggregate.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(!rows.is_empty());
    for r in &rows {
        // Two agents hold no triad: the transitivity is undefined in every
        // run, so it has no mean, not a mean of 0.
        assert_eq!(r[col("triangle_transitivity_n")], "0");
        for s in ["mean", "sd", "lo95", "hi95"] {
            assert_eq!(r[col(&format!("triangle_transitivity_{s}"))], "", "{s}");
        }
        assert_eq!(r[col("power_gini_n")], r[col("runs")]);
        assert_eq!(r[col("runs")], "3");
        assert!(r[col("power_gini_mean")].parse::<f64>().is_ok());
        // The 95% interval of a mean of 3 runs: Student's t on 2 degrees of
        // freedom (4.30), not 1.96.
        let f = |c: &str| r[col(c)].parse::<f64>().unwrap();
        let half = f("power_gini_hi95") - f("power_gini_mean");
        let expect = 4.302652729749464 * f("power_gini_sd") / 3f64.sqrt();
        assert!(
            (half - expect).abs() <= 1e-12 * (1.0 + expect),
            "{half} against {expect}"
        );
    }
}

#[test]
fn a_sobol_sweep_estimates_which_parameter_matters_and_merges_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "design = \"sobol\"\nsamples = 32\n[parameters]\n\"rules.coercion.harm\" = { low = 0.05, high = 0.6 }\n\"agents.employee.exit_cost\" = { low = 0.0, high = 1.0 }\n",
    );
    let sw = sweep::file::load(&path, false).unwrap();
    assert_eq!(sw.points.len(), 32 * 4, "Saltelli: N (d + 2) points");
    let whole = tmp.path().join("whole");
    run(&path, &whole, 2);
    let sens = fs::read_to_string(whole.join("sensitivity.csv")).unwrap();
    let total = |metric: &str, param: &str| -> f64 {
        sens.lines()
            .find(|l| l.starts_with(&format!("final_{metric},{param},")))
            .and_then(|l| l.split(',').nth(3))
            .and_then(|x| x.parse().ok())
            .unwrap_or_else(|| panic!("{metric} {param} in\n{sens}"))
    };
    assert!(
        total("mean_engagement", "agents.employee.exit_cost")
            > total("mean_engagement", "rules.coercion.harm"),
        "whether the target can leave matters most for its engagement:\n{sens}"
    );
    // A row for every final metric and parameter; indices that cannot be
    // computed (a metric with no variance over the design, or undefined) are
    // empty cells.
    let metrics = fs::read_to_string(whole.join("timeseries.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(',')
        .count()
        - 2;
    assert_eq!(sens.lines().count(), 1 + metrics * 2, "{sens}");
    assert!(
        sens.lines()
            .any(|l| l.starts_with("final_triangle_transitivity,") && l.ends_with(",,")),
        "{sens}"
    );
    let design = fs::read_to_string(whole.join("design.csv")).unwrap();
    assert_eq!(design.lines().count(), 1 + 128, "the design, for SALib");
    // Shards merged: the same files, the sensitivity indices included.
    let mut shards = Vec::new();
    for k in 0..2 {
        let dir = tmp.path().join(format!("s{k}"));
        let cfg = sweep::SweepConfig {
            out_dir: dir.clone(),
            threads: 1,
            shard: Some((k, 2)),
            replace: false,
        };
        sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap();
        shards.push(dir);
    }
    let merged = tmp.path().join("merged");
    sweep::merge(&shards, &merged).unwrap();
    for f in [
        "runs.csv",
        "timeseries.csv",
        "aggregate.csv",
        "verdicts.csv",
        "sensitivity.csv",
        "design.csv",
    ] {
        assert_eq!(
            fs::read(merged.join(f)).unwrap(),
            fs::read(whole.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_parameter_that_changes_nothing_gets_sobol_indices_of_exactly_zero() {
    // Informational power is off in this scenario: how fast it is spent
    // changes nothing. The rows of a base sample share their seeds (common
    // random numbers), so its indices are 0, not the replicates' noise
    // (independent seeds gave it a total index of 0.72 on power_gini).
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 2\ndesign = \"sobol\"\nsamples = 16\n[parameters]\n\"rules.coercion.harm\" = { low = 0.05, high = 0.6 }\n\"rules.informational.spending\" = { low = 0.0, high = 0.5 }\n",
    );
    let base = path.parent().unwrap().join("../bully.toml");
    let mut scen = fs::read_to_string(&base).unwrap();
    scen.push_str("\n[rules.informational]\nenabled = false\n");
    fs::write(&base, scen).unwrap();
    let out = tmp.path().join("out");
    run(&path, &out, 2);
    let sens = fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    let cells = |metric: &str, param: &str| -> Vec<String> {
        let line = sens
            .lines()
            .find(|l| l.starts_with(&format!("final_{metric},{param},")))
            .unwrap_or_else(|| panic!("{metric} {param} in\n{sens}"));
        line.split(',').skip(2).map(str::to_string).collect()
    };
    for m in ["power_gini", "dyad_imbalance", "mean_resentment"] {
        assert_eq!(
            cells(m, "rules.informational.spending"),
            ["0", "0", "0", "0"],
            "{m}: indices and their intervals 0:\n{sens}"
        );
        let harm: f64 = cells(m, "rules.coercion.harm")[1].parse().unwrap();
        assert!(harm > 0.05, "{m}: harm matters:\n{sens}");
    }
    // The seeds recorded: the d + 2 = 4 rows of a base sample share them.
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (point, rep, seed) = (col("point"), col("replicate"), col("seed"));
    let mut by_sample = std::collections::BTreeMap::new();
    for l in runs.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let p: usize = f[point].parse().unwrap();
        by_sample
            .entry((p / 4, f[rep].to_string()))
            .or_insert_with(std::collections::BTreeSet::new)
            .insert(f[seed].to_string());
    }
    assert_eq!(by_sample.len(), 16 * 2);
    assert!(by_sample.values().all(|s| s.len() == 1), "{by_sample:?}");
}

#[test]
fn one_replicate_leaves_spread_and_interval_empty_not_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 1\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n",
    );
    let out = tmp.path().join("out");
    run(&path, &out, 1);
    let agg = fs::read_to_string(out.join("aggregate.csv")).unwrap();
    let header: Vec<&str> = agg.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = agg.lines().nth(1).unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("power_gini_n"), "1");
    assert!(!cell("power_gini_mean").is_empty());
    for c in ["power_gini_sd", "power_gini_lo95", "power_gini_hi95"] {
        assert_eq!(cell(c), "", "{c}");
    }
}

#[test]
fn the_slurm_scripts_run_as_an_array_and_merge_into_the_local_sweep() {
    // Without a cluster, run each array task's script as SLURM would, with
    // its task id in the environment, then the merge script.
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 2\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n\"agents.employee.exit_cost\" = { values = [0.2, 0.5, 0.8] }\n",
    );
    let out = tmp.path().join("cluster");
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    let status = std::process::Command::new(&bin)
        .args([
            "slurm",
            path.to_str().unwrap(),
            "--tasks",
            "3",
            "--time",
            "00:05:00",
            "--mem",
            "1G",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let script = fs::read_to_string(out.join("sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-2\n") && script.contains("#SBATCH --time=00:05:00"));
    // SLURM does not make the folder of its --output files: it is there.
    assert!(out.join("logs").is_dir(), "logs/ made with the scripts");
    // The tasks read the snapshot taken now: the originals may go.
    let local = tmp.path().join("local");
    run(&path, &local, 2);
    let originals = tmp.path().join("scen-gone");
    fs::rename(tmp.path().join("scen"), &originals).unwrap();
    let task = |k: u32, count: u32| {
        std::process::Command::new("bash")
            .arg(out.join("sweep.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", count.to_string())
            .status()
            .unwrap()
            .success()
    };
    for k in 0..3 {
        assert!(task(k, 3), "task {k}");
    }
    // A failed task submitted again alone (`sbatch --array=1 sweep.sbatch`:
    // an array of one task) is still shard 1 of 3, and task 0 submitted
    // again alone leaves its finished shard as it is.
    let shard0 = fs::read(out.join("shards/shard-0/runs.csv")).unwrap();
    fs::remove_dir_all(out.join("shards/shard-1")).unwrap();
    assert!(task(1, 1), "task 1 again, alone");
    assert!(task(0, 1), "task 0 again, alone");
    assert_eq!(
        fs::read(out.join("shards/shard-0/runs.csv")).unwrap(),
        shard0
    );
    assert!(
        script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""),
        "{script}"
    );
    assert!(std::process::Command::new("bash")
        .arg(out.join("merge.sbatch"))
        .status()
        .unwrap()
        .success());
    assert_same_outputs(&out.join("merged"), &local);
    fs::rename(&originals, tmp.path().join("scen")).unwrap();
    // A task's log is its own (a task submitted again does not overwrite
    // the log of the one that failed), and says what the task did.
    assert!(
        script.contains("--output=") && script.contains("/logs/shard-%a-job%A.log"),
        "{script}"
    );
    assert!(
        !script.contains("--quiet"),
        "a task's log tells its runs: {script}"
    );
    let submit = fs::read_to_string(out.join("submit.sh")).unwrap();
    assert!(
        submit.contains("echo \"array job ${job%%;*}, merge job ${merge%%;*}"),
        "{submit}"
    );
    // Scripts written again into the folder of shards split otherwise, or of
    // another definition, would make tasks that refuse their folders.
    let again = |tasks: &str| {
        std::process::Command::new(&bin)
            .args(["slurm", path.to_str().unwrap(), "--tasks", tasks, "--out"])
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(again("3").status.success(), "the same split: fine");
    let other = again("2");
    assert_eq!(other.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("split in another number of tasks than 2"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    // Shard folders swapped, or a merge of another definition in merged/.
    let shards = out.join("shards");
    fs::rename(shards.join("shard-0"), shards.join("tmp")).unwrap();
    fs::rename(shards.join("shard-1"), shards.join("shard-0")).unwrap();
    fs::rename(shards.join("tmp"), shards.join("shard-1")).unwrap();
    let swapped = again("3");
    assert_eq!(swapped.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&swapped.stderr).contains("shard-0 holds shard 1/3, not its own")
    );
    fs::rename(shards.join("shard-0"), shards.join("tmp")).unwrap();
    fs::rename(shards.join("shard-1"), shards.join("shard-0")).unwrap();
    fs::rename(shards.join("tmp"), shards.join("shard-1")).unwrap();
    let merged = out.join("merged/manifest.json");
    let kept = fs::read(&merged).unwrap();
    fs::write(&merged, "{\"sweep_hash\": \"another\"}").unwrap();
    let other_merge = again("3");
    assert_eq!(other_merge.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other_merge.stderr)
        .contains("merged holds the merged output of another definition"));
    fs::write(&merged, kept).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("replicates = 2", "replicates = 3")).unwrap();
    let edited = again("3");
    assert_eq!(edited.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&edited.stderr).contains("another definition of the sweep"));
    fs::write(&path, text).unwrap();
    // Unsafe option values never reach a script.
    let bad = std::process::Command::new(&bin)
        .args([
            "slurm",
            path.to_str().unwrap(),
            "--tasks",
            "2",
            "--partition",
            "x;rm -rf /",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_sweep_killed_and_resumed_ends_with_exactly_the_files_of_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 40\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3, 0.6] }\n\"agents.employee.exit_cost\" = { values = [0.2, 0.8] }\n",
    )
    .to_path_buf();
    // steps = 60 for every run; 240 runs in batches of 64.
    let whole = tmp.path().join("whole");
    run(&path, &whole, 2);
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    let resumed = tmp.path().join("resumed");
    // Kill a run partway (SIGKILL), at several moments, then tear its logs
    // the way a crash mid-write would; each time the next run resumes.
    for wait_ms in [15u64, 40, 80] {
        let mut child = std::process::Command::new(&bin)
            .args([
                "sweep",
                path.to_str().unwrap(),
                "--threads",
                "1",
                "--quiet",
                "--out",
            ])
            .arg(&resumed)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = child.kill();
        let _ = child.wait();
        for part in ["runs.csv.part", "timeseries.csv.part"] {
            if let Ok(mut f) = fs::OpenOptions::new().append(true).open(resumed.join(part)) {
                use std::io::Write;
                f.write_all(b"99999,torn").unwrap();
            }
        }
        // Killed anywhere, the folder is finished or can resume: the state
        // goes only after the manifest. (A kill between the aggregates and
        // the manifest leaves aggregate.csv without one: it is rewritten.)
        let started = ["runs.csv.part", "runs.csv", "aggregate.csv"]
            .iter()
            .any(|f| resumed.join(f).exists());
        assert!(
            !started
                || resumed.join("manifest.json").exists()
                || resumed.join(".sweep-state").exists(),
            "killed after {wait_ms} ms: neither finished nor resumable"
        );
    }
    let status = std::process::Command::new(&bin)
        .args([
            "sweep",
            path.to_str().unwrap(),
            "--threads",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(&resumed)
        .status()
        .unwrap();
    assert!(status.success());
    assert_same_outputs(&resumed, &whole);
    assert!(!resumed.join("runs.csv.part").exists());
}

#[test]
fn running_a_finished_sweep_again_into_its_folder_does_nothing_and_a_changed_one_is_refused_unless_forced(
) {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n",
    );
    let out = tmp.path().join("o");
    let first = run(&path, &out, 1);
    assert!(!first.finished_before && first.resumed == 0 && first.runs == 2);
    let before = fs::read(out.join("manifest.json")).unwrap();
    let again = run(&path, &out, 2);
    assert!(again.finished_before && again.resumed == 2, "{again:?}");
    assert_eq!(
        fs::read(out.join("manifest.json")).unwrap(),
        before,
        "nothing was redone"
    );
    let sweep_into = |path: &Path, shard: Option<(u64, u64)>, replace: bool| {
        let sw = sweep::file::load(path, false).unwrap();
        let cfg = sweep::SweepConfig {
            out_dir: out.clone(),
            threads: 1,
            shard,
            replace,
        };
        sweep::run(&sw, &cfg, &mut |_, _| {})
    };
    let refused = |r: powerdyn::error::Result<sweep::SweepSummary>, says: &str| {
        let err = r.unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains(says) && err.to_string().contains("--force"),
            "{err}"
        );
        assert_eq!(
            fs::read(out.join("manifest.json")).unwrap(),
            before,
            "left as it was"
        );
    };
    // A shard of the same sweep, then another definition: refused, the
    // finished results left as they were.
    refused(sweep_into(&path, Some((0, 2)), false), "finished whole");
    let changed = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3, 0.5] }\n",
    );
    refused(sweep_into(&changed, None, false), "another definition");
    // Forced, the changed sweep starts over.
    sweep_into(&changed, None, true).unwrap();
    assert_eq!(
        fs::read_to_string(out.join("runs.csv"))
            .unwrap()
            .lines()
            .count(),
        4
    );
    assert!(!out.join(".powerdyn-lock").exists(), "the lock is gone");
}

/// A second sweep started into a folder while one writes there is refused
/// (its rows would interleave with the first's), and a lock left by a
/// process that has ended is taken over.
#[test]
fn one_sweep_at_a_time_writes_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n",
    );
    let out = tmp.path().join("o");
    fs::create_dir_all(&out).unwrap();
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    // Held by this (live) test process.
    fs::write(
        out.join(".powerdyn-lock"),
        format!("{} {host}\n", std::process::id()),
    )
    .unwrap();
    let sw = sweep::file::load(&path, false).unwrap();
    let cfg = sweep::SweepConfig {
        out_dir: out.clone(),
        threads: 1,
        shard: None,
        replace: false,
    };
    let err = sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("is writing to this folder"),
        "{err}"
    );
    assert!(!out.join("runs.csv").exists() && !out.join(".sweep-state").exists());
    if std::path::Path::new("/proc/self").exists() {
        // Left by a process that has ended (no such pid): taken over.
        fs::write(out.join(".powerdyn-lock"), format!("4294967295 {host}\n")).unwrap();
        sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap();
        assert!(out.join("manifest.json").exists());
        assert!(!out.join(".powerdyn-lock").exists());
    }
}

/// A lock left on a shared file system by a SLURM task that was killed
/// (its resubmission lands on another node) is taken over once `squeue`
/// gives the job a final state or no longer knows it, and refused, naming
/// the job, while it runs, when SLURM cannot be asked or lists nothing
/// (the job may be hidden). A requeued job takes over the lock of its own
/// earlier run; a live process of this host keeps its lock whatever SLURM
/// says. A task's own lock records its job.
#[cfg(unix)]
#[test]
fn a_lock_left_by_an_ended_slurm_job_is_taken_over() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n",
    );
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    // The fake squeue answers only as powerdyn must ask: every state, the
    // job named, none of the user's filters.
    let squeue = |body: &str| {
        let f = bin.join("squeue");
        fs::write(
            &f,
            format!(
                "#!/bin/sh\ncase \"$*\" in *--states=all*--jobs\\ 4242*) ;; *) echo \"asked: $*\" >&2; exit 3;; esac\n[ -z \"$SQUEUE_USERS\" ] || {{ echo 'a filter' >&2; exit 3; }}\n{body}\n"
            ),
        )
        .unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
    };
    let with_fake = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sweep = |dir: &str, lock: &str, path_var: &str, env: &[(&str, &str)]| {
        let out = tmp.path().join(dir);
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join(".powerdyn-lock"), lock).unwrap();
        let mut cmd = assert_cmd::Command::cargo_bin("powerdyn").unwrap();
        cmd.args(["sweep", path.to_str().unwrap(), "--out"])
            .arg(&out)
            .arg("--quiet")
            .env("PATH", path_var)
            .env_remove("SLURM_JOB_ID")
            .env_remove("SLURM_RESTART_COUNT")
            .env_remove("SLURM_CLUSTER_NAME")
            .env("SQUEUE_USERS", "someone-else");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out_ = cmd.output().unwrap();
        let took = out.join("manifest.json").exists() && !out.join(".powerdyn-lock").exists();
        (
            out_.status.code(),
            String::from_utf8_lossy(&out_.stderr).into_owned(),
            took,
        )
    };
    let stale = "77 another-node 4242\n";
    // Running: refused, naming the job.
    squeue("echo RUNNING");
    let (code, err, _) = sweep("a", stale, &with_fake, &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("process 77 on another-node, SLURM job 4242")
            && err.contains("squeue -j 4242"),
        "{err}"
    );
    // Listed in no state (hidden from this user, say): refused.
    squeue("exit 0");
    assert_eq!(sweep("b", stale, &with_fake, &[]).0, Some(2));
    // No squeue to ask: refused.
    assert_eq!(
        sweep("c", stale, bin.join("none").to_str().unwrap(), &[]).0,
        Some(2)
    );
    // Ended: a final state, or no longer known to SLURM.
    for (dir, body) in [
        ("d", "echo CANCELLED"),
        (
            "e",
            "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1",
        ),
    ] {
        squeue(body);
        let (code, err, took) = sweep(dir, stale, &with_fake, &[]);
        assert!(code == Some(0) && took, "{dir}: {err}");
    }
    // This job requeued (its restart count higher than the lock's): taken
    // over without asking SLURM; the same run of the job on another node
    // is not.
    squeue("echo RUNNING");
    let requeued = [("SLURM_JOB_ID", "4242"), ("SLURM_RESTART_COUNT", "1")];
    let (code, err, took) = sweep(
        "f",
        "77 another-node job=4242 restart=0\n",
        &with_fake,
        &requeued,
    );
    assert!(code == Some(0) && took, "{err}");
    assert_eq!(
        sweep(
            "g",
            "77 another-node job=4242 restart=1\n",
            &with_fake,
            &requeued
        )
        .0,
        Some(2)
    );
    // Another cluster's job, or one of a named cluster seen from outside
    // a job (a login node): this cluster's squeue cannot tell.
    squeue("echo COMPLETED");
    let here = [("SLURM_JOB_ID", "5"), ("SLURM_CLUSTER_NAME", "alpha")];
    let beta = "77 another-node job=4242 restart=0 cluster=beta\n";
    let (code, err, _) = sweep("h", beta, &with_fake, &here);
    assert_eq!(code, Some(2));
    assert!(err.contains("SLURM job 4242 of cluster beta"), "{err}");
    assert_eq!(sweep("h2", beta, &with_fake, &[]).0, Some(2));
    // The same cluster's: asked.
    let alpha = "77 another-node job=4242 restart=0 cluster=alpha\n";
    let (code, err, took) = sweep("h3", alpha, &with_fake, &here);
    assert!(code == Some(0) && took, "{err}");
    // An empty lock (a process that made it and stopped): refused, said so.
    let (code, err, _) = sweep("h4", "", &with_fake, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("the folder's lock is empty"), "{err}");
    // A live process of this host keeps its lock, whatever SLURM says.
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let live = format!("{} {host} job=4242\n", std::process::id());
    assert_eq!(sweep("i", &live, &with_fake, &[]).0, Some(2));
    // The same, as a lock of this process-id namespace says it: refused
    // while the process that started then is alive; taken over once the
    // id is held by a process that started at another time (reused).
    let ns = fs::read_link("/proc/self/ns/pid").unwrap();
    let ns = ns
        .to_str()
        .unwrap()
        .trim_start_matches("pid:[")
        .trim_end_matches(']');
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let start = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(19)
        .unwrap()
        .to_string();
    let me = std::process::id();
    let alive = format!("{me} {host} name=x ns={ns} start={start}\n");
    assert_eq!(sweep("i2", &alive, &with_fake, &[]).0, Some(2));
    let reused = format!("{me} {host} name=x ns={ns} start=1\n");
    let (code, err, took) = sweep("i3", &reused, &with_fake, &[]);
    assert!(code == Some(0) && took, "{err}");
    // Another namespace's (a container's) process: this /proc cannot tell.
    let other = format!("{me} {host} name=x ns=1 start=1\n");
    assert_eq!(sweep("i4", &other, &with_fake, &[]).0, Some(2));
    // A task's own lock records its job, restart count and cluster.
    let held = tmp.path().join("j");
    fs::create_dir_all(&held).unwrap();
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("powerdyn"))
        .args(["run", "../bully.toml", "--steps", "100000000", "--out"])
        .arg(&held)
        .arg("--quiet")
        .current_dir(path.parent().unwrap())
        .env("SLURM_JOB_ID", "9090")
        .env("SLURM_RESTART_COUNT", "2")
        .env("SLURM_CLUSTER_NAME", "alpha")
        .spawn()
        .unwrap();
    let lock_file = held.join(".powerdyn-lock");
    let mut text = String::new();
    for _ in 0..500 {
        text = fs::read_to_string(&lock_file).unwrap_or_default();
        if !text.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        text.trim().ends_with(" job=9090 restart=2 cluster=alpha"),
        "in SLURM job 9090: {text}"
    );
}

/// On a real SLURM cluster (`.ci/slurm-cluster.sh` starts one; set
/// POWERDYN_SLURM=1): submit the array and the merge that `powerdyn slurm`
/// wrote, wait, and compare with the local sweep. Skipped (and says so)
/// without POWERDYN_SLURM.
#[test]
fn a_real_slurm_cluster_runs_the_array_and_the_merge() {
    if std::env::var("POWERDYN_SLURM").is_err() {
        eprintln!(
            "skipped: set POWERDYN_SLURM=1 with a running SLURM cluster (.ci/slurm-cluster.sh)"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 3\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n\"agents.employee.exit_cost\" = { values = [0.2, 0.8] }\n",
    );
    let out = tmp.path().join("cluster");
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    let ok = std::process::Command::new(&bin)
        .args([
            "slurm",
            path.to_str().unwrap(),
            "--tasks",
            "4",
            "--time",
            "00:05:00",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(ok.success());
    let submitted = std::process::Command::new("bash")
        .arg(out.join("submit.sh"))
        .output()
        .unwrap();
    assert!(
        submitted.status.success(),
        "{}",
        String::from_utf8_lossy(&submitted.stderr)
    );
    let merge_job = String::from_utf8_lossy(&submitted.stdout)
        .trim()
        .to_string();
    let merged = out.join("merged").join("manifest.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while !merged.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the merge job {merge_job} did not finish; squeue: {}",
            String::from_utf8_lossy(
                &std::process::Command::new("squeue")
                    .output()
                    .unwrap()
                    .stdout
            )
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let local = tmp.path().join("local");
    run(&path, &local, 2);
    for f in [
        "runs.csv",
        "timeseries.csv",
        "aggregate.csv",
        "verdicts.csv",
    ] {
        assert_eq!(
            fs::read(out.join("merged").join(f)).unwrap(),
            fs::read(local.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn ctrl_c_stops_a_sweep_keeping_its_completed_runs_and_a_run_leaving_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("benches/sweep-base.toml"),
        tmp.path().join("base.toml"),
    )
    .unwrap();
    let sweep_file = tmp.path().join("big.toml");
    fs::write(
        &sweep_file,
        "name = \"big\"\nscenario = \"base.toml\"\nreplicates = 100\nsteps = 300\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("powerdyn");
    let interrupt = |args: &[&str], wait_ms: u64| {
        let child = std::process::Command::new(&bin)
            .args(args)
            .current_dir(tmp.path())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        child.wait_with_output().unwrap()
    };
    let out = interrupt(
        &[
            "sweep",
            "big.toml",
            "--out",
            "s",
            "--threads",
            "1",
            "--quiet",
        ],
        400,
    );
    if out.status.code() == Some(130) {
        assert!(
            tmp.path().join("s/runs.csv.part").exists(),
            "completed runs are kept"
        );
        assert!(!tmp.path().join("s/manifest.json").exists());
    }
    // Resume, and compare with an uninterrupted sweep.
    let ok = std::process::Command::new(&bin)
        .args(["sweep", "big.toml", "--out", "s", "--quiet"])
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(ok.success());
    let whole = std::process::Command::new(&bin)
        .args(["sweep", "big.toml", "--out", "w", "--quiet"])
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(whole.success());
    for f in ["runs.csv", "timeseries.csv", "aggregate.csv"] {
        assert_eq!(
            fs::read(tmp.path().join("s").join(f)).unwrap(),
            fs::read(tmp.path().join("w").join(f)).unwrap(),
            "{f}"
        );
    }
    // A run interrupted: exit 130, and no part or final files left behind.
    let out = interrupt(
        &[
            "run",
            "base.toml",
            "--steps",
            "200000",
            "--out",
            "r/inner",
            "--quiet",
        ],
        400,
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    // Nothing, not even the folders it made.
    assert!(
        !tmp.path().join("r").exists(),
        "an interrupted run leaves nothing: {:?}",
        fs::read_dir(tmp.path().join("r")).map(|d| d.collect::<Vec<_>>())
    );
}

/// `--max-running M` writes SLURM's limit on the tasks running at once.
#[test]
fn the_slurm_array_can_limit_the_tasks_running_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "replicates = 4\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
    );
    let out = tmp.path().join("cluster");
    let ok = assert_cmd::Command::cargo_bin("powerdyn")
        .unwrap()
        .args([
            "slurm",
            path.to_str().unwrap(),
            "--tasks",
            "8",
            "--max-running",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let script = fs::read_to_string(out.join("sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-7%3\n"), "{script}");
}

/// A sweep of a named event's and a named intersection's keys: each point's
/// scenario has the swept value (the entry laid over the base's, not added
/// beside it), and the values reach the runs.
#[test]
fn named_events_and_intersections_can_be_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for f in [
        "couple-money.toml",
        "couple-money-counseling.toml",
        "intersectionality.toml",
    ] {
        fs::copy(root().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    let relief = dir.join("relief.toml");
    fs::write(
        &relief,
        "name = \"relief\"\nscenario = \"couple-money-counseling.toml\"\nsteps = 1300\n\
         [parameters]\n\"events.counseling.relief\" = { values = [0.1, 0.9] }\n",
    )
    .unwrap();
    let sw = sweep::file::load(&relief, false).expect("valid sweep");
    for (point, want) in [(0, 0.1), (1, 0.9)] {
        let s = sw.scenario_at(point).expect("the point's scenario");
        assert_eq!(
            s.events.len(),
            1,
            "the base's event overridden, not doubled"
        );
        assert_eq!(s.events[0].name.as_deref(), Some("counseling"));
        match &s.events[0].kind {
            powerdyn::events::Kind::Counseling { relief, .. } => assert_eq!(*relief, want),
            other => panic!("{other:?}"),
        }
    }
    let out = dir.join("out-relief");
    run(&relief, &out, 1);
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|c| *c == "final_mean_resentment")
        .expect("a resentment column");
    let at = |point: &str| -> f64 {
        let row = runs
            .lines()
            .skip(1)
            .find(|l| l.split(',').nth(1) == Some(point))
            .unwrap();
        row.split(',').nth(col).unwrap().parse().unwrap()
    };
    assert_ne!(at("0"), at("1"), "the relief reaches the runs");

    let inter = dir.join("inter.toml");
    fs::write(
        &inter,
        "name = \"inter\"\nscenario = \"intersectionality.toml\"\nsteps = 20\n\
         [parameters]\n\"intersections.women-poc.alternatives\" = { values = [0.5, 1.0] }\n",
    )
    .unwrap();
    let sw = sweep::file::load(&inter, false).expect("valid sweep");
    for point in 0..2 {
        let s = sw.scenario_at(point).expect("the point's scenario");
        assert_eq!(s.intersections.len(), 1, "overridden, not doubled");
    }
    assert_ne!(
        sw.scenario_at(0).unwrap().intersections,
        sw.scenario_at(1).unwrap().intersections
    );
}

/// Every file below `dir` (its path there, `/` between folders) with its
/// bytes, in path order.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            v.extend(
                tree(&p)
                    .into_iter()
                    .map(|(f, b)| (format!("{name}/{f}"), b)),
            );
        } else {
            v.push((name, fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

/// Copies the folder `from` with everything below it to `to`.
fn copy_tree(from: &Path, to: &Path) {
    for (f, bytes) in tree(from) {
        let p = to.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
}

#[test]
fn a_sweep_folder_holds_the_sweep_file_and_scenario_and_repeats_the_sweep_from_them() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.2, 0.5] }\n",
    );
    let first = tmp.path().join("first");
    run(&path, &first, 1);
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(first.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["rerun"], "powerdyn sweep scenario/sweeps/s.toml");
    assert_eq!(m["warnings"], serde_json::json!([]));
    // The originals gone, the copies repeat the sweep byte for byte.
    fs::remove_dir_all(tmp.path().join("scen")).unwrap();
    let second = tmp.path().join("second");
    run(&first.join("scenario/sweeps/s.toml"), &second, 2);
    assert_same_outputs(&second, &first);
}

/// A sweep's data files in `got` are byte-identical to those in `want`.
fn assert_same_outputs(got: &Path, want: &Path) {
    for f in [
        "runs.csv",
        "timeseries.csv",
        "aggregate.csv",
        "verdicts.csv",
    ] {
        assert_eq!(
            fs::read(got.join(f)).unwrap(),
            fs::read(want.join(f)).unwrap(),
            "{f}"
        );
    }
}

/// A sweep stopped after renaming its copies into place but before its
/// manifest runs again (its copies are its own: the same bytes).
#[test]
fn a_sweep_whose_copies_landed_without_its_manifest_runs_again() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_sweep(
        tmp.path(),
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.2, 0.5] }\n",
    );
    let out = tmp.path().join("out");
    run(&path, &out, 1);
    let whole = tmp.path().join("whole");
    run(&path, &whole, 1);
    fs::remove_file(out.join("manifest.json")).unwrap();
    fs::remove_file(out.join("aggregate.csv")).unwrap();
    run(&path, &out, 1);
    assert_same_outputs(&out, &whole);
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        m["inputs"],
        serde_json::json!(["scenario/sweeps/s.toml", "scenario/bully.toml"])
    );
    assert_eq!(m["rerun"], "powerdyn sweep scenario/sweeps/s.toml");
}

/// Sweeping an event that starts after the runs' last step varies nothing:
/// the sweep says so, by point, and its manifest records it.
#[test]
fn a_sweep_of_an_event_that_never_happens_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for f in ["couple-money.toml", "couple-money-counseling.toml"] {
        fs::copy(root().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    let file = dir.join("late.toml");
    fs::write(
        &file,
        "name = \"late\"\nscenario = \"couple-money-counseling.toml\"\nsteps = 300\n\
         [parameters]\n\"events.counseling.from\" = { values = [100, 500, 900] }\n",
    )
    .unwrap();
    let sw = sweep::file::load(&file, false).unwrap();
    assert_eq!(sw.warnings.len(), 1, "{:?}", sw.warnings);
    let w = &sw.warnings[0];
    assert!(
        w.contains("`counseling`") || w.contains("(counseling)"),
        "{w}"
    );
    assert!(w.contains("at 2 of 3 points (1, 2)"), "{w}");
    let out = dir.join("out");
    run(&file, &out, 1);
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["warnings"][0].as_str(), Some(w.as_str()));
    // The command line prints it.
    let r = assert_cmd::Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(dir)
        .args(["sweep", "late.toml", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&r.stderr).contains("never happens at 2 of 3 points"));
}

/// An event without a name cannot be swept; the message says how to name it.
#[test]
fn sweeping_an_unnamed_event_says_to_name_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = fs::read_to_string(root().join("scenarios/bully-sanctions.toml"))
        .unwrap()
        .replace("name = \"sanctions\"\n", "");
    fs::copy(
        root().join("scenarios/bully-target-stays.toml"),
        dir.join("bully-target-stays.toml"),
    )
    .unwrap();
    fs::write(dir.join("bs.toml"), text).unwrap();
    let file = dir.join("sw.toml");
    fs::write(
        &file,
        "name = \"sw\"\nscenario = \"bs.toml\"\nsteps = 30\n\
         [parameters]\n\"events.sanctions.detection\" = { values = [0.2, 0.8] }\n",
    )
    .unwrap();
    let e = sweep::file::load(&file, false).unwrap_err().to_string();
    assert!(e.contains("has no name: add name = \"sanctions\""), "{e}");
}

/// A merge does not replace another sweep's merged results, and refuses a
/// first shard whose copies were changed since it ran.
#[test]
fn a_merge_keeps_another_sweeps_merge_and_checks_the_copies_it_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let shards_of = |body: &str, tag: &str| two_shards(&tmp.path().join(tag), body);
    let a = shards_of(
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
        "a",
    );
    let b = shards_of(
        "[parameters]\n\"rules.coercion.harm\" = { values = [0.2, 0.7] }\n",
        "b",
    );
    let merged = tmp.path().join("merged");
    sweep::merge(&a, &merged).unwrap();
    let before = tree(&merged);
    let e = sweep::merge(&b, &merged).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("merged output of another sweep"),
        "{e}"
    );
    assert_eq!(tree(&merged), before, "left as it was");
    // The same sweep merged again replaces its own merge.
    sweep::merge(&a, &merged).unwrap();
    // A first shard whose copy of the scenario changed since it ran.
    let copy = a[0].join("scenario/bully.toml");
    let text = fs::read_to_string(&copy).unwrap();
    fs::write(&copy, text.replace("steps = ", "# edited\nsteps = ")).unwrap();
    let e = sweep::merge(&a, &tmp.path().join("m2")).unwrap_err();
    assert!(e.to_string().contains("not those the shard ran"), "{e}");
    assert!(!tmp.path().join("m2").exists());
}

/// The two shards of a sweep with `body` written by [`write_sweep`] in `sub`,
/// run into `sub/shard0` and `sub/shard1`.
fn two_shards(sub: &Path, body: &str) -> Vec<std::path::PathBuf> {
    let sw = sweep::file::load(&write_sweep(sub, body), false).unwrap();
    (0..2)
        .map(|k| {
            let dir = sub.join(format!("shard{k}"));
            let cfg = sweep::SweepConfig {
                out_dir: dir.clone(),
                threads: 1,
                shard: Some((k, 2)),
                replace: false,
            };
            sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap();
            dir
        })
        .collect()
}

#[test]
fn a_sweep_file_given_as_a_scenario_and_a_scenario_given_as_a_sweep_say_which_command_takes_them() {
    let sweep_file = root().join("scenarios/sweeps/bully-harm.toml");
    let err = powerdyn::scenario::load(&sweep_file).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("this is a sweep file") && text.contains("powerdyn sweep"),
        "{text}"
    );
    assert_eq!(text.matches("error:").count(), 1, "one message: {text}");
    let scenario = root().join("scenarios/bully-target-stays.toml");
    let err = sweep::file::load(&scenario, false).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("this is a scenario file") && text.contains("powerdyn run"),
        "{text}"
    );
}

#[test]
fn a_sobol_design_of_samples_not_a_power_of_two_is_warned_of() {
    let tmp = tempfile::tempdir().unwrap();
    for (samples, warned) in [(10, true), (8, false)] {
        let path = write_sweep(
            tmp.path(),
            &format!("design = \"sobol\"\nsamples = {samples}\n[parameters]\n\"rules.coercion.harm\" = {{ low = 0.1, high = 0.3 }}\n"),
        );
        let sw = sweep::file::load(&path, false).unwrap();
        let said = sw.warnings.iter().any(|w| w.contains("samples = 10 is not a power of two: a Sobol sequence is balanced over 2^k points (give 8 or 16)"));
        assert_eq!(said, warned, "{:?}", sw.warnings);
    }
}

#[test]
fn sigterm_as_slurm_sends_it_stops_a_sweep_cleanly_releasing_its_lock() {
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(
        root().join("benches/sweep-base.toml"),
        tmp.path().join("base.toml"),
    )
    .unwrap();
    fs::write(
        tmp.path().join("big.toml"),
        // Runs long enough that a batch of 64 takes most of a minute on
        // one thread: the stop must be heard between steps, not batches.
        "name = \"big\"\nscenario = \"base.toml\"\nreplicates = 200\nsteps = 60000\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.6] }\n",
    )
    .unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("powerdyn"))
        .args([
            "sweep",
            "big.toml",
            "--out",
            "t",
            "--threads",
            "1",
            "--quiet",
        ])
        .current_dir(tmp.path())
        .spawn()
        .unwrap();
    // Until the sweep has taken its folder's lock.
    let lock = tmp.path().join("t/.powerdyn-lock");
    let start = std::time::Instant::now();
    while !lock.exists() && start.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let signalled = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{:?}", out.status);
    // Within a step or so, not after the batch (SLURM's grace is 30 s).
    assert!(
        signalled.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        signalled.elapsed()
    );
    assert!(
        !lock.exists(),
        "the lock is released, so a task resubmitted on another node may take the folder"
    );
}

/// With `steps` swept, the dry run counts each point's own records: a point
/// of 20,000 steps is not sized as one of the base scenario's.
#[test]
fn the_dry_run_sizes_swept_steps_point_by_point() {
    let tmp = tempfile::tempdir().unwrap();
    let path = bully_copy(tmp.path()).join("sweeps/s.toml");
    fs::write(
        &path,
        "name = \"s\"\nscenario = \"../bully.toml\"\n[parameters]\n\"steps\" = { values = [10, 20000] }\n\"record_every\" = { values = [1, 2] }\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(tmp.path())
        .args(["sweep", path.to_str().unwrap(), "--dry-run"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    // 2 x 2 points: (10 / 1 + 2) + (10 / 2 + 2) + (20000 / 1 + 2) + (20000 / 2 + 2)
    // = 30,021 records, a few hundred bytes each: megabytes, not kilobytes.
    let k = text.find("about ").expect(&text) + 6;
    let size = &text[k..k + text[k..].find(" of time series").expect(&text)];
    assert!(size.ends_with("MB"), "{size}: {text}");
}

#[test]
fn a_problem_a_point_makes_in_the_base_scenario_names_the_point() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("base.toml"),
        "name = \"b\"\n[[populations]]\nname = \"p\"\ncount = 50\n[network]\nkind = \"erdos_renyi\"\nmean_degree = 8\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("s.toml"),
        "name = \"s\"\nscenario = \"base.toml\"\n[parameters]\n\"populations.p.count\" = { values = [50, 6] }\n",
    )
    .unwrap();
    let text = sweep::file::load(&tmp.path().join("s.toml"), false)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("base.toml:7:15: network.mean_degree: mean degree 8 is more than the 5 other agents at point 1 (populations.p.count = 6)"),
        "{text}"
    );
    // A problem the base has on its own is not put down to a point.
    fs::write(
        tmp.path().join("base.toml"),
        "name = \"b\"\n[[populations]]\nname = \"p\"\ncount = 50\n[network]\nkind = \"erdos_renyi\"\nmean_degree = 8\n[rules.coercion]\nharmm = 0.3\n",
    )
    .unwrap();
    let text = sweep::file::load(&tmp.path().join("s.toml"), false)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("base.toml:9:1: rules.coercion.harmm: unknown key `harmm`\n"),
        "{text}"
    );
    assert!(!text.contains("harmm` at point"), "{text}");
}

#[test]
fn a_base_scenario_that_cannot_be_read_is_the_only_problem_said_about_it() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("s.toml"),
        "name = \"s\"\nscenario = \"nope.toml\"\n[parameters]\n\"agents.employee.exit_cost\" = { values = [0.1, 0.2] }\n",
    )
    .unwrap();
    let err = sweep::file::load(&tmp.path().join("s.toml"), false).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("s.toml:2:12: scenario: cannot read `nope.toml`"),
        "{text}"
    );
    assert!(!text.contains("no agent named"), "{text}");
    assert_eq!(text.matches("help:").count(), 1, "{text}");
}

#[test]
fn a_base_scenario_outside_the_sweeps_folder_and_the_one_above_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    fs::copy(
        root().join("scenarios/bully-target-stays.toml"),
        tmp.path().join("bully.toml"),
    )
    .unwrap();
    let abs = tmp.path().join("bully.toml").display().to_string();
    for (scenario, expect) in [
        (abs.as_str(), "scenario: the base scenario's path is absolute"),
        (
            "../../bully.toml",
            "scenario: the base scenario lies outside the sweep file's folder and the folder above it",
        ),
    ] {
        fs::write(
            deep.join("s.toml"),
            format!("name = \"s\"\nscenario = \"{scenario}\"\n[parameters]\n\"rules.coercion.harm\" = {{ values = [0.1] }}\n"),
        )
        .unwrap();
        let err = sweep::file::load(&deep.join("s.toml"), false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(expect), "{err}");
    }
    // One folder up is allowed.
    fs::copy(
        tmp.path().join("bully.toml"),
        tmp.path().join("a/bully.toml"),
    )
    .unwrap();
    fs::write(
        deep.join("s.toml"),
        "name = \"s\"\nscenario = \"../bully.toml\"\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n",
    )
    .unwrap();
    assert!(sweep::file::load(&deep.join("s.toml"), false).is_ok());
}
