//! Reports and demos.

use std::fs;

use assert_cmd::Command;

use crate::support::{bundled, root, run_into};

fn html_is_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(!html.contains("<script"), "no scripts");
    for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(fetch), "nothing fetched: {fetch}");
    }
    assert!(!html.contains("NaN"));
    // On a projector's wide screen the page widens and the charts fill it
    // (their text scales with them), no taller than the screen.
    let wide = &html[html
        .find("@media (min-width:1400px)")
        .expect("a wide-screen layout")..];
    let wide = &wide[..wide.find("</style>").unwrap()];
    assert!(wide.contains("svg{width:100%;max-height:86vh}"), "{wide}");
    assert!(wide.contains("font-size:24px"), "{wide}");
    // A 1280-pixel projector widens the page too, with larger text.
    let mid = &html[html
        .find("@media (min-width:1100px)")
        .expect("a projector layout")..];
    let mid = &mid[..mid.find('\n').unwrap()];
    assert!(
        mid.contains("max-width:min(94vw,1240px)") && mid.contains("font-size:20px"),
        "{mid}"
    );
    assert!(mid.contains("svg{width:100%"), "{mid}");
}

#[test]
fn a_run_report_tells_the_story_and_charts_every_section_with_nothing_fetched() {
    let tmp = tempfile::tempdir().unwrap();
    // A scenario file whose story holds markup: it must come out as text.
    let scen = tmp.path().join("story.toml");
    let mut text =
        fs::read_to_string(root().join("scenarios/couple-money-counseling.toml")).unwrap();
    text = text.replace("extends = \"couple-money.toml\"", "");
    let base = fs::read_to_string(root().join("scenarios/couple-money.toml")).unwrap();
    let body: String = base
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let story = "# A story with <script>alert(1)</script> & friends.\n";
    let events = text
        .lines()
        .skip_while(|l| !l.starts_with("[[events]]"))
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(&scen, format!("{story}{body}\n{events}\n")).unwrap();
    let s = powerdyn::scenario::load(&scen).unwrap();
    let out = tmp.path().join("out");
    run_into(&s, 1, 1200, 1, &out);
    let path = powerdyn::report::report(&out).unwrap();
    let html = fs::read_to_string(path).unwrap();
    html_is_self_contained(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends"));
    for section in [
        "The story",
        "Does imbalance grow or settle?",
        "Imbalance over time",
        "Resentment and withdrawal",
        "The seven bases",
        "What agents do",
        "Events",
        "The network",
    ] {
        assert!(html.contains(section), "section {section}");
    }
    assert!(html.contains("counseling"), "events are listed and marked");
    assert!(html.matches("<svg").count() >= 7);
}

#[test]
fn a_sweep_report_charts_metrics_against_parameters_with_a_heatmap_and_sensitivity() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = tmp.path().join("scen");
    fs::create_dir_all(scen.join("sweeps")).unwrap();
    fs::copy(
        root().join("scenarios/bully-target-stays.toml"),
        scen.join("bully.toml"),
    )
    .unwrap();
    let sweep_file = scen.join("sweeps/s.toml");
    fs::write(
        &sweep_file,
        "name = \"s\"\nscenario = \"../bully.toml\"\nsteps = 60\ndesign = \"sobol\"\nsamples = 16\n[parameters]\n\"rules.coercion.harm\" = { low = 0.1, high = 0.6 }\n\"agents.employee.exit_cost\" = { low = 0.0, high = 1.0 }\n",
    )
    .unwrap();
    let sw = powerdyn::sweep::file::load(&sweep_file, false).unwrap();
    let out = tmp.path().join("out");
    let cfg = powerdyn::sweep::SweepConfig {
        out_dir: out.clone(),
        threads: 1,
        shard: None,
        replace: false,
    };
    powerdyn::sweep::run(&sw, &cfg, &mut |_, _| {}).unwrap();
    let html = fs::read_to_string(powerdyn::report::report(&out).unwrap()).unwrap();
    html_is_self_contained(&html);
    for section in [
        "Final values against each parameter",
        "Two parameters at once",
        "Verdicts",
        "Sensitivity",
    ] {
        assert!(html.contains(section), "section {section}");
    }
    // Each total index with its bootstrap half-width.
    let k = html.find("<h2>Sensitivity</h2>").unwrap();
    assert!(html[k..].contains(" (± 0."), "{}", &html[k..]);
}

