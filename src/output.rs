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
        let file = create_fresh(&part_path).map_err(|e| Error::io(&part_path, e))?;
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

/// Opens `path` as a new, empty file for writing. Whatever is there is
/// removed first — a symbolic link itself, never what it points to — and
/// the file is made only if nothing has appeared there since (`O_EXCL`,
/// which follows no link): a link left in an output folder cannot make
/// powerdyn write to a file outside it.
pub fn create_fresh(path: &Path) -> std::io::Result<File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Writes `bytes` as the whole of a new file at `path` (see [`create_fresh`]).
pub fn write_fresh(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_fresh(path)?.write_all(bytes)
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
/// it), holding the process id and host (and, in a SLURM job, the job's id,
/// restart count and cluster), removed when the guard drops if it still
/// holds this process's text.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
    text: String,
}

impl FolderLock {
    /// The lock file's name.
    pub const FILE: &'static str = ".powerdyn-lock";

    /// The file a process holds while it removes a dead lock (so that two
    /// processes cannot both judge the same lock dead and take the folder).
    const BREAKER: &'static str = ".powerdyn-lock.breaking";

    /// Takes `dir` (which must exist). A lock left by a process of this host
    /// that has ended is taken over. So is one whose SLURM job SLURM says
    /// has ended (`squeue` gives it a final state or no longer knows it: a
    /// task killed before it could remove its lock, resubmitted on another
    /// node), and one left by an earlier run of this very job (SLURM requeued it after
    /// its node failed). A live lock, or one that cannot be told ended (of
    /// another cluster, say), is refused as bad input.
    ///
    /// A dead lock is removed only by the process that holds
    /// `.powerdyn-lock.breaking`, and only if it still holds the text judged dead:
    /// two processes that find the same dead lock cannot both take the
    /// folder, nor can one remove a lock taken meanwhile.
    pub fn take(dir: &Path) -> Result<FolderLock> {
        let path = dir.join(Self::FILE);
        let me = LockHolder::this_process();
        let text = me.text();
        // The lock judged dead, by its text (SLURM is asked once).
        let mut judged: Option<String> = None;
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    // A lock that cannot be written (a full disk) is
                    // removed: this process made it.
                    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.flush()) {
                        drop(f);
                        let _ = std::fs::remove_file(&path);
                        return Err(Error::io(&path, e));
                    }
                    return Ok(FolderLock { path, text });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let held = read_lock(&path);
                    let holder = LockHolder::parse(&held);
                    let dead = judged.as_deref() == Some(held.as_str())
                        || (!held.trim().is_empty() && holder.has_ended(&me));
                    if !dead {
                        return Err(holder.refusal(dir, &path, held.trim().is_empty()));
                    }
                    judged = Some(held.clone());
                    remove_dead_lock(dir, &path, &held)?;
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(Error::input(
            dir.display().to_string(),
            format!(
                "cannot take {}: other powerdyns keep taking it (three tries)",
                path.display()
            ),
            Some("run one powerdyn at a time into this folder, or give another --out"),
        ))
    }
}

/// The lock's text, read again once after a moment if it is empty (a
/// process that has made the file but not yet written it).
fn read_lock(path: &Path) -> String {
    let held = std::fs::read_to_string(path).unwrap_or_default();
    if !held.trim().is_empty() {
        return held;
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Removes the lock at `path` judged dead from its text `held`, holding the
/// breaker meanwhile, and only if it still holds that text.
fn remove_dead_lock(dir: &Path, path: &Path, held: &str) -> Result<()> {
    let breaker = dir.join(FolderLock::BREAKER);
    let me = LockHolder::this_process();
    let mut made = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&breaker);
    // A breaker left by a process that stopped while it held it (for the
    // milliseconds a removal takes) is removed once, as a dead lock is.
    if made
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::AlreadyExists)
    {
        if let Some(seen) = stale_breaker(&breaker, &me) {
            if stale_breaker(&breaker, &me).as_ref() == Some(&seen) {
                let _ = std::fs::remove_file(&breaker);
            }
            made = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&breaker);
        }
    }
    match made {
        Ok(mut f) => {
            // Who holds it, for a process that finds it left behind.
            let _ = f.write_all(me.text().as_bytes());
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::input(
                dir.display().to_string(),
                "another powerdyn is taking over this folder's dead lock".to_string(),
                Some(&format!(
                    "try again in a moment; if no powerdyn is running there, delete {}",
                    breaker.display()
                )),
            ));
        }
        Err(e) => {
            return Err(Error::input(
                dir.display().to_string(),
                format!("the folder's lock has ended, but it cannot be taken over: {e}"),
                Some(&format!("delete {} by hand", path.display())),
            ))
        }
    }
    let result = if std::fs::read_to_string(path).unwrap_or_default() == held {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::input(
                dir.display().to_string(),
                format!("the folder's lock has ended, but it cannot be removed: {e}"),
                Some(&format!("delete {} by hand", path.display())),
            )),
            _ => Ok(()),
        }
    } else {
        Ok(()) // taken meanwhile: judged again on the next try
    };
    let _ = std::fs::remove_file(&breaker);
    result
}

