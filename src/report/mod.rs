//! Reports: one self-contained HTML page per run or sweep folder, with
//! inline SVG charts and CSS (nothing fetched), and the narrative that
//! `powerdyn demo` prints.
//!
//! A run's report tells the scenario's story (its opening comment), lists its
//! parameters, and charts the headline metrics over time with their verdicts
//! (the settle step marked on charts without events; series settling
//! within a fortieth of the run of each other share one marker), the seven bases' Gini coefficients, the
//! tactic mix (averaged over consecutive records when a run has more than
//! 50, since a small group's mix jumps from record to record), resentment
//! and withdrawal, group gaps, events on the time axis, and
//! the network at its snapshots for small groups (node size by total power,
//! edge colour by resentment, withdrawn ties dashed). A sweep's report charts
//! each headline metric against each parameter with 95% bands, a heatmap over
//! the first two parameters, verdict shares and sensitivity indices.

pub mod svg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::metrics::HEADLINE;
use crate::model::{BASE_NAMES, TACTIC_NAMES};
use crate::output::PartFile;
use svg::{escape, Series};

/// A CSV file read whole: header and rows of text.
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads a CSV file written by powerdyn; a file that cannot be read or
    /// parsed is bad input (exit code 2).
    pub fn read(path: &Path) -> Result<Table> {
        Table::read_where(path, "", |_| true)
    }

    /// [`Table::read`], keeping only the rows whose cell in `column` passes
    /// `keep` (every row when there is no such column).
    pub fn read_where(path: &Path, column: &str, keep: impl Fn(&str) -> bool) -> Result<Table> {
        let bad = |e: csv::Error| {
            Error::input(
                path.display().to_string(),
                format!("cannot read it as powerdyn's CSV: {e}"),
                Some("run the command that wrote it again to rewrite the folder"),
            )
        };
        let mut r = csv::Reader::from_path(path).map_err(bad)?;
        let header: Vec<String> = r
            .headers()
            .map_err(bad)?
            .iter()
            .map(str::to_string)
            .collect();
        let col = header.iter().position(|h| h == column);
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(bad)?;
            if col.is_none_or(|c| keep(&rec[c])) {
                rows.push(rec.iter().map(str::to_string).collect());
            }
        }
        Ok(Table { header, rows })
    }

    /// The index of a column.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A numeric column (unparsable cells are NaN).
    pub fn values(&self, name: &str) -> Vec<f64> {
        match self.col(name) {
            Some(k) => self
                .rows
                .iter()
                .map(|r| r.get(k).and_then(|x| x.parse().ok()).unwrap_or(f64::NAN))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The events of an `events.csv` as chart markers `(step, kind + suffix)`
/// (none when its step or kind column is missing).
fn event_markers(e: &Table, suffix: &str) -> Vec<(f64, String)> {
    let (Some(s), Some(k)) = (e.col("step"), e.col("kind")) else {
        return Vec::new();
    };
    e.rows
        .iter()
        .map(|r| (r[s].parse().unwrap_or(0.0), format!("{}{suffix}", r[k])))
        .collect()
}

fn json(path: &Path) -> Option<serde_json::Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

const W: u32 = 900;
const H: u32 = 360;

/// The error for a folder whose manifest.json is there but not JSON.
fn damaged_manifest(dir: &Path) -> Option<Error> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).err()?;
    Some(Error::input(
        dir.display().to_string(),
        "manifest.json is damaged (not JSON), so the folder's outputs cannot be trusted",
        Some("run the scenario or the sweep again into this folder (--force) or another"),
    ))
}

/// Refuses a run's folder whose files are not the ones the run wrote: a
/// manifest that is not JSON, a file it lists that is missing or has
/// another size than it records (cut short, or changed since), a summary
/// that does not parse, or a time series without a row. (A manifest from
/// before `file_bytes` was recorded is checked for the files alone.)
fn check_run_files(dir: &Path) -> Result<()> {
    let shown = dir.display().to_string();
    let again = "run the scenario again (the manifest's `rerun` line repeats the run)";
    let bad = |what: String| Err(Error::input(shown.clone(), what, Some(again)));
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let manifest: serde_json::Value = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => return bad(format!("manifest.json is damaged: {e}")),
    };
    let sizes = &manifest["file_bytes"];
    for name in manifest["files"].as_array().into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        // Only plain names inside the folder.
        if crate::scenario::check_name(name).is_err() || name.starts_with('.') {
            return bad(format!(
                "manifest.json lists `{name}`, not a file powerdyn writes"
            ));
        }
        let file = dir.join(name);
        let Ok(meta) = std::fs::metadata(&file) else {
            return bad(format!("{name} is missing: the manifest lists it"));
        };
        if let Some(want) = sizes[name].as_u64() {
            if meta.len() != want {
                return bad(format!(
                    "{name} has {} bytes, but the run wrote {want}: it was cut short or changed since",
                    meta.len()
                ));
            }
        }
    }
    if json(&dir.join("summary.json")).is_none() {
        return bad("summary.json cannot be read as JSON".to_string());
    }
    let ts = Table::read(&dir.join("timeseries.csv"))?;
    if ts.rows.is_empty() {
        return bad("timeseries.csv has no rows".to_string());
    }
    Ok(())
}

/// Writes `report.html` into a run's or a sweep's output folder and returns its path.
pub fn report(dir: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Err(Error::input(
            dir.display().to_string(),
            what,
            Some("give the output folder of a run or a sweep"),
        ));
    }
    use crate::output::{holds, Holds};
    let body = match holds(dir) {
        Holds::Sweep | Holds::Merged if dir.join("manifest.json").exists() => sweep_report(dir)?,
        Holds::Run => run_report(dir)?,
        _ => {
            return Err(damaged_manifest(dir).unwrap_or_else(|| {
                Error::input(
                    dir.display().to_string(),
                    "holds no finished run or sweep (no manifest.json written by powerdyn)",
                    Some("give the output folder of a finished powerdyn run or sweep"),
                )
            }))
        }
    };
    let mut f = PartFile::create(dir, "report.html")?;
    let path = f.part_path().to_path_buf();
    use std::io::Write;
    f.writer()
        .write_all(body.as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    f.commit()?;
    Ok(dir.join("report.html"))
}

