//! Inline SVG charts for the self-contained HTML report, plus a plain-text
//! chart for the terminal.
//!
//! Every SVG function returns one complete `<svg ...>...</svg>` element with
//! `width`, `height` and `viewBox` set, suitable for pasting straight into an
//! HTML page that is viewed offline (no external fonts, scripts or ids, so
//! several charts can share one page).  The charts are meant to be projected
//! in a classroom: large fonts (at least 14px), thick lines and the
//! colour-blind-safe Okabe–Ito palette.
//!
//! Conventions shared by all functions:
//! * all text (titles, labels, legend names) is XML-escaped with [`escape`];
//! * non-finite values (NaN, ±∞) are skipped and show up as gaps;
//! * numbers in the markup are printed with two decimals, so output is
//!   deterministic;
//! * empty or entirely non-finite input gives a chart saying "no data";
//! * `width`/`height` are clamped to at least 240 × 180 pixels.

use std::fmt::Write as _;

/// Okabe–Ito colours, ordered for contrast on a white background
/// (yellow last because it is the weakest on white).
const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// Locally installed fonts only; nothing is fetched.
const FONT_FAMILY: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

const TITLE_SIZE: u32 = 22;
const LABEL_SIZE: u32 = 16;
const TICK_SIZE: u32 = 14;
const AXIS_COLOUR: &str = "#222222";
const GRID_COLOUR: &str = "#D0D0D0";
const MUTED_COLOUR: &str = "#555555";

/// Escapes `&`, `<`, `>`, `"` and `'` so that `s` can be used as XML text or
/// attribute content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// One line of a [`line_chart`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend name (escaped on output).
    pub name: String,
    /// X values; paired with `ys` by index (extra values in the longer vector are ignored).
    pub xs: Vec<f64>,
    /// Y values.
    pub ys: Vec<f64>,
    /// Optional shaded band `(lower, upper)`, indexed like `xs`.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// "Nice" tick values (1, 2 or 5 × 10^k apart) lying inside `[lo, hi]`,
/// at most `max_ticks` of them (at least 2 are aimed for).
///
/// A degenerate range (`lo == hi`) gives the single value `lo`; non-finite
/// or reversed bounds give no ticks.
pub fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi < lo {
        return Vec::new();
    }
    if hi == lo {
        return vec![lo];
    }
    let Some((nice, exp)) = nice_step(hi - lo, max_ticks) else {
        return Vec::new();
    };
    let step = step_value(nice, exp);
    let k0 = (lo / step - 1e-9).ceil() as i64;
    let k1 = (hi / step + 1e-9).floor() as i64;
    (k0..=k1)
        .map(|k| {
            let m = k as f64 * nice;
            let v = if exp < 0 {
                m / 10f64.powi(-exp)
            } else {
                m * 10f64.powi(exp)
            };
            if v == 0.0 {
                0.0
            } else {
                v
            }
        })
        .collect()
}

/// Step as (mantissa in {1,2,5,10}, decimal exponent).
fn nice_step(span: f64, max_ticks: usize) -> Option<(f64, i32)> {
    let intervals = max_ticks.max(2) - 1;
    let raw = span / intervals as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return None;
    }
    let exp = raw.log10().floor() as i32;
    let norm = raw / 10f64.powi(exp);
    let nice = if norm <= 1.0 + 1e-9 {
        1.0
    } else if norm <= 2.0 + 1e-9 {
        2.0
    } else if norm <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    Some((nice, exp))
}

fn step_value(nice: f64, exp: i32) -> f64 {
    nice * 10f64.powi(exp)
}

/// Formats a tick value with as many decimals as the tick spacing needs.
fn fmt_tick(v: f64, ticks: &[f64]) -> String {
    let decimals = if ticks.len() >= 2 {
        let step = (ticks[1] - ticks[0]).abs();
        if step > 0.0 && step.is_finite() {
            ((-step.log10()) - 1e-9).ceil().clamp(0.0, 6.0) as usize
        } else {
            2
        }
    } else {
        2
    };
    let s = format!("{v:.decimals$}");
    clean_negative_zero(s)
}

fn clean_negative_zero(s: String) -> String {
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Fixed two-decimal number for markup; never prints NaN or inf.
fn f(v: f64) -> String {
    if !v.is_finite() {
        return "0.00".to_string();
    }
    clean_negative_zero(format!("{v:.2}"))
}

/// Short label: two decimals with trailing zeros removed.
fn short(v: f64) -> String {
    let s = f(v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Min and max of the finite values, if any.
fn finite_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Widens a degenerate range so that it can be drawn.
fn widen(lo: f64, hi: f64) -> Option<(f64, f64)> {
    if !(hi - lo).is_finite() {
        return None;
    }
    if hi > lo {
        return Some((lo, hi));
    }
    if lo == 0.0 {
        // A series flat at 0 (a share nobody reached): 0 to 1, never below 0.
        return Some((0.0, 1.0));
    }
    let pad = lo.abs() * 0.1;
    Some((lo - pad, hi + pad))
}

/// Linear map from a data interval onto a pixel interval.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn map(&self, v: f64) -> f64 {
        if self.d1 == self.d0 {
            (self.r0 + self.r1) / 2.0
        } else {
            self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
        }
    }
}

/// Plot rectangle in pixels.
#[derive(Clone, Copy)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn width(&self) -> f64 {
        self.right - self.left
    }
    fn height(&self) -> f64 {
        self.bottom - self.top
    }
}

fn dims(width: u32, height: u32) -> (f64, f64) {
    (f64::from(width.max(240)), f64::from(height.max(180)))
}

/// Rough text width in pixels for a given font size.
fn text_width(s: &str, size: u32) -> f64 {
    s.chars().count() as f64 * f64::from(size) * 0.6
}

/// Opens the `<svg>` element, writes background and title.
fn open(title: &str, w: f64, h: f64) -> String {
    let t = escape(title);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" \
         font-family=\"{FONT_FAMILY}\" font-size=\"{LABEL_SIZE}\">",
        w = f(w),
        h = f(h),
    );
    let _ = write!(out, "<title>{t}</title>");
    out.push_str("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>");
    text(
        &mut out,
        w / 2.0,
        32.0,
        TITLE_SIZE,
        "middle",
        "font-weight=\"bold\" fill=\"#000000\"",
        title,
    );
    out
}

/// Writes one `<text>` element; `content` is escaped.
fn text(out: &mut String, x: f64, y: f64, size: u32, anchor: &str, extra: &str, content: &str) {
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" text-anchor=\"{anchor}\"{}{extra}>{}</text>",
        f(x),
        f(y),
        if extra.is_empty() { "" } else { " " },
        escape(content)
    );
}

/// A chart with only its title and the words "no data".
fn no_data(title: &str, width: u32, height: u32) -> String {
    let (w, h) = dims(width, height);
    let mut out = open(title, w, h);
    text(
        &mut out,
        w / 2.0,
        h / 2.0,
        20,
        "middle",
        &format!("fill=\"{MUTED_COLOUR}\" font-style=\"italic\""),
        "no data",
    );
    out.push_str("</svg>");
    out
}

/// Draws grid lines, tick labels, axis lines and axis labels.
#[allow(clippy::too_many_arguments)]
fn axes(
    out: &mut String,
    r: Rect,
    xs: Scale,
    ys: Scale,
    xticks: &[(f64, String)],
    yticks: &[(f64, String)],
    x_label: &str,
    y_label: &str,
) {
    out.push_str("<g class=\"axes\">");
    for (v, label) in yticks {
        let y = ys.map(*v);
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{GRID_COLOUR}\" stroke-width=\"1\"/>",
            f(r.left),
            f(r.right),
            y = f(y)
        );
        text(out, r.left - 8.0, y + 5.0, TICK_SIZE, "end", "", label);
    }
    for (v, label) in xticks {
        let x = xs.map(*v);
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{GRID_COLOUR}\" stroke-width=\"1\"/>",
            f(r.top),
            f(r.bottom),
            x = f(x)
        );
        text(out, x, r.bottom + 22.0, TICK_SIZE, "middle", "", label);
    }
    let _ = write!(
        out,
        "<path d=\"M{} {} L{} {} L{} {}\" fill=\"none\" stroke=\"{AXIS_COLOUR}\" stroke-width=\"2\"/>",
        f(r.left),
        f(r.top),
        f(r.left),
        f(r.bottom),
        f(r.right),
        f(r.bottom)
    );
    if !x_label.is_empty() {
        text(
            out,
            (r.left + r.right) / 2.0,
            r.bottom + 50.0,
            LABEL_SIZE,
            "middle",
            "font-weight=\"bold\"",
            x_label,
        );
    }
    if !y_label.is_empty() {
        let cx = 22.0;
        let cy = (r.top + r.bottom) / 2.0;
        text(
            out,
            cx,
            cy,
            LABEL_SIZE,
            "middle",
            &format!(
                "font-weight=\"bold\" transform=\"rotate(-90 {} {})\"",
                f(cx),
                f(cy)
            ),
            y_label,
        );
    }
    out.push_str("</g>");
}

