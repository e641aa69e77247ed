//! A reader over the spanned TOML tree that collects every problem at once.
//!
//! Each table is read through a [`Table`], which records the keys asked for.
//! When a table is finished, any key that was never asked for is reported as
//! unknown, with the nearest known key suggested. Type and range problems are
//! collected as they are found, each with its line and column, so one pass
//! reports everything that is wrong with a file.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::Diagnostic;

/// Where diagnostics go while one file is read.
pub struct Ctx<'s> {
    file: String,
    line_starts: Vec<usize>,
    src: &'s str,
    /// Other files whose text follows in `src` (a scenario's bases): start offset and name.
    segments: Vec<(usize, String)>,
    /// Problems found so far.
    pub diags: Vec<Diagnostic>,
}

impl<'s> Ctx<'s> {
    /// A context for the file `file` with text `src`.
    pub fn new(file: &str, src: &'s str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Ctx {
            file: file.to_string(),
            line_starts,
            src,
            segments: Vec::new(),
            diags: Vec::new(),
        }
    }

    /// Declares that the text from `start` on belongs to the file `file`
    /// (a base scenario appended after the file that extends it).
    pub fn add_segment(&mut self, start: usize, file: &str) {
        self.segments.push((start, file.to_string()));
    }

    /// The file and the start offset of the segment holding `offset`.
    fn segment(&self, offset: usize) -> (&str, usize) {
        self.segments
            .iter()
            .rev()
            .find(|(s, _)| *s <= offset)
            .map_or((self.file.as_str(), 0), |(s, f)| (f.as_str(), *s))
    }

    /// 1-based line and column (in characters) of a byte offset, within its own file.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let (_, seg) = self.segment(offset);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let first = self.line_starts.partition_point(|&s| s < seg);
        let start = self.line_starts[line];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1 - first, col + 1)
    }

    /// `file:line:col` of a byte offset, in its own file.
    pub fn place(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!(
            "{}:{line}:{col}",
            self.segment(offset.min(self.src.len())).0
        )
    }

    /// The place of `span` (with its field path `path`) in the text.
    pub fn place_of(&self, span: Range<usize>, path: &str) -> crate::error::Place {
        crate::error::Place {
            file: self.segment(span.start.min(self.src.len())).0.to_string(),
            line_col: Some(self.line_col(span.start)),
            path: path.to_string(),
        }
    }

    /// Records a problem at a span (or none) and a field path.
    pub fn error(
        &mut self,
        span: Option<Range<usize>>,
        path: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let help = help.into();
        let line_col = span.clone().map(|s| self.line_col(s.start));
        let file = span
            .map_or(self.file.as_str(), |s| self.segment(s.start).0)
            .to_string();
        self.diags.push(Diagnostic {
            file,
            line_col,
            path: path.to_string(),
            message: message.into(),
            help: if help.is_empty() { None } else { Some(help) },
        });
    }

    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// The nearest of `candidates` to `word`, if it is near enough to be a likely typo.