fn page(title: &str, sections: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<style>\n\
body{{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:18px;max-width:960px;margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.5}}\n\
h1{{font-size:2em}} h2{{margin-top:2em;border-bottom:2px solid #ddd}} pre{{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:15px}}\n\
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:.3em .7em;text-align:left}}\n\
.grows{{color:#b2182b;font-weight:bold}} .shrinks{{color:#2166ac;font-weight:bold}} .settles{{color:#1b7837;font-weight:bold}} .oscillates{{color:#8c510a;font-weight:bold}} .undetermined{{color:#555555;font-style:italic}}\n\
svg{{max-width:100%;height:auto;margin:.5em 0}}\n\
@media (min-width:1100px){{body{{max-width:min(94vw,1240px);font-size:20px}} pre{{font-size:17px}} svg{{width:100%;max-height:86vh}}}}\n\
@media (min-width:1400px){{body{{max-width:min(94vw,1800px);font-size:24px}} pre{{font-size:20px}} svg{{width:100%;max-height:86vh}}}}\n</style></head><body>\n<h1>{t}</h1>\n{}\n<p><small>Written by powerdyn {v}. Self-contained: no network needed.</small></p>\n</body></html>\n",
        sections.join("\n"),
        t = escape(title),
        v = env!("CARGO_PKG_VERSION"),
    )
}

/// The text of the run's scenario file, if a file the manifest names is
/// still the one the run read: the same SHA-256 (over it and the bases it
/// extends) as the manifest's `scenario_sha256`. A file changed since, or
/// another file reached from another folder, is not shown. Returns the text
/// and the scenario's `description`.
fn scenario_text(dir: &Path, manifest: &serde_json::Value) -> Option<Found> {
    // The run's own copy first (see `output::INPUTS_DIR`), then the
    // absolute path (the report may be made from another folder).
    let copy = manifest["inputs"][0]
        .as_str()
        .filter(|p| {
            p.starts_with(&format!("{}/", crate::output::INPUTS_DIR))
                && Path::new(p)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
        })
        .map(|p| dir.join(p));
    let expected = manifest["scenario_sha256"].as_str()?;
    copy.into_iter()
        .chain(
            [
                &manifest["scenario_path_absolute"],
                &manifest["scenario_path"],
            ]
            .into_iter()
            .filter_map(|v| v.as_str())
            .map(std::path::PathBuf::from),
        )
        .find_map(|p| {
            if !p.is_file() || p.extension().is_none_or(|e| e != "toml") {
                return None;
            }
            let sc = crate::scenario::load(&p).ok()?;
            if sc.sha256 != expected {
                return None;
            }
            // The bytes load() read and the hash covers: the file, then
            // each base it extends.
            let mut texts = sc
                .inputs
                .iter()
                .map(|f| Some((f.path.clone(), String::from_utf8(f.bytes.to_vec()).ok()?)));
            let (_, text) = texts.next()??;
            let bases = texts.collect::<Option<Vec<_>>>()?;
            Some(Found {
                text,
                description: sc.description,
                bases,
            })
        })
}

/// A run's scenario file found and checked against its manifest.
struct Found {
    /// Its text.
    text: String,
    /// Its `description`.
    description: String,
    /// The bases it extends: each one's path below the scenario's folder
    /// and its text.
    bases: Vec<(String, String)>,
}

/// The opening comment of a scenario file: its story, question and what to watch.
fn story(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim_start())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The story of a scenario file: its opening comment, or else its
/// `description`.
fn story_of(text: &str, description: &str) -> Option<String> {
    if let Some(s) = story(text) {
        return Some(s);
    }
    if description.trim().is_empty() {
        return None;
    }
    // A description the file does not give itself is its base's: the
    // story of the scenario this one varies, and said to be.
    let own = toml::de::DeTable::parse(text)
        .map(|d| d.get_ref().get("description").is_some())
        .unwrap_or(true);
    let base = crate::scenario::extends_of(text.as_bytes());
    Some(match (own, base) {
        (false, Some(b)) => format!(
            "(This scenario tells no story of its own: it varies {b}, whose description follows.)\n\n{}",
            description.trim()
        ),
        _ => description.trim().to_string(),
    })
}

/// A named series of a stacked chart.
type Layer = (String, Vec<f64>);

/// Most columns of the tactic-mix chart: longer runs are averaged over
/// consecutive records.
const MIX_BINS: usize = 50;

/// The tactic mix over at most `bins` columns: each the mean share of each
/// tactic over consecutive records, at the last step of its records, with
/// records in which no one acted left out of the mean (a column with none
/// left is blank); the chart's title says how many records a column holds.
/// Runs of at most `bins` records are charted as recorded.
fn smoothed_mix(steps: &[f64], layers: &[Layer], bins: usize) -> (Vec<f64>, Vec<Layer>, String) {
    let n = steps.len();
    if n <= bins || bins == 0 {
        return (
            steps.to_vec(),
            layers.to_vec(),
            "Tactic mix (share of acts)".to_string(),
        );
    }
    // Columns of as equal sizes as can be (the last is not a lone record).
    let columns = n.div_ceil(n.div_ceil(bins));
    let ranges: Vec<std::ops::Range<usize>> = (0..columns)
        .map(|c| c * n / columns..(c + 1) * n / columns)
        .collect();
    let (least, most) = (n / columns, n.div_ceil(columns));
    let acted = |k: usize| {
        layers
            .iter()
            .any(|(_, v)| v.get(k).is_some_and(|&x| x > 0.0))
    };
    let xs = ranges.iter().map(|r| steps[r.end - 1]).collect();
    let out = layers
        .iter()
        .map(|(name, v)| {
            let means = ranges
                .iter()
                .map(|r| {
                    let used: Vec<f64> = r
                        .clone()
                        .filter(|&k| acted(k))
                        .map(|k| v.get(k).copied().filter(|x| x.is_finite()).unwrap_or(0.0))
                        .collect();
                    if used.is_empty() {
                        0.0
                    } else {
                        used.iter().sum::<f64>() / used.len() as f64
                    }
                })
                .collect();
            (name.clone(), means)
        })
        .collect();
    let size = if least == most {
        format!("{most}")
    } else {
        format!("{least} or {most}")
    };
    (
        xs,
        out,
        format!("Tactic mix (share of acts; each point averages {size} records)"),
    )
}

fn run_report(dir: &Path) -> Result<String> {
    check_run_files(dir)?;
    let ts = Table::read(&dir.join("timeseries.csv"))?;
    let summary = json(&dir.join("summary.json")).unwrap_or_default();
    let manifest = json(&dir.join("manifest.json")).unwrap_or_default();
    let steps = ts.values("step");
    let name = summary["scenario"].as_str().unwrap_or("run").to_string();
    let events = Table::read(&dir.join("events.csv")).ok();
    let markers: Vec<(f64, String)> = events
        .as_ref()
        .map(|e| event_markers(e, ""))
        .unwrap_or_default();
    let mut sections = Vec::new();
    // Story and parameters.
    let scenario_path = manifest["scenario_path"].as_str().unwrap_or("");
    let mut intro = String::from("<h2>The story</h2>\n");
    let found = scenario_text(dir, &manifest);
    match &found {
        Some(f) => match story_of(&f.text, &f.description) {
            Some(s) => intro.push_str(&format!("<pre>{}</pre>\n", escape(&s))),
            None => intro.push_str(
                "<p>(The scenario file tells no story: it opens with no comment and has no <code>description</code>. Its parameters follow.)</p>\n",
            ),
        },
        None => intro.push_str(
            "<p>(The scenario file is not at hand, or has changed since the run; its name and numbers follow.)</p>\n",
        ),
    }
    if let Some(f) = &found {
        intro.push_str(&format!(
            "<details><summary>Parameters: the scenario file</summary><pre>{}</pre></details>\n",
            escape(&f.text)
        ));
        // The bases it extends, as read with it (the hash covers them).
        for (rel, text) in &f.bases {
            intro.push_str(&format!(
                "<details><summary>Parameters: the base it extends, <code>{}</code></summary><pre>{}</pre></details>\n",
                escape(rel),
                escape(text)
            ));
        }
    }
    intro.push_str(&format!(
        "<table><tr><th>scenario</th><td>{}</td></tr><tr><th>agents</th><td>{}</td></tr><tr><th>ties</th><td>{}</td></tr><tr><th>steps</th><td>{}</td></tr><tr><th>seed</th><td>{}</td></tr><tr><th>scenario file</th><td>{}</td></tr>{}</table>\n",
        escape(&name),
        summary["agents"],
        summary["ties"],
        summary["steps"],
        summary["seed"],
        escape(scenario_path),
        manifest["rerun"]
            .as_str()
            .map(|r| format!(
                "<tr><th>to repeat</th><td>in the run's folder, which holds a copy of the scenario's files: <code>{}</code></td></tr>",
                escape(r)
            ))
            .unwrap_or_default()
    ));
    sections.push(intro);
    // What happened, in words (as `powerdyn run` and `demo` print it).
    if let Ok(told) = narrative(dir) {
        let lines: Vec<String> = told
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect();
        if !lines.is_empty() {
            sections.push(format!(
                "<h2>What happened</h2>\n<ul class=\"told\">{}</ul>\n",
                lines.join("")
            ));
        }
    }
    // Verdicts.
    let mut v = String::from("<h2>Does imbalance grow or settle?</h2>\n<table><tr><th>metric</th><th>verdict</th><th title=\"mean of the last tenth of the records\">late mean</th><th title=\"lowest and highest value in the second half of the records\">late range</th><th>settles from</th><th>Sen slope per step</th><th>p</th></tr>\n");
    for h in HEADLINE {
        let x = &summary["verdicts"][h];
        let word = x["verdict"].as_str().unwrap_or("");
        let range = late_range(&ts.values(h))
            .map(|(lo, hi)| range_text(lo, hi))
            .unwrap_or_else(|| "—".into());
        v.push_str(&format!(
            "<tr><td>{h}</td><td class=\"{word}\">{word}</td><td>{:.4}</td><td>{range}</td><td>{}</td><td>{:+.2e}</td><td>{:.3}</td></tr>\n",
            x["final_value"].as_f64().unwrap_or(f64::NAN),
            x["settle_step"].as_u64().map(|s| format!("step {s}")).unwrap_or_else(|| "—".into()),
            x["sen_slope_per_step"].as_f64().unwrap_or(0.0),
            x["mann_kendall_p"].as_f64().unwrap_or(1.0),
        ));
    }
    v.push_str(&format!("</table>\n<p>{}</p>\n", verdict_note(&summary)));
    sections.push(v);
    // A column with no value (a group no one is in) has no line to draw.
    let series = |cols: &[&str]| -> Vec<Series> {
        cols.iter()
            .filter(|c| ts.col(c).is_some() && ts.values(c).iter().any(|v| v.is_finite()))
            .map(|c| Series {
                name: c.to_string(),
                xs: steps.clone(),
                ys: ts.values(c),
                band: None,
            })
            .collect()
    };
    let last_step = steps.last().copied().unwrap_or(0.0);
    let settle_markers = |cols: &[&str]| -> Vec<(f64, String)> {
        let mut m = markers.clone();
        // Beside events, settling lines would look like them and crowd
        // their labels: the verdict table gives the settling steps.
        if !m.is_empty() {
            return m;
        }
        // A series settled from step 0 never moved: no marker on the axis.
        let mut settled: Vec<(f64, &str)> = cols
            .iter()
            .filter_map(|c| {
                summary["verdicts"][*c]["settle_step"]
                    .as_u64()
                    .filter(|&s| s > 0)
                    .map(|s| (s as f64, *c))
            })
            .collect();
        settled.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Series settling within a fortieth of the run of each other share
        // one line and one label, at the first of them: two lines a few
        // pixels apart cannot both be labelled.
        let mut k = 0;
        while k < settled.len() {
            let first = settled[k].0;
            let close = settled[k..]
                .iter()
                .take_while(|(s, _)| *s - first <= last_step / 40.0)
                .count();
            let names: Vec<&str> = settled[k..k + close].iter().map(|(_, c)| *c).collect();
            let verb = if close == 1 { "settles" } else { "settle" };
            // One name a line: a marker's label runs up the chart's height.
            m.push((first, format!("{} {verb}", names.join(",\n"))));
            k += close;
        }
        m
    };
    let chart = |title: &str, cols: &[&str], y: &str| {
        svg::line_chart(title, "step", y, &series(cols), &settle_markers(cols), W, H)
    };
    sections.push(format!(
        "<h2>Imbalance over time</h2>\n{}\n",
        chart(
            "Inequality and imbalance",
            &["power_gini", "resources_gini", "dyad_imbalance"],
            "index (0 to 1)"
        )
    ));
    sections.push(format!(
        "<h2>Resentment and withdrawal</h2>\n{}\n{}\n",
        chart("Mean resentment", &["mean_resentment"], "resentment"),
        chart(
            "Engagement and withdrawal",
            &["mean_engagement", "withdrawn_share", "compliance_rate"],
            "share"
        )
    ));
    let ginis: Vec<String> = BASE_NAMES.iter().map(|b| format!("gini_{b}")).collect();
    let gini_refs: Vec<&str> = ginis.iter().map(String::as_str).collect();
    sections.push(format!(
        "<h2>The seven bases</h2>\n{}\n",
        svg::line_chart(
            "Gini of each power base",
            "step",
            "Gini",
            &series(&gini_refs),
            &markers,
            W,
            H
        )
    ));
    let layers: Vec<(String, Vec<f64>)> = TACTIC_NAMES
        .iter()
        .map(|t| (t.to_string(), ts.values(&format!("tactic_{t}"))))
        .collect();
    // Record by record the mix of a small group jumps about (a dyad makes
    // two acts a step): across a room it reads as noise. Long runs are
    // charted as the mean mix of consecutive records, idle ones left out.
    let (mix_steps, mix_layers, title) = smoothed_mix(&steps, &layers, MIX_BINS);
    // Records after step 0 with no act since the previous one have every
    // share 0; a column of such records only is blank.
    let idle_at = |xs: &[f64], ls: &[(String, Vec<f64>)], k: usize| {
        xs[k] > 0.0 && ls.iter().all(|(_, v)| v.get(k).is_none_or(|&x| x == 0.0))
    };
    let idle = (0..steps.len())
        .filter(|&k| idle_at(&steps, &layers, k))
        .count();
    let blank = (0..mix_steps.len()).any(|k| idle_at(&mix_steps, &mix_layers, k));
    let idle_note = if blank && idle < steps.len() {
        format!(
            "<p>Blank stretches: no one used a tactic ({idle} of {} records had no act since the previous one) — every tie withdrawn, or tactics switched off, as in the exchange networks, where agents act by bargaining alone.</p>\n",
            steps.len()
        )
    } else {
        String::new()
    };
    sections.push(format!(
        "<h2>What agents do</h2>\n{}\n{idle_note}",
        svg::stacked_area(&title, "step", &mix_steps, &mix_layers, W, H)
    ));
    // The metrics of the mechanisms a scenario turns on, charted when any
    // of them moves: a story about a hierarchy, a bargaining network or
    // voice shows what it tells the reader to watch.
    let varies = |c: &str| {
        let v: Vec<f64> = ts.values(c).into_iter().filter(|x| x.is_finite()).collect();
        v.iter().any(|&x| x != v[0])
    };
    for (title, heading, cols, y) in [
        (
            "Dominance hierarchy",
            "Hierarchy",
            &[
                "landau_h",
                "h_prime",
                "steepness",
                "directional_consistency",
                "triangle_transitivity",
            ][..],
            "index",
        ),
        (
            // Not an index from 0 to 1: on its own axis.
            "Spread of dominance (coefficient of variation)",
            "Dominance spread",
            &["dominance_cv"][..],
            "coefficient of variation",
        ),
        (
            "Exchange and exclusion",
            "Bargaining",
            &["exchange_rate", "exclusion_rate", "bargain_share_gini"][..],
            "rate or Gini",
        ),
        (
            "Responses to dissatisfaction",
            "Exit, voice, loyalty, neglect",
            &[
                "exit_share",
                "voice_share",
                "loyalty_share",
                "neglect_share",
                "voice_success",
            ][..],
            "share",
        ),
        (
            "Opinions and self-weights",
            "Influence",
            &[
                "opinion_mean",
                "opinion_sd",
                "self_weight_gini",
                "self_weight_max",
            ][..],
            "opinion or weight",
        ),
        (
            "Inequality between groups (share of the Theil index)",
            "Between groups",
            &["power_between_share", "resources_between_share"][..],
            "share",
        ),
    ] {
        let present: Vec<&str> = cols
            .iter()
            .copied()
            .filter(|c| ts.col(c).is_some())
            .collect();
        // A hierarchy needs three to rank (a couple's indices are degenerate).
        let ranked = heading != "Hierarchy" || summary["agents"].as_u64().unwrap_or(0) >= 3;
        if ranked && present.iter().any(|c| varies(c)) {
            // A share of almost nothing says little: say so beside it.
            let note = match heading {
                "Between groups" => {
                    let theil = ts.values("power_theil");
                    let late = &theil[theil.len() - theil.len().div_ceil(10)..];
                    let late: Vec<f64> = late.iter().copied().filter(|x| x.is_finite()).collect();
                    let mean = late.iter().sum::<f64>() / late.len().max(1) as f64;
                    if !late.is_empty() && mean < 0.01 {
                        let level = if mean < 0.001 {
                            "below 0.001".to_string()
                        } else {
                            format!("near {mean:.3}")
                        };
                        format!(
                            "<p class=\"note\">Power is nearly equal here (its Theil index ends {level}): a share of almost no inequality says little about the groups.</p>\n"
                        )
                    } else {
                        String::new()
                    }
                }
                _ => String::new(),
            };
            sections.push(format!(
                "<h2>{heading}</h2>\n{}\n{note}",
                svg::line_chart(title, "step", y, &series(&present), &markers, W, H)
            ));
        }
    }
    let groups: Vec<String> = ts
        .header
        .iter()
        .filter_map(|h| {
            h.strip_prefix("group_")
                .and_then(|g| g.strip_suffix("_power"))
                .map(str::to_string)
        })
        .collect();
    if !groups.is_empty() {
        let pw: Vec<String> = groups.iter().map(|g| format!("group_{g}_power")).collect();
        let rs: Vec<String> = groups
            .iter()
            .map(|g| format!("group_{g}_resources"))
            .collect();
        let pw_refs: Vec<&str> = pw.iter().map(String::as_str).collect();
        let rs_refs: Vec<&str> = rs.iter().map(String::as_str).collect();
        sections.push(format!(
            "<h2>Groups</h2>\n{}\n{}\n",
            svg::line_chart(
                "Mean total power by group",
                "step",
                "power",
                &series(&pw_refs),
                &markers,
                W,
                H
            ),
            svg::line_chart(
                "Mean resources by group",
                "step",
                "resources",
                &series(&rs_refs),
                &markers,
                W,
                H
            )
        ));
    }
    if let Some(e) = &events {
        let mut t = String::from("<h2>Events</h2>\n<table><tr><th>step</th><th>kind</th><th>targets</th><th>effect</th></tr>\n");
        for r in &e.rows {
            t.push_str("<tr>");
            for c in r {
                t.push_str(&format!("<td>{}</td>", escape(c)));
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</table>\n");
        sections.push(t);
    }
    if let Some(net) = network_section(dir)? {
        sections.push(net);
    }
    Ok(page(&format!("powerdyn: {name}"), &sections))
}

/// Whether the first snapshot of agents.csv (its rows up to the first
/// change of step: a run writes each snapshot's rows together) holds at
/// most `max` agents, read no further than it takes to tell; false if the
/// file cannot be opened (a record it cannot parse ends the count, and the
/// caller's full read then fails).
fn first_snapshot_at_most(path: &Path, max: usize) -> bool {
    let Ok(mut r) = csv::Reader::from_path(path) else {
        return false;
    };
    let Some(st) = r
        .headers()
        .ok()
        .and_then(|h| h.iter().position(|c| c == "step"))
    else {
        return false;
    };
    let (mut first, mut count) = (None::<String>, 0);
    let mut rec = csv::StringRecord::new();
    while let Ok(true) = r.read_record(&mut rec) {
        match &first {
            None => first = Some(rec[st].to_string()),
            Some(f) if f != &rec[st] => break,
            Some(_) => {}
        }
        count += 1;
        if count > max {
            return false;
        }
    }
    true
}

/// The snapshot steps of agents.csv, ascending (a step that does not parse
/// counts as 0, as the pictures read it); `None` if it cannot be read.
fn snapshot_steps(path: &Path) -> Option<Vec<u64>> {
    let mut r = csv::Reader::from_path(path).ok()?;
    let st = r.headers().ok()?.iter().position(|c| c == "step")?;
    let mut steps = std::collections::BTreeSet::new();
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).ok()? {
        steps.insert(rec[st].parse::<u64>().unwrap_or(0));
    }
    Some(steps.into_iter().collect())
}

/// Network pictures at up to three snapshot steps, for groups of at most 60 agents.
fn network_section(dir: &Path) -> Result<Option<String>> {
    // Larger groups get no pictures: their files are not read whole.
    if !first_snapshot_at_most(&dir.join("agents.csv"), 60) {
        return Ok(None);
    }
    // The snapshots drawn (the first, middle and last), and only their rows
    // read: a small group may have thousands of snapshots.
    let Some(snaps) = snapshot_steps(&dir.join("agents.csv")) else {
        return Ok(None);
    };
    let chosen: Vec<u64> = match snaps.len() {
        0 => return Ok(None),
        1..=3 => snaps.clone(),
        k => vec![snaps[0], snaps[k / 2], snaps[k - 1]],
    };
    let keep = |step: &str| chosen.contains(&step.parse().unwrap_or(0));
    let (Ok(agents), Ok(ties)) = (
        Table::read_where(&dir.join("agents.csv"), "step", keep),
        Table::read_where(&dir.join("ties.csv"), "step", keep),
    ) else {
        return Ok(None);
    };
    let (Some(ac), Some(an), Some(tc)) = (agents.col("step"), agents.col("name"), ties.col("step"))
    else {
        return Ok(None);
    };
    let mut by_step: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (k, r) in agents.rows.iter().enumerate() {
        by_step
            .entry(r[ac].parse().unwrap_or(0))
            .or_default()
            .push(k);
    }
    let n = by_step.values().next().map_or(0, Vec::len);
    if n == 0 || n > 60 {
        return Ok(None);
    }
    let base_cols: Vec<usize> = BASE_NAMES.iter().filter_map(|b| agents.col(b)).collect();
    let (tf, tt, te, tr) = (
        ties.col("from"),
        ties.col("to"),
        ties.col("engagement"),
        ties.col("resentment"),
    );
    let (Some(tf), Some(tt), Some(te), Some(tr)) = (tf, tt, te, tr) else {
        return Ok(None);
    };
    // One scale for every snapshot and every report, so that two runs shown
    // side by side compare: resentment 0 is blue, 1 or more (where
    // withdrawal's pressure starts, by default) full orange. (A scale
    // stretched to each run's own maximum drew a calm run hotter than a
    // tense one.)
    const HOT_RESENTMENT: f64 = 1.0;
    // Ties closed by events (an agent gone or not yet joined, a tie cut)
    // are not there to draw (a ties.csv written before the column had none).
    let closed_col = ties.col("closed");
    let mut out = String::from("<h2>The network</h2>\n<p>Circle area: total power. Edge colour: resentment on the same scale in every report — blue at 0, orange at 1 or more (where withdrawal's pressure starts by default). Dashed: withdrawn (engagement below 0.25). Ties closed by events at that step are left out.</p>\n");
    for s in chosen {
        let rows = &by_step[&s];
        let nodes: Vec<(String, f64)> = rows
            .iter()
            .map(|&k| {
                let r = &agents.rows[k];
                let power: f64 = base_cols
                    .iter()
                    .map(|&c| r[c].parse::<f64>().unwrap_or(0.0))
                    .sum();
                (r[an].clone(), power)
            })
            .collect();
        // One edge per pair: the larger resentment of the two halves; dashed if either side withdrew.
        let mut pairs: BTreeMap<(usize, usize), (f64, bool)> = BTreeMap::new();
        for r in ties
            .rows
            .iter()
            .filter(|r| r[tc].parse::<u64>().ok() == Some(s))
            .filter(|r| closed_col.is_none_or(|c| r[c] != "1"))
        {
            let (a, b): (usize, usize) = (r[tf].parse().unwrap_or(0), r[tt].parse().unwrap_or(0));
            let key = (a.min(b), a.max(b));
            let res = (r[tr].parse::<f64>().unwrap_or(0.0) / HOT_RESENTMENT).clamp(0.0, 1.0);
            let withdrawn = r[te].parse::<f64>().unwrap_or(1.0) < 0.25;
            let e = pairs.entry(key).or_insert((0.0, false));
            e.0 = e.0.max(res);
            e.1 |= withdrawn;
        }
        let edges: Vec<(usize, usize, f64, bool)> = pairs
            .into_iter()
            .map(|((a, b), (r, w))| (a, b, r, w))
            .collect();
        out.push_str(&svg::network(
            &format!("Step {s}"),
            &nodes,
            &edges,
            600,
            480,
        ));
        out.push('\n');
    }
    Ok(Some(out))
}

fn sweep_report(dir: &Path) -> Result<String> {
    let runs = Table::read(&dir.join("runs.csv"))?;
    let manifest = json(&dir.join("manifest.json")).unwrap_or_default();
    let params: Vec<String> = runs
        .header
        .iter()
        .skip(4)
        .take_while(|c| !c.starts_with("final_"))
        .cloned()
        .collect();
    let mut sections = vec![format!(
        "<h2>The sweep</h2>\n<table><tr><th>runs</th><td>{}</td></tr><tr><th>design</th><td>{}</td></tr><tr><th>parameters</th><td>{}</td></tr></table>\n",
        runs.rows.len(),
        escape(manifest["design"].as_str().unwrap_or("")),
        escape(&params.join(", "))
    )];
    // Each headline metric's final value against each parameter: mean and 95% interval over runs at each value.
    let mut charts = String::from("<h2>Final values against each parameter</h2>\n");
    for p in &params {
        let xs = runs.values(p);
        for h in [
            "power_gini",
            "dyad_imbalance",
            "mean_resentment",
            "withdrawn_share",
        ] {
            let ys = runs.values(&format!("final_{h}"));
            if ys.is_empty() {
                continue;
            }
            let mut groups: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
            for (x, y) in xs.iter().zip(&ys) {
                if x.is_finite() && y.is_finite() {
                    groups.entry(x.to_bits()).or_default().push(*y);
                }
            }
            let mut pts: Vec<(f64, f64, f64)> = groups
                .iter()
                .map(|(x, v)| {
                    let n = v.len() as f64;
                    let mean = v.iter().sum::<f64>() / n;
                    let sd = if n > 1.0 {
                        (v.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
                    } else {
                        0.0
                    };
                    (f64::from_bits(*x), mean, 1.96 * sd / n.sqrt())
                })
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            if pts.len() > 200 {
                continue;
            }
            let s = Series {
                name: h.to_string(),
                xs: pts.iter().map(|p| p.0).collect(),
                ys: pts.iter().map(|p| p.1).collect(),
                band: Some((
                    pts.iter().map(|p| p.1 - p.2).collect(),
                    pts.iter().map(|p| p.1 + p.2).collect(),
                )),
            };
            charts.push_str(&svg::line_chart(
                &format!("{h} against {p}"),
                p,
                h,
                &[s],
                &[],
                W,
                300,
            ));
            charts.push('\n');
        }
    }
    sections.push(charts);
    if params.len() >= 2 {
        let (px, py) = (runs.values(&params[0]), runs.values(&params[1]));
        let z_all = runs.values("final_power_gini");
        let mut xs: Vec<f64> = px.iter().copied().filter(|x| x.is_finite()).collect();
        let mut ys: Vec<f64> = py.iter().copied().filter(|x| x.is_finite()).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        ys.sort_by(f64::total_cmp);
        ys.dedup();
        if xs.len() <= 50 && ys.len() <= 50 {
            let mut z = vec![vec![f64::NAN; xs.len()]; ys.len()];
            let mut n = vec![vec![0.0; xs.len()]; ys.len()];
            for ((x, y), v) in px.iter().zip(&py).zip(&z_all) {
                if let (Ok(i), Ok(j)) = (
                    xs.binary_search_by(|a| a.total_cmp(x)),
                    ys.binary_search_by(|a| a.total_cmp(y)),
                ) {
                    if v.is_finite() {
                        z[j][i] = if n[j][i] == 0.0 { *v } else { z[j][i] + v };
                        n[j][i] += 1.0;
                    }
                }
            }
            for (zr, nr) in z.iter_mut().zip(&n) {
                for (zv, nv) in zr.iter_mut().zip(nr) {
                    if *nv > 0.0 {
                        *zv /= nv;
                    }
                }
            }
            sections.push(format!(
                "<h2>Two parameters at once</h2>\n{}\n",
                svg::heatmap(
                    "Final power Gini (mean over runs)",
                    &params[0],
                    &params[1],
                    &xs,
                    &ys,
                    &z,
                    W,
                    480
                )
            ));
        }
    }
    if let Ok(v) = Table::read(&dir.join("verdicts.csv")) {
        let mut bars = Vec::new();
        for w in ["settles", "grows", "shrinks", "oscillates", "undetermined"] {
            let col = format!("power_gini_{w}");
            let vals = v.values(&col);
            if !vals.is_empty() {
                bars.push((
                    format!("power_gini {w}"),
                    vals.iter().filter(|x| x.is_finite()).sum::<f64>() / vals.len() as f64,
                ));
            }
        }
        sections.push(format!(
            "<h2>Verdicts</h2>\n{}\n",
            svg::bar_chart(
                "Share of runs by verdict of power_gini (all points)",
                &bars,
                W,
                260
            )
        ));
    }
    if let Ok(s) = Table::read(&dir.join("sensitivity.csv")) {
        let mut out = String::from("<h2>Sensitivity</h2>\n");
        for h in [
            "final_power_gini",
            "final_mean_resentment",
            "final_mean_engagement",
        ] {
            let (Some(m), Some(p), Some(t)) = (s.col("metric"), s.col("parameter"), s.col("total"))
            else {
                break;
            };
            // Each bar's label carries its 95% bootstrap half-width.
            let conf = s.col("total_conf");
            let bars: Vec<(String, f64)> = s
                .rows
                .iter()
                .filter(|r| r[m] == h)
                .map(|r| {
                    let half = conf.and_then(|c| r[c].parse::<f64>().ok());
                    let label = match half {
                        Some(x) if x.is_finite() => format!("{} (± {x:.2})", r[p]),
                        _ => r[p].clone(),
                    };
                    (label, r[t].parse().unwrap_or(0.0))
                })
                .collect();
            if !bars.is_empty() {
                out.push_str(&svg::bar_chart(
                    &format!("Total Sobol index (± its 95% interval's half-width): {h}"),
                    &bars,
                    W,
                    220,
                ));
                out.push('\n');
            }
        }
        sections.push(out);
    }
    Ok(page(
        &format!(
            "powerdyn sweep: {}",
            manifest["sweep"].as_str().unwrap_or("")
        ),
        &sections,
    ))
}

/// The lowest and highest finite value in the second half of a series
/// (None when it has none).
/// A late range to two decimals, rounded outward so that it holds every
/// value in it (and the late mean, a mean of values in it); with a little
/// slack, as `0.14 * 100` is `14.000000000000002`.
fn range_text(lo: f64, hi: f64) -> String {
    // (+ 0.0 turns a -0.0 into 0.0.)
    let lo = (lo * 100.0 + 1e-9).floor() / 100.0 + 0.0;
    let hi = (hi * 100.0 - 1e-9).ceil() / 100.0 + 0.0;
    format!("{lo:.2}–{hi:.2}")
}

fn late_range(values: &[f64]) -> Option<(f64, f64)> {
    let late = values[values.len() / 2..].iter().filter(|x| x.is_finite());
    late.fold(None, |r, &x| match r {
        None => Some((x, x)),
        Some((a, b)) => Some((a.min(x), b.max(x))),
    })
}

/// A short account of a run in words and numbers, for the terminal: whether
/// imbalance settled or grew, where resentment peaked, who withdrew and when.
pub fn narrative(dir: &Path) -> Result<String> {
    let ts = Table::read(&dir.join("timeseries.csv"))?;
    let summary = json(&dir.join("summary.json")).unwrap_or_default();
    let steps = ts.values("step");
    let mut out = String::new();
    let verdict = |m: &str| -> String {
        let v = &summary["verdicts"][m];
        let word = v["verdict"].as_str().unwrap_or("?");
        let fin = v["final_value"].as_f64().unwrap_or(f64::NAN);
        // A level with no trend and no cycle can still swing widely around
        // it (noise): say so, from the second half of the records.
        let values = ts.values(m);
        let (lo, hi) = late_range(&values).unwrap_or((f64::NAN, f64::NAN));
        let swing = if hi - lo > 0.05f64.max(0.5 * fin.abs()) {
            format!(", swinging between {lo:.2} and {hi:.2}")
        } else {
            String::new()
        };
        // A trend starts somewhere, and may first go the other way: a
        // series that grows after an early dip below its start says so.
        let start = values.iter().copied().find(|x| x.is_finite());
        let against = |sign: f64| -> Option<(usize, f64)> {
            let s0 = start?;
            let (k, x) = values
                .iter()
                .enumerate()
                .filter(|(_, x)| x.is_finite())
                .fold(None, |best: Option<(usize, f64)>, (k, &x)| match best {
                    Some((_, b)) if sign * (x - b) >= 0.0 => best,
                    _ => Some((k, x)),
                })?;
            // A clear turn, or any turn when the run ends on the other
            // side of its start from where the verdict points.
            (sign * (s0 - x) > 0.02f64.max(0.2 * s0.abs()) || sign * (s0 - fin) > 0.0)
                .then_some((k, x))
        };
        let at = |k: usize| steps.get(k).copied().unwrap_or(0.0);
        match (word, v["settle_step"].as_u64(), start) {
            ("settles", Some(s), _) => format!("settles at {fin:.2} from step {s}{swing}"),
            ("settles", None, _) => format!("settles at {fin:.2}{swing}"),
            // The turn first, then the trend the verdict found after it, so
            // that "grows" never ends below where it started unexplained.
            ("grows", _, Some(s0)) => match against(1.0) {
                Some((k, x)) => format!(
                    "falls from {s0:.2} to {x:.2} at step {}, then grows (ends near {fin:.2})",
                    at(k)
                ),
                None => format!("grows from {s0:.2} (ends near {fin:.2})"),
            },
            ("shrinks", _, Some(s0)) => match against(-1.0) {
                Some((k, x)) => format!(
                    "rises from {s0:.2} to {x:.2} at step {}, then shrinks (ends near {fin:.2})",
                    at(k)
                ),
                None => format!("shrinks from {s0:.2} (ends near {fin:.2})"),
            },
            ("undetermined", _, _) => format!(
                "too few records to tell a trend from noise (ends near {fin:.2}; run longer or record more often)"
            ),
            (w, _, _) => format!("{w} (ends near {fin:.2})"),
        }
    };
    out.push_str(&format!(
        "Power inequality (Gini): {}.\n",
        verdict("power_gini")
    ));
    out.push_str(&format!(
        "Imbalance within relationships: {}.\n",
        verdict("dyad_imbalance")
    ));
    out.push_str(&format!(
        "Money inequality (Gini): {}.\n",
        verdict("resources_gini")
    ));
    let res = ts.values("mean_resentment");
    // The first step at the peak (a flat series peaks where it starts).
    let peak = res.iter().enumerate().filter(|(_, v)| v.is_finite()).fold(
        None,
        |best: Option<(usize, f64)>, (k, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((k, v)),
        },
    );
    // ties.csv and agents.csv are read a record at a time, keeping only
    // what the account tells: a run of 10^6 agents writes hundreds of MB.
    let ties = tie_story(&dir.join("ties.csv"));
    let most = ties.as_ref().and_then(|t| t.most.clone());
    let withdrawals: Vec<(&(String, String), &String)> = ties
        .as_ref()
        .map(|t| t.first.iter().take(8).collect())
        .unwrap_or_default();
    let mut wanted = std::collections::BTreeSet::new();
    if let Some((_, from, to, _)) = &most {
        wanted.extend([from.clone(), to.clone()]);
    }
    for ((a, b), _) in &withdrawals {
        wanted.extend([a.clone(), b.clone()]);
    }
    let (names, bargaining) = agent_story(&dir.join("agents.csv"), &wanted).unwrap_or_default();
    let name = |k: &str| names.get(k).cloned().unwrap_or_else(|| k.to_string());
    // The mean hides one person's resentment (a bullied employee's beside
    // the bully's none): the most resentful half at a tie snapshot, the
    // first snapshot at the largest value.
    // Nobody resented only if the snapshots show no one who did (without
    // them, as for networks too large for ties.csv, the mean alone speaks).
    let someone = most.as_ref().map(|m| m.3 >= 0.005);
    match peak {
        // Shown to two decimals: below 0.005 there was none to speak of.
        Some((_, peak)) if peak < 0.005 && someone == Some(false) => {
            out.push_str("Nobody resented anyone (mean resentment stayed at 0.00).\n")
        }
        Some((_, peak)) if peak < 0.005 => {
            out.push_str("Mean resentment over all ties stayed below 0.01.\n")
        }
        Some((k, peak)) => out.push_str(&format!(
            "Mean resentment over all ties peaked at {peak:.2} at step {} and ended at {:.2}.\n",
            steps.get(k).copied().unwrap_or(0.0),
            res.last().copied().unwrap_or(0.0)
        )),
        None => {}
    }
    if let (Some((step, from, to, x)), Some(t)) = (most.filter(|m| m.3 >= 0.005), &ties) {
        let of = if t.snapshots == 1 {
            "the one tie snapshot".to_string()
        } else {
            format!("the {} tie snapshots", t.snapshots)
        };
        out.push_str(&format!(
            "The most resentful at {of} (ties.csv): {} toward {}, {x:.2} at step {step}.\n",
            name(&from),
            name(&to)
        ));
    }
    // Who withdrew from whom, and by when (from the tie snapshots).
    if let Some(t) = ties.as_ref().filter(|t| t.withdrawals) {
        for ((a, b), step) in &withdrawals {
            out.push_str(&format!(
                "{} withdrew from {} (by step {step}).\n",
                name(a),
                name(b)
            ));
        }
        if t.first.len() > 8 {
            out.push_str(&format!(
                "... and {} more withdrawals.\n",
                t.first.len() - 8
            ));
        }
        if t.first.is_empty() && !t.closed.is_empty() {
            // withdrawn_share counts closed ties too: it cannot tell.
            out.push_str(&format!(
                "Nobody withdrew at the tie snapshots; {} closed by events (leave, join or tie_cut), which withdrawn_share counts as withdrawn.\n",
                if t.closed.len() == 1 { "one tie was".to_string() } else { format!("{} ties were", t.closed.len()) }
            ));
        } else if t.first.is_empty() {
            // The snapshots may miss a withdrawal the time series shows.
            let share = ts.values("withdrawn_share");
            let peak = share
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0f64, f64::max);
            // The first record with any tie withdrawn.
            match share.iter().position(|&v| v > 0.0) {
                Some(k) if peak > 0.0 => out.push_str(&format!(
                    "Ties were withdrawn between the tie snapshots: at most {:.0}% of them, the first by step {} (withdrawn_share in timeseries.csv).\n",
                    100.0 * peak,
                    steps.get(k).copied().unwrap_or(0.0)
                )),
                _ => out.push_str("Nobody withdrew.\n"),
            }
        }
    }
    // Bargaining: each agent's share of the pools it split and how often it
    // was left out, at the last snapshot (what exchange stories ask the
    // reader to watch; agents.csv alone, as ties.csv may not be written).
    if let Some(b) = bargaining {
        let told: Vec<String> = b
            .first
            .iter()
            .map(|(agent, share, excluded)| {
                format!(
                    "{} takes {share:.2} of a pool, left out of {:.0}% of rounds",
                    name(agent),
                    100.0 * excluded
                )
            })
            .collect();
        let more = if b.count > 8 {
            format!("; ... and {} more", b.count - 8)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "Bargaining, by step {}: {}{more}.\n",
            b.step,
            told.join("; ")
        ));
    }
    Ok(out)
}

/// What [`narrative`] tells from ties.csv, read a record at a time.
#[derive(Debug, Default)]
struct TieStory {
    /// Distinct snapshot steps.
    snapshots: usize,
    /// The most resentful half (step, from, to, resentment), the first at
    /// the largest value; `None` without those columns or a finite value.
    most: Option<(String, String, String, f64)>,
    /// Whether the file has the columns the withdrawals need.
    withdrawals: bool,
    /// Each pair's first step with engagement below 0.25, ties closed by
    /// an event aside.
    first: BTreeMap<(String, String), String>,
    /// The pairs closed by events (a leave, a join still to come, a tie_cut),
    /// which have engagement 0 without anyone withdrawing.
    closed: std::collections::BTreeSet<(String, String)>,
}

/// Reads ties.csv a record at a time; `None` if it is missing or unreadable.
fn tie_story(path: &Path) -> Option<TieStory> {
    let mut r = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = r.headers().ok()?.iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (s, f, t) = (col("step"), col("from"), col("to"));
    let (res, e, c) = (col("resentment"), col("engagement"), col("closed"));
    let mut story = TieStory {
        withdrawals: s.is_some() && f.is_some() && t.is_some() && e.is_some(),
        ..TieStory::default()
    };
    let mut steps = std::collections::BTreeSet::new();
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).ok()? {
        let (Some(s), Some(f), Some(t)) = (s, f, t) else {
            continue;
        };
        let (step, from, to) = (&rec[s], &rec[f], &rec[t]);
        if let Some(res) = res {
            if !steps.contains(step) {
                steps.insert(step.to_string());
            }
            let x = rec[res].parse::<f64>().ok().filter(|x| x.is_finite());
            if let Some(x) = x {
                if story.most.as_ref().is_none_or(|m| m.3 < x) {
                    story.most = Some((step.to_string(), from.to_string(), to.to_string(), x));
                }
            }
        }
        if let Some(e) = e {
            if c.is_some_and(|c| &rec[c] == "1") {
                let (a, b) = (from.min(to), from.max(to));
                story.closed.insert((a.to_string(), b.to_string()));
                continue;
            }
            if rec[e].parse::<f64>().unwrap_or(1.0) < 0.25 {
                story
                    .first
                    .entry((from.to_string(), to.to_string()))
                    .or_insert_with(|| step.to_string());
            }
        }
    }
    story.snapshots = steps.len();
    Some(story)
}