fn labelled(ticks: Vec<f64>) -> Vec<(f64, String)> {
    ticks.iter().map(|&v| (v, fmt_tick(v, &ticks))).collect()
}

/// Splits a sequence of optional points into runs of consecutive points.
fn runs(points: impl IntoIterator<Item = Option<(f64, f64)>>) -> Vec<Vec<(f64, f64)>> {
    let mut all = Vec::new();
    let mut cur = Vec::new();
    for p in points {
        match p {
            Some(p) => cur.push(p),
            None => {
                if !cur.is_empty() {
                    all.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        all.push(cur);
    }
    all
}

fn path_d(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    for (i, (x, y)) in points.iter().enumerate() {
        let _ = write!(d, "{}{} {} ", if i == 0 { "M" } else { "L" }, f(*x), f(*y));
    }
    d.trim_end().to_string()
}

fn finite_pair(x: Option<&f64>, y: Option<&f64>) -> Option<(f64, f64)> {
    match (x, y) {
        (Some(&x), Some(&y)) if x.is_finite() && y.is_finite() => Some((x, y)),
        _ => None,
    }
}

/// Width reserved for a right-hand legend with these names.
fn legend_width(names: &[&str], w: f64) -> f64 {
    let longest = names
        .iter()
        .map(|n| text_width(n, LABEL_SIZE))
        .fold(0.0, f64::max);
    (longest + 70.0).min(w * 0.35)
}

/// Line chart of several series with optional shaded bands and vertical
/// event markers `(x, label)` drawn as thin dashed grey lines.
///
/// Same as [`line_chart_with`] without a highlighted x, its y axis from 0
/// when no value is negative (an axis fitted to the data makes a 2% gap
/// fill the chart, which a room reads as a large one).
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    markers: &[(f64, String)],
    width: u32,
    height: u32,
) -> String {
    line_chart_with(
        title, x_label, y_label, series, markers, None, width, height, true,
    )
}

/// Line chart with an optional highlighted x (e.g. "settles from step S"),
/// drawn as a thick black dashed line with its label in bold; with
/// `from_zero`, the y axis starts at 0 when no value is negative — for
/// putting runs side by side, where an axis fitted to the data makes a small
/// gap look large.
///
/// Series points with a non-finite x or y are gaps; band points are drawn
/// where both bounds and x are finite.  Markers and the highlight widen the
/// x range so they are always visible.
#[allow(clippy::too_many_arguments)]
pub fn line_chart_with(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    markers: &[(f64, String)],
    highlight: Option<(f64, &str)>,
    width: u32,
    height: u32,
    from_zero: bool,
) -> String {
    let mut xv = Vec::new();
    let mut yv = Vec::new();
    for s in series {
        for (x, y) in s.xs.iter().zip(&s.ys) {
            if x.is_finite() && y.is_finite() {
                xv.push(*x);
                yv.push(*y);
            }
        }
        if let Some((lo, up)) = &s.band {
            for (i, x) in s.xs.iter().enumerate() {
                if let (Some(a), Some(b)) = (finite_pair(Some(x), lo.get(i)), up.get(i)) {
                    if b.is_finite() {
                        xv.push(a.0);
                        yv.push(a.1);
                        yv.push(*b);
                    }
                }
            }
        }
    }
    let (Some(xr), Some(mut yr)) = (finite_range(xv.iter().copied()), finite_range(yv)) else {
        return no_data(title, width, height);
    };
    if from_zero && yr.0 > 0.0 {
        yr.0 = 0.0;
    }
    let extra_x = markers
        .iter()
        .map(|m| m.0)
        .chain(highlight.map(|h| h.0))
        .filter(|x| x.is_finite());
    let xr = finite_range(extra_x.chain([xr.0, xr.1])).unwrap_or(xr);
    let (Some((x0, x1)), Some((mut y0, mut y1))) = (widen(xr.0, xr.1), widen(yr.0, yr.1)) else {
        return no_data(title, width, height);
    };
    let pad = (y1 - y0) * 0.05;
    if y0 >= 0.0 {
        y0 = (y0 - pad).max(0.0);
    } else {
        y0 -= pad;
    }
    y1 += pad;

    let (w, h) = dims(width, height);
    let labels = legend_labels(series);
    let names: Vec<&str> = labels.iter().map(String::as_str).collect();
    let legend_w = if series.is_empty() {
        20.0
    } else {
        legend_width(&names, w)
    };
    let r = Rect {
        left: 90.0,
        top: 60.0,
        right: w - legend_w - 10.0,
        bottom: h - 70.0,
    };
    let xs = Scale {
        d0: x0,
        d1: x1,
        r0: r.left,
        r1: r.right,
    };
    let ys = Scale {
        d0: y0,
        d1: y1,
        r0: r.bottom,
        r1: r.top,
    };
    let mut out = open(title, w, h);
    axes(
        &mut out,
        r,
        xs,
        ys,
        &labelled(nice_ticks(x0, x1, 6)),
        &labelled(nice_ticks(y0, y1, 6)),
        x_label,
        y_label,
    );

    // Bands first, under every line.
    out.push_str("<g class=\"bands\">");
    for (i, s) in series.iter().enumerate() {
        let Some((lo, up)) = &s.band else { continue };
        let colour = PALETTE[i % PALETTE.len()];
        let pts = s.xs.iter().enumerate().map(|(j, x)| {
            let l = finite_pair(Some(x), lo.get(j))?;
            let u = up.get(j).filter(|u| u.is_finite())?;
            Some((xs.map(l.0), ys.map(l.1), ys.map(*u)))
        });
        let pts: Vec<Option<(f64, f64, f64)>> = pts.collect();
        let mut start = 0;
        while start < pts.len() {
            let end = pts[start..]
                .iter()
                .position(Option::is_none)
                .map_or(pts.len(), |p| start + p);
            let seg: Vec<(f64, f64, f64)> = pts[start..end].iter().flatten().copied().collect();
            if seg.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = seg.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(seg.iter().rev().map(|p| (p.0, p.1)));
                let _ = write!(
                    out,
                    "<path d=\"{} Z\" fill=\"{colour}\" fill-opacity=\"0.2\" stroke=\"none\"/>",
                    path_d(&poly)
                );
            } else if let Some(p) = seg.first() {
                let _ = write!(
                    out,
                    "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{colour}\" stroke-opacity=\"0.35\" stroke-width=\"6\"/>",
                    f(p.1),
                    f(p.2),
                    x = f(p.0)
                );
            }
            start = end + 1;
        }
    }
    out.push_str("</g>");

    out.push_str("<g class=\"lines\">");
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = if i >= PALETTE.len() {
            " stroke-dasharray=\"12 5\""
        } else {
            ""
        };
        let pts =
            s.xs.iter()
                .zip(&s.ys)
                .map(|(x, y)| finite_pair(Some(x), Some(y)).map(|(x, y)| (xs.map(x), ys.map(y))));
        for run in runs(pts) {
            if run.len() == 1 {
                let _ = write!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{colour}\"/>",
                    f(run[0].0),
                    f(run[0].1)
                );
            } else {
                let _ = write!(
                    out,
                    "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"3.5\" \
                     stroke-linejoin=\"round\" stroke-linecap=\"round\"{dash}/>",
                    path_d(&run)
                );
            }
        }
    }
    out.push_str("</g>");

    out.push_str("<g class=\"markers\">");
    // Labels run down from the top of the plot: cut to its height, and a
    // label repeating the one before (a series of sessions) left unwritten.
    // A label sits left of its line, or right of it where the left is
    // taken by an earlier label; where both are, it is left out (the line
    // stays): overlapping labels are read by nobody.
    let fits = ((r.bottom - r.top - 12.0) / (f64::from(TICK_SIZE) * 0.6)).max(4.0) as usize;
    let mut previous: Option<&str> = None;
    let mut taken: Vec<(f64, f64)> = Vec::new();
    for (x, label) in markers.iter().filter(|m| m.0.is_finite()) {
        let px = xs.map(*x);
        let repeat = previous == Some(label.as_str());
        previous = Some(label.as_str());
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{MUTED_COLOUR}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>",
            f(r.top),
            f(r.bottom),
            x = f(px)
        );
        if repeat {
            continue;
        }
        // A label may hold several lines ('\n'), each cut to the height.
        let lines: Vec<String> = label
            .split('\n')
            .map(|l| {
                if l.chars().count() > fits {
                    let mut t: String = l.chars().take(fits.saturating_sub(1)).collect();
                    t.push('…');
                    t
                } else {
                    l.to_string()
                }
            })
            .collect();
        // Turned a quarter to the left, a line's glyphs reach 0.75 of the
        // font size left of its baseline and 0.25 right of it; lines are
        // read from left to right.
        let size = f64::from(TICK_SIZE);
        let step = 1.15 * size;
        let spread = step * (lines.len() - 1) as f64;
        let free = |(a, b): (f64, f64)| taken.iter().all(|&(c, d)| b + 1.0 <= c || d + 1.0 <= a);
        // The first line's baseline: left of the marker (the last line
        // nearest it), or right of it.
        let left = px - 6.0 - 0.25 * size - spread;
        let right = px + 6.0 + 0.75 * size;
        // (Not over the y axis's labels, left of the plot.)
        let Some(lx) = [left, right]
            .into_iter()
            .filter(|&lx| lx - 0.75 * size >= r.left)
            .find(|&lx| free((lx - 0.75 * size, lx + spread + 0.25 * size)))
        else {
            continue;
        };
        taken.push((lx - 0.75 * size, lx + spread + 0.25 * size));
        let ly = r.top + 6.0;
        for (k, line) in lines.iter().enumerate() {
            let x = lx + step * k as f64;
            text(
                &mut out,
                x,
                ly,
                TICK_SIZE,
                "end",
                &format!(
                    "fill=\"{MUTED_COLOUR}\" transform=\"rotate(-90 {} {})\"",
                    f(x),
                    f(ly)
                ),
                line,
            );
        }
    }
    if let Some((x, label)) = highlight.filter(|h| h.0.is_finite()) {
        let px = xs.map(x);
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#000000\" stroke-width=\"3\" stroke-dasharray=\"10 6\"/>",
            f(r.top),
            f(r.bottom),
            x = f(px)
        );
        let right_side = px < r.left + r.width() * 0.7;
        text(
            &mut out,
            if right_side { px + 8.0 } else { px - 8.0 },
            r.top + 20.0,
            LABEL_SIZE,
            if right_side { "start" } else { "end" },
            "font-weight=\"bold\" fill=\"#000000\"",
            label,
        );
    }
    out.push_str("</g>");

    legend_lines(&mut out, r.right + 20.0, r.top, w, series, &labels);
    out.push_str("</svg>");
    out
}