#[test]
fn the_narrative_says_who_withdrew_even_between_tie_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    // The target leaves within the first 100 steps; the tie snapshots come
    // every 500 steps and miss it, the time series does not.
    let s = bundled("bully-target-leaves");
    let dir = tmp.path().join("leaves");
    run_into(&s, s.seed, s.steps, 2, &dir);
    let text = powerdyn::report::narrative(&dir).unwrap();
    assert!(!text.contains("Nobody withdrew"), "{text}");
    // Its dyad imbalance has no trend and no cycle but swings widely: the
    // level is given with its swing.
    assert!(
        text.lines()
            .any(|l| l.starts_with("Imbalance within relationships: settles")
                && l.contains("swinging between 0.00 and")),
        "{text}"
    );
    assert!(
        text.contains("withdrew from")
            || text.contains("Ties were withdrawn between the tie snapshots"),
        "{text}"
    );
    // The tactic chart is blank while no one acts; the report says why.
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    // A settling series that keeps swinging shows its late range beside
    // the verdict, and the table says what settles means.
    let row = html
        .lines()
        .find(|l| l.starts_with("<tr><td>dyad_imbalance</td>"))
        .expect("a verdict row for dyad_imbalance");
    assert!(
        row.contains("settles") && row.contains("<td>0.00–"),
        "{row}"
    );
    assert!(html.contains("settled in distribution, not quiet"));
    // Every late mean lies within its late range as shown.
    let rows: Vec<&str> = html
        .lines()
        .filter(|l| l.contains("</td><td class=\""))
        .collect();
    assert_eq!(rows.len(), 6, "one row per headline metric");
    for row in rows {
        let cells: Vec<&str> = row
            .split("<td")
            .skip(1)
            .map(|c| &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()])
            .collect();
        let mean: f64 = cells[2].parse().unwrap();
        let (lo, hi) = cells[3].split_once('–').unwrap();
        let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
        assert!(lo <= mean && mean <= hi, "{row}");
    }
    // The report tells what happened in words, as the terminal does.
    let k = html.find("<h2>What happened</h2>").expect("the narrative");
    let told = &html[k..k + html[k..].find("</ul>").unwrap()];
    assert!(
        told.contains("<li>Imbalance within relationships: settles"),
        "{told}"
    );
    assert!(
        told.contains("withdrew from") || told.contains("Ties were withdrawn"),
        "{told}"
    );
    assert!(
        html.contains("Blank stretches: no one used a tactic"),
        "idle records explained"
    );
    // Where nobody withdraws, it says so.
    let s = bundled("balanced-couple");
    let dir = tmp.path().join("balanced");
    run_into(&s, s.seed, 300, 2, &dir);
    let share: Vec<f64> = {
        let ts = fs::read_to_string(dir.join("timeseries.csv")).unwrap();
        let mut lines = ts.lines();
        let h: Vec<&str> = lines.next().unwrap().split(',').collect();
        let k = h.iter().position(|c| *c == "withdrawn_share").unwrap();
        lines
            .map(|l| l.split(',').nth(k).unwrap().parse().unwrap())
            .collect()
    };
    assert!(
        share.iter().all(|&x| x == 0.0),
        "a couple that stays engaged"
    );
    let text = powerdyn::report::narrative(&dir).unwrap();
    assert!(text.contains("Nobody withdrew"), "{text}");
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    assert!(!html.contains("Blank stretches"));
}