/// The bargaining [`narrative`] tells: the last snapshot's step, how many
/// agents it shows with a share, and the first eight (agent, share, the
/// share of rounds left out).
#[derive(Debug)]
struct Bargaining {
    step: String,
    count: usize,
    first: Vec<(String, f64, f64)>,
}

/// A snapshot's bargaining as read: how many agents have a share, and the
/// first eight (agent, share, share of rounds left out, name).
type StepBargains = (usize, Vec<(String, f64, f64, String)>);

/// The names of the agents in `wanted` and of those [`Bargaining`] tells,
/// and the bargaining, from agents.csv read a record at a time; `None` if
/// it is missing or unreadable.
fn agent_story(
    path: &Path,
    wanted: &std::collections::BTreeSet<String>,
) -> Option<(BTreeMap<String, String>, Option<Bargaining>)> {
    let mut r = csv::Reader::from_path(path).ok()?;
    let header: Vec<String> = r.headers().ok()?.iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (a, n) = (col("agent"), col("name"));
    let (st, b, x) = (col("step"), col("bargain_share"), col("exclusion_rate"));
    let mut names = BTreeMap::new();
    // Each snapshot's account (a few entries per snapshot), and the last
    // row's step: the one told, wherever its rows are in the file.
    let mut by_step: BTreeMap<String, StepBargains> = BTreeMap::new();
    let mut last_step: Option<String> = None;
    let mut rec = csv::StringRecord::new();
    while r.read_record(&mut rec).ok()? {
        let Some(a) = a else { continue };
        let agent = &rec[a];
        if let Some(n) = n.filter(|_| wanted.contains(agent)) {
            names.insert(agent.to_string(), rec[n].to_string());
        }
        let (Some(st), Some(b), Some(x)) = (st, b, x) else {
            continue;
        };
        if last_step.as_deref() != Some(&rec[st]) {
            last_step = Some(rec[st].to_string());
        }
        let Some(share) = rec[b].parse::<f64>().ok().filter(|v| v.is_finite()) else {
            continue;
        };
        let (count, first) = by_step.entry(rec[st].to_string()).or_default();
        *count += 1;
        if first.len() < 8 {
            let excluded = rec[x].parse().unwrap_or(f64::NAN);
            let name = n.map(|n| rec[n].to_string()).unwrap_or_default();
            first.push((agent.to_string(), share, excluded, name));
        }
    }
    let told = last_step.and_then(|step| {
        let (count, first) = by_step.remove(&step)?;
        let first = first
            .into_iter()
            .map(|(agent, share, excluded, name)| {
                if n.is_some() {
                    names.insert(agent.clone(), name);
                }
                (agent, share, excluded)
            })
            .collect();
        Some(Bargaining { step, count, first })
    });
    Some((names, told))
}

