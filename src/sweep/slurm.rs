//! SLURM job arrays for sweeps.
//!
//! `powerdyn slurm FILE --tasks N` writes a job-array script whose task `k`
//! runs shard `k` of `N` of the sweep (`k` from `SLURM_ARRAY_TASK_ID`, `N`
//! written into the script, so that one task submitted again alone —
//! `sbatch --array=k sweep.sbatch` — is still shard `k` of `N`), a merge script that combines the shards, and a
//! submit script that queues the merge after the whole array succeeds
//! (`--dependency=afterok`). SLURM does the distribution; powerdyn only
//! shards deterministically and merges byte-identically.

use std::path::Path;

use crate::error::{Error, Result};

/// Options of the job array.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmOptions {
    /// Array tasks (shards).
    pub tasks: u64,
    /// Partition, if any.
    pub partition: Option<String>,
    /// Time limit per task (SLURM's format, e.g. `01:00:00`).
    pub time: Option<String>,
    /// CPUs per task.
    pub cpus: u32,
    /// Memory per task (SLURM's format, e.g. `4G`).
    pub mem: Option<String>,
    /// At most this many tasks running at once (SLURM's `--array=...%M`).
    pub max_running: Option<u64>,
}

fn quote(p: &str) -> String {
    format!("'{}'", p.replace('\'', "'\\''"))
}

fn check(value: &Option<String>, what: &str, ok: impl Fn(char) -> bool, help: &str) -> Result<()> {
    if let Some(v) = value {
        if v.is_empty() || !v.chars().all(&ok) {
            return Err(Error::input(
                format!("--{what}"),
                format!("`{v}` is not a valid {what}"),
                Some(help),
            ));
        }
    }
    Ok(())
}

impl SlurmOptions {
    /// Checks the options: at least one task, and a partition, time and
    /// memory made only of the characters SLURM's formats use (they are
    /// written into the scripts as they are).
    pub fn check(&self) -> Result<()> {
        if self.tasks == 0 {
            return Err(Error::input(
                "--tasks",
                "at least one task is needed",
                Some("give --tasks N with N >= 1"),
            ));
        }
        check(
            &self.partition,
            "partition",
            |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ','),
            "give a partition name of letters, digits, _ and - (several joined by ','; sinfo lists them)",
        )?;
        if self.max_running == Some(0) {
            return Err(Error::input(
                "--max-running",
                "at least one task must be allowed to run",
                Some("give --max-running M with M >= 1, or leave it out"),
            ));
        }
        if self.cpus == 0 {
            return Err(Error::input(
                "--cpus",
                "a task needs at least one CPU",
                Some("give --cpus N with N >= 1"),
            ));
        }
        if let Some(t) = &self.time {
            if !slurm_time(t) {
                return Err(Error::input(
                    "--time",
                    format!("`{t}` is not a SLURM time limit"),
                    Some("use minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds (for example 01:30:00 or 2-00:00:00)"),
                ));
            }
        }
        check(
            &self.mem,
            "mem",
            |c| c.is_ascii_alphanumeric(),
            "give a whole number with K, M, G or T (for example 4G or 500M)",
        )?;
        if let Some(m) = &self.mem {
            if mem_bytes(m).is_none_or(|b| b == 0) {
                return Err(Error::input(
                    "--mem",
                    format!("`{m}` is not a memory size"),
                    Some("give a number with K, M, G or T (for example 4G or 500M)"),
                ));
            }
        }
        Ok(())
    }
}

/// A SLURM memory size (`--mem`) in bytes: a number with an optional unit
/// `K`, `M`, `G` or `T` (SLURM's default unit is megabytes).
pub fn mem_bytes(text: &str) -> Option<u64> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "M"),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "K" | "KB" => 10,
        "M" | "MB" => 20,
        "G" | "GB" => 30,
        "T" | "TB" => 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// Whether `t` is one of SLURM's time-limit formats: `M`, `M:S`, `H:M:S`,