/// The breaker's text and time when it was left behind: its holder has
/// ended (as a lock's is judged), or, empty (not yet written, or from a
/// powerdyn that wrote none), it is a minute old, where a breaker is held
/// for milliseconds. None while it may be in use.
fn stale_breaker(breaker: &Path, me: &LockHolder) -> Option<(String, std::time::SystemTime)> {
    let text = std::fs::read_to_string(breaker).ok()?;
    let modified = std::fs::metadata(breaker).and_then(|m| m.modified()).ok()?;
    let stale = if text.trim().is_empty() {
        modified
            .elapsed()
            .is_ok_and(|age| age > std::time::Duration::from_secs(60))
    } else {
        LockHolder::parse(&text).has_ended(me)
    };
    stale.then_some((text, modified))
}

/// Who holds a folder's lock, as its text says: `PID HOST`, then in a
/// SLURM job `job=ID restart=N cluster=NAME` (a lone number after the host
/// is read as a job id).
#[derive(Debug, Default, PartialEq)]
struct LockHolder {
    pid: String,
    host: String,
    /// The process's command name (`/proc/PID/comm`), where known.
    name: Option<String>,
    /// Its process-id namespace (`/proc/self/ns/pid`), where `/proc` is
    /// its own.
    ns: Option<String>,
    /// When it started, in clock ticks since boot (`/proc/PID/stat`).
    start: Option<String>,
    job: Option<String>,
    restart: u64,
    cluster: Option<String>,
}

impl LockHolder {
    /// This process, and its SLURM job if it runs in one.
    fn this_process() -> LockHolder {
        let env = |k: &str| std::env::var(k).ok().filter(|v| is_lock_word(v));
        LockHolder {
            pid: std::process::id().to_string(),
            host: host(),
            name: command_name("self"),
            ns: pid_namespace(),
            start: start_time("self"),
            job: env("SLURM_JOB_ID").filter(|j| is_job_id(j)),
            restart: env("SLURM_RESTART_COUNT")
                .and_then(|r| r.parse().ok())
                .unwrap_or(0),
            cluster: env("SLURM_CLUSTER_NAME"),
        }
    }

    fn text(&self) -> String {
        let mut t = format!("{} {}", self.pid, self.host);
        if let Some(n) = &self.name {
            t.push_str(&format!(" name={n}"));
        }
        if let Some(n) = &self.ns {
            t.push_str(&format!(" ns={n}"));
        }
        if let Some(st) = &self.start {
            t.push_str(&format!(" start={st}"));
        }
        if let Some(j) = &self.job {
            t.push_str(&format!(" job={j} restart={}", self.restart));
            if let Some(c) = &self.cluster {
                t.push_str(&format!(" cluster={c}"));
            }
        }
        t.push('\n');
        t
    }

    fn parse(text: &str) -> LockHolder {
        let mut it = text.split_whitespace();
        let mut h = LockHolder {
            pid: it.next().unwrap_or("?").to_string(),
            host: it.next().unwrap_or("?").to_string(),
            ..LockHolder::default()
        };
        for word in it {
            match word.split_once('=') {
                Some(("job", j)) if is_job_id(j) => h.job = Some(j.to_string()),
                Some(("restart", r)) => h.restart = r.parse().unwrap_or(0),
                Some(("cluster", c)) if is_lock_word(c) => h.cluster = Some(c.to_string()),
                Some(("name", n)) if is_lock_word(n) => h.name = Some(n.to_string()),
                Some(("ns", n)) if is_lock_word(n) => h.ns = Some(n.to_string()),
                Some(("start", n)) if is_job_id(n) => h.start = Some(n.to_string()),
                None if is_job_id(word) => h.job = Some(word.to_string()),
                _ => {}
            }
        }
        h
    }