/// A run read for comparison: name, time series, summary and event markers.
type LoadedRun = (String, Table, serde_json::Value, Vec<(f64, String)>);

/// What the verdict table's words mean, with the settings the run's
/// verdicts used (its `[verdict]` table, as `verdict_config` in
/// summary.json records it; a summary without it used the defaults).
fn verdict_note(summary: &serde_json::Value) -> String {
    let d = crate::verdict::VerdictConfig::default();
    let c = &summary["verdict_config"];
    let get = |k: &str, default: f64| c[k].as_f64().unwrap_or(default);
    let (burn_in, alpha) = (get("burn_in", d.burn_in), get("alpha", d.alpha));
    let (rel_tol, abs_tol) = (get("rel_tol", d.rel_tol), get("abs_tol", d.abs_tol));
    // At most six significant digits (0.07 is 7%, not 7.000000000000001%).
    let short = |x: f64| format!("{}", format!("{x:.6e}").parse::<f64>().unwrap_or(x));
    let burn = if burn_in == 0.2 {
        "the first fifth of the run".to_string()
    } else if burn_in == 0.0 {
        "the start of the run (no burn-in)".to_string()
    } else {
        format!("the first {}% of the records", short(100.0 * burn_in))
    };
    format!(
        "<em>Settles</em> means no trend and no cycle after {burn} — settled in distribution, not quiet: a series can settle while it keeps swinging (its late range says how widely). The late mean is the mean of the last tenth of the records; the late range runs from the lowest to the highest value of the second half. A trend counts only when it is both significant (p below {}) and larger than the practical size ({}% of the level, at least {}): a <em>settles</em> beside a small p is a real drift too small to matter.",
        short(alpha),
        short(100.0 * rel_tol),
        short(abs_tol),
    )
}