/// `D-H`, `D-H:M`, `D-H:M:S` (numbers of digits only), or `infinite`/`unlimited`.
fn slurm_time(t: &str) -> bool {
    if matches!(t, "infinite" | "unlimited" | "UNLIMITED" | "INFINITE") {
        return true;
    }
    let number = |p: &str| !p.is_empty() && p.len() <= 6 && p.chars().all(|c| c.is_ascii_digit());
    let rest = match t.split_once('-') {
        Some((days, rest)) if number(days) => rest,
        Some(_) => return false,
        None => t,
    };
    let parts: Vec<&str> = rest.split(':').collect();
    if !parts.iter().all(|p| number(p)) {
        return false;
    }
    (1..=3).contains(&parts.len())
}

/// Checks a path written into the scripts. Every path appears quoted in shell
/// lines, so only control characters (a newline would end the line) are
/// refused; the output folder also appears in `#SBATCH --output` lines, which
/// are not shell and cannot be quoted, so with `sbatch_line` white space,
/// quotes, `$`, `\` and `%` (SLURM's filename patterns) are refused too.
pub fn check_path(path: &Path, what: &str, sbatch_line: bool) -> Result<()> {
    let text = path.display().to_string();
    let bad = text.chars().find(|&c| {
        c.is_control()
            || (sbatch_line
                && (c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '$' | '\\' | '%')))
    });
    match bad {
        None => Ok(()),
        Some(c) => Err(Error::input(
            text.clone(),
            format!("the {what} path holds {c:?}, which the SLURM scripts cannot carry"),
            Some(if sbatch_line {
                "use a folder path of letters, digits and / . _ - (no spaces, quotes or %)"
            } else {
                "use a path without control characters"
            }),
        )),
    }
}

/// The three scripts (array, merge, submit) for a sweep whose outputs go to `out`.
pub fn scripts(
    binary: &Path,
    sweep_file: &Path,
    name: &str,
    out: &Path,
    o: &SlurmOptions,
) -> Result<[(String, String); 3]> {
    o.check()?;
    check_path(binary, "powerdyn binary", false)?;
    check_path(sweep_file, "sweep file", false)?;
    check_path(out, "output folder", true)?;
    let bin = quote(&binary.display().to_string());
    let file = quote(&sweep_file.display().to_string());
    let out_q = quote(&out.display().to_string());
    let mut head = format!(
        "#!/bin/bash\n#SBATCH --job-name={name}\n#SBATCH --cpus-per-task={}\n",
        o.cpus
    );
    if let Some(p) = &o.partition {
        head.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &o.time {
        head.push_str(&format!("#SBATCH --time={t}\n"));
    }
    if let Some(m) = &o.mem {
        head.push_str(&format!("#SBATCH --mem={m}\n"));
    }
    let array = format!(
        "{head}#SBATCH --array=0-{last}{limit}\n#SBATCH --output={logs}/shard-%a-job%A.log\nset -euo pipefail\n\
         # Task k runs shard k of {n}; powerdyn picks the runs whose id is k modulo {n}.\n\
         # A failed task is run again alone with: sbatch --array=k sweep.sbatch\n\
         exec {bin} sweep {file} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" \\\n  \
         --out {out_q}/shards/shard-\"${{SLURM_ARRAY_TASK_ID}}\" --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n",
        last = o.tasks - 1,
        limit = o.max_running.map(|m| format!("%{m}")).unwrap_or_default(),
        logs = out.join("logs").display(),
        n = o.tasks,
        cpus = o.cpus,
    );
    let shards: Vec<String> = (0..o.tasks)
        .map(|k| format!("{out_q}/shards/shard-{k}"))
        .collect();
    let merge = format!(
        "{head}#SBATCH --output={logs}/merge-job%j.log\nset -euo pipefail\nexec {bin} merge {} --out {out_q}/merged\n",
        shards.join(" "),
        logs = out.join("logs").display(),
    );
    let submit = format!(
        "#!/bin/bash\n# Queue the array, then the merge once every task has succeeded.\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\nmkdir -p {logs}\njob=$(sbatch --parsable sweep.sbatch)\nmerge=$(sbatch --parsable --dependency=afterok:\"${{job%%;*}}\" merge.sbatch)\necho \"array job ${{job%%;*}}, merge job ${{merge%%;*}} (it runs once every task has succeeded)\"\n",
        logs = quote(&out.join("logs").display().to_string()),
    );
    Ok([
        ("sweep.sbatch".to_string(), array),
        ("merge.sbatch".to_string(), merge),
        ("submit.sh".to_string(), submit),
    ])
}