/// Legend labels: a series drawn exactly over an earlier one (every point
/// the same) says so, since its line is hidden.
fn legend_labels(series: &[Series]) -> Vec<String> {
    let same = |a: &Series, b: &Series| {
        a.xs.len() == b.xs.len()
            && a.ys.len() == b.ys.len()
            && a.xs
                .iter()
                .zip(&b.xs)
                .all(|(x, y)| x.to_bits() == y.to_bits())
            && a.ys
                .iter()
                .zip(&b.ys)
                .all(|(x, y)| x.to_bits() == y.to_bits())
    };
    series
        .iter()
        .enumerate()
        .map(|(i, s)| match series[..i].iter().find(|e| same(e, s)) {
            Some(e) => format!("{} (same as {})", s.name, e.name),
            None => s.name.clone(),
        })
        .collect()
}

fn legend_lines(out: &mut String, x: f64, top: f64, w: f64, series: &[Series], labels: &[String]) {
    if series.is_empty() {
        return;
    }
    out.push_str("<g class=\"legend\">");
    // A label wider than the room right of its line is wrapped at spaces,
    // not cut at the chart's edge.
    let room = (w - x - 45.0).max(f64::from(LABEL_SIZE) * 6.0);
    let mut y = top + 10.0;
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        if s.band.is_some() {
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"32\" height=\"14\" fill=\"{colour}\" fill-opacity=\"0.2\"/>",
                f(x),
                f(y - 7.0)
            );
        }
        let dash = if i >= PALETTE.len() {
            " stroke-dasharray=\"12 5\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"4\"{dash}/>",
            f(x),
            f(x + 32.0),
            y = f(y)
        );
        let lines = wrap(&labels[i], room, LABEL_SIZE);
        for (k, line) in lines.iter().enumerate() {
            text(
                out,
                x + 40.0,
                y + 5.0 + 20.0 * k as f64,
                LABEL_SIZE,
                "start",
                "",
                line,
            );
        }
        y += 28.0 + 20.0 * lines.len().saturating_sub(1) as f64;
    }
    out.push_str("</g>");
}

/// `s` broken at spaces into lines at most `room` wide at `size` (a word
/// longer than that stays whole on its own line).
fn wrap(s: &str, room: f64, size: u32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in s.split(' ') {
        match lines.last_mut() {
            Some(l) if text_width(&format!("{l} {word}"), size) <= room => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// Shares of one column: non-finite or negative values count as 0; `None`
/// when the total is not positive (drawn as a gap).
fn shares(values: &[f64]) -> Option<Vec<f64>> {
    let clean: Vec<f64> = values
        .iter()
        .map(|v| if v.is_finite() && *v > 0.0 { *v } else { 0.0 })
        .collect();
    let total: f64 = clean.iter().sum();
    if total > 0.0 && total.is_finite() {
        Some(clean.iter().map(|v| v / total).collect())
    } else {
        None
    }
}

/// Stacked area chart of shares over `xs` (e.g. the tactic mix).
///
/// `layers` are `(name, values)` with `values[i]` belonging to `xs[i]`;
/// the first layer is at the bottom.  At each x the values are normalised
/// to sum 1; columns whose total is not positive, or whose x is not
/// finite, are gaps.  Negative and non-finite values count as 0.  The y
/// axis is labelled in percent.
pub fn stacked_area(
    title: &str,
    x_label: &str,
    xs: &[f64],
    layers: &[(String, Vec<f64>)],
    width: u32,
    height: u32,
) -> String {
    if layers.is_empty() {
        return no_data(title, width, height);
    }
    let columns: Vec<Option<(f64, Vec<f64>)>> = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if !x.is_finite() {
                return None;
            }
            let vals: Vec<f64> = layers
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(f64::NAN))
                .collect();
            shares(&vals).map(|s| (x, s))
        })
        .collect();
    let Some(xr) = finite_range(columns.iter().flatten().map(|c| c.0)) else {
        return no_data(title, width, height);
    };
    let Some((x0, x1)) = widen(xr.0, xr.1) else {
        return no_data(title, width, height);
    };
    let (w, h) = dims(width, height);
    let names: Vec<&str> = layers.iter().map(|l| l.0.as_str()).collect();
    let r = Rect {
        left: 90.0,
        top: 60.0,
        right: w - legend_width(&names, w) - 10.0,
        bottom: h - 70.0,
    };
    let sx = Scale {
        d0: x0,
        d1: x1,
        r0: r.left,
        r1: r.right,
    };
    let sy = Scale {
        d0: 0.0,
        d1: 1.0,
        r0: r.bottom,
        r1: r.top,
    };
    let mut out = open(title, w, h);
    let yticks: Vec<(f64, String)> = (0..=5)
        .map(|k| (k as f64 / 5.0, format!("{}%", k * 20)))
        .collect();
    // Areas go under the axes' lines but grid lines would be hidden by the
    // areas anyway, so draw the areas first and the axes on top.
    out.push_str("<g class=\"areas\">");
    let segments = runs(columns.iter().map(|c| c.as_ref().map(|(x, _)| (*x, 0.0))));
    // Recover the share vectors for each segment in order.
    let valid: Vec<&(f64, Vec<f64>)> = columns.iter().flatten().collect();
    let mut offset = 0;
    for seg in segments {
        let cols = &valid[offset..offset + seg.len()];
        offset += seg.len();
        let mut lower = vec![0.0; cols.len()];
        for (j, _) in layers.iter().enumerate() {
            let colour = PALETTE[j % PALETTE.len()];
            let upper: Vec<f64> = cols.iter().zip(&lower).map(|(c, l)| l + c.1[j]).collect();
            if cols.len() == 1 {
                let px = sx.map(cols[0].0);
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"{}\" fill=\"{colour}\"/>",
                    f(px - 4.0),
                    f(sy.map(upper[0])),
                    f(sy.map(lower[0]) - sy.map(upper[0]))
                );
            } else {
                let mut poly: Vec<(f64, f64)> = cols
                    .iter()
                    .zip(&upper)
                    .map(|(c, u)| (sx.map(c.0), sy.map(*u)))
                    .collect();
                poly.extend(
                    cols.iter()
                        .zip(&lower)
                        .rev()
                        .map(|(c, l)| (sx.map(c.0), sy.map(*l))),
                );
                let _ = write!(
                    out,
                    "<path d=\"{} Z\" fill=\"{colour}\" stroke=\"#FFFFFF\" stroke-width=\"1\"/>",
                    path_d(&poly)
                );
            }
            lower = upper;
        }
    }
    out.push_str("</g>");
    axes(
        &mut out,
        r,
        sx,
        sy,
        &labelled(nice_ticks(x0, x1, 6)),
        &yticks,
        x_label,
        "share",
    );
    // Legend: top layer first, matching the visual stacking.
    out.push_str("<g class=\"legend\">");
    for (k, (j, (name, _))) in layers.iter().enumerate().rev().enumerate() {
        let y = r.top + 4.0 + k as f64 * 28.0;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"20\" fill=\"{}\"/>",
            f(r.right + 20.0),
            f(y),
            PALETTE[j % PALETTE.len()]
        );
        text(
            &mut out,
            r.right + 48.0,
            y + 16.0,
            LABEL_SIZE,
            "start",
            "",
            name,
        );
    }
    out.push_str("</g></svg>");
    out
}