    /// Whether the holder has ended, as far as `me` can tell: on this host
    /// by its process; on another, by SLURM (an earlier run of `me`'s own
    /// job, or a job of `me`'s cluster that `squeue` says has ended).
    fn has_ended(&self, me: &LockHolder) -> bool {
        if self.job.is_some()
            && me.job == self.job
            && self.cluster == me.cluster
            && self.restart < me.restart
        {
            // This job, requeued: its earlier run wrote the lock (on this
            // node or another).
            return true;
        }
        // On this host, in this process-id namespace, the process itself
        // tells (what SLURM says of a job hidden from this user, or of
        // another cluster, could be wrong). A lock of another namespace (a
        // container's), or one written before locks named theirs, is told
        // only by SLURM; without its own namespace's /proc (or with other
        // users' processes hidden, `hidepid`) this process cannot tell.
        let this_host = self.host == me.host && me.host != UNKNOWN_HOST;
        if this_host
            && me.ns.is_some()
            && self.ns.as_ref().is_none_or(|n| Some(n) == me.ns.as_ref())
        {
            let Ok(pid) = self.pid.parse::<u32>() else {
                return false;
            };
            if !Path::new("/proc").join(pid.to_string()).exists() {
                return Path::new("/proc/1").exists();
            }
            // A live process started at another time (or, where the lock
            // does not say when, of another name) has reused the holder's
            // id; only where the lock says its namespace: this one.
            if self.ns.is_none() {
                return false;
            }
            let id = pid.to_string();
            return match (&self.start, start_time(&id), &self.name, command_name(&id)) {
                (Some(was), Some(now), _, _) => *was != now,
                (None, _, Some(was), Some(now)) => *was != now,
                _ => false,
            };
        }
        let Some(job) = &self.job else {
            return false;
        };
        if self.cluster.is_some() && self.cluster != me.cluster {
            // Another cluster's job (or one this process cannot tell is
            // of its cluster): this cluster's squeue cannot tell.
            return false;
        }
        if me.job.as_ref() == Some(job) {
            return false; // this very run of this job on another host: not ended
        }
        slurm_job_ended(job)
    }

    /// The error refusing a live lock (or one that cannot be told ended,
    /// or an empty one).
    fn refusal(&self, dir: &Path, path: &Path, empty: bool) -> Error {
        if empty {
            return Error::input(
                dir.display().to_string(),
                "the folder's lock is empty: a powerdyn is taking the folder, or one stopped as it took it",
                Some(&format!(
                    "wait a moment and try again; if no powerdyn is running there, delete {}",
                    path.display()
                )),
            );
        }
        let (whose, check) = match &self.job {
            Some(j) => (
                format!(
                    ", SLURM job {j}{}",
                    self.cluster
                        .as_ref()
                        .map_or(String::new(), |c| format!(" of cluster {c}"))
                ),
                format!("if `squeue -j {j}` does not show it pending or running and no powerdyn is running there"),
            ),
            None => (String::new(), "if no powerdyn is running there".to_string()),
        };
        Error::input(
            dir.display().to_string(),
            format!(
                "another powerdyn (process {} on {}{whose}) is writing to this folder",
                self.pid, self.host
            ),
            Some(&format!(
                "wait for it to finish, or give another --out; {check}, delete {}",
                path.display()
            )),
        )
    }
}

/// This process's process-id namespace, as `/proc/self/ns/pid` names it
/// (`pid:[4026531836]`, kept as the number), when `/proc` is this
/// namespace's own (`/proc/self` is this process's id): `None` otherwise,
/// and `/proc` then says nothing of the processes of this namespace.
fn pid_namespace() -> Option<String> {
    let own = std::fs::read_link("/proc/self").ok()?;
    if own.to_str()? != std::process::id().to_string() {
        return None;
    }
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let ns = ns.to_str()?;
    let number = ns.strip_prefix("pid:[")?.strip_suffix(']')?;
    Some(number.to_string()).filter(|n| is_lock_word(n))
}

