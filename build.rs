//! Records the git commit the binary is built from (`POWERDYN_COMMIT`), for
//! the manifests' provenance: the commit, with `+modified` when the sources
//! the binary is built from (`src`, `scenarios`, the Cargo files, this
//! script) differ from it; nothing when this crate is not the top of a git
//! checkout (a crates.io package, or a folder inside another repository) or
//! git is missing.

use std::path::Path;
use std::process::Command;

/// What goes into the binary.
const SOURCES: [&str; 5] = ["src", "scenarios", "Cargo.toml", "Cargo.lock", "build.rs"];

fn git(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    // Again when HEAD moves (a commit, a checkout) or a source changes
    // (only paths that exist: cargo runs the script every time for one
    // that does not).
    for p in [".git/HEAD", ".git/packed-refs"].into_iter().chain(SOURCES) {
        if Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Ok(head) = std::fs::read_to_string(".git/HEAD") {
        if let Some(r) = head.strip_prefix("ref: ") {
            let r = format!(".git/{}", r.trim());
            if Path::new(&r).exists() {
                println!("cargo:rerun-if-changed={r}");
            }
        }
    }
    // Only this crate's own checkout: git looks upward for one otherwise.
    let here = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let top = git(&["rev-parse", "--show-toplevel"]);
    let same = |a: &str, b: &str| {
        std::fs::canonicalize(Path::new(a)).ok() == std::fs::canonicalize(Path::new(b)).ok()
    };
    if !top.is_some_and(|t| same(&t, &here)) {
        return;
    }
    let Some(commit) = git(&["rev-parse", "--verify", "HEAD"])
        .filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return;
    };
    let mut args = vec!["status", "--porcelain", "--untracked-files=no", "--"];
    args.extend(SOURCES);
    let modified = git(&args).is_none_or(|s| !s.is_empty());
    let suffix = if modified { "+modified" } else { "" };
    println!("cargo:rustc-env=POWERDYN_COMMIT={commit}{suffix}");
}