pub fn near_miss<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|&(d, c)| d <= (c.chars().count().max(3) / 3).max(1) + usize::from(c.len() > 8))
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// A help line that suggests a near miss or lists the choices.
pub fn suggest(word: &str, candidates: &[&str]) -> String {
    match near_miss(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => String::new(),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

/// Describes a TOML value's type for messages.
pub fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// Reads a TOML number (integer or float) as f64; None if it is not a number.
pub fn as_number(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => {
            let s: String = i.as_str().chars().filter(|&c| c != '_').collect();
            // An integer too large for i64 is still a number (out of any
            // range powerdyn takes): it reads as the nearest f64.
            i64::from_str_radix(&s, i.radix())
                .ok()
                .map(|x| x as f64)
                .or_else(|| integer_as_f64(&s, i.radix()))
        }
        DeValue::Float(f) => {
            let s: String = f.as_str().chars().filter(|&c| c != '_').collect();
            let s = s.trim_start_matches('+');
            match s {
                "inf" => Some(f64::INFINITY),
                "-inf" => Some(f64::NEG_INFINITY),
                "nan" | "-nan" => Some(f64::NAN),
                _ => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Help for a TOML syntax error at byte `at` of `text`, from the number
/// written where the error is: the slips of people who do not write TOML
/// every day (a percentage, a decimal comma) get a pointed hint, anything
/// else the general one. It reads the token at the error (digits, a point, a
/// comma between digits, a `%`), so the hint works in a `key = value` line,
/// an inline table and an array alike, and never fires for a key.
pub fn syntax_help(text: &str, at: Option<usize>) -> String {
    let general = "fix the TOML syntax at this place".to_string();
    let Some(at) = at.filter(|&a| a <= text.len() && text.is_char_boundary(a)) else {
        return general;
    };
    let Some((value, in_array)) = number_token(text.as_bytes(), at) else {
        return general;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let decimal = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    // To 12 significant digits, without float noise (12.3% is 0.123, not
    // 0.12300000000000001).
    let short = |x: f64| -> f64 { format!("{x:.11e}").parse().unwrap_or(x) };
    let parts: Vec<&str> = value.split(',').collect();
    if let Some(number) = value.strip_suffix('%') {
        // In a list, `0.1,30%` is two numbers and the share is the last;
        // elsewhere `12,5%` is a decimal comma.
        let last = parts[parts.len() - 1].trim_end_matches('%');
        // The number as shown and its value, when it reads as one.
        let valid = |s: &str| {
            decimal(s.trim_start_matches('-'))
                .then(|| s.parse::<f64>().ok())
                .flatten()
        };
        let found = match parts.as_slice() {
            [_] => valid(number).map(|x| (number, x)),
            _ if in_array => valid(last).map(|x| (last, x)),
            [whole, _] if digits(whole.trim_start_matches('-')) && digits(last) => {
                format!("{whole}.{last}").parse().ok().map(|x| (number, x))
            }
            _ => None,
        };
        if let Some((shown, x)) = found {
            let comma = if shown.contains(',') {
                " with a point"
            } else {
                ""
            };
            return format!(
                "write a share as a decimal number{comma}: {shown}% is {}",
                short(x / 100.0)
            );
        }
        return general;
    }
    if in_array || parts.len() < 2 {
        return general;
    }
    let whole = parts[0].strip_prefix('-').unwrap_or(parts[0]);
    if !digits(whole) || !parts[1..].iter().all(|p| digits(p)) {
        return general;
    }
    let grouped = whole.len() <= 3
        && !whole.trim_start_matches('0').is_empty()
        && parts[1..].iter().all(|p| p.len() == 3);
    let joined = value.replace(',', "");
    match parts.len() {
        // `1,000` may be a thousand: say both readings.
        2 if grouped => format!(
            "write a number without commas: {joined} for a thousands separator, {} for a decimal comma",
            value.replacen(',', ".", 1)
        ),
        2 => format!("use a decimal point, not a comma: {}", value.replacen(',', ".", 1)),
        _ if grouped => format!("write a number without commas: {joined}"),
        _ => general,
    }
}

/// The message and help of a TOML syntax error `message` at `span` of
/// `text`: a duplicate key is named (the parser says only "duplicate
/// key"), and a number slip gets [`syntax_help`].
pub fn syntax_error(
    text: &str,
    message: &str,
    span: Option<std::ops::Range<usize>>,
) -> (String, String) {
    let message = message.trim();
    if message == "duplicate key" {
        let key = span
            .as_ref()
            .and_then(|s| text.get(s.clone()))
            .map(|k| k.trim().trim_matches(['[', ']']).trim())
            .filter(|k| !k.is_empty() && k.len() <= 200 && !k.contains('\n'));
        if let (Some(key), Some(s)) = (key, span.as_ref()) {
            // A table header (`[parameters]` twice) or a key.
            let line_start = text[..s.start].rfind('\n').map_or(0, |k| k + 1);
            let line_end = text[s.start..]
                .find('\n')
                .map_or(text.len(), |k| s.start + k);
            let line = text[line_start..line_end].trim();
            let header = text[line_start..s.start].trim_start().starts_with('[');
            // The whole name in the header (the span holds its last part).
            let name = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or(key)
                .trim();
            let array = line.starts_with("[[");
            let entries = ["agents", "populations", "events", "intersections"];
            return if header && array {
                (
                    format!("TOML syntax: [[{name}]] adds an entry to `{name}`, which is already given above as a key or a [{name}] table"),
                    format!("write every entry of {name} as [[{name}]], with double brackets"),
                )
            } else if header && entries.contains(&name) {
                (
                    format!("TOML syntax: the table [{name}] is given twice"),
                    format!("write [[{name}]] (double brackets) before each entry: [{name}] is one table"),
                )
            } else if header {
                (
                    format!("TOML syntax: the table [{name}] is given twice"),
                    format!("put everything under one [{name}]"),
                )
            } else {
                (
                    format!("TOML syntax: the key `{key}` is given twice in one table"),
                    format!("keep one `{key}` and remove the other"),
                )
            };
        }
    }
    (
        format!("TOML syntax: {message}"),
        syntax_help(text, span.map(|s| s.start)),
    )
}

/// The number-like token at byte `at` (where a TOML parser reports the
/// error: the start of the value, a comma or `%` inside it, or the space or
/// bracket after it): signs, digits, points, commas between digits and a
/// closing `%`; and whether it stands in an array (where commas separate
/// values). None if it has no digit, or if it is glued to a letter or
/// quote, or follows an odd number of quotes on its line (then it is part
/// of a key, a string or a date, not a number).
fn number_token(text: &[u8], at: usize) -> Option<(&str, bool)> {
    let numeric = |b: u8| b.is_ascii_digit() || b == b'.';
    let digit_at = |k: usize| text.get(k).is_some_and(u8::is_ascii_digit);
    let comma_between = |k: usize| k >= 1 && text[k] == b',' && digit_at(k - 1) && digit_at(k + 1);
    // A parser that points past the number (at the `}` that closes an
    // inline table, say) is taken back to it.
    let mut at = at;
    if at >= text.len() || matches!(text[at], b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
        let mut k = at.min(text.len());
        while k > 0 && matches!(text[k - 1], b' ' | b'\t') {
            k -= 1;
        }
        if k > 0 && (numeric(text[k - 1]) || text[k - 1] == b'%') {
            at = k - 1;
        }
    }
    // Back to the token's start, across commas between digits.
    let mut start = at.min(text.len());
    while start > 0 {
        let b = text[start - 1];
        if numeric(b) || matches!(b, b'-' | b'+') || comma_between(start - 1) {
            start -= 1;
        } else {
            break;
        }
    }
    let mut end = start;
    while end < text.len() {
        let b = text[end];
        if numeric(b)
            || (end == start && matches!(b, b'-' | b'+'))
            || (end > start && comma_between(end))
        {
            end += 1;
        } else if b == b'%' {
            end += 1;
            break;
        } else {
            break;
        }
    }
    // A token inside a word or a string is not a number written by hand.
    let glued = |b: Option<&u8>| {
        b.is_some_and(|&b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'"' | b'\'' | b'%'))
    };
    if end <= at && at < text.len() && !matches!(text[at], b',' | b'%') {
        // `at` is not in the token (it starts at a letter, a bracket, ...).
        return None;
    }
    let line = &text[text[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1)..start];
    let quotes = |q: u8| line.iter().filter(|&&b| b == q).count();
    if quotes(b'"') % 2 == 1 || quotes(b'\'') % 2 == 1 {
        return None;
    }
    let token = std::str::from_utf8(&text[start..end]).ok()?;
    if !token.bytes().any(|b| b.is_ascii_digit())
        || glued(start.checked_sub(1).and_then(|k| text.get(k)))
        || glued(text.get(end))
    {
        return None;
    }
    // In an array when a `[` after the `=` is still open.
    let value = line
        .iter()
        .position(|&b| b == b'=')
        .map_or(&line[..0], |k| &line[k + 1..]);
    let open = value.iter().fold(0i64, |d, &b| match b {
        b'[' => d + 1,
        b']' => d - 1,
        _ => d,
    });
    Some((token, open > 0))
}

/// A TOML integer beyond i64 as the nearest f64 (infinite past f64's range).
fn integer_as_f64(s: &str, radix: u32) -> Option<f64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.trim_start_matches('+')),
    };
    if radix == 10 {
        // Correctly rounded.
        return s.parse().ok();
    }
    let mut x = 0.0f64;
    for c in digits.chars() {
        x = x * radix as f64 + c.to_digit(radix)? as f64;
    }
    Some(if negative { -x } else { x })
}

/// What to say of a number that read as infinite or NaN: `inf` and `nan`
/// as written are not finite; anything else (`1e400`) is out of range, and
/// is quoted as written.
pub fn non_finite_problem(v: &DeValue<'_>, x: f64) -> String {
    let written = match v {
        DeValue::Float(f) => f.as_str(),
        DeValue::Integer(i) => i.as_str(),
        _ => "",
    };
    let literal = written.trim_start_matches(['+', '-']);
    if written.is_empty() || literal == "inf" || literal == "nan" {
        format!("must be a finite number, found {x}")
    } else {
        format!("{written} is out of range")
    }
}

/// What to say of a finite number out of range: the number, and an
/// integer beyond i64 or a float of 1e15 or more as written.
pub fn out_of_range_problem(v: &DeValue<'_>, x: f64) -> String {
    match v {
        DeValue::Integer(i) if x.abs() >= 9.2e18 => {
            let prefix = match i.radix() {
                16 => "0x",
                8 => "0o",
                2 => "0b",
                _ => "",
            };
            format!("{prefix}{} is out of range", i.as_str())
        }
        // A huge float is quoted as written, not in its hundreds of digits.
        DeValue::Float(f) if x.abs() >= 1e15 => format!("{} is out of range", f.as_str()),
        _ => format!("{x} is out of range"),
    }
}

/// Reads a TOML integer exactly; None if it is not an integer or does not fit.
pub fn as_integer(v: &DeValue<'_>) -> Option<i128> {
    match v {
        DeValue::Integer(i) => {
            let s: String = i.as_str().chars().filter(|&c| c != '_').collect();
            i128::from_str_radix(&s, i.radix()).ok()
        }
        _ => None,
    }
}

/// Keys of a scenario's or a sweep's top level that are not tables.
const ROOT_KEYS: [&str; 11] = [
    "extends",
    "name",
    "description",
    "seed",
    "steps",
    "record_every",
    "snapshot_every",
    "scenario",
    "replicates",
    "design",
    "samples",
];

/// One table being read: remembers which keys were asked for.
pub struct Table<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    /// The field path of this table, such as `populations[0]`.
    pub path: String,
    asked: Vec<&'static str>,
    forgiven: bool,
}

impl<'a, 'i> Table<'a, 'i> {
    /// Wraps a spanned table found at `path`.
    pub fn new(table: &'a DeTable<'i>, span: Range<usize>, path: impl Into<String>) -> Self {
        Table {
            table,
            span,
            path: path.into(),
            asked: Vec::new(),
            forgiven: false,
        }
    }

    /// The path of a field in this table.
    pub fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The table's span in the text.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The raw spanned value of `key`, marking it as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    /// Marks `keys` as known without reading them: a reader that stops early
    /// (its table already has an error) or reads some keys only in some
    /// cases calls this, so that valid keys are not reported as unknown and
    /// every help lists them.
    pub fn known(&mut self, keys: &[&'static str]) {
        for &key in keys {
            if !self.asked.contains(&key) {
                self.asked.push(key);
            }
        }
    }

    /// Marks every key the table holds as known: for a table whose `kind`
    /// is missing or unknown, whose other keys cannot be judged (they have
    /// the kind's error instead of one each).
    pub fn forgive(&mut self) {
        self.forgiven = true;
    }

    /// Whether the table has `key` (does not mark it as known).
    pub fn has(&self, key: &str) -> bool {
        self.table.iter().any(|(k, _)| k.get_ref().as_ref() == key)
    }

    /// All entries, for tables whose keys are names chosen by the user.
    pub fn entries(
        &self,
    ) -> impl Iterator<
        Item = (
            &'a Spanned<std::borrow::Cow<'i, str>>,
            &'a Spanned<DeValue<'i>>,
        ),
    > {
        self.table.iter()
    }

    /// Reports keys that were never asked for, suggesting the nearest known key.
    pub fn finish(self, ctx: &mut Ctx<'_>) {
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if !self.forgiven && !self.asked.contains(&key) {
                let mut help = suggest(key, &self.asked);
                // A top-level key written below a table header belongs, in
                // TOML, to that table.
                // (Not in an inline table, which no header opens.)
                let inline = ctx.src.as_bytes().get(self.span.start) == Some(&b'{');
                if !self.path.is_empty()
                    && !inline
                    && ROOT_KEYS.contains(&key)
                    && !help.starts_with("did you mean")
                {
                    help = format!(
                        "`{key}` is a top-level key: move it above the first [table] header (in TOML a key belongs to the table above it)"
                    );
                    ctx.error(
                        Some(k.span()),
                        &self.field(key),
                        format!("unknown key `{key}`"),
                        help,
                    );
                    continue;
                }
                ctx.error(
                    Some(k.span()),
                    &self.field(key),
                    format!("unknown key `{key}`"),
                    if help.is_empty() {
                        "remove it".to_string()
                    } else {
                        format!("{help} (or remove it)")
                    },
                );
            }
        }
    }

    /// A number in `[lo, hi]`, or `default` when absent.
    pub fn f64(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        default: f64,
        lo: f64,
        hi: f64,
    ) -> f64 {
        match self.get(key) {
            None => default,
            Some(v) => self.number_value(ctx, key, v, lo, hi).unwrap_or(default),
        }
    }

    /// A number in `[lo, hi]` that must be present.
    pub fn req_f64(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        lo: f64,
        hi: f64,
    ) -> Option<f64> {
        match self.get(key) {
            None => {
                ctx.error(
                    Some(self.span.clone()),
                    &self.field(key),
                    format!("missing required key `{key}`"),
                    format!("add `{key} = <number>` to this table"),
                );
                None
            }
            Some(v) => self.number_value(ctx, key, v, lo, hi),
        }
    }

    fn number_value(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        v: &Spanned<DeValue<'_>>,
        lo: f64,
        hi: f64,
    ) -> Option<f64> {
        match as_number(v.get_ref()) {
            None => {
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    format!("expected a number, found {}", type_name(v.get_ref())),
                    "write a number such as 0.5",
                );
                None
            }
            Some(x) if !x.is_finite() => {
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    non_finite_problem(v.get_ref(), x),
                    format!("use a value between {lo} and {hi}"),
                );
                None
            }
            Some(x) if x < lo || x > hi => {
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    out_of_range_problem(v.get_ref(), x),
                    format!("use a value between {lo} and {hi}"),
                );
                None
            }
            Some(x) => Some(x),
        }
    }

    /// An integer in `[lo, hi]`, or `default` when absent.
    pub fn u64(
        &mut self,
        ctx: &mut Ctx<'_>,
        key: &'static str,
        default: u64,
        lo: u64,
        hi: u64,
    ) -> u64 {
        let Some(v) = self.get(key) else {
            return default;
        };
        match as_integer(v.get_ref()) {
            None => {
                let found = match v.get_ref() {
                    DeValue::Integer(_) => "an integer too large to read".to_string(),
                    other => type_name(other).to_string(),
                };
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    format!("expected a whole number, found {found}"),
                    format!("write a whole number between {lo} and {hi}"),
                );
                default
            }
            Some(x) if x < lo as i128 || x > hi as i128 => {
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    format!("{x} is out of range"),
                    format!("use a whole number between {lo} and {hi}"),
                );
                default
            }
            Some(x) => x as u64,
        }
    }

    /// A boolean, or `default` when absent.
    pub fn bool(&mut self, ctx: &mut Ctx<'_>, key: &'static str, default: bool) -> bool {
        match self.get(key) {
            None => default,
            Some(v) => match v.get_ref() {
                DeValue::Boolean(b) => *b,
                other => {
                    ctx.error(
                        Some(v.span()),
                        &self.field(key),
                        format!("expected true or false, found {}", type_name(other)),
                        "write true or false",
                    );
                    default
                }
            },
        }
    }

    /// A string, if present and a string.
    pub fn string(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Option<Spanned<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
            other => {
                ctx.error(
                    Some(v.span()),
                    &self.field(key),
                    format!("expected a string, found {}", type_name(other)),
                    "write the value in double quotes",
                );
                None
            }
        }
    }

    /// A list of strings (an absent key is an empty list).
    pub fn strings(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Vec<Spanned<String>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let field = self.field(key);
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item.get_ref() {
                    DeValue::String(s) => Some(Spanned::new(item.span(), s.to_string())),
                    other => {
                        ctx.error(
                            Some(item.span()),
                            &format!("{field}[{i}]"),
                            format!("expected a string, found {}", type_name(other)),
                            "write each entry in double quotes",
                        );
                        None
                    }
                })
                .collect(),
            other => {
                ctx.error(
                    Some(v.span()),
                    &field,
                    format!("expected a list of strings, found {}", type_name(other)),
                    "write a list such as [\"a\", \"b\"]",
                );
                Vec::new()
            }
        }
    }

    /// A sub-table, if present and a table.
    pub fn table(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        let path = self.field(key);
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(t, v.span(), path)),
            other => {
                ctx.error(
                    Some(v.span()),
                    &path,
                    format!("expected a table, found {}", type_name(other)),
                    // Inside an array of tables, a section header would
                    // start a new entry: an inline table is the way.
                    if path.contains('[') {
                        format!("write it as an inline table: {key} = {{ ... }}")
                    } else {
                        format!("write it as a [{path}] section")
                    },
                );
                None
            }
        }
    }

    /// An array of tables (`[[key]]`); an absent key is empty.
    pub fn tables(&mut self, ctx: &mut Ctx<'_>, key: &'static str) -> Vec<Table<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let path = self.field(key);
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item.get_ref() {
                    DeValue::Table(t) => Some(Table::new(t, item.span(), format!("{path}[{i}]"))),
                    other => {
                        ctx.error(
                            Some(item.span()),
                            &format!("{path}[{i}]"),
                            format!("expected a table, found {}", type_name(other)),
                            format!("write each entry as a [[{path}]] section"),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                ctx.error(
                    Some(v.span()),
                    &path,
                    format!("expected an array of tables, found {}", type_name(other)),
                    format!("write each entry as a [[{path}]] section"),
                );
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::syntax_help;

    #[test]
    fn syntax_help_points_at_percentages_and_commas_in_numbers_only() {
        let at_value = |text: &str| syntax_help(text, text.find('=').map(|k| k + 2));
        assert_eq!(
            at_value("motive = 90%\n"),
            "write a share as a decimal number: 90% is 0.9"
        );
        assert_eq!(
            at_value("motive = 0,2 # note\r\n"),
            "use a decimal point, not a comma: 0.2"
        );
        assert!(at_value("resources = 1,000\n").contains("1000 for a thousands separator"));
        assert!(at_value("x = 0,200\n").starts_with("use a decimal point"));
        assert_eq!(
            at_value("motive = 12.3%\n"),
            "write a share as a decimal number: 12.3% is 0.123"
        );
        assert_eq!(
            at_value("motive = 0.7%\n"),
            "write a share as a decimal number: 0.7% is 0.007"
        );
        // Not a plain number with a comma: no comma hint.
        for odd in ["x = 1.000,5\n", "x = --0,2\n", "x = 0.2,5\n"] {
            assert!(!at_value(odd).contains("comma"), "{odd}");
        }
        let general = "fix the TOML syntax at this place";
        // An error in the key, a line without `=`, a place past the end or
        // inside a character: the general advice, and no panic.
        assert_eq!(syntax_help("motive = 90%\n", Some(0)), general);
        assert_eq!(syntax_help("[agents\n", Some(3)), general);
        assert_eq!(syntax_help("a = 1\n", Some(99)), general);
        assert_eq!(syntax_help("é = 0,2", Some(1)), general);
        assert_eq!(syntax_help("", Some(0)), general);
        assert_eq!(syntax_help("x = abc", None), general);
        assert_eq!(
            at_value("nämé = 0,2"),
            "use a decimal point, not a comma: 0.2"
        );
        // Inside inline tables and arrays, wherever the parser points: the
        // start of the number, its comma, or the comma after it.
        let at = |text: &str, needle: &str| syntax_help(text, text.find(needle));
        let table = "m = { dist = \"uniform\", low = 10%, high = 0.5 }";
        assert_eq!(
            at(table, "10%"),
            "write a share as a decimal number: 10% is 0.1"
        );
        let table = "m = { low = 0,2, high = 0.5 }";
        for needle in ["0,2", ",2", "2, h", ", h"] {
            assert_eq!(
                at(table, needle),
                "use a decimal point, not a comma: 0.2",
                "{needle}"
            );
        }
        assert_eq!(
            at("v = [0.1,30%]", "30"),
            "write a share as a decimal number: 30% is 0.3"
        );
        assert_eq!(
            at("v = [0.1, 30%]", "%"),
            "write a share as a decimal number: 30% is 0.3"
        );
        // Not a number written by hand: a key, a string, a word.
        assert_eq!(at("low2,3 = 1", "2,3"), general);
        assert_eq!(at("m = \"a 0,2", "0,2"), general);
        assert_eq!(at("m = { low = x0,2 }", "0,2"), general);
        assert_eq!(at("m = { low = abc }", "abc"), general);
    }

    #[test]
    fn number_hints_follow_where_the_parser_points() {
        // The help for each text's first syntax error, at the parser's place.
        let help = |text: &str| {
            let e = toml::de::DeTable::parse(text).expect_err(text);
            syntax_help(text, e.span().map(|s| s.start))
        };
        for (text, want) in [
            ("motive = 12,5%\n", "write a share as a decimal number with a point: 12,5% is 0.125"),
            ("bases = { coercive = 12,5% }\n", "write a share as a decimal number with a point: 12,5% is 0.125"),
            ("motive = 90%\n", "write a share as a decimal number: 90% is 0.9"),
            ("m = { low = 10%, high = 0.5 }\n", "write a share as a decimal number: 10% is 0.1"),
            ("m = { low = 0.1, high = 90% }\n", "write a share as a decimal number: 90% is 0.9"),
            ("v = [0.1, 30%]\n", "write a share as a decimal number: 30% is 0.3"),
            ("v = [0.1,30%]\n", "write a share as a decimal number: 30% is 0.3"),
            ("motive = 0,2\n", "use a decimal point, not a comma: 0.2"),
            ("bases = { coercive = 0,5 }\n", "use a decimal point, not a comma: 0.5"),
            ("m = { low = 0,2, high = 0.5 }\n", "use a decimal point, not a comma: 0.2"),
            ("resources = 1,000,000\n", "write a number without commas: 1000000"),
            ("resources = 1,000\n", "write a number without commas: 1000 for a thousands separator, 1.000 for a decimal comma"),
        ] {
            assert_eq!(help(text), want, "{text}");
        }
        let general = "fix the TOML syntax at this place";
        for text in [
            "x = 1,00,0\n",
            "x = 1.000,5\n",
            "x = 0.2,5\n",
            "m = \"a 0,2\n",
        ] {
            assert_eq!(help(text), general, "{text}");
        }
    }

    #[test]
    fn a_duplicate_key_or_table_is_named() {
        use super::syntax_error;
        let text = "steps = 3\nsteps = 4\n";
        let at = text.rfind("steps").unwrap();
        assert_eq!(
            syntax_error(text, "duplicate key", Some(at..at + 5)),
            (
                "TOML syntax: the key `steps` is given twice in one table".to_string(),
                "keep one `steps` and remove the other".to_string()
            )
        );
        let text = "[parameters]\na = 1\n[parameters]\n";
        let at = text.rfind("parameters").unwrap();
        assert_eq!(
            syntax_error(text, "duplicate key", Some(at..at + 10)).0,
            "TOML syntax: the table [parameters] is given twice"
        );
        // The whole dotted name, though the parser points at its last part.
        let text = "[rules.coercion]\nharm = 1\n[rules.coercion]\n";
        let at = text.rfind("coercion").unwrap();
        assert_eq!(
            syntax_error(text, "duplicate key", Some(at..at + 8)),
            (
                "TOML syntax: the table [rules.coercion] is given twice".to_string(),
                "put everything under one [rules.coercion]".to_string()
            )
        );
        // A second agent written with single brackets: double them.
        let text = "[agents]\nname = \"a\"\n[agents]\nname = \"b\"\n";
        let at = text.rfind("agents").unwrap();
        assert_eq!(
            syntax_error(text, "duplicate key", Some(at..at + 6)).1,
            "write [[agents]] (double brackets) before each entry: [agents] is one table"
        );
        let text = "agents = []\n[[agents]]\n";
        let at = text.rfind("agents").unwrap();
        assert!(syntax_error(text, "duplicate key", Some(at..at + 6))
            .0
            .starts_with("TOML syntax: [[agents]] adds an entry to `agents`"));
        // Anything else as the parser says it.
        assert_eq!(
            syntax_error("a = \n", "expected a value", Some(4..4)).0,
            "TOML syntax: expected a value"
        );
    }
}