/// Horizontal bar chart of `(label, value)`; values are expected in
/// `[0, max]` (negatives are drawn as 0).  Bars with a non-finite value
/// are left out.  Each bar shows its value with two decimals.
pub fn bar_chart(title: &str, bars: &[(String, f64)], width: u32, height: u32) -> String {
    let valid: Vec<&(String, f64)> = bars.iter().filter(|b| b.1.is_finite()).collect();
    if valid.is_empty() {
        return no_data(title, width, height);
    }
    let max = valid.iter().map(|b| b.1).fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let (w, h) = dims(width, height);
    let label_w = valid
        .iter()
        .map(|b| text_width(&b.0, LABEL_SIZE))
        .fold(0.0, f64::max)
        .min(w * 0.4);
    let r = Rect {
        left: label_w + 24.0,
        top: 56.0,
        right: w - 70.0,
        bottom: h - 40.0,
    };
    let sx = Scale {
        d0: 0.0,
        d1: max,
        r0: r.left,
        r1: r.right,
    };
    let mut out = open(title, w, h);
    let ticks = labelled(nice_ticks(0.0, max, 6));
    out.push_str("<g class=\"axes\">");
    for (v, label) in &ticks {
        let x = sx.map(*v);
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{GRID_COLOUR}\" stroke-width=\"1\"/>",
            f(r.top),
            f(r.bottom),
            x = f(x)
        );
        text(&mut out, x, r.bottom + 22.0, TICK_SIZE, "middle", "", label);
    }
    out.push_str("</g>");
    let slot = r.height() / valid.len() as f64;
    let bar_h = (slot * 0.7).max(1.0);
    let font = if slot >= 20.0 { LABEL_SIZE } else { TICK_SIZE };
    out.push_str("<g class=\"bars\">");
    for (i, (label, v)) in valid.iter().enumerate() {
        let cy = r.top + slot * (i as f64 + 0.5);
        let x_end = sx.map(v.max(0.0));
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>",
            f(r.left),
            f(cy - bar_h / 2.0),
            f(x_end - r.left),
            f(bar_h),
            PALETTE[0]
        );
        text(&mut out, r.left - 10.0, cy + 5.0, font, "end", "", label);
        text(
            &mut out,
            x_end + 6.0,
            cy + 5.0,
            font,
            "start",
            "font-weight=\"bold\"",
            &f(*v),
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{AXIS_COLOUR}\" stroke-width=\"2\"/>",
        f(r.top),
        f(r.bottom),
        x = f(r.left)
    );
    out.push_str("</svg>");
    out
}

/// Viridis-like sequential scale (perceptually ordered, colour-blind safe).
const SCALE_STOPS: [(u8, u8, u8); 5] = [
    (0x44, 0x01, 0x54),
    (0x3B, 0x52, 0x8B),
    (0x21, 0x91, 0x8C),
    (0x5E, 0xC9, 0x62),
    (0xFD, 0xE7, 0x25),
];