/// When process `pid` (`self` for this one) started, in clock ticks since
/// boot (field 22 of `/proc/PID/stat`), where `/proc` gives it.
fn start_time(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(Path::new("/proc").join(pid).join("stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count after it.
    let after = &stat[stat.rfind(')')? + 1..];
    let start = after.split_whitespace().nth(19)?;
    Some(start.to_string()).filter(|t| is_job_id(t))
}

/// The command name of process `pid` (`self` for this one), as a lock
/// word, where `/proc` gives it.
fn command_name(pid: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc").join(pid).join("comm"))
        .ok()
        .map(|n| n.trim().replace(' ', "_"))
        .filter(|n| is_lock_word(n))
}

/// A word a lock may hold: printable ASCII without spaces or `=`, short.
fn is_lock_word(w: &str) -> bool {
    !w.is_empty() && w.len() <= 64 && w.bytes().all(|b| b.is_ascii_graphic() && b != b'=')
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Only this process's own lock (not one another process took after
        // judging this one dead, wrongly).
        if std::fs::read_to_string(&self.path).is_ok_and(|t| t == self.text) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A SLURM job id: digits only (so that it is safe to pass to `squeue`).
fn is_job_id(j: &str) -> bool {
    !j.is_empty() && j.len() <= 20 && j.bytes().all(|b| b.is_ascii_digit())
}

/// Whether SLURM says job `job` has ended: `squeue --states=all` (asked
/// for at most 10 s, with none of the user's `SQUEUE_*` or `SLURM_CLUSTERS`
/// filters) gives it a final state, or no longer knows its id. False when
/// `squeue` cannot be run, lists nothing (the job may be hidden from this
/// user), does not answer in time or fails otherwise: a lock is taken over
/// only on SLURM's word.
fn slurm_job_ended(job: &str) -> bool {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("squeue");
    cmd.args(["--noheader", "--states=all", "--format=%T", "--jobs", job])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("SQUEUE_") || k == "SLURM_CLUSTERS" {
            cmd.env_remove(k);
        }
    }
    let Ok(mut child) = cmd.spawn() else {
        return false;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
    let Ok(out) = child.wait_with_output() else {
        return false;
    };
    if !out.status.success() {
        return String::from_utf8_lossy(&out.stderr).contains("Invalid job id");
    }
    // Every state SLURM ends a job in (squeue's long names).
    const FINAL: [&str; 10] = [
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "OUT_OF_MEMORY",
        "BOOT_FAIL",
        "DEADLINE",
        "REVOKED",
    ];
    let listed = String::from_utf8_lossy(&out.stdout);
    let states: Vec<&str> = listed.split_whitespace().collect();
    !states.is_empty() && states.iter().all(|s| FINAL.contains(s))
}

/// The host name of a machine that does not say its name.
const UNKNOWN_HOST: &str = "unknown";

/// This machine's name, as the kernel knows it (`unknown` elsewhere).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
        .unwrap_or_else(|| UNKNOWN_HOST.to_string())
}

/// The folder, inside a run's folder, that holds copies of the files its
/// scenario was read from (see [`crate::scenario::InputFile`]): with them
/// the folder alone can repeat the run.
pub const INPUTS_DIR: &str = "scenario";

/// The record, in a run's or sweep's folder, of the copies powerdyn has
/// written into its `scenario/` and not removed (one path per line): what
/// lets a later run tell its own copies from a user's files of the same
/// name, whether or not a manifest has landed.
pub const COPIES_RECORD: &str = ".powerdyn-copies";

/// Copies of a scenario's files, written under temporary names into
/// `<run folder>/scenario/` and renamed with the run's other files.
pub struct InputCopies {
    dir: PathBuf,
    files: Vec<PartFile>,
    paths: Vec<String>,
    /// The folders made for the copies, outermost first: removed again
    /// (when empty) if the copies are never committed.
    made: Vec<PathBuf>,
}

impl InputCopies {
    /// Writes a copy of each of `inputs` under `<dir>/scenario/`, at its
    /// path there, under a temporary name, after adding their paths to the
    /// folder's record of copies ([`COPIES_RECORD`]). A path that is not a
    /// relative path of plain names (no `..`, no root) is refused.
    pub fn write(dir: &Path, inputs: &[crate::scenario::InputFile]) -> Result<InputCopies> {
        let mut copies = InputCopies {
            dir: dir.to_path_buf(),
            files: Vec::with_capacity(inputs.len()),
            paths: Vec::with_capacity(inputs.len()),
            made: Vec::new(),
        };
        let mut rels = Vec::with_capacity(inputs.len());
        for f in inputs {
            rels.push(copy_path_or_refuse(&f.path)?);
        }
        // Recorded before any copy lands, so that none is ever unrecorded.
        let mut record = recorded_copies(dir);
        for r in &rels {
            if !record.contains(r) {
                record.push(r.clone());
            }
        }
        write_record(dir, &record)?;
        for (f, rel) in inputs.iter().zip(rels) {
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
        // them, innermost first, if nothing else is in them; and the record
        // forgets the copies that are not there.
        if self.files.is_empty() {
            return;
        }
        self.files.clear();
        for d in self.made.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
        let left: Vec<String> = recorded_copies(&self.dir)
            .into_iter()
            .filter(|r| self.dir.join(r).exists())
            .collect();
        let _ = write_record(&self.dir, &left);
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

/// [`input_copy_path`], or the error that refuses the path.
fn copy_path_or_refuse(path: &str) -> Result<String> {
    input_copy_path(path).ok_or_else(|| {
        Error::Run(format!(
            "cannot copy the scenario file `{path}` into the run's folder: \
             its path must be relative, of plain names"
        ))
    })
}

/// Only what a run writes: `scenario/<plain names>`.
fn is_copy_path(rel: &str) -> bool {
    rel.strip_prefix(&format!("{INPUTS_DIR}/"))
        .is_some_and(|inner| input_copy_path(inner).is_some())
}

/// The copies the folder's record ([`COPIES_RECORD`]) lists.
fn recorded_copies(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join(COPIES_RECORD))
        .map(|t| {
            t.lines()
                .filter(|l| is_copy_path(l))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Writes the record of copies (replacing it whole; removed when empty).
fn write_record(dir: &Path, paths: &[String]) -> Result<()> {
    let path = dir.join(COPIES_RECORD);
    if paths.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
            _ => Ok(()),
        };
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!("{COPIES_RECORD}.part"));
    write_fresh(&tmp, (paths.join("\n") + "\n").as_bytes()).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
}

/// The copies powerdyn wrote in `dir`: those its record lists and those an
/// earlier run or sweep listed in its `manifest.json` (`inputs`; folders
/// written before the record existed).
fn listed_copies(dir: &Path) -> Vec<String> {
    let mut listed = recorded_copies(dir);
    let manifest = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let inputs = manifest
        .as_ref()
        .and_then(|m| m.get("inputs"))
        .and_then(|v| v.as_array());
    for rel in inputs.into_iter().flatten().filter_map(|v| v.as_str()) {
        if is_copy_path(rel) && !listed.iter().any(|l| l == rel) {
            listed.push(rel.to_string());
        }
    }
    listed
}

/// Refuses to copy `inputs` into `dir` where a copy would replace a file
/// powerdyn did not write (one the folder's record of copies and manifest
/// do not list, whatever its bytes), or write through a symbolic link (out
/// of the folder, perhaps), and refuses a path that is not plain names.
/// Called before anything in the folder changes.
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
        let rel = copy_path_or_refuse(&f.path)?;
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
            if a == target && !listed.contains(&rel) {
                return refuse(format!(
                    "{rel} exists and powerdyn did not write it: the copy of the scenario's file would replace it"
                ));
            }
            if a == target && !meta.is_file() {
                return refuse(format!(
                    "{rel} is not a regular file: the copy of the scenario's file would replace it"
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

/// Removes the scenario copies powerdyn wrote in `dir` (see
/// [`listed_copies`]), but for those `keep` rewrites with the same bytes,
/// and the folders under `scenario/` they leave empty; files powerdyn did
/// not write there are kept, and nothing is removed through a symbolic
/// link. The record of copies is updated to what is left.
fn remove_input_copies(
    dir: &Path,
    listed: &[String],
    keep: &[crate::scenario::InputFile],
) -> Result<()> {
    let root = dir.join(INPUTS_DIR);
    let mut left = Vec::new();
    for rel in listed {
        let p = dir.join(rel);
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
                && p.symlink_metadata()
                    .is_ok_and(|m| m.is_file() && m.len() == f.bytes.len() as u64)
                && std::fs::read(&p).is_ok_and(|b| *b == *f.bytes)
        });
        if linked || again {
            left.push(rel.clone());
            continue;
        }
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                left.extend(listed.iter().skip_while(|l| *l != rel).cloned());
                write_record(dir, &left)?;
                return Err(Error::io(p, e));
            }
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
    write_record(dir, &left)
}

/// The names a sweep writes besides a run's (`timeseries.csv`,
/// `manifest.json`).
const SWEEP_NAMES: [&str; 5] = [
    "runs.csv",
    "aggregate.csv",
    "verdicts.csv",
    "sensitivity.csv",
    "design.csv",
];

/// Every name powerdyn writes into a run's or sweep's folder (and removes
/// when it starts afresh there).
fn output_names() -> impl Iterator<Item = &'static str> {
    RUN_FILES
        .iter()
        .chain(&DERIVED_FILES)
        .chain(&SWEEP_NAMES)
        .copied()
}

/// Refuses a folder that holds a file of a name powerdyn writes when
/// nothing says powerdyn wrote it: no `manifest.json`, no sweep state, no
/// record of copies, no lock or part file of an interrupted run. Writing
/// there would replace a user's file (`--out` pointed at a folder of their
/// own). Called before anything in the folder changes.
pub fn check_foreign(dir: &Path) -> Result<()> {
    check_links(dir)?;
    if holds(dir) != Holds::Nothing {
        return Ok(());
    }
    let ours = [COPIES_RECORD, FolderLock::FILE]
        .iter()
        .any(|f| dir.join(f).exists())
        || output_names().any(|n| dir.join(format!("{n}.part")).exists());
    if ours {
        return Ok(());
    }
    match output_names().find(|n| dir.join(n).exists()) {
        Some(n) => Err(Error::input(
            dir.display().to_string(),
            format!("{n} is here, and nothing says powerdyn wrote this folder (no manifest.json): writing here would replace it"),
            Some("give --out a folder of its own, or move that file away"),
        )),
        None => Ok(()),
    }
}

/// Refuses a folder where a name powerdyn writes or reads back (an output,
/// its `.part`, the sweep's state and logs, the record of copies, the
/// lock) is a symbolic link: writing or appending there would reach a
/// file outside the folder. Called before anything in the folder changes.
pub fn check_links(dir: &Path) -> Result<()> {
    let names = output_names()
        .flat_map(|n| [n.to_string(), format!("{n}.part")])
        .chain(
            [
                COPIES_RECORD,
                ".powerdyn-copies.part",
                FolderLock::FILE,
                ".sweep-state",
                INPUTS_DIR,
            ]
            .map(str::to_string),
        );
    for name in names {
        let p = dir.join(&name);
        if p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(Error::input(
                dir.display().to_string(),
                format!("{name} is a symbolic link: powerdyn writes only files of its own there, never through a link (it could reach a file outside the folder)"),
                Some(&format!("remove the link {}, or give --out another folder", p.display())),
            ));
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
    // The copies the manifest lists are read before it goes, and removed
    // after it (a folder with a manifest keeps every copy it lists).
    let listed = listed_copies(dir);
    for name in RUN_FILES.iter().rev().chain(&DERIVED_FILES) {
        let p = dir.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(p, e)),
        }
    }
    // Recorded first: once the manifest is gone, the record alone says
    // which files are powerdyn's.
    write_record(dir, &listed)?;
    remove_input_copies(dir, &listed, inputs)
}

/// Formats a float for CSV: shortest text that reads back to the same value;
/// an undefined (NaN or infinite) value is an empty cell.
pub fn fmt_f64(x: f64) -> String {
    let mut s = String::new();
    push_f64(&mut s, x);
    s
}

/// Appends [`fmt_f64`]'s text of `x` to `out` (without a new allocation).
pub fn push_f64(out: &mut String, x: f64) {
    use std::fmt::Write;
    if !x.is_finite() {
        // Undefined values (a transitivity with no triads) are empty cells.
    } else if x == 0.0 {
        out.push('0');
    } else {
        let _ = write!(out, "{x}");
    }
}

/// Formats an f32 column value for CSV (shortest round-trip text of the f32).
pub fn fmt_f32(x: f32) -> String {
    let mut s = String::new();
    push_f32(&mut s, x);
    s
}

/// Appends [`fmt_f32`]'s text of `x` to `out` (without a new allocation).
pub fn push_f32(out: &mut String, x: f32) {
    use std::fmt::Write;
    if x == 0.0 {
        out.push('0');
    } else {
        let _ = write!(out, "{x}");
    }
}

#[cfg(test)]
mod tests {
    use super::{remove_dead_lock, FolderLock, LockHolder};

    #[test]
    fn a_lock_judged_dead_is_removed_only_if_it_is_still_that_lock() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let path = d.join(FolderLock::FILE);
        // Another process took the folder after this one read the dead lock.
        std::fs::write(&path, "2 live-host\n").unwrap();
        remove_dead_lock(d, &path, "1 dead-host\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "2 live-host\n");
        // Another process is removing it: refused, nothing touched.
        std::fs::write(d.join(FolderLock::BREAKER), "").unwrap();
        let e = remove_dead_lock(d, &path, "2 live-host\n").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("taking over"), "{e}");
        assert!(path.exists());
        std::fs::remove_file(d.join(FolderLock::BREAKER)).unwrap();
        // The dead lock itself; the breaker goes with it.
        remove_dead_lock(d, &path, "2 live-host\n").unwrap();
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0);
    }

    #[test]
    fn a_breaker_left_behind_by_a_process_that_stopped_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let path = d.join(FolderLock::FILE);
        let breaker = d.join(FolderLock::BREAKER);
        // A breaker whose holder, a process of this host, has ended.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut holder = LockHolder::this_process();
        holder.pid = dead.to_string();
        holder.start = None;
        std::fs::write(&breaker, holder.text()).unwrap();
        std::fs::write(&path, "1 dead-host\n").unwrap();
        remove_dead_lock(d, &path, "1 dead-host\n").unwrap();
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0);
        // An empty one a minute old (a powerdyn that stopped before writing it).
        std::fs::write(&breaker, "").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        std::fs::File::options()
            .write(true)
            .open(&breaker)
            .unwrap()
            .set_modified(old)
            .unwrap();
        std::fs::write(&path, "1 dead-host\n").unwrap();
        remove_dead_lock(d, &path, "1 dead-host\n").unwrap();
        assert_eq!(std::fs::read_dir(d).unwrap().count(), 0);
        // One this process holds (alive): refused, untouched.
        std::fs::write(&breaker, LockHolder::this_process().text()).unwrap();
        std::fs::write(&path, "1 dead-host\n").unwrap();
        let e = remove_dead_lock(d, &path, "1 dead-host\n").unwrap_err();
        assert!(e.to_string().contains("taking over"), "{e}");
        assert!(breaker.exists() && path.exists());
    }

    #[test]
    fn a_guard_removes_only_its_own_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FolderLock::take(dir.path()).unwrap();
        let path = dir.path().join(FolderLock::FILE);
        // Taken over meanwhile by another process (wrongly judged dead).
        std::fs::write(&path, "7 other-host\n").unwrap();
        drop(lock);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "7 other-host\n");
    }

    #[test]
    fn lock_texts_read_back_and_old_ones_still_read() {
        let h = LockHolder {
            pid: "12".into(),
            host: "node7".into(),
            name: Some("powerdyn".into()),
            ns: Some("4026531836".into()),
            start: Some("4182030".into()),
            job: Some("4242".into()),
            restart: 3,
            cluster: Some("alpha".into()),
        };
        assert_eq!(
            h.text(),
            "12 node7 name=powerdyn ns=4026531836 start=4182030 job=4242 restart=3 cluster=alpha\n"
        );
        assert_eq!(LockHolder::parse(&h.text()), h);
        let old = LockHolder::parse("12 node7 4242\n");
        assert_eq!(old.job.as_deref(), Some("4242"));
        let bare = LockHolder::parse("12 node7\n");
        assert_eq!((bare.job, bare.restart), (None, 0));
        // Garbage: no job, nothing that reaches squeue.
        let junk = LockHolder::parse("x y job=4;rm restart=zz cluster=a=b\n");
        assert_eq!((junk.job, junk.restart, junk.cluster), (None, 0, None));
    }
}

/// `t` as a UTC time stamp, `2026-11-30T04:58:07Z` (whole seconds; the
/// civil date from the days since 1970 by Howard Hinnant's algorithm).
pub fn utc_stamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod stamp_tests {
    use super::utc_stamp;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn utc_stamps_are_civil_dates() {
        let at = |s: u64| utc_stamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400`: the leap day of 2000.
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_928_287), "2026-11-29T04:58:07Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
