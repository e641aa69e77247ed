//! SLURM job arrays for sweeps.
//!
//! `powerdyn slurm FILE --tasks N` writes a job-array script whose task `k`
//! runs shard `k` of `N` of the sweep (from `SLURM_ARRAY_TASK_ID` and
//! `SLURM_ARRAY_TASK_COUNT`), a merge script that combines the shards, and a
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
}

fn quote(p: &str) -> String {
    format!("'{}'", p.replace('\'', "'\\''"))
}

fn check(value: &Option<String>, what: &str, ok: impl Fn(char) -> bool) -> Result<()> {
    if let Some(v) = value {
        if v.is_empty() || !v.chars().all(&ok) {
            return Err(Error::input(
                format!("--{what}"),
                format!("`{v}` is not a valid {what}"),
                Some("use letters, digits and the separators SLURM expects (for example 01:00:00 or 4G)"),
            ));
        }
    }
    Ok(())
}

/// The three scripts (array, merge, submit) for a sweep whose outputs go to `out`.
pub fn scripts(
    binary: &Path,
    sweep_file: &Path,
    name: &str,
    out: &Path,
    o: &SlurmOptions,
) -> Result<[(String, String); 3]> {
    if o.tasks == 0 {
        return Err(Error::input(
            "--tasks",
            "at least one task is needed",
            Some("give --tasks N with N >= 1"),
        ));
    }
    check(&o.partition, "partition", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ',')
    })?;
    check(&o.time, "time", |c| {
        c.is_ascii_digit() || matches!(c, ':' | '-')
    })?;
    check(&o.mem, "mem", |c| c.is_ascii_alphanumeric())?;
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
        "{head}#SBATCH --array=0-{last}\n#SBATCH --output={logs}/shard-%a.log\nset -euo pipefail\n\
         # Task k runs shard k of N; powerdyn picks the runs whose id is k modulo N.\n\
         exec {bin} sweep {file} --shard \"${{SLURM_ARRAY_TASK_ID}}/${{SLURM_ARRAY_TASK_COUNT:-{n}}}\" \\\n  \
         --out {out_q}/shards/shard-\"${{SLURM_ARRAY_TASK_ID}}\" --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        last = o.tasks - 1,
        logs = out.join("logs").display(),
        n = o.tasks,
        cpus = o.cpus,
    );
    let shards: Vec<String> = (0..o.tasks)
        .map(|k| format!("{out_q}/shards/shard-{k}"))
        .collect();
    let merge = format!(
        "{head}#SBATCH --output={logs}/merge.log\nset -euo pipefail\nexec {bin} merge {} --out {out_q}/merged\n",
        shards.join(" "),
        logs = out.join("logs").display(),
    );
    let submit = format!(
        "#!/bin/bash\n# Queue the array, then the merge once every task has succeeded.\nset -euo pipefail\ncd \"$(dirname \"$0\")\"\nmkdir -p {logs}\njob=$(sbatch --parsable sweep.sbatch)\nsbatch --parsable --dependency=afterok:\"${{job%%;*}}\" merge.sbatch\n",
        logs = quote(&out.join("logs").display().to_string()),
    );
    Ok([
        ("sweep.sbatch".to_string(), array),
        ("merge.sbatch".to_string(), merge),
        ("submit.sh".to_string(), submit),
    ])
}