fn lerp_rgb(a: (u8, u8, u8), b: (u8, u8, u8), t: f64) -> String {
    let m = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * t).round() as u8;
    format!("#{:02X}{:02X}{:02X}", m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

fn scale_colour(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let pos = t * (SCALE_STOPS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(SCALE_STOPS.len() - 2);
    lerp_rgb(SCALE_STOPS[i], SCALE_STOPS[i + 1], pos - i as f64)
}

/// Heatmap of `z[yi][xi]` over two parameters, with `ys[0]` at the bottom.
///
/// Cells are equal-sized and labelled by their parameter values (thinned
/// to about 8 labels per axis).  The colour legend on the right shows the
/// minimum and maximum of the finite z values with two decimals.  Missing
/// or non-finite cells are light grey; large cells also print their value.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
    width: u32,
    height: u32,
) -> String {
    let cell = |yi: usize, xi: usize| -> Option<f64> {
        z.get(yi)
            .and_then(|row| row.get(xi))
            .copied()
            .filter(|v| v.is_finite())
    };
    let (nx, ny) = (xs.len(), ys.len());
    let all = (0..ny).flat_map(|yi| (0..nx).filter_map(move |xi| cell(yi, xi)));
    let Some((zmin, zmax)) = finite_range(all) else {
        return no_data(title, width, height);
    };
    let (w, h) = dims(width, height);
    let r = Rect {
        left: 90.0,
        top: 60.0,
        right: w - 130.0,
        bottom: h - 70.0,
    };
    let cw = r.width() / nx as f64;
    let ch = r.height() / ny as f64;
    let show_values = cw >= 48.0 && ch >= 24.0;
    let mut out = open(title, w, h);
    let mut any_missing = false;
    out.push_str("<g class=\"cells\">");
    for yi in 0..ny {
        for xi in 0..nx {
            let x = r.left + xi as f64 * cw;
            let y = r.bottom - (yi as f64 + 1.0) * ch;
            let (fill, t) = match cell(yi, xi) {
                Some(v) => {
                    let t = if zmax > zmin {
                        (v - zmin) / (zmax - zmin)
                    } else {
                        0.5
                    };
                    (scale_colour(t), Some((t, v)))
                }
                None => {
                    any_missing = true;
                    ("#DDDDDD".to_string(), None)
                }
            };
            let _ = write!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#FFFFFF\" stroke-width=\"1\"/>",
                f(x),
                f(y),
                f(cw),
                f(ch)
            );
            if let (true, Some((t, v))) = (show_values, t) {
                let colour = if t < 0.6 { "#FFFFFF" } else { "#000000" };
                text(
                    &mut out,
                    x + cw / 2.0,
                    y + ch / 2.0 + 5.0,
                    TICK_SIZE,
                    "middle",
                    &format!("fill=\"{colour}\""),
                    &f(v),
                );
            }
        }
    }
    out.push_str("</g>");
    // Axis labels at cell centres, thinned.
    let x_ticks: Vec<(f64, String)> = xs
        .iter()
        .enumerate()
        .step_by(nx.div_ceil(8).max(1))
        .map(|(i, v)| (i as f64 + 0.5, short(*v)))
        .collect();
    let y_ticks: Vec<(f64, String)> = ys
        .iter()
        .enumerate()
        .step_by(ny.div_ceil(8).max(1))
        .map(|(i, v)| (i as f64 + 0.5, short(*v)))
        .collect();
    let sx = Scale {
        d0: 0.0,
        d1: nx as f64,
        r0: r.left,
        r1: r.right,
    };
    let sy = Scale {
        d0: 0.0,
        d1: ny as f64,
        r0: r.bottom,
        r1: r.top,
    };
    out.push_str("<g class=\"axes\">");
    for (v, label) in &x_ticks {
        text(
            &mut out,
            sx.map(*v),
            r.bottom + 22.0,
            TICK_SIZE,
            "middle",
            "",
            label,
        );
    }
    for (v, label) in &y_ticks {
        text(
            &mut out,
            r.left - 8.0,
            sy.map(*v) + 5.0,
            TICK_SIZE,
            "end",
            "",
            label,
        );
    }
    if !x_label.is_empty() {
        text(
            &mut out,
            (r.left + r.right) / 2.0,
            r.bottom + 50.0,
            LABEL_SIZE,
            "middle",
            "font-weight=\"bold\"",
            x_label,
        );
    }
    if !y_label.is_empty() {
        let (cx, cy) = (22.0, (r.top + r.bottom) / 2.0);
        text(
            &mut out,
            cx,
            cy,
            LABEL_SIZE,
            "middle",
            &format!(
                "font-weight=\"bold\" transform=\"rotate(-90 {} {})\"",
                f(cx),
                f(cy)
            ),
            y_label,
        );
    }
    out.push_str("</g>");
    // Colour legend: stacked swatches (no gradient ids, so several charts
    // can share one HTML page).
    out.push_str("<g class=\"legend\">");
    let lx = r.right + 24.0;
    let steps = 32;
    let sh = r.height() / f64::from(steps);
    for k in 0..steps {
        let t = (f64::from(k) + 0.5) / f64::from(steps);
        let y = r.bottom - (f64::from(k) + 1.0) * sh;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"{}\" fill=\"{}\"/>",
            f(lx),
            f(y),
            f(sh + 0.5),
            scale_colour(t)
        );
    }
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"{}\" fill=\"none\" stroke=\"{AXIS_COLOUR}\" stroke-width=\"1\"/>",
        f(lx),
        f(r.top),
        f(r.height())
    );
    text(
        &mut out,
        lx + 30.0,
        r.top + 12.0,
        TICK_SIZE,
        "start",
        "",
        &f(zmax),
    );
    text(
        &mut out,
        lx + 30.0,
        r.bottom,
        TICK_SIZE,
        "start",
        "",
        &f(zmin),
    );
    if any_missing {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"24\" height=\"16\" fill=\"#DDDDDD\"/>",
            f(lx),
            f(r.bottom + 30.0)
        );
        text(
            &mut out,
            lx + 30.0,
            r.bottom + 44.0,
            TICK_SIZE,
            "start",
            "",
            "no value",
        );
    }
    out.push_str("</g></svg>");
    out
}

const CALM: (u8, u8, u8) = (0x00, 0x72, 0xB2);
const HOT: (u8, u8, u8) = (0xD5, 0x5E, 0x00);

/// Network picture for a small group.
///
/// `nodes` are `(label, size)`, the size an agent's total power (the legend
/// says so); nodes sit on a circle and their area grows
/// with `size` (non-finite or negative sizes count as 0; the largest node
/// gets the largest radius).  `edges` are `(from, to, heat, withdrawn)`:
/// `heat` in `[0, 1]` colours the edge from calm blue to hot orange and
/// thickens it; withdrawn edges are dashed.  Edges with an out-of-range
/// index, a self-loop or a non-finite heat are skipped.  Edges are drawn
/// undirected.  A legend explains the encodings used.
pub fn network(
    title: &str,
    nodes: &[(String, f64)],
    edges: &[(usize, usize, f64, bool)],
    width: u32,
    height: u32,
) -> String {
    if nodes.is_empty() {
        return no_data(title, width, height);
    }
    let (w, h) = dims(width, height);
    let n = nodes.len();
    let cx = w / 2.0;
    let legend_h = 44.0;
    let cy = 50.0 + (h - 50.0 - legend_h) / 2.0;
    let label_w = nodes
        .iter()
        .map(|nd| text_width(&nd.0, LABEL_SIZE))
        .fold(0.0, f64::max)
        .min(w * 0.25);
    let ring = ((w / 2.0 - label_w - 20.0).min((h - 50.0 - legend_h) / 2.0 - 24.0)).max(10.0);
    let r_max = if n == 1 {
        ring.min(40.0)
    } else {
        (ring * (std::f64::consts::PI / n as f64).sin() * 0.8).clamp(6.0, 32.0)
    };
    let r_min = (r_max * 0.3).max(4.0).min(r_max);
    let size = |s: f64| if s.is_finite() && s > 0.0 { s } else { 0.0 };
    let s_max = nodes.iter().map(|nd| size(nd.1)).fold(0.0, f64::max);
    let ring = if n == 1 { 0.0 } else { ring - r_max };
    let pos: Vec<(f64, f64, f64, f64)> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n as f64;
            let rad = if s_max > 0.0 {
                r_min + (r_max - r_min) * (size(nd.1) / s_max).sqrt()
            } else {
                r_min
            };
            (cx + ring * a.cos(), cy + ring * a.sin(), rad, a)
        })
        .collect();
    let mut out = open(title, w, h);
    let mut any_dashed = false;
    out.push_str("<g class=\"edges\">");
    for &(a, b, heat, dashed) in edges {
        if a >= n || b >= n || a == b || !heat.is_finite() {
            continue;
        }
        let t = heat.clamp(0.0, 1.0);
        let (p, q) = (pos[a], pos[b]);
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (ux, uy) = (dx / len, dy / len);
        let dash = if dashed {
            any_dashed = true;
            " stroke-dasharray=\"8 6\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\" stroke-linecap=\"round\"{dash}/>",
            f(p.0 + ux * p.2),
            f(p.1 + uy * p.2),
            f(q.0 - ux * q.2),
            f(q.1 - uy * q.2),
            lerp_rgb(CALM, HOT, t),
            f(2.0 + 4.0 * t)
        );
    }
    out.push_str("</g><g class=\"nodes\">");
    for &(x, y, rad, _) in &pos {
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"#F0F0F0\" stroke=\"#000000\" stroke-width=\"2.5\"/>",
            f(x),
            f(y),
            f(rad)
        );
    }
    // Names, the largest nodes first, each where it overlaps no name already
    // written: in a crowded ring the smaller nodes go unnamed (the legend
    // says so) rather than every name being unreadable.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| {
        size(nodes[j].1)
            .total_cmp(&size(nodes[i].1))
            .then(i.cmp(&j))
    });
    let mut boxes: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut unnamed = 0;
    for i in order {
        let (label, (x, y, rad, a)) = (&nodes[i].0, pos[i]);
        let (c, s) = if n == 1 {
            (1.0, 0.0)
        } else {
            (a.cos(), a.sin())
        };
        let anchor = if c > 0.3 {
            "start"
        } else if c < -0.3 {
            "end"
        } else {
            "middle"
        };
        let d = rad + 8.0;
        let ly = y
            + s * d
            + if s > 0.3 {
                14.0
            } else if s < -0.3 {
                -2.0
            } else {
                5.0
            };
        let (lx, tw, th) = (
            x + c * d,
            text_width(label, LABEL_SIZE),
            f64::from(LABEL_SIZE),
        );
        let left = match anchor {
            "start" => lx,
            "end" => lx - tw,
            _ => lx - tw / 2.0,
        };
        let b = (left, ly - th * 0.8, left + tw, ly + th * 0.25);
        if boxes
            .iter()
            .any(|o| b.0 < o.2 && o.0 < b.2 && b.1 < o.3 && o.1 < b.3)
        {
            unnamed += 1;
            continue;
        }
        boxes.push(b);
        text(&mut out, lx, ly, LABEL_SIZE, anchor, "", label);
    }
    out.push_str("</g>");
    // Legend along the bottom.
    out.push_str("<g class=\"legend\">");
    let y = h - 20.0;
    let mut x = 16.0;
    let mut entry = |out: &mut String, colour: String, width: f64, dash: &str, name: &str| {
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"{}\"{dash}/>",
            f(x),
            f(x + 30.0),
            f(width),
            y = f(y - 5.0)
        );
        text(out, x + 36.0, y, TICK_SIZE, "start", "", name);
        x += 46.0 + text_width(name, TICK_SIZE);
    };
    entry(&mut out, lerp_rgb(CALM, HOT, 0.0), 2.0, "", "calm (0)");
    entry(&mut out, lerp_rgb(CALM, HOT, 1.0), 6.0, "", "tense (1)");
    if any_dashed {
        entry(
            &mut out,
            MUTED_COLOUR.to_string(),
            3.0,
            " stroke-dasharray=\"8 6\"",
            "withdrawn",
        );
    }
    let note = if unnamed > 0 {
        format!("circle area = total power; {unnamed} smaller unnamed (no room)")
    } else {
        "circle area = total power".to_string()
    };
    text(&mut out, x, y, TICK_SIZE, "start", "", &note);
    out.push_str("</g></svg>");
    out
}

