//! Output files written under temporary names and renamed on success.
//!
//! Each file is first written as `<name>.part` in the run's folder; only
//! when the whole run has succeeded are they renamed to their final names,
//! `manifest.json` last. A run that fails or is killed leaves `.part` files
//! and no manifest: nothing that looks complete. A run's folder is complete
//! exactly when it holds `manifest.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The files a run writes, in the order they are committed.
pub const RUN_FILES: [&str; 7] = [
    "timeseries.csv",
    "agents.csv",
    "ties.csv",
    "issues.csv",
    "events.csv",
    "summary.json",
    "manifest.json",
];

/// A file being written under a temporary name.
pub struct PartFile {
    final_path: PathBuf,
    part_path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl PartFile {
    /// Creates `<dir>/<name>.part` for writing.
    pub fn create(dir: &Path, name: &str) -> Result<PartFile> {
        let final_path = dir.join(name);
        let part_path = dir.join(format!("{name}.part"));
        let file = File::create(&part_path).map_err(|e| Error::io(&part_path, e))?;
        Ok(PartFile {
            final_path,
            part_path,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("writer present until commit")
    }

    /// The temporary path (for error messages).
    pub fn part_path(&self) -> &Path {
        &self.part_path
    }

    /// Flushes and syncs the temporary file; it stays under its temporary name.
    pub fn finish(&mut self) -> Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| Error::io(&self.part_path, e))?;
            let f = w
                .into_inner()
                .map_err(|e| Error::io(&self.part_path, e.into_error()))?;
            f.sync_all().map_err(|e| Error::io(&self.part_path, e))?;
        }
        Ok(())
    }

    /// Renames the finished file to its final name.
    pub fn commit(mut self) -> Result<()> {
        self.finish()?;
        std::fs::rename(&self.part_path, &self.final_path)
            .map_err(|e| Error::io(&self.final_path, e))?;
        self.part_path.clear();
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        // An uncommitted file is removed; it would only mislead.
        if !self.part_path.as_os_str().is_empty() {
            self.writer.take();
            let _ = std::fs::remove_file(&self.part_path);
        }
    }
}

/// What an output folder holds, judged by its `manifest.json` (and, for a
/// sweep that has not finished, its resume state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// No powerdyn output (or no folder).
    Nothing,
    /// A run's output (`powerdyn run`).
    Run,
    /// A sweep's output or a shard's, finished or not (`powerdyn sweep`).
    Sweep,
    /// A merge of shards (`powerdyn merge`).
    Merged,
    /// A `manifest.json` powerdyn did not write.
    Other,
}

impl Holds {
    /// What the folder holds, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Holds::Nothing => "nothing",
            Holds::Run => "the output of a run",
            Holds::Sweep => "the output of a sweep",
            Holds::Merged => "the output of a merge",
            Holds::Other => "a manifest.json powerdyn did not write",
        }
    }
}

/// What the folder `dir` holds (see [`Holds`]).
pub fn holds(dir: &Path) -> Holds {
    match std::fs::read_to_string(dir.join("manifest.json")) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(m) if m.get("merged_from").is_some() => Holds::Merged,
            Ok(m) if m.get("sweep_hash").is_some() => Holds::Sweep,
            Ok(m) if m.get("scenario_sha256").is_some() => Holds::Run,
            _ => Holds::Other,
        },
        Err(_) if dir.join(".sweep-state").exists() || dir.join("runs.csv").exists() => {
            Holds::Sweep
        }
        Err(_) => Holds::Nothing,
    }
}

/// Refuses to write `what` into `dir` when the folder holds output of another
/// kind than `allowed` (writing would delete or mix it).
pub fn check_dir(dir: &Path, allowed: Holds, what: &str) -> Result<()> {
    let h = holds(dir);
    if h == Holds::Nothing || h == allowed {
        return Ok(());
    }
    Err(Error::input(
        dir.display().to_string(),
        format!(
            "this folder holds {}; writing {what} here would replace or mix it",
            h.describe()
        ),
        Some("choose another output folder (--out)"),
    ))
}