#[test]
fn report_refuses_a_folder_without_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Command::cargo_bin("powerdyn")
        .unwrap()
        .args(["report"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no finished run or sweep"));
}

#[test]
fn report_and_compare_refuse_a_run_folder_damaged_since_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    let s = bundled("bully-target-stays");
    run_into(&s, 1, 40, 1, &good);
    let refused = |dir: &std::path::Path, fragment: &str| {
        for args in [
            vec!["report".to_string(), dir.display().to_string()],
            vec![
                "compare".to_string(),
                good.display().to_string(),
                dir.display().to_string(),
                "--out".to_string(),
                tmp.path().join("cmp").display().to_string(),
            ],
        ] {
            let r = Command::cargo_bin("powerdyn")
                .unwrap()
                .args(&args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(fragment) && err.contains("help: "),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
        assert!(!dir.join("report.html").exists());
        assert!(!tmp.path().join("cmp").exists());
    };
    let copy = |name: &str| {
        let to = tmp.path().join(name);
        fs::create_dir(&to).unwrap();
        for e in fs::read_dir(&good).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
        to
    };
    // A summary cut short.
    let d = copy("cut");
    let text = fs::read_to_string(d.join("summary.json")).unwrap();
    fs::write(d.join("summary.json"), &text[..text.len() / 2]).unwrap();
    refused(&d, "summary.json has");
    // A time series emptied to its header.
    let d = copy("empty");
    let ts = fs::read_to_string(d.join("timeseries.csv")).unwrap();
    fs::write(d.join("timeseries.csv"), ts.lines().next().unwrap()).unwrap();
    refused(&d, "timeseries.csv has");
    // A missing file the manifest lists.
    let d = copy("missing");
    fs::remove_file(d.join("agents.csv")).unwrap();
    refused(&d, "agents.csv is missing");
    // A manifest that is not JSON any more.
    let d = copy("manifest");
    fs::write(d.join("manifest.json"), "{\"scenario_sha256\": ").unwrap();
    refused(&d, "manifest.json is damaged");
    // The good folder still reports.
    assert!(powerdyn::report::report(&good).is_ok());
}

/// Runs `powerdyn demo args...` in `dir`, expecting success; its stdout.
fn demo(dir: &std::path::Path, args: &[&str]) -> String {
    let r = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(dir)
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8_lossy(&r.stdout).into_owned()
}

#[test]
fn the_default_demo_runs_tells_what_happened_draws_a_chart_and_writes_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let text = demo(tmp.path(), &[]);
    assert!(text.contains("couple-money"));
    assert!(text.contains("What happened:"));
    assert!(text.contains("Money inequality (Gini): grows"), "{text}");
    assert!(text.contains("resources_gini by step"));
    assert!(tmp
        .path()
        .join("output/demo-couple-money/report.html")
        .exists());
    let list = Command::cargo_bin("powerdyn")
        .unwrap()
        .args(["demo", "--list"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listed.lines().count() >= 9);
    // The descriptions start in one column.
    let column: Vec<usize> = listed
        .lines()
        .map(|l| {
            l.find(char::is_whitespace).unwrap()
                + l[l.find(' ').unwrap()..].find(|c: char| c != ' ').unwrap()
        })
        .collect();
    assert!(column.windows(2).all(|w| w[0] == w[1]), "{listed}");
    let bad = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(tmp.path())
        .args(["demo", "nope"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let typo = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(tmp.path())
        .args(["demo", "couple-mony"])
        .output()
        .unwrap();
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("did you mean `couple-money`?"));
}

#[test]
fn the_counseling_demo_runs_anywhere_with_the_scenario_it_extends() {
    let tmp = tempfile::tempdir().unwrap();
    let text = demo(tmp.path(), &["couple-money-counseling"]);
    assert!(text.contains("mean_resentment by step"), "{text}");
    let dir = tmp.path().join("output/demo-couple-money-counseling");
    // The run's folder holds the built-in files as its copies, and only there.
    assert!(dir.join("scenario/couple-money-counseling.toml").exists());
    assert!(dir.join("scenario/couple-money.toml").exists());
    assert!(!dir.join("couple-money.toml").exists() && !dir.join("scenario.toml").exists());
    // The report tells the story: the scenario and the file it extends
    // match the run's manifest.
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("counseling from step 1000"), "story embedded");
    let events = fs::read_to_string(dir.join("events.csv")).unwrap();
    assert!(events.lines().skip(1).all(|l| l.contains("counseling")));
    assert!(events.lines().count() > 5, "{events}");
}

#[test]
fn every_demo_is_a_valid_bundled_scenario() {
    for name in [
        "couple-money",
        "couple-money-counseling",
        "balanced-couple",
        "bully-target-stays",
        "bully-target-leaves",
        "abusive-isolation",
        "seven-bases",
        "domworld-despotic",
        "exchange-star",
    ] {
        let s = bundled(name);
        assert!(s.n_agents() >= 2);
    }
}

#[test]
fn compare_puts_two_runs_side_by_side_in_one_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let with =
        powerdyn::scenario::load(&root().join("scenarios/couple-money-counseling.toml")).unwrap();
    let without = bundled("couple-money");
    run_into(&without, 1, 1500, 1, &a);
    run_into(&with, 1, 1500, 1, &b);
    let r = Command::cargo_bin("powerdyn")
        .unwrap()
        .arg("compare")
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let html = fs::read_to_string(a.join("compare.html")).unwrap();
    html_is_self_contained(&html);
    assert!(html.contains("Verdicts side by side"));
    assert!(html.contains("couple-money-counseling") && html.contains("couple-money"));
    // The differences that matter are named, with their sizes: counseling
    // takes resentment down by more than half.
    let k = html
        .find("Differences beyond the verdicts' practical size")
        .expect("the differences that matter");
    let said = &html[k..k + html[k..].find("</p>").unwrap()];
    // The size as the runs' summaries record it (the defaults here).
    assert!(said.contains("(0.01, or 5% of the level)"), "{said}");
    let resentment = said
        .split("; ")
        .find(|x| x.contains("mean_resentment"))
        .unwrap_or_else(|| panic!("resentment differs: {said}"));
    let nums: Vec<f64> = resentment
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .filter_map(|x| x.parse().ok())
        .collect();
    assert!(nums.len() >= 3 && nums[1] < nums[0] / 2.0, "{resentment}");
    assert!(html.contains("not whether it is better or worse"));
    // The sessions are marked, by their kind first (not by a run name cut short).
    assert!(html.contains(">counseling<"), "the sessions are marked");
    assert!(html.matches("<svg").count() >= 8);
    // The runs share everything until the first session at step 1000.
    let needle = "identical up to step ";
    let k = html.find(needle).expect("where the runs part");
    let step: u64 = html[k + needle.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((900..=1000).contains(&step), "{step}");
    // What each run was: seeds and lengths, and no warning when they agree.
    assert!(html.contains("<h2>The two runs</h2>"));
    assert!(
        html.contains("<tr><th>seed</th><td>1</td><td>1</td></tr>"),
        "seeds shown"
    );
    assert!(!html.contains("differ in length"));
    assert!(html.contains("<td>powerdyn run scenario/couple-money.toml --seed 1 --steps 1500</td>"));
    assert!(!html.contains("different revisions of the model"));
    // A run from another revision of the model is flagged.
    let m = a.join("manifest.json");
    let text = fs::read_to_string(&m).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["model_revision"] = serde_json::json!(v["model_revision"].as_u64().unwrap() + 1);
    fs::write(&m, v.to_string()).unwrap();
    let flagged = tmp.path().join("flagged");
    powerdyn::report::compare(&a, &b, &flagged).unwrap();
    assert!(fs::read_to_string(flagged.join("compare.html"))
        .unwrap()
        .contains("different revisions of the model"));
    fs::write(&m, text).unwrap();
    // Runs of different lengths (and seeds) are compared with a warning.
    let c = tmp.path().join("c");
    run_into(&without, 5, 700, 1, &c);
    let out = tmp.path().join("cmp");
    powerdyn::report::compare(&a, &c, &out).unwrap();
    let html = fs::read_to_string(out.join("compare.html")).unwrap();
    assert!(
        html.contains("<tr><th>seed</th><td>1</td><td>5</td></tr>"),
        "seeds shown"
    );
    assert!(html.contains("The runs differ in length (1500 and 700 steps)"));
    let bad = Command::cargo_bin("powerdyn")
        .unwrap()
        .arg("compare")
        .arg(&a)
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// In a real browser (Debian's chromium, headless; `.ci/run` installs it and
/// sets POWERDYN_BROWSER=1): the default demo's report renders to a page
/// that is not blank and raises no errors. Skipped (and says so) otherwise.
#[test]
fn a_real_browser_renders_the_demo_report_without_errors() {
    if std::env::var("POWERDYN_BROWSER").is_err() {
        eprintln!("skipped: set POWERDYN_BROWSER=1 with chromium installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(tmp.path())
        .arg("demo")
        .output()
        .unwrap();
    assert!(r.status.success());
    let page = tmp.path().join("output/demo-couple-money/report.html");
    let url = format!("file://{}", page.display());
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let profile = format!("--user-data-dir={}", tmp.path().join("profile").display());
    let shot = tmp.path().join("report.png");
    let out = std::process::Command::new("chromium")
        .args(flags)
        .arg(&profile)
        .args(["--hide-scrollbars", "--window-size=1000,2400"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page of this size compresses to a few kilobytes; charts and text make it large.
    assert!(
        png.len() > 60_000,
        "the screenshot looks blank ({} bytes)",
        png.len()
    );
    let log = String::from_utf8_lossy(&out.stderr);
    for bad in [
        "Uncaught",
        "CONSOLE",
        "Failed to load resource",
        "net::ERR_",
    ] {
        assert!(!log.contains(bad), "the page raised an error: {bad}\n{log}");
    }
    let dom = std::process::Command::new("chromium")
        .args(flags)
        .arg(format!(
            "--user-data-dir={}",
            tmp.path().join("profile2").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Does imbalance grow or settle?") && dom.matches("<svg").count() >= 6);
}

/// A scenario file with no opening comment: the report tells its
/// `description`, or says the file tells no story — not that the file is
/// missing or changed (it is neither).
#[test]
fn a_scenario_without_an_opening_comment_is_told_by_its_description() {
    let tmp = tempfile::tempdir().unwrap();
    let base = fs::read_to_string(root().join("scenarios/couple-money.toml")).unwrap();
    let body: String = base
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .filter(|l| !l.starts_with("description"))
        .collect::<Vec<_>>()
        .join("\n");
    for (file, description, told) in [
        (
            "told.toml",
            "description = \"Alex earns more than Sam.\"\n",
            "<pre>Alex earns more than Sam.</pre>",
        ),
        ("silent.toml", "", "tells no story"),
    ] {
        let scen = tmp.path().join(file);
        fs::write(&scen, format!("{description}{body}\n")).unwrap();
        let s = powerdyn::scenario::load(&scen).unwrap();
        let out = tmp.path().join(file.replace(".toml", ""));
        run_into(&s, 1, 100, 1, &out);
        let html = fs::read_to_string(powerdyn::report::report(&out).unwrap()).unwrap();
        assert!(html.contains(told), "{file}: {told}");
        assert!(!html.contains("not at hand"), "{file}: the file is at hand");
        assert!(html.contains("Parameters: the scenario file"), "{file}");
    }
}

/// A run into a folder removes the reports of the run it replaces: they
/// would describe the old run (its seed, its numbers) beside the new data.
#[test]
fn a_new_run_in_a_folder_removes_the_old_runs_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("couple-money");
    let out = tmp.path().join("out");
    run_into(&s, 7, 50, 1, &out);
    powerdyn::report::report(&out).unwrap();
    fs::write(out.join("compare.html"), "an old comparison").unwrap();
    run_into(&s, 99, 50, 1, &out);
    assert!(!out.join("report.html").exists(), "the old report is gone");
    assert!(
        !out.join("compare.html").exists(),
        "the old comparison is gone"
    );
    let html = fs::read_to_string(powerdyn::report::report(&out).unwrap()).unwrap();
    assert!(
        html.contains("<th>seed</th><td>99</td>"),
        "the new report is the new run's"
    );
}

/// A run in which nobody resents anyone says so, rather than that
/// resentment "peaked at 0.00" at the last step.
#[test]
fn the_narrative_of_a_run_without_resentment_says_nobody_resented() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = bundled("domworld-despotic");
    run_into(&s, 1, 300, 1, &out);
    let text = powerdyn::report::narrative(&out).unwrap();
    assert!(text.contains("Nobody resented anyone"), "{text}");
    assert!(!text.contains("peaked at 0.00"), "{text}");
    // With resentment, the peak comes with the first step it is reached.
    let out = tmp.path().join("bully");
    run_into(&bundled("bully-target-stays"), 1, 300, 1, &out);
    let text = powerdyn::report::narrative(&out).unwrap();
    assert!(
        text.contains("Mean resentment over all ties peaked at"),
        "{text}"
    );
    // And the one person the mean hides: the employee, toward the manager.
    let most = text
        .lines()
        .find(|l| l.starts_with("The most resentful at the "))
        .expect(&text);
    assert!(most.contains("employee toward manager"), "{most}");
    let x: f64 = most
        .split(", ")
        .nth(1)
        .and_then(|w| w.split(' ').next())
        .and_then(|w| w.parse().ok())
        .expect(most);
    let mean_peak: f64 = text
        .split("peaked at ")
        .nth(1)
        .and_then(|w| w.split(' ').next())
        .and_then(|w| w.parse().ok())
        .unwrap();
    assert!(x > mean_peak, "{text}");
}

/// A trend is told from where it starts, with an early move the other way:
/// the couple's power inequality dips before it grows.
#[test]
fn the_narrative_tells_a_trend_from_its_start_and_an_early_dip() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let s = bundled("couple-money");
    run_into(&s, s.seed, s.steps, 1, &out);
    let text = powerdyn::report::narrative(&out).unwrap();
    let power = text
        .lines()
        .find(|l| l.starts_with("Power inequality"))
        .unwrap();
    assert!(
        power.contains("falls from 0.12 to 0.07 at step") && power.contains("then grows"),
        "{power}"
    );
    let money = text
        .lines()
        .find(|l| l.starts_with("Money inequality"))
        .unwrap();
    assert!(money.contains("grows from 0.17 (ends near"), "{money}");
}

/// A run started with a relative scenario path is reported from any folder:
/// the manifest holds the scenario's absolute path too.
#[test]
fn a_report_made_from_another_folder_finds_the_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let (work, elsewhere) = (tmp.path().join("work"), tmp.path().join("elsewhere"));
    fs::create_dir_all(&work).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    fs::copy(
        root().join("scenarios/couple-money.toml"),
        work.join("cm.toml"),
    )
    .unwrap();
    let run = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(&work)
        .args(["run", "cm.toml", "--steps", "50", "-q", "--out", "runs/cm"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let report = Command::cargo_bin("powerdyn")
        .unwrap()
        .current_dir(&elsewhere)
        .arg("report")
        .arg(work.join("runs/cm"))
        .output()
        .unwrap();
    assert_eq!(
        report.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let html = fs::read_to_string(work.join("runs/cm/report.html")).unwrap();
    assert!(!html.contains("not at hand"), "the scenario is found");
    assert!(
        html.contains("Money imbalance in a couple."),
        "its story is told"
    );
}

/// A report charts the metrics of the mechanisms its scenario turns on:
/// the hierarchy of a dominance group, the exchanges of a bargaining
/// network; not a hierarchy for a couple.
#[test]
fn a_report_charts_the_mechanisms_its_scenario_turns_on() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, has, hasnt) in [
        (
            "domworld-despotic",
            "<h2>Hierarchy</h2>",
            "<h2>Bargaining</h2>",
        ),
        ("exchange-star", "<h2>Bargaining</h2>", "<h2>Hierarchy</h2>"),
        (
            "couple-money",
            "<h2>The seven bases</h2>",
            "<h2>Hierarchy</h2>",
        ),
    ] {
        let out = tmp.path().join(name);
        run_into(&bundled(name), 1, 300, 1, &out);
        let html = fs::read_to_string(powerdyn::report::report(&out).unwrap()).unwrap();
        assert!(html.contains(has), "{name}: {has}");
        assert!(!html.contains(hasnt), "{name}: {hasnt}");
    }
}

#[test]
fn network_pictures_share_one_resentment_scale_across_reports() {
    // A run's ties far above resentment 1 are drawn full orange; a calm
    // couple's, never: the colour means the same in both reports (each
    // was scaled to its own maximum, which drew calm runs hot).
    let tmp = tempfile::tempdir().unwrap();
    let orange = "stroke=\"#D55E00\"";
    let edges = |html: &str| -> String {
        let k = html
            .find("<h2>The network</h2>")
            .expect("a network section");
        let part = &html[k..];
        part[..part[1..].find("<h2>").map_or(part.len(), |e| e + 1)]
            .split("class=\"edges\"")
            .skip(1)
            .map(|g| g[..g.find("</g>").unwrap()].to_string())
            .collect()
    };
    let tense = bundled("bully-target-stays");
    let dir = tmp.path().join("tense");
    run_into(&tense, tense.seed, 1000, 1, &dir);
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    assert!(
        edges(&html).contains(orange),
        "resentment above 1 is full orange"
    );
    assert!(html.contains("calm (0)") && html.contains("tense (1)"));
    let calm = bundled("balanced-couple");
    let dir = tmp.path().join("calm");
    run_into(&calm, calm.seed, 1000, 1, &dir);
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    assert!(
        !edges(&html).contains(orange),
        "a calm couple is not drawn hot"
    );
}

#[test]
fn series_settling_close_together_share_one_marker_in_a_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("couple-money");
    let dir = tmp.path().join("run");
    run_into(&s, s.seed, 400, 1, &dir);
    // Settle steps 100 and 105 (a fortieth of 400 apart at most) and 300.
    let path = dir.join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for (metric, step) in [
        ("power_gini", 105),
        ("dyad_imbalance", 100),
        ("resources_gini", 300),
    ] {
        summary["verdicts"][metric]["settle_step"] = step.into();
    }
    crate::support::rewrite_output(
        &dir,
        "summary.json",
        &serde_json::to_string(&summary).unwrap(),
    );
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    let k = html.find("<h2>Imbalance over time</h2>").unwrap();
    let chart = &html[k..k + html[k..].find("</svg>").unwrap()];
    assert!(
        chart.contains(">dyad_imbalance,<") && chart.contains(">power_gini settle<"),
        "{chart}"
    );
    assert!(chart.contains(">resources_gini settles<"), "{chart}");
    assert!(
        !chart.contains(">power_gini settles<"),
        "one label for the two"
    );
}

/// Beside event markers, a chart draws no settling lines (they looked like
/// the events and crowded their labels); the table keeps the steps.
#[test]
fn charts_with_events_mark_the_events_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let s =
        powerdyn::scenario::load(&root().join("scenarios/couple-money-counseling.toml")).unwrap();
    let dir = tmp.path().join("run");
    run_into(&s, s.seed, 1400, 1, &dir);
    let html = fs::read_to_string(powerdyn::report::report(&dir).unwrap()).unwrap();
    let k = html.find("<h2>Imbalance over time</h2>").unwrap();
    let chart = &html[k..k + html[k..].find("</svg>").unwrap()];
    assert!(chart.contains(">counseling<"), "{chart}");
    assert!(!chart.contains(" settle"), "{chart}");
}

/// Two runs sharing only their starting state (other seeds) are not said to
/// be "identical up to step 0", and a run compared with a shorter one is
/// identical for as long as both ran.
#[test]
fn compare_says_how_far_two_runs_coincide_only_when_they_do() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("couple-money");
    let compare = |a: &std::path::Path, b: &std::path::Path| -> String {
        Command::cargo_bin("powerdyn")
            .unwrap()
            .arg("compare")
            .arg(a)
            .arg(b)
            .assert()
            .success();
        fs::read_to_string(a.join("compare.html")).unwrap()
    };
    let (one, two, short) = (
        tmp.path().join("one"),
        tmp.path().join("two"),
        tmp.path().join("short"),
    );
    run_into(&s, 1, 300, 1, &one);
    run_into(&s, 2, 300, 1, &two);
    run_into(&s, 1, 150, 1, &short);
    let html = compare(&two, &one);
    assert!(!html.contains("identical"), "other seeds part at once");
    let html = compare(&short, &one);
    assert!(
        html.contains("identical for as long as both ran (to step 150"),
        "{}",
        &html[html.find("<h2>Over time").unwrap()..][..400]
    );
}

/// Charts a room reads without being misled: axes from 0, the dominance
/// spread (not an index from 0 to 1) on its own chart, and a note where a
/// between-group share is a share of almost no inequality.
#[test]
fn report_charts_do_not_magnify_small_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let report = |name: &str, steps: u64| -> String {
        let out = tmp.path().join(name);
        let s = bundled(name);
        run_into(&s, s.seed, steps, 1, &out);
        Command::cargo_bin("powerdyn")
            .unwrap()
            .arg("report")
            .arg(&out)
            .assert()
            .success();
        fs::read_to_string(out.join("report.html")).unwrap()
    };
    let html = report("privileged-socialized", 300);
    assert!(html.contains("Power is nearly equal here"), "the note");
    // The group means' chart starts at 0.
    let k = html.find("Mean total power by group").expect("group chart");
    let chart = &html[k..k + html[k..].find("</svg>").unwrap()];
    // (The y axis's tick labels are right-aligned.)
    let y_ticks: Vec<f64> = chart
        .split("<text ")
        .filter(|t| t.contains("text-anchor=\"end\""))
        .filter_map(|t| t[t.find('>')? + 1..t.find('<')?].parse().ok())
        .collect();
    assert_eq!(y_ticks.first(), Some(&0.0), "{y_ticks:?}");
    let html = report("domworld-despotic", 300);
    assert!(html.contains("<h2>Dominance spread</h2>"));
    let k = html.find("<h2>Hierarchy</h2>").unwrap();
    let hierarchy = &html[k..k + html[k..].find("</svg>").unwrap()];
    assert!(!hierarchy.contains("dominance_cv"));
}

/// An exchange story's narrative gives what it tells the reader to watch:
/// each agent's share of a pool and how often it was left out.
#[test]
fn the_narrative_of_a_bargaining_run_gives_shares_and_exclusion() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("exchange-star");
    let dir = tmp.path().join("run");
    run_into(&s, s.seed, 600, 1, &dir);
    let text = powerdyn::report::narrative(&dir).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Bargaining, by step 600: "))
        .expect(&text);
    let share = |who: &str| -> f64 {
        let k = line.find(&format!("{who} takes ")).expect(line) + who.len() + 7;
        line[k..k + 4].parse().unwrap()
    };
    assert!(share("Firm") > 0.8 && share("A1") < 0.2, "{line}");
    assert!(
        line.contains("A1 takes") && line.contains("left out of"),
        "{line}"
    );
    // Nobody withdrew here: no withdrawal is claimed.
    assert!(text.contains("Nobody withdrew."), "{text}");
    // Without tie snapshots (not written for more than 50,000 ties), the
    // bargaining line stays.
    fs::remove_file(dir.join("ties.csv")).unwrap();
    let text = powerdyn::report::narrative(&dir).unwrap();
    assert!(
        text.contains("Bargaining, by step 600: Firm takes"),
        "{text}"
    );
}

/// One resentful person among many calm ones: the mean stays near 0, and
/// the narrative does not then say that nobody resented anyone.
#[test]
fn the_narrative_never_says_nobody_resented_beside_someone_who_did() {
    let tmp = tempfile::tempdir().unwrap();
    let s = crate::support::parse(
        "name = \"crowd\"\nseed = 3\nsteps = 300\nrecord_every = 10\nsnapshot_every = 100\n\
         [[agents]]\nname = \"cop\"\nmotive = 0.8\nbases = { coercive = 1.5 }\n\
         [[populations]]\nname = \"town\"\ncount = 80\nmotive = 0.05\n\
         [network]\nkind = \"complete\"\n",
    );
    let dir = tmp.path().join("run");
    run_into(&s, s.seed, s.steps, 1, &dir);
    let text = powerdyn::report::narrative(&dir).unwrap();
    let most = text
        .lines()
        .find(|l| l.starts_with("The most resentful at the 4 tie snapshots"))
        .expect(&text);
    assert!(most.contains("toward cop"), "{most}");
    assert!(!text.contains("Nobody resented anyone"), "{text}");
    assert!(
        text.contains("Mean resentment over all ties stayed below 0.01."),
        "{text}"
    );
    // Without tie snapshots (not written for large networks) the mean
    // alone cannot say that nobody resented.
    fs::remove_file(dir.join("ties.csv")).unwrap();
    let text = powerdyn::report::narrative(&dir).unwrap();
    assert!(!text.contains("Nobody resented anyone"), "{text}");
    assert!(
        text.contains("Mean resentment over all ties stayed below 0.01."),
        "{text}"
    );
}

#[test]
fn the_report_states_the_verdict_settings_the_run_used() {
    let tmp = tempfile::tempdir().unwrap();
    let default = tmp.path().join("default");
    let s = bundled("bully-target-stays");
    run_into(&s, 1, 60, 1, &default);
    let html = fs::read_to_string(powerdyn::report::report(&default).unwrap()).unwrap();
    assert!(
        html.contains("after the first fifth of the run")
            && html.contains("(p below 0.05)")
            && html.contains("(5% of the level, at least 0.01)"),
        "{html}"
    );
    // A scenario's own [verdict] settings are the ones the report states.
    let text = fs::read_to_string(root().join("scenarios/bully-target-stays.toml")).unwrap();
    let scen = tmp.path().join("strict.toml");
    fs::write(
        &scen,
        format!("{text}\n[verdict]\nburn_in = 0.3\nalpha = 0.01\nrel_tol = 0.1\nabs_tol = 0.002\n"),
    )
    .unwrap();
    let out = tmp.path().join("strict");
    run_into(&powerdyn::scenario::load(&scen).unwrap(), 1, 60, 1, &out);
    let html = fs::read_to_string(powerdyn::report::report(&out).unwrap()).unwrap();
    assert!(
        html.contains("after the first 30% of the records")
            && html.contains("(p below 0.01)")
            && html.contains("(10% of the level, at least 0.002)"),
        "{html}"
    );
    assert!(!html.contains("first fifth"));
}

#[test]
fn ties_closed_by_events_are_marked_and_not_told_as_withdrawals() {
    // Kim joins at step 20 and Lee leaves at step 40: their ties are
    // closed (engagement 0) before and after, without anyone withdrawing.
    let s = crate::support::parse(
        r#"name = "comings"
steps = 60
snapshot_every = 10
[[agents]]
name = "boss"
[[agents]]
name = "lee"
[[agents]]
name = "kim"
[network]
kind = "complete"
[[events]]
kind = "join"
step = 20
targets = ["kim"]
[[events]]
kind = "leave"
step = 40
targets = ["lee"]
"#,
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_into(&s, 1, s.steps, 1, &out);
    let ties = fs::read_to_string(out.join("ties.csv")).unwrap();
    let mut lines = ties.lines();
    assert_eq!(
        lines.next().unwrap(),
        "step,from,to,engagement,resentment,affect,wins,closed"
    );
    let closed = |step: &str, a: &str, b: &str| -> &str {
        let row = ties
            .lines()
            .find(|l| l.starts_with(&format!("{step},{a},{b},")))
            .unwrap();
        row.rsplit(',').next().unwrap()
    };
    // Agents 0 boss, 1 lee, 2 kim.
    assert_eq!(closed("0", "0", "2"), "1", "kim not yet there");
    assert_eq!(closed("0", "0", "1"), "0");
    assert_eq!(closed("30", "0", "2"), "0", "kim joined");
    assert_eq!(closed("50", "1", "0"), "1", "lee left");
    assert_eq!(closed("50", "2", "0"), "0");
    let text = powerdyn::report::narrative(&out).unwrap();
    assert!(!text.contains("withdrew from"), "{text}");
    assert!(
        text.contains("Nobody withdrew at the tie snapshots; 3 ties were closed by events"),
        "{text}"
    );
}