/// Plain-text line chart of one series for the terminal.
///
/// Layout: a title line, then exactly `rows` plot lines of the form
/// `<label> |<cols characters>`, then an axis line `+---`, then a line with
/// the x minimum (left) and maximum (right).  Labels on the top and bottom
/// plot lines are the y maximum and minimum with two decimals; other
/// labels are blank.  Data points are `*`, interpolation between
/// consecutive finite points is `.`; non-finite points break the line.
/// Empty input (or `rows == 0` / `cols == 0`) gives the title and
/// `(no data)`.
pub fn ascii_chart(title: &str, xs: &[f64], ys: &[f64], rows: usize, cols: usize) -> String {
    let pts: Vec<Option<(f64, f64)>> = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| finite_pair(Some(x), Some(y)))
        .collect();
    let xr = finite_range(pts.iter().flatten().map(|p| p.0));
    let yr = finite_range(pts.iter().flatten().map(|p| p.1));
    let (Some((x0, x1)), Some((y0, y1))) = (xr, yr) else {
        return format!("{title}\n(no data)\n");
    };
    // From 0 when no value is negative, as the report's charts: a level that
    // barely moves is drawn as one.
    let y0 = if y0 > 0.0 { 0.0 } else { y0 };
    if rows == 0 || cols == 0 || !(x1 - x0).is_finite() || !(y1 - y0).is_finite() {
        return format!("{title}\n(no data)\n");
    }
    let to_cell = |(x, y): (f64, f64)| -> (i64, i64) {
        let c = if x1 > x0 {
            ((x - x0) / (x1 - x0) * (cols - 1) as f64).round()
        } else {
            ((cols - 1) / 2) as f64
        };
        let r = if y1 > y0 {
            ((y1 - y) / (y1 - y0) * (rows - 1) as f64).round()
        } else {
            ((rows - 1) / 2) as f64
        };
        (c as i64, r as i64)
    };
    let mut grid = vec![vec![' '; cols]; rows];
    let put = |c: i64, r: i64, ch: char, grid: &mut Vec<Vec<char>>| {
        if c >= 0 && r >= 0 && (c as usize) < cols && (r as usize) < rows {
            let cell = &mut grid[r as usize][c as usize];
            if ch == '*' || *cell == ' ' {
                *cell = ch;
            }
        }
    };
    for pair in pts.windows(2) {
        if let (Some(a), Some(b)) = (pair[0], pair[1]) {
            let (ca, ra) = to_cell(a);
            let (cb, rb) = to_cell(b);
            let steps = (cb - ca).abs().max((rb - ra).abs());
            for k in 0..=steps {
                let t = if steps == 0 {
                    0.0
                } else {
                    k as f64 / steps as f64
                };
                let c = (ca as f64 + (cb - ca) as f64 * t).round() as i64;
                let r = (ra as f64 + (rb - ra) as f64 * t).round() as i64;
                put(c, r, '.', &mut grid);
            }
        }
    }
    for p in pts.iter().flatten() {
        let (c, r) = to_cell(*p);
        put(c, r, '*', &mut grid);
    }
    let (top, bottom) = (f(y1), f(y0));
    let lw = top.len().max(bottom.len());
    let mut out = String::new();
    out.push_str(title);
    out.push('\n');
    for (r, line) in grid.iter().enumerate() {
        let label = if r == 0 {
            top.as_str()
        } else if r == rows - 1 {
            bottom.as_str()
        } else {
            ""
        };
        let body: String = line.iter().collect();
        let _ = writeln!(out, "{label:>lw$} |{body}");
    }
    let _ = writeln!(out, "{:>lw$} +{}", "", "-".repeat(cols));
    // Whole numbers (steps) without decimals.
    let fx = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{x:.0}")
        } else {
            f(x)
        }
    };
    let (xl, xh) = (fx(x0), fx(x1));
    let gap = (cols + 1).saturating_sub(xl.len() + xh.len()).max(1);
    let _ = writeln!(out, "{:>lw$} {xl}{}{xh}", "", " ".repeat(gap));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"), "does not start with <svg: {svg}");
        assert!(svg.ends_with("</svg>"), "does not end with </svg>");
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches("</svg>").count(), 1);
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        assert!(
            svg.contains("width=\"") && svg.contains("height=\"") && svg.contains("viewBox=\"")
        );
        for bad in ["NaN", "inf"] {
            assert!(!svg.contains(bad), "{bad} in output");
        }
    }

    fn series(name: &str, ys: Vec<f64>) -> Series {
        Series {
            name: name.to_string(),
            xs: (0..ys.len()).map(|i| i as f64).collect(),
            ys,
            band: None,
        }
    }

    #[test]
    fn a_series_flat_at_zero_is_drawn_on_zero_to_one_and_repeated_markers_are_labelled_once() {
        let flat = series("withdrawn_share", vec![0.0; 20]);
        let markers: Vec<(f64, String)> = [3.0, 6.0, 9.0]
            .iter()
            .map(|&x| (x, "couple-money-counseling: counseling".to_string()))
            .chain([(12.0, "x".repeat(400))])
            .collect();
        let svg = line_chart("t", "step", "share", &[flat], &markers, 900, 320);
        well_formed(&svg);
        assert!(!svg.contains(">-"), "no negative tick: {svg}");
        assert!(svg.contains(">1<") || svg.contains(">1.0<"), "{svg}");
        // Cut to the plot's height, and written once for the three sessions.
        assert_eq!(svg.matches("couple-money-counsel").count(), 1, "{svg}");
        assert_eq!(
            svg.matches("stroke-dasharray=\"6 4\"").count(),
            4,
            "every marker drawn"
        );
        assert!(
            !svg.contains(&"x".repeat(400)) && svg.contains('…'),
            "long labels cut"
        );
    }

    #[test]
    fn marker_labels_close_together_do_not_overlap() {
        let s = series(
            "dyad_imbalance",
            (0..100).map(|i| i as f64 / 100.0).collect(),
        );
        // Two labels 2 steps apart (a few pixels), then a third between them.
        let markers = vec![
            (50.0, "counseling".to_string()),
            (52.0, "dyad_imbalance settles".to_string()),
            (51.0, "power_gini settles".to_string()),
            (90.0, "the end".to_string()),
        ];
        let svg = line_chart("t", "step", "index", &[s], &markers, 900, 320);
        well_formed(&svg);
        // Each label's x (its rotation centre) and its glyphs' reach.
        let marks = &svg[svg.find("class=\"markers\"").unwrap()..];
        let xs: Vec<f64> = marks
            .match_indices("rotate(-90 ")
            .map(|(i, m)| {
                let rest = &marks[i + m.len()..];
                rest[..rest.find(' ').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(
            xs.len(),
            3,
            "two placed around their lines, one left out: {svg}"
        );
        for (k, a) in xs.iter().enumerate() {
            for b in &xs[k + 1..] {
                assert!(
                    (a - b).abs() >= f64::from(TICK_SIZE),
                    "labels at {a} and {b} overlap"
                );
            }
        }
        assert!(svg.contains(">counseling<") && svg.contains(">dyad_imbalance settl"));
        assert!(!svg.contains(">power_gini settles<"), "no room left for it");
        assert!(svg.contains(">the end<"));
        assert_eq!(
            svg.matches("stroke-dasharray=\"6 4\"").count(),
            4,
            "every line drawn"
        );
    }

    #[test]
    fn a_series_hidden_under_an_identical_one_is_named_in_the_legend() {
        let a = series("gini_coercive", vec![0.5; 10]);
        let b = series("gini_legitimate", vec![0.5; 10]);
        let c = series("gini_reward", vec![0.2; 10]);
        let svg = line_chart("t", "step", "Gini", &[a, b, c], &[], 900, 320);
        well_formed(&svg);
        // Too long for the legend's room: wrapped at spaces, every line
        // inside the chart (it was cut at the edge).
        let legend = &svg[svg.find("class=\"legend\"").unwrap()..];
        let texts: Vec<(f64, &str)> = legend
            .match_indices("<text x=\"")
            .map(|(i, m)| {
                let rest = &legend[i + m.len()..];
                let x: f64 = rest[..rest.find('"').unwrap()].parse().unwrap();
                let body = &rest[rest.find('>').unwrap() + 1..];
                (x, &body[..body.find('<').unwrap()])
            })
            .collect();
        let joined: Vec<&str> = texts.iter().map(|t| t.1).collect();
        assert!(
            joined
                .join(" ")
                .contains("gini_legitimate (same as gini_coercive)"),
            "{joined:?}"
        );
        assert!(
            texts.len() > 3,
            "the long label takes two lines: {joined:?}"
        );
        for (x, t) in &texts {
            assert!(
                x + text_width(t, LABEL_SIZE) <= 900.0,
                "{t} leaves the chart"
            );
        }
        assert!(!svg.contains("gini_reward (same as"), "{svg}");
    }

    #[test]
    fn side_by_side_charts_start_their_axis_at_zero() {
        let s = [
            series("a", vec![0.52, 0.55, 0.6]),
            series("b", vec![0.5, 0.53, 0.58]),
        ];
        let ticks = |svg: &str| -> Vec<f64> {
            svg.split("<text ")
                .filter(|t| t.contains("text-anchor=\"end\""))
                .filter_map(|t| t[t.find('>')? + 1..t.find('<')?].parse().ok())
                .collect()
        };
        let with = |from_zero: bool| {
            ticks(&line_chart_with(
                "t",
                "step",
                "y",
                &s,
                &[],
                None,
                900,
                320,
                from_zero,
            ))
        };
        let (fitted, zero) = (with(false), with(true));
        assert_eq!(
            ticks(&line_chart("t", "step", "y", &s, &[], 900, 320))[0],
            0.0
        );
        assert!(
            !fitted.is_empty() && fitted.iter().all(|&v| v >= 0.45),
            "{fitted:?}"
        );
        assert!(zero.contains(&0.0), "{zero:?}");
        // Negative values keep their own range.
        let neg = [series("a", vec![-0.2, 0.1, 0.3])];
        let svg = line_chart_with("t", "step", "y", &neg, &[], None, 900, 320, true);
        assert!(ticks(&svg).iter().any(|&v| v < 0.0), "{svg}");
    }

    #[test]
    fn wrap_breaks_at_spaces_within_the_room() {
        let w = text_width("abcd", 10);
        assert_eq!(wrap("ab cd ef", w, 10), ["ab", "cd", "ef"]);
        assert_eq!(wrap("ab cd ef", 1.5 * w, 10), ["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh ij", w, 10), ["abcdefgh", "ij"]);
        assert_eq!(wrap("short", 100.0 * w, 10), ["short"]);
    }

    #[test]
    fn escape_replaces_all_five_special_characters() {
        assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    }

    #[test]
    fn every_chart_is_one_balanced_svg_element() {
        let mut s = series("cohesion", vec![0.1, 0.5, 0.4, 0.8]);
        s.band = Some((vec![0.0, 0.4, 0.3, 0.7], vec![0.2, 0.6, 0.5, 0.9]));
        well_formed(&line_chart(
            "t",
            "step",
            "value",
            &[s, series("b", vec![1.0, 2.0])],
            &[(2.0, "coup".into())],
            800,
            400,
        ));
        well_formed(&line_chart_with(
            "t",
            "x",
            "y",
            &[series("a", vec![3.0, 1.0, 2.0])],
            &[],
            Some((1.0, "settles from step 1")),
            800,
            400,
            false,
        ));
        well_formed(&stacked_area(
            "mix",
            "step",
            &[0.0, 1.0, 2.0],
            &[
                ("reward".into(), vec![1.0, 2.0, 3.0]),
                ("coercion".into(), vec![1.0, 0.0, 1.0]),
            ],
            800,
            400,
        ));
        well_formed(&bar_chart(
            "S1",
            &[("alpha".into(), 0.3), ("beta".into(), 0.7)],
            600,
            300,
        ));
        well_formed(&heatmap(
            "h",
            "a",
            "b",
            &[0.0, 1.0],
            &[0.0, 1.0, 2.0],
            &[vec![0.0, 1.0], vec![2.0, 3.0], vec![4.0, 5.0]],
            600,
            400,
        ));
        well_formed(&network(
            "net",
            &[("A".into(), 1.0), ("B".into(), 3.0), ("C".into(), 0.0)],
            &[(0, 1, 0.2, false), (1, 2, 0.9, true)],
            600,
            500,
        ));
    }

    #[test]
    fn title_and_names_are_escaped_not_markup() {
        let svg = line_chart(
            "<b>x & y</b>",
            "<i>",
            "'q'",
            &[series("<script>", vec![1.0, 2.0])],
            &[(1.0, "\"ev\"".into())],
            600,
            400,
        );
        well_formed(&svg);
        assert!(svg.contains("&lt;b&gt;x &amp; y&lt;/b&gt;"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<i>"));
        assert!(svg.contains("&quot;ev&quot;"));
        let net = network("n", &[("<script>".into(), 1.0)], &[], 400, 300);
        assert!(!net.contains("<script") && net.contains("&lt;script&gt;"));
        let bars = bar_chart("b", &[("a<b".into(), 1.0)], 400, 300);
        assert!(bars.contains("a&lt;b"));
    }

    #[test]
    fn non_finite_values_never_print_as_nan_or_inf() {
        let mut s = series("a", vec![1.0, f64::NAN, 2.0, f64::INFINITY, 3.0, 4.0]);
        s.band = Some((
            vec![0.5, 0.5, f64::NAN, 1.0, 2.0, 3.0],
            vec![1.5, 1.5, 2.5, f64::NEG_INFINITY, 4.0, 5.0],
        ));
        s.xs[5] = f64::NAN;
        let svg = line_chart("t", "x", "y", &[s], &[(f64::NAN, "m".into())], 600, 400);
        well_formed(&svg);
        // Gaps isolate points 0, 2 and 4, which are drawn as dots.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("stroke-width=\"3.5\"").count(), 0);
        well_formed(&stacked_area(
            "t",
            "x",
            &[0.0, f64::NAN, 2.0, 3.0],
            &[("a".into(), vec![f64::NAN, 1.0, 1.0, 0.0])],
            600,
            400,
        ));
        well_formed(&bar_chart(
            "t",
            &[("a".into(), f64::NAN), ("b".into(), 1.0)],
            600,
            400,
        ));
        well_formed(&heatmap(
            "t",
            "x",
            "y",
            &[0.0, 1.0],
            &[0.0],
            &[vec![f64::NAN, 2.0]],
            600,
            400,
        ));
        well_formed(&network(
            "t",
            &[("a".into(), f64::NAN), ("b".into(), f64::INFINITY)],
            &[(0, 1, f64::NAN, false), (0, 1, 0.5, false)],
            600,
            400,
        ));
        let txt = ascii_chart("t", &[0.0, 1.0, 2.0], &[1.0, f64::NAN, 3.0], 5, 20);
        assert!(!txt.contains("NaN"));
    }

    #[test]
    fn empty_inputs_give_no_data_charts() {
        let cases = [
            line_chart("t", "x", "y", &[], &[], 600, 400),
            line_chart("t", "x", "y", &[series("a", vec![])], &[], 600, 400),
            line_chart("t", "x", "y", &[series("a", vec![f64::NAN])], &[], 0, 0),
            stacked_area("t", "x", &[], &[], 600, 400),
            stacked_area("t", "x", &[1.0], &[("a".into(), vec![0.0])], 600, 400),
            bar_chart("t", &[], 600, 400),
            heatmap("t", "x", "y", &[], &[], &[], 600, 400),
            heatmap("t", "x", "y", &[1.0], &[1.0], &[], 600, 400),
            network("t", &[], &[], 600, 400),
        ];
        for svg in &cases {
            well_formed(svg);
            assert!(svg.contains("no data"), "{svg}");
        }
        assert!(ascii_chart("t", &[], &[], 5, 10).contains("no data"));
    }

    #[test]
    fn nice_ticks_follow_one_two_five_steps() {
        let t = nice_ticks(0.0, 0.83, 6);
        let want = [0.0, 0.2, 0.4, 0.6, 0.8];
        assert_eq!(t.len(), want.len(), "{t:?}");
        for (a, b) in t.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{t:?}");
        }
        assert_eq!(
            nice_ticks(0.0, 100.0, 6),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(-3.0, 7.0, 6), vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(nice_ticks(5.0, 5.0, 6), vec![5.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 6).is_empty());
        for (lo, hi) in [(0.0, 1.0), (3.7, 1234.5), (-0.004, 0.0031), (1e6, 1e9)] {
            let t = nice_ticks(lo, hi, 6);
            assert!(t.len() >= 2 && t.len() <= 6, "{lo}..{hi}: {t:?}");
            assert!(t.iter().all(|v| *v >= lo - 1e-9 && *v <= hi + 1e-9));
        }
        // Labels use the step's precision.
        let t = nice_ticks(0.0, 0.83, 6);
        assert_eq!(fmt_tick(t[3], &t), "0.6");
    }

    #[test]
    fn degenerate_ranges_still_draw() {
        let one = line_chart("t", "x", "y", &[series("a", vec![2.0])], &[], 600, 400);
        well_formed(&one);
        assert!(one.contains("<circle"));
        let flat = line_chart("t", "x", "y", &[series("a", vec![1.0; 5])], &[], 600, 400);
        well_formed(&flat);
        assert!(flat.contains(">1.0<") || flat.contains(">1<") || flat.contains(">1.00<"));
        well_formed(&bar_chart("t", &[("z".into(), 0.0)], 600, 400));
        let h = heatmap("t", "x", "y", &[1.0], &[1.0], &[vec![3.0]], 600, 400);
        well_formed(&h);
        assert!(h.contains(">3.00<"));
    }

    #[test]
    fn heatmap_legend_shows_min_and_max() {
        let svg = heatmap(
            "grid",
            "alpha",
            "beta",
            &[0.1, 0.2, 0.3],
            &[1.0, 2.0],
            &[vec![0.25, 0.5, 0.9], vec![0.1, f64::NAN, 0.4]],
            300,
            200,
        );
        well_formed(&svg);
        assert!(svg.contains(">0.10</text>"), "min missing");
        assert!(svg.contains(">0.90</text>"), "max missing");
        assert!(svg.contains("no value"));
    }

    #[test]
    fn a_crowded_network_names_its_largest_nodes_and_says_how_many_it_leaves_unnamed() {
        let few: Vec<(String, f64)> = (0..3).map(|i| (format!("agent{i}"), 1.0)).collect();
        let svg = network("n", &few, &[], 600, 480);
        assert!((0..3).all(|i| svg.contains(&format!(">agent{i}<"))));
        assert!(!svg.contains("unnamed"));
        // Forty long names around one ring: the largest (agent 39) is named,
        // and the names written do not overlap.
        let many: Vec<(String, f64)> = (0..40)
            .map(|i| (format!("oppressed-member-{i}"), 1.0 + i as f64))
            .collect();
        let svg = network("n", &many, &[], 600, 480);
        well_formed(&svg);
        assert!(svg.contains(">oppressed-member-39<"));
        let named = (0..40)
            .filter(|i| svg.contains(&format!(">oppressed-member-{i}<")))
            .count();
        assert!((8..40).contains(&named), "{named} named");
        assert!(
            svg.contains(&format!("{} smaller unnamed", 40 - named)),
            "{svg}"
        );
    }

    #[test]
    fn network_dashes_only_withdrawn_edges() {
        let nodes = [("A".to_string(), 2.0), ("B".to_string(), 1.0)];
        let dashed = network("n", &nodes, &[(0, 1, 1.0, true)], 500, 400);
        well_formed(&dashed);
        assert!(dashed.contains("stroke-dasharray"));
        assert!(dashed.contains("withdrawn"));
        let solid = network(
            "n",
            &nodes,
            &[(0, 1, 0.0, false), (0, 5, 0.5, true)],
            500,
            400,
        );
        well_formed(&solid);
        assert!(!solid.contains("stroke-dasharray"));
        // Hot edges use the hot colour, calm ones the calm colour.
        assert!(dashed.contains("stroke=\"#D55E00\""));
        assert!(solid.contains("stroke=\"#0072B2\""));
    }

    #[test]
    fn ascii_chart_has_rows_plot_lines_and_min_max_labels() {
        let ys = [0.5, 1.0, 3.25, 2.0, 1.5];
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
        for rows in [1, 3, 8] {
            let txt = ascii_chart("cohesion", &xs, &ys, rows, 30);
            let plot: Vec<&str> = txt.lines().filter(|l| l.contains('|')).collect();
            assert_eq!(plot.len(), rows, "{txt}");
            assert!(plot.iter().all(|l| l.len() == plot[0].len()));
            assert!(txt.contains("3.25"));
            if rows > 1 {
                // The axis starts at 0 (no value is negative).
                assert!(txt.contains("0.00"), "{txt}");
                assert!(plot[0].contains('*'));
            }
            assert!(txt.starts_with("cohesion\n"));
            assert_eq!(txt.lines().count(), rows + 3);
        }
        let flat = ascii_chart("f", &[0.0, 1.0], &[2.0, 2.0], 4, 10);
        assert_eq!(flat.lines().filter(|l| l.contains('|')).count(), 4);
        // A level that barely moves is drawn as one, near its top.
        let level = ascii_chart("l", &xs, &[0.06, 0.07, 0.08, 0.07, 0.06], 8, 30);
        let rows_hit: Vec<usize> = level
            .lines()
            .filter(|l| l.contains('|'))
            .enumerate()
            .filter(|(_, l)| l.contains('*'))
            .map(|(r, _)| r)
            .collect();
        assert!(rows_hit.iter().all(|&r| r <= 2), "{level}");
        // Negative values keep their own range.
        let neg = ascii_chart("n", &xs, &[-1.0, 0.5, 1.0, 0.0, -0.5], 5, 30);
        assert!(neg.contains("-1.00"), "{neg}");
    }

    #[test]
    fn stacked_area_normalises_and_gaps_zero_totals() {
        let s = shares(&[1.0, 3.0, f64::NAN, -2.0]).unwrap();
        assert_eq!(s, vec![0.25, 0.75, 0.0, 0.0]);
        assert!(shares(&[0.0, 0.0]).is_none());
        let svg = stacked_area(
            "mix",
            "step",
            &[0.0, 1.0, 2.0, 3.0, 4.0],
            &[
                ("a".into(), vec![1.0, 1.0, 0.0, 1.0, 1.0]),
                ("b".into(), vec![1.0, 1.0, 0.0, 0.0, 3.0]),
            ],
            600,
            400,
        );
        well_formed(&svg);
        // Two segments × two layers = four area paths.
        assert_eq!(svg.matches(" Z\"").count(), 4);
        assert!(svg.contains(">100%<"));
    }

    #[test]
    fn output_is_deterministic() {
        let make = || {
            line_chart(
                "t",
                "x",
                "y",
                &[series("a", vec![0.1, 0.2, 0.35])],
                &[(1.0, "e".into())],
                640,
                480,
            )
        };
        assert_eq!(make(), make());
        assert!(make().contains("width=\"640.00\""));
    }
}