/// Creates an output folder (and its parents); a path naming something
/// other than a folder (a file, `/dev/null`) is bad input, refused with exit
/// code 2 rather than failing as an I/O error.
pub fn create_dir(dir: &Path) -> Result<()> {
    if let Some(e) = dir
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
    {
        if !e.is_dir() {
            return Err(Error::input(
                dir.display().to_string(),
                format!("{} exists and is not a folder", e.display()),
                Some("give a folder (new or existing) to --out"),
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::input(
            dir.display().to_string(),
            format!("cannot make the output folder: {e}"),
            Some("give --out a folder you can write to"),
        )
    })
}

/// A folder taken by one powerdyn process while it writes there: the file
/// `.powerdyn-lock`, made only if absent (so two processes cannot both take
/// it), holding the process id and host, removed when the guard drops.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

impl FolderLock {
    /// The lock file's name.
    pub const FILE: &'static str = ".powerdyn-lock";

    /// Takes `dir` (which must exist). A lock left by a process of this host
    /// that has ended is taken over; a live one, or one from another host
    /// (a shared file system), is refused as bad input.
    pub fn take(dir: &Path) -> Result<FolderLock> {
        let path = dir.join(Self::FILE);
        let me = format!("{} {}\n", std::process::id(), host());
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let lock = FolderLock { path };
                    // A lock that cannot be written is removed (by the guard).
                    f.write_all(me.as_bytes())
                        .and_then(|()| f.flush())
                        .map_err(|e| Error::io(&lock.path, e))?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = std::fs::read_to_string(&path).unwrap_or_default();
                    let mut it = held.split_whitespace();
                    let (pid, their_host) = (it.next().unwrap_or("?"), it.next().unwrap_or("?"));
                    let ended = their_host == host()
                        && Path::new("/proc/self").exists()
                        && pid
                            .parse::<u32>()
                            .is_ok_and(|p| !Path::new("/proc").join(p.to_string()).exists());
                    if ended {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    return Err(Error::input(
                        dir.display().to_string(),
                        format!("another powerdyn (process {pid} on {their_host}) is writing to this folder"),
                        Some(&format!(
                            "wait for it to finish, or give another --out; if no powerdyn is running there, delete {}",
                            path.display()
                        )),
                    ));
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::Run(format!("cannot take {}", path.display())))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// This machine's name, as the kernel knows it (`unknown` elsewhere).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The folder, inside a run's folder, that holds copies of the files its
/// scenario was read from (see [`crate::scenario::InputFile`]): with them
/// the folder alone can repeat the run.
pub const INPUTS_DIR: &str = "scenario";

/// Copies of a scenario's files, written under temporary names into
/// `<run folder>/scenario/` and renamed with the run's other files.
pub struct InputCopies {
    files: Vec<PartFile>,
    paths: Vec<String>,
    /// The folders made for the copies, outermost first: removed again
    /// (when empty) if the copies are never committed.
    made: Vec<PathBuf>,
}

impl InputCopies {
    /// Writes a copy of each of `inputs` under `<dir>/scenario/`, at its
    /// path there, under a temporary name. A path that is not a relative
    /// path of plain names (no `..`, no root) is refused.
    pub fn write(dir: &Path, inputs: &[crate::scenario::InputFile]) -> Result<InputCopies> {
        let mut copies = InputCopies {
            files: Vec::with_capacity(inputs.len()),
            paths: Vec::with_capacity(inputs.len()),
            made: Vec::new(),
        };
        for f in inputs {
            let rel = input_copy_path(&f.path).ok_or_else(|| {
                Error::Run(format!(
                    "cannot copy the scenario file `{}` into the run's folder: \
                     its path must be relative, of plain names",
                    f.path
                ))
            })?;
            let target = dir.join(&rel);
            if let Some(parent) = target.parent() {
                let missing: Vec<PathBuf> = parent
                    .ancestors()
                    .take_while(|a| a.starts_with(dir) && *a != dir && !a.exists())
                    .map(Path::to_path_buf)
                    .collect();
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                copies.made.extend(missing.into_iter().rev());
            }
            let mut part = PartFile::create(dir, &rel)?;
            part.writer()
                .write_all(&f.bytes)
                .map_err(|e| Error::io(&target, e))?;
            part.finish()?;
            copies.files.push(part);
            copies.paths.push(rel);
        }
        Ok(copies)
    }

    /// The copies' paths relative to the run's folder (`scenario/...`), the
    /// scenario file first.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Renames the copies to their final names.
    pub fn commit(mut self) -> Result<()> {
        for f in std::mem::take(&mut self.files) {
            f.commit()?;
        }
        self.made.clear();
        Ok(())
    }
}

impl Drop for InputCopies {
    fn drop(&mut self) {
        // Uncommitted copies remove themselves; then the folders made for
        // them, innermost first, if nothing else is in them.
        self.files.clear();
        for d in self.made.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// `scenario/<path>` for a relative path of plain names separated by `/`;
/// `None` for anything else.
fn input_copy_path(path: &str) -> Option<String> {
    let plain = |c: &str| {
        !c.is_empty()
            && c.len() <= 255
            && c != "."
            && c != ".."
            && !c.chars().any(|ch| ch.is_control() || ch == '\\')
    };
    (path.len() <= 4096 && path.split('/').all(plain)).then(|| format!("{INPUTS_DIR}/{path}"))
}

/// The copies an earlier run or sweep in `dir` listed in its
/// `manifest.json` (`inputs`): paths `scenario/<plain names>` only.
fn listed_copies(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Vec::new();
    };
    let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let Some(list) = m.get("inputs").and_then(|v| v.as_array()) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|v| v.as_str())
        .filter(|rel| {
            rel.strip_prefix(&format!("{INPUTS_DIR}/"))
                .is_some_and(|inner| input_copy_path(inner).is_some())
        })
        .map(str::to_string)
        .collect()
}

/// Refuses to copy `inputs` into `dir` where a copy would replace a file
/// powerdyn did not write (one the folder's manifest does not list), or
/// write through a symbolic link (out of the folder, perhaps). Called
/// before anything in the folder changes.
pub fn check_input_room(dir: &Path, inputs: &[crate::scenario::InputFile]) -> Result<()> {
    let listed = listed_copies(dir);
    let refuse = |what: String| {
        Err(Error::input(
            dir.display().to_string(),
            what,
            Some("give another --out, or move that file away"),
        ))
    };
    let mut seen: Vec<&str> = Vec::new();
    for f in inputs {
        if seen.contains(&f.path.as_str()) {
            return Err(Error::input(
                dir.display().to_string(),
                format!(
                    "two of the scenario's files would be copied to scenario/{}",
                    f.path
                ),
                Some("rename the scenario file (its name is not a plain file name)"),
            ));
        }
        seen.push(&f.path);
        // A path that is not plain names is refused by InputCopies::write.
        let Some(rel) = input_copy_path(&f.path) else {
            continue;
        };
        let target = dir.join(&rel);
        for a in target.ancestors().take_while(|a| *a != dir) {
            let Ok(meta) = a.symlink_metadata() else {
                continue;
            };
            if meta.file_type().is_symlink() {
                return refuse(format!(
                    "{} is a symbolic link: the copy of the scenario's file `{}` would be written through it",
                    a.display(),
                    f.path
                ));
            }
            // A file with the copy's bytes loses nothing (a copy an
            // interrupted run or sweep committed, say).
            let same = || std::fs::read(a).is_ok_and(|b| *b == *f.bytes);
            if a == target && !listed.contains(&rel) && !same() {
                return refuse(format!(
                    "{rel} exists and powerdyn did not write it: the copy of the scenario's file would replace it"
                ));
            }
            if a != target && !meta.is_dir() {
                return refuse(format!(
                    "{} is a file, where the copies of the scenario's files need a folder",
                    a.display()
                ));
            }
        }
    }
    Ok(())
}

/// Removes the scenario copies an earlier run listed in `manifest.json`
/// (`inputs`), but for those `keep` rewrites with the same bytes, and the
/// folders under `scenario/` they leave empty; files powerdyn did not write
/// there are kept, and nothing is removed through a symbolic link.
fn remove_input_copies(dir: &Path, keep: &[crate::scenario::InputFile]) -> Result<()> {
    let root = dir.join(INPUTS_DIR);
    for rel in listed_copies(dir) {
        let p = dir.join(&rel);
        // Never through a symbolic link (out of the folder, perhaps).
        let linked = p.ancestors().skip(1).take_while(|a| *a != dir).any(|a| {
            a.symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
        });
        // A copy the new run writes again with the same bytes stays, so
        // that a run interrupted after this point still leaves it (the
        // scenario it reads may be that very copy).
        let again = keep.iter().any(|f| {
            input_copy_path(&f.path).as_deref() == Some(rel.as_str())
                && std::fs::read(&p).is_ok_and(|b| *b == *f.bytes)
        });
        if linked || again {
            continue;
        }
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(p, e)),
        }
        // Empty folders up to scenario/ itself go too (a folder still
        // holding something stays).
        let mut d = p.parent();
        while let Some(folder) = d {
            if !folder.starts_with(&root) || std::fs::remove_dir(folder).is_err() {
                break;
            }
            d = folder.parent();
        }
    }
    Ok(())
}

/// Files made from a run's outputs (`powerdyn report`, `powerdyn compare`):
/// removed with them, since they would describe the earlier run.
pub const DERIVED_FILES: [&str; 2] = ["report.html", "compare.html"];

/// Prepares a run folder for a run or sweep reading `inputs`: creates it
/// and removes the run files of an earlier run there (its scenario copies
/// but those `inputs` rewrites unchanged, then manifest first) and the reports made
/// from them, so a failed run cannot leave a stale set that looks complete,
/// nor a new run an old report.
pub fn prepare_dir(dir: &Path, inputs: &[crate::scenario::InputFile]) -> Result<()> {
    create_dir(dir)?;
    remove_input_copies(dir, inputs)?;
    for name in RUN_FILES.iter().rev().chain(&DERIVED_FILES) {
        let p = dir.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(p, e)),
        }
    }
    Ok(())
}

/// Formats a float for CSV: shortest text that reads back to the same value;
/// an undefined (NaN or infinite) value is an empty cell.
pub fn fmt_f64(x: f64) -> String {
    if !x.is_finite() {
        // Undefined values (a transitivity with no triads) are empty cells.
        String::new()
    } else if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}

/// Formats an f32 column value for CSV (shortest round-trip text of the f32).
pub fn fmt_f32(x: f32) -> String {
    if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}