/// Writes `compare.html` into `out`: two runs side by side (for example with
/// and without counseling): their verdicts in one table, and each headline
/// metric of both runs on one chart, events of both marked.
pub fn compare(a: &Path, b: &Path, out: &Path) -> Result<PathBuf> {
    for d in [a, b] {
        if let Some(e) = damaged_manifest(d) {
            return Err(e);
        }
        if crate::output::holds(d) != crate::output::Holds::Run {
            let what = if d.exists() {
                "holds no finished run (no run's manifest.json)"
            } else {
                "does not exist"
            };
            return Err(Error::input(
                d.display().to_string(),
                what,
                Some("give the output folders of two finished runs"),
            ));
        }
        check_run_files(d)?;
    }
    let load = |d: &Path| -> Result<LoadedRun> {
        let ts = Table::read(&d.join("timeseries.csv"))?;
        let s = json(&d.join("summary.json")).unwrap_or_default();
        let name = s["scenario"].as_str().unwrap_or("run").to_string();
        let ev = Table::read(&d.join("events.csv"))
            // The event first (a long run name is cut to the chart's height).
            .map(|e| event_markers(&e, &format!("\n({name})")))
            .unwrap_or_default();
        Ok((name, ts, s, ev))
    };
    let (na, ta, sa, ea) = load(a)?;
    let (mut nb, tb, sb, eb) = load(b)?;
    if nb == na {
        nb = format!("{nb} (B)");
    }
    let mut sections = Vec::new();
    // What each run was: a reader compares like with like only when told
    // the seeds and lengths.
    let mut runs = String::from("<h2>The two runs</h2>\n<table><tr><th></th>");
    for n in [&na, &nb] {
        runs.push_str(&format!("<th>{}</th>", escape(n)));
    }
    runs.push_str("</tr>\n");
    for (label, key) in [
        ("folder", ""),
        ("seed", "seed"),
        ("steps", "steps"),
        ("agents", "agents"),
    ] {
        runs.push_str(&format!("<tr><th>{label}</th>"));
        for (s, d) in [(&sa, a), (&sb, b)] {
            let cell = if key.is_empty() {
                d.display().to_string()
            } else {
                s[key].to_string()
            };
            runs.push_str(&format!("<td>{}</td>", escape(&cell)));
        }
        runs.push_str("</tr>\n");
    }
    // Which powerdyn made each, and how to repeat it (from the manifests).
    let (ma, mb) = (
        json(&a.join("manifest.json")).unwrap_or_default(),
        json(&b.join("manifest.json")).unwrap_or_default(),
    );
    for (label, key) in [
        ("powerdyn", "powerdyn_version"),
        ("model revision", "model_revision"),
        ("to repeat (in its folder)", "rerun"),
    ] {
        runs.push_str(&format!("<tr><th>{label}</th>"));
        for m in [&ma, &mb] {
            let cell = match &m[key] {
                serde_json::Value::String(t) => t.clone(),
                serde_json::Value::Null => "—".to_string(),
                v => v.to_string(),
            };
            runs.push_str(&format!("<td>{}</td>", escape(&cell)));
        }
        runs.push_str("</tr>\n");
    }
    runs.push_str("</table>\n");
    if ma["model_revision"] != mb["model_revision"] {
        runs.push_str(&format!(
            "<p><strong>The runs come from different revisions of the model ({} and {}):</strong> the same scenario and seed give other results under each; part of any difference is the model's.</p>\n",
            escape(&ma["model_revision"].to_string()),
            escape(&mb["model_revision"].to_string())
        ));
    }
    if sa["steps"] != sb["steps"] {
        runs.push_str(&format!(
            "<p><strong>The runs differ in length ({} and {} steps):</strong> each verdict and late mean is taken over its own run's records, so they describe different stretches of time.</p>\n",
            sa["steps"], sb["steps"]
        ));
    }
    sections.push(runs);
    let mut t = format!(
        "<h2>Verdicts side by side</h2>\n<table><tr><th>metric</th><th>{a}: verdict</th><th title=\"mean of the last tenth of the records\">{a}: late mean</th><th>{b}: verdict</th><th title=\"mean of the last tenth of the records\">{b}: late mean</th><th>difference ({b} − {a})</th></tr>\n",
        a = escape(&na),
        b = escape(&nb)
    );
    let mut differ = Vec::new();
    // The verdicts' practical size, as each run's summary records it (the
    // larger of the two when the runs set it differently).
    // (A summary written before `verdict_config` used the defaults.)
    let tol = |key: &str, default: f64| {
        [&sa, &sb]
            .iter()
            .map(|s| s["verdict_config"][key].as_f64().unwrap_or(default))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let defaults = crate::verdict::VerdictConfig::default();
    let (abs_tol, rel_tol) = (
        tol("abs_tol", defaults.abs_tol),
        tol("rel_tol", defaults.rel_tol),
    );
    // At most six significant digits (0.07 is 7%, not 7.000000000000001%).
    let short = |x: f64| format!("{}", format!("{x:.6e}").parse::<f64>().unwrap_or(x));
    let size = format!(
        "{}, or {}% of the level",
        short(abs_tol),
        short(100.0 * rel_tol)
    );
    for h in HEADLINE {
        let word = |s: &serde_json::Value| {
            s["verdicts"][h]["verdict"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        let late =
            |s: &serde_json::Value| s["verdicts"][h]["final_value"].as_f64().unwrap_or(f64::NAN);
        let (wa, wb, la, lb) = (word(&sa), word(&sb), late(&sa), late(&sb));
        let d = lb - la;
        let matters = d.abs() > abs_tol.max(rel_tol * la.abs().max(lb.abs()));
        let change = if la != 0.0 && la.is_finite() && d.is_finite() {
            format!(" ({:+.0}%)", 100.0 * d / la.abs())
        } else {
            String::new()
        };
        if matters {
            differ.push(format!("{h} {la:.2} → {lb:.2} ({d:+.2})"));
        }
        t.push_str(&format!(
            "<tr><td>{h}</td><td class=\"{wa}\">{wa}</td><td>{la:.3}</td><td class=\"{wb}\">{wb}</td><td>{lb:.3}</td><td>{}{d:+.3}{change}{}</td></tr>\n",
            if matters { "<strong>" } else { "" },
            if matters { "</strong>" } else { "" },
        ));
    }
    t.push_str("</table>\n");
    t.push_str(&format!(
        "<p>{}</p>\n<p>The colours give the shape of each series over the run (grows, shrinks, settles, ...), not whether it is better or worse. Each column is one run: part of a difference between two single runs is chance; a sweep with replicates of both settings gives intervals (aggregate.csv).</p>\n",
        if differ.is_empty() {
            format!("No late mean differs by more than the verdicts' practical size ({size}).")
        } else {
            format!(
                "<strong>Differences beyond the verdicts' practical size</strong> ({size}): {}.",
                differ.join("; ")
            )
        }
    ));
    sections.push(t);
    let markers: Vec<(f64, String)> = ea.into_iter().chain(eb).collect();
    let mut charts = String::from("<h2>Over time</h2>\n");
    // Where the runs coincide, one line hides the other: say up to when.
    if ta.header == tb.header {
        let step = |t: &Table, k: usize| t.rows.get(k).and_then(|r| r.first()).cloned();
        let same = ta
            .rows
            .iter()
            .zip(&tb.rows)
            .take_while(|(x, y)| x == y)
            .count();
        match (same, step(&ta, same), step(&tb, same)) {
            // Only the starting state in common (other seeds): nothing to say.
            (0 | 1, _, _) => {}
            (_, None, None) => charts.push_str(
                "<p>The two runs are identical at every recorded step: each line hides the other.</p>\n",
            ),
            (k, Some(_), None) | (k, None, Some(_)) => charts.push_str(&format!(
                "<p>The two runs are identical for as long as both ran (to step {}, where the shorter ends): there one line hides the other.</p>\n",
                escape(&step(&ta, k - 1).unwrap_or_default())
            )),
            (k, _, _) => charts.push_str(&format!(
                "<p>The two runs are identical up to step {} (there one line hides the other) and part after it.</p>\n",
                escape(&step(&ta, k - 1).unwrap_or_default())
            )),
        }
    }
    for m in [
        "power_gini",
        "resources_gini",
        "dyad_imbalance",
        "mean_resentment",
        "mean_engagement",
        "withdrawn_share",
        "tactic_coercive",
        "tactic_consult",
    ] {
        let series: Vec<Series> = [(&na, &ta), (&nb, &tb)]
            .iter()
            .filter(|(_, t)| t.col(m).is_some())
            .map(|(n, t)| Series {
                name: n.to_string(),
                xs: t.values("step"),
                ys: t.values(m),
                band: None,
            })
            .collect();
        // From zero: an axis fitted to two close runs makes their gap look large.
        charts.push_str(&svg::line_chart_with(
            m, "step", m, &series, &markers, None, W, 320, true,
        ));
        charts.push('\n');
    }
    sections.push(charts);
    crate::output::create_dir(out)?;
    let mut f = PartFile::create(out, "compare.html")?;
    let path = f.part_path().to_path_buf();
    use std::io::Write;
    f.writer()
        .write_all(page(&format!("powerdyn: {na} and {nb}"), &sections).as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    f.commit()?;
    Ok(out.join("compare.html"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_snapshots_are_read_a_record_at_a_time_for_what_the_account_tells() {
        use super::{agent_story, first_snapshot_at_most, tie_story};
        let dir = tempfile::tempdir().unwrap();
        let agents = dir.path().join("agents.csv");
        std::fs::write(
            &agents,
            "step,agent,name,bargain_share,exclusion_rate\n\
             0,0,ann,0.5,0\n0,1,bob,,\n0,2,cy,0.2,0.1\n\
             9,0,ann,,\n9,1,bob,0.75,0.25\n9,2,cy,0.25,0.5\n",
        )
        .unwrap();
        assert!(first_snapshot_at_most(&agents, 3));
        assert!(!first_snapshot_at_most(&agents, 2));
        assert!(!first_snapshot_at_most(&dir.path().join("missing.csv"), 60));
        let wanted = ["0".to_string()].into_iter().collect();
        let (names, b) = agent_story(&agents, &wanted).unwrap();
        // The last snapshot's bargaining; the names asked for and told.
        let b = b.unwrap();
        assert_eq!((b.step.as_str(), b.count), ("9", 2));
        assert_eq!(
            b.first,
            vec![("1".into(), 0.75, 0.25), ("2".into(), 0.25, 0.5)]
        );
        let ann_bob_cy = [("0", "ann"), ("1", "bob"), ("2", "cy")];
        let expected: std::collections::BTreeMap<String, String> = ann_bob_cy
            .iter()
            .map(|(a, n)| (a.to_string(), n.to_string()))
            .collect();
        assert_eq!(names, expected);
        // Rows sorted by agent, the snapshots interleaved: still the last
        // row's step, with all its rows.
        std::fs::write(
            &agents,
            "step,agent,name,bargain_share,exclusion_rate\n\
             0,0,ann,0.5,0\n9,0,ann,,\n0,1,bob,,\n9,1,bob,0.75,0.25\n\
             0,2,cy,0.2,0.1\n9,2,cy,0.25,0.5\n",
        )
        .unwrap();
        let b = agent_story(&agents, &wanted).unwrap().1.unwrap();
        assert_eq!((b.step.as_str(), b.count), ("9", 2));
        assert_eq!(
            b.first,
            vec![("1".into(), 0.75, 0.25), ("2".into(), 0.25, 0.5)]
        );

        let ties = dir.path().join("ties.csv");
        std::fs::write(
            &ties,
            "step,from,to,engagement,resentment,affect,wins,closed\n\
             0,0,1,1,0.25,0,0,0\n0,1,0,1,0,0,0,0\n0,1,2,0,0,0,0,1\n\
             9,0,1,0.1,0.5,0,0,0\n9,1,0,0.2,0.5,0,0,0\n9,1,2,0,0,0,0,1\n",
        )
        .unwrap();
        let t = tie_story(&ties).unwrap();
        assert_eq!(t.snapshots, 2);
        // The first half at the largest resentment.
        assert_eq!(t.most, Some(("9".into(), "0".into(), "1".into(), 0.5)));
        assert!(t.withdrawals);
        let first: Vec<_> = t
            .first
            .iter()
            .map(|((a, b), s)| (a.as_str(), b.as_str(), s.as_str()))
            .collect();
        assert_eq!(first, vec![("0", "1", "9"), ("1", "0", "9")]);
        assert_eq!(t.closed.len(), 1, "a closed tie is no withdrawal");
        assert!(tie_story(&dir.path().join("missing.csv")).is_none());
    }

    #[test]
    fn a_late_range_is_rounded_outward_but_keeps_exact_two_decimal_ends() {
        use super::range_text;
        assert_eq!(range_text(0.0975, 0.1049), "0.09–0.11");
        // Values with two decimals stay as they are (0.14 * 100 and
        // 0.29 * 100 are not whole in binary).
        for k in 0..=100 {
            let x = k as f64 / 100.0;
            assert_eq!(range_text(x, x), format!("{x:.2}–{x:.2}"));
        }
    }

    #[test]
    fn a_long_tactic_mix_is_averaged_over_consecutive_records_leaving_idle_ones_out() {
        let steps: Vec<f64> = (0..201).map(|k| k as f64 * 10.0).collect();
        // Coercion alone on even records, reward alone on odd ones, and
        // record 7 idle.
        let coercive: Vec<f64> = (0..201)
            .map(|k| if k % 2 == 0 { 1.0 } else { 0.0 })
            .collect();
        let mut reward: Vec<f64> = coercive.iter().map(|c| 1.0 - c).collect();
        reward[7] = 0.0;
        let layers = vec![
            ("coercive".to_string(), coercive),
            ("reward".to_string(), reward),
        ];
        let (xs, mix, title) = super::smoothed_mix(&steps, &layers, 50);
        assert_eq!(xs.len(), 41);
        assert_eq!(
            title,
            "Tactic mix (share of acts; each point averages 4 or 5 records)"
        );
        assert_eq!(
            *xs.last().unwrap(),
            2000.0,
            "the last column ends at the last record"
        );
        // The first column holds records 0-3 (2 even, 1 odd, 1 of them 1):
        // record 7 is in the second: records 4-8, even 4, 6, 8 and odd 5 (7 left out).
        assert_eq!(mix[0].1[0], 0.5);
        assert_eq!(mix[0].1[1], 0.75);
        assert_eq!(mix[1].1[1], 0.25);
        for c in 0..xs.len() {
            assert!(
                (mix[0].1[c] + mix[1].1[c] - 1.0).abs() < 1e-12,
                "column {c}"
            );
        }
        // Short runs are charted as recorded.
        let (xs, _, title) = super::smoothed_mix(&steps[..50], &layers, 50);
        assert_eq!(xs.len(), 50);
        assert_eq!(title, "Tactic mix (share of acts)");
    }

    use super::story_of;

    #[test]
    fn a_variant_without_a_story_of_its_own_is_said_to_tell_its_bases() {
        // Its own opening comment first.
        let told = "# Counseling from step 500.\nextends = \"base.toml\"\n";
        assert_eq!(
            story_of(told, "the base's").as_deref(),
            Some("Counseling from step 500.")
        );
        // Its own description.
        let own = "extends = \"base.toml\"\ndescription = \"mine\"\n";
        assert_eq!(story_of(own, "mine").as_deref(), Some("mine"));
        // The base's description, said to be the base's.
        let bare = "extends = \"base.toml\"\nname = \"v\"\n";
        let s = story_of(bare, "the base's story").unwrap();
        assert!(
            s.starts_with("(This scenario tells no story of its own: it varies base.toml"),
            "{s}"
        );
        assert!(s.ends_with("the base's story"));
        // Nothing at all.
        assert_eq!(story_of("name = \"x\"\n", ""), None);
    }
}
