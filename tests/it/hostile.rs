//! A corpus of hostile scenario files (`tests/hostile/`), one problem each:
//! broken TOML, wrong types, unknown keys, values out of range, unsafe names,
//! bad encodings, garbage, escaping or cyclic `extends`, impossible networks.
//! Both `validate` and `run` must refuse every one with exit code 2, without
//! panicking, with a message that names the file, says what is wrong and
//! gives a help line, and must write nothing.
//!
//! A long `description` (1 MB) is accepted on purpose (it is free text), so
//! the corpus holds a huge *name* instead. Trailing commas in inline tables
//! are valid TOML 1.1 and are accepted too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use assert_cmd::Command;
use tempfile::TempDir;

use crate::support::root;

/// Every file of the corpus and fragments its message must contain.
const CASES: &[(&str, &[&str])] = &[
    // TOML syntax
    (
        "syntax-unclosed-table.toml",
        &[":2:9: TOML syntax: unclosed table"],
    ),
    (
        "syntax-unclosed-array-table.toml",
        &[":2:10: TOML syntax: unclosed array table"],
    ),
    (
        "syntax-unclosed-string.toml",
        &[":1:10: TOML syntax: invalid basic string"],
    ),
    ("syntax-missing-value.toml", &[":2:8: TOML syntax:"]),
    (
        "syntax-unclosed-inline-table.toml",
        &["TOML syntax:", "inline table"],
    ),
    (
        "syntax-unclosed-array.toml",
        &["TOML syntax: missing comma between array elements"],
    ),
    (
        "syntax-bad-escape.toml",
        &[":1:11: TOML syntax: missing escaped value"],
    ),
    (
        "syntax-leading-zero.toml",
        &[":2:9: TOML syntax: unexpected leading zero"],
    ),
    (
        "syntax-percent.toml",
        &[":4:10: TOML syntax:", "help: write a share as a decimal number: 90% is 0.9"],
    ),
    (
        "syntax-decimal-comma.toml",
        &[":4:11: TOML syntax:", "help: use a decimal point, not a comma: 0.2"],
    ),
    (
        "syntax-bare-word-value.toml",
        &[":1:8: TOML syntax: string values must be quoted"],
    ),
    (
        "key-top-level-below-a-table.toml",
        &[
            ":8:1: network.record_every: unknown key `record_every`",
            "help: `record_every` is a top-level key: move it above the first [table] header",
        ],
    ),
    (
        "key-top-level-in-an-inline-table.toml",
        &[
            ":4:49: agents[0].motive.seed: unknown key `seed`",
            "help: expected one of: dist, low, high (or remove it)",
        ],
    ),
    (
        "syntax-duplicate-key.toml",
        &[
            ":3:1: TOML syntax: the key `steps` is given twice in one table",
            "help: keep one `steps` and remove the other",
        ],
    ),
    (
        "syntax-duplicate-table.toml",
        &[
            ":8:2: TOML syntax: the table [network] is given twice",
            "help: put everything under one [network]",
        ],
    ),
    (
        "syntax-nested-arrays-10000.toml",
        &["TOML syntax: cannot recurse further"],
    ),
    // Encodings and garbage
    ("encoding-bom.toml", &["starts with a byte-order mark"]),
    (
        "encoding-invalid-utf8.toml",
        &["not UTF-8 text (invalid byte at offset 9)"],
    ),
    ("garbage-binary.bin", &["not UTF-8 text"]),
    ("garbage-nul-bytes.toml", &[":2:", "TOML syntax:"]),
    (
        "empty.toml",
        &[
            "missing required key `name`",
            "missing the [network] section",
        ],
    ),
    // Wrong types
    (
        "type-string-for-number.toml",
        &[":2:9: steps: expected a whole number, found a string"],
    ),
    (
        "type-table-for-number.toml",
        &[":2:8: seed: expected a whole number, found a table"],
    ),
    (
        "type-number-for-list.toml",
        &["agents[0].groups: expected a list of strings, found an integer"],
    ),
    (
        "type-string-for-bool.toml",
        &["rules.coercion.enabled: expected true or false, found a string"],
    ),
    (
        "type-datetime-for-number.toml",
        &["agents[0].motive: expected a number or a distribution, found a date-time"],
    ),
    (
        "type-number-for-table.toml",
        &["rules.coercion: expected a table, found a float"],
    ),
    (
        "type-number-for-name.toml",
        &[":1:8: name: expected a string, found an integer"],
    ),
    (
        "type-table-for-agents.toml",
        &["agents: expected an array of tables, found a table"],
    ),
    (
        "type-number-for-edges.toml",
        &["network.edges: expected a list of pairs, found an integer"],
    ),
    // Unknown keys at each level, each with its near miss
    (
        "unknown-key-top.toml",
        &[
            ":2:1: stpes: unknown key `stpes`",
            "help: did you mean `steps`?",
        ],
    ),
    (
        "unknown-key-agents.toml",
        &[
            "agents[0].motiv: unknown key",
            "help: did you mean `motive`?",
        ],
    ),
    (
        "unknown-key-populations.toml",
        &[
            "populations[0].incme: unknown key",
            "help: did you mean `income`?",
        ],
    ),
    (
        "unknown-key-network.toml",
        &["network.beat: unknown key", "help: did you mean `beta`?"],
    ),
    (
        "unknown-key-rules-reward.toml",
        &[
            "rules.reward.payy: unknown key",
            "help: did you mean `pay`?",
        ],
    ),
    (
        "unknown-key-rules-table.toml",
        &[
            "rules.coersion: unknown key",
            "help: did you mean `coercion`?",
        ],
    ),
    (
        "unknown-key-groups.toml",
        &[
            "groups.staff.payy: unknown key",
            "help: did you mean `pay`?",
        ],
    ),
    (
        "unknown-key-events.toml",
        &[
            "events[0].detectoin: unknown key",
            "help: did you mean `detection`?",
        ],
    ),
    (
        "unknown-key-metrics.toml",
        &[
            "metrics.randomizations: unknown key",
            "help: did you mean `randomisations`?",
        ],
    ),
    (
        "unknown-key-bases.toml",
        &[
            "agents[0].bases.cohercive: unknown key",
            "help: did you mean `coercive`?",
        ],
    ),
    (
        "unknown-key-distribution.toml",
        &[
            "agents[0].motive.hihg: unknown key",
            "help: did you mean `high`?",
        ],
    ),
    // Non-finite and negative numbers
    (
        "number-negative-resources.toml",
        &["agents[0].resources: -5 is out of range"],
    ),
    (
        "number-nan-motive.toml",
        &["agents[0].motive: must be a finite number, found NaN"],
    ),
    (
        "number-inf-income.toml",
        &["agents[0].income: must be a finite number, found inf"],
    ),
    (
        "number-neg-inf-rule.toml",
        &["rules.tactics.stake: must be a finite number, found -inf"],
    ),
    (
        "number-overflow.toml",
        &[
            "agents[0].income: 1e400 is out of range",
            "agents[1].motive: -1e400 is out of range",
            "agents[1].resources: 99999999999999999999 is out of range",
            "agents[1].income: 0xFFFFFFFFFFFFFFFFFFFF is out of range",
            "agents[1].self_esteem: 1e308 is out of range",
        ],
    ),
    (
        "name-accented.toml",
        &[
            "agents[0].name: the agent name contains 'é'; names use only plain ASCII letters",
            "network.edges[0]: `José` cannot name an agent: it contains 'é'",
        ],
    ),
    (
        "name-accented-references.toml",
        &[
            "rules.influence.weights[0]: `émile` cannot name an agent",
            "events[0].targets: `émile` cannot name an agent",
            "events[1].arbitrator: `émile` cannot name an agent",
            "events[2].pairs[0]: `émile` cannot name an agent",
        ],
    ),
    (
        "name-unknown-references.toml",
        &[
            "events[0].arbitrator: no individual is called `alx`\n  help: did you mean `alex`?",
            "events[1].pairs[0]: no agent is called `alx`\n  help: did you mean `alex`?",
            "events[1].pairs[1]: no agent is called `worker#3`",
            "events[1].pairs[2]: expected a pair of two different agents",
        ],
    ),
    ("seed-negative.toml", &["seed: -1 is out of range"]),
    // Out of range, one per kind of attribute
    (
        "range-bases.toml",
        &["agents[0].bases.expert: 2000000 is out of range"],
    ),
    (
        "range-resources.toml",
        &["agents[0].resources: 10000000000000 is out of range"],
    ),
    (
        "range-income.toml",
        &["agents[0].income: 2000000000000 is out of range"],
    ),
    (
        "range-motive.toml",
        &["agents[0].motive: 1.5 is out of range", "between 0 and 1"],
    ),
    (
        "range-exit-cost.toml",
        &["agents[0].exit_cost: 1.01 is out of range"],
    ),
    (
        "range-self-esteem.toml",
        &["agents[0].self_esteem: 3 is out of range"],
    ),
    (
        "range-alternatives.toml",
        &["agents[0].alternatives: 10000000 is out of range"],
    ),
    (
        "range-opinion.toml",
        &["agents[0].opinion: -0.5 is out of range"],
    ),
    (
        "range-prejudice.toml",
        &["agents[0].prejudice: 2 is out of range"],
    ),
    (
        "range-self-weight.toml",
        &["agents[0].self_weight: 1.5 is out of range"],
    ),
    (
        "range-susceptibility.toml",
        &["agents[0].susceptibility: 1.0001 is out of range"],
    ),
    (
        "range-group-acceptance.toml",
        &["groups.staff.acceptance: 2 is out of range"],
    ),
    (
        "range-metrics-hierarchy.toml",
        &["metrics.hierarchy_max_agents: 100000 is out of range"],
    ),
    (
        "range-rule-parameter.toml",
        &["rules.coercion.isolation: 1.5 is out of range"],
    ),
    (
        "range-event-probability.toml",
        &["events[0].probability: 1.5 is out of range"],
    ),
    // Counts and steps
    (
        "count-1e12-agents.toml",
        &["populations[0].count: 1000000000000 is out of range"],
    ),
    (
        "count-zero.toml",
        &["populations[0].count: 0 is out of range"],
    ),
    (
        "count-too-big-integer.toml",
        &["populations[0].count: 99999999999999999999999 is out of range"],
    ),
    (
        "count-sum-over-max.toml",
        &["asks for 300000000 agents; at most 200000000"],
    ),
    (
        "agents-only-one.toml",
        &["the scenario has 1 agent(s); at least 2 are needed"],
    ),
    ("steps-zero.toml", &[":2:9: steps: 0 is out of range"]),
    (
        "record-every-zero.toml",
        &[":2:16: record_every: 0 is out of range"],
    ),
    // extends
    (
        "extends-self.toml",
        &["extends: `extends-self.toml` extends itself"],
    ),
    (
        "extends-cycle-a.toml",
        &["extends: `extends-cycle-a.toml` is already in the chain: extends-cycle-a.toml -> extends-cycle-b.toml -> extends-cycle-a.toml (a cycle of extends)"],
    ),
    (
        "extends-cycle-b.toml",
        &["extends: `extends-cycle-b.toml` is already in the chain: extends-cycle-b.toml -> extends-cycle-a.toml -> extends-cycle-b.toml (a cycle of extends)"],
    ),
    (
        "extends-missing-base.toml",
        &["extends: cannot read `no-such-base.toml`"],
    ),
    (
        "extends-escape.toml",
        &["extends: `../base.toml` lies outside the scenario's folder"],
    ),
    (
        "extends-absolute.toml",
        &[":1:11: extends: `/etc/hostname` is an absolute path"],
    ),
    (
        "extends-empty.toml",
        &[":1:11: extends: the base scenario's path is empty"],
    ),
    (
        "extends-not-a-string.toml",
        &[":1:11: extends: expected a string, found an integer"],
    ),
    // Names
    (
        "name-markup.toml",
        &[":1:8: name: the scenario name contains '<'"],
    ),
    (
        "name-control-character.toml",
        &[":1:8: name: the scenario name contains '\\u{7}'"],
    ),
    (
        "name-space.toml",
        &[":1:8: name: the scenario name contains ' '"],
    ),
    (
        "name-slash.toml",
        &[":1:8: name: the scenario name contains '/'"],
    ),
    (
        "name-dotdot.toml",
        &[":1:8: name: the scenario name must not start with a dot"],
    ),
    (
        "name-200-characters.toml",
        &["the scenario name is 200 characters long; at most 64"],
    ),
    (
        "name-huge.toml",
        &["the scenario name is 100000 characters long; at most 64"],
    ),
    (
        "name-empty.toml",
        &[":1:8: name: the scenario name is empty"],
    ),
    ("name-missing.toml", &["name: missing required key `name`"]),
    (
        "name-agent-markup.toml",
        &["agents[0].name: the agent name contains '<'"],
    ),
    (
        "name-intersection-markup.toml",
        &["intersections[0].name: the intersection name contains '<'"],
    ),
    (
        "event-name-duplicate.toml",
        &["events[1].name: the name `talk` is used by two events"],
    ),
    (
        "name-group-space.toml",
        &["groups.the staff: group name contains ' '"],
    ),
    (
        "name-duplicate-agent.toml",
        &["populations[0].name: the name `a` is used twice"],
    ),
    // Groups
    (
        "group-undeclared.toml",
        &[
            "group `worker` is not declared",
            "help: did you mean `workers`?",
        ],
    ),
    (
        "group-intersection-undeclared.toml",
        &["intersections[0].groups: group `c` is not declared"],
    ),
    // Networks
    (
        "network-missing.toml",
        &["network: missing the [network] section"],
    ),
    (
        "network-unknown-kind.toml",
        &["unknown network kind `rign`", "help: did you mean `ring`?"],
    ),
    (
        "network-ring-odd-k.toml",
        &["network.k: k = 3 must be even"],
    ),
    (
        "network-ring-k-too-big.toml",
        &["network.k: k = 10 must be even and below the 10 agents"],
    ),
    (
        "network-edge-unknown-agent.toml",
        &[
            "network.edges[0]: no agent is called `samm`",
            "help: did you mean `sam`?",
        ],
    ),
    (
        "network-edge-self-loop.toml",
        &["network.edges[1]: an agent cannot be tied to itself"],
    ),
    (
        "network-edge-duplicate.toml",
        &["network.edges[1]: this pair repeats network.edges[0]"],
    ),
    (
        "network-edge-population-index-out-of-range.toml",
        &["no agent is called `p#10`"],
    ),
    (
        "network-edges-empty.toml",
        &["network.edges: the edge list is empty"],
    ),
    (
        "network-ba-m-too-big.toml",
        &["network.m: m = 10 must be below the 10 agents"],
    ),
    (
        "network-er-no-ties.toml",
        &["this network would have no ties"],
    ),
    (
        "network-hierarchy-too-large.toml",
        &[
            ":6:8: network: this network would have about",
            "ties; at most",
        ],
    ),
    (
        "network-complete-too-large.toml",
        &["a complete network of 100000 agents has 4999950000 ties, too many"],
    ),
    // Distributions
    (
        "dist-low-above-high.toml",
        &["uniform needs low <= high, found low = 0.8, high = 0.2"],
    ),
    (
        "dist-unknown.toml",
        &[
            "unknown distribution `unifrom`",
            "help: did you mean `uniform`?",
        ],
    ),
    (
        "dist-beta-a-zero.toml",
        &["agents[0].motive.a: 0 is out of range"],
    ),
    (
        "dist-missing-dist-key.toml",
        &["agents[0].motive: a distribution needs a `dist` key"],
    ),
    (
        "dist-normal-negative-sd.toml",
        &["agents[0].resources.sd: -1 is out of range"],
    ),
    // Influence
    (
        "influence-matrix-wrong-size.toml",
        &["the matrix has 3 rows; the scenario has 2 agents"],
    ),
    (
        "influence-weights-unknown-agent.toml",
        &[
            "rules.influence.weights[0]: no agent is called `samuel`",
            "rules.influence.weights[1]: no agent is called `alexx`",
            "help: did you mean `alex`?",
        ],
    ),
    (
        "influence-weights-duplicate.toml",
        &["rules.influence.weights[2]: the weight of `alex` on `sam` is given twice (first at rules.influence.weights[0])"],
    ),
    (
        "influence-weights-huge.toml",
        &["rules.influence.weights[0]: the weight must be a number from 0 to 1e12"],
    ),
    (
        "influence-weights-and-matrix.toml",
        &["give either weights or matrix, not both"],
    ),
    // Events
    (
        "event-unknown-kind.toml",
        &[
            "unknown event kind `sanction`",
            "help: did you mean `sanctions`?",
        ],
    ),
    (
        "event-unknown-group.toml",
        &[
            "group `stafff` is not declared",
            "help: did you mean `staff`?",
        ],
    ),
    (
        "event-unknown-target.toml",
        &[
            "no individual or population is called `alexx`",
            "help: did you mean `alex`?",
        ],
    ),
    (
        "event-targets-empty.toml",
        &[
            ":11:11: events[0].targets: the list of targets is empty",
            "help: name at least one target, or leave targets out to target everyone",
        ],
    ),
    (
        "event-target-group-unprefixed.toml",
        &[
            "no individual or population is called `staff`",
            "help: did you mean `group:staff`?",
        ],
    ),
    (
        "event-step-and-schedule.toml",
        &["give either step (once) or from/every/until"],
    ),
    (
        "event-job-market-empty.toml",
        &["a job_market event changes nothing"],
    ),
    (
        "event-tie-cut-self.toml",
        &["events[0].pairs[0]: expected a pair of two different agents"],
    ),
    (
        "event-arbitrator-unknown.toml",
        &["events[0].arbitrator: no individual is called `judge`"],
    ),
];

/// Files well-formed on their own that the network makes impossible:
/// `validate` (which builds the network of a scenario this small) and `run`
/// refuse them, with the fragments of their message.
const RUN_ONLY: &[(&str, &[&str])] = &[
    (
        "run-only-tie-cut-not-in-network.toml",
        &[":14:10: events[0].pairs[0]: tie_cut: `alex` and `kim` are not tied in the network"],
    ),
    (
        "run-only-influence-weight-not-tied.toml",
        &[":12:12: rules.influence.weights[0]: `alex` gives weight to `kim`, but they are not tied"],
    ),
    (
        "run-only-four-untied-pairs.toml",
        &[
            ":16:10: events[0].pairs[0]: tie_cut: `a` and `c` are not tied",
            ":20:10: events[1].pairs[0]: tie_add: `c` and `a` are not tied",
            ":22:12: rules.influence.weights[0]: `a` gives weight to `c`",
            ":22:25: rules.influence.weights[1]: `c` gives weight to `a`",
            "4 problems found",
        ],
    ),
];

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn powerdyn(dir: &Path, args: &[&str]) -> Ran {
    let out = Command::cargo_bin("powerdyn")
        .expect("the powerdyn binary is built")
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("powerdyn starts and ends within 20 s");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn corpus() -> PathBuf {
    root().join("tests").join("hostile")
}

/// Every entry under `dir`, recursively, relative to it.
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("folder readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p.strip_prefix(dir).expect("below dir").to_path_buf());
        }
    }
    out
}

/// A fresh folder holding `file` in `work/`, with the companions it needs:
/// the other half of an extends cycle, or (for the escape) a valid base in
/// the folder above. Returns the outer folder and the working folder.
fn setup(file: &str) -> (TempDir, PathBuf) {
    let outer = tempfile::tempdir().expect("a temporary folder");
    let work = outer.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut copy = vec![file];
    if file.starts_with("extends-cycle-") {
        copy = vec!["extends-cycle-a.toml", "extends-cycle-b.toml"];
    }
    for f in copy {
        std::fs::copy(corpus().join(f), work.join(f)).unwrap();
    }
    if file == "extends-escape.toml" {
        std::fs::copy(
            root().join("scenarios").join("balanced-couple.toml"),
            outer.path().join("base.toml"),
        )
        .unwrap();
    }
    (outer, work)
}

/// Checks a refusal: exit code 2, no panic, `error: ` first, the file named
/// on the first line, every fragment, a help line, nothing on stdout.
fn check_refused(r: &Ran, what: &str, file: &str, fragments: &[&str]) {
    let err = &r.stderr;
    assert_eq!(r.code, Some(2), "{what} {file}: exit code; stderr:\n{err}");
    assert!(!err.contains("panicked"), "{what} {file} panicked:\n{err}");
    assert!(err.starts_with("error: "), "{what} {file}:\n{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.contains(file),
        "{what} {file}: file not named:\n{err}"
    );
    for f in fragments {
        assert!(err.contains(f), "{what} {file}: no `{f}` in:\n{err}");
    }
    assert!(err.contains("\n  help: "), "{what} {file}: no help:\n{err}");
    assert!(r.stdout.is_empty(), "{what} {file}: stdout:\n{}", r.stdout);
}

/// Runs `validate` and `run` on one file, both refusing it, and checks that
/// both left the folders as they were.
fn exercise(file: &str, fragments: &[&str]) {
    let (outer, work) = setup(file);
    let before = tree(outer.path());
    let v = powerdyn(&work, &["validate", file]);
    check_refused(&v, "validate", file, fragments);
    assert!(
        v.stderr.contains("1 of 1 file(s) have problems"),
        "{}",
        v.stderr
    );
    let r = powerdyn(&work, &["run", file, "--steps", "5", "--quiet"]);
    check_refused(&r, "run", file, fragments);
    assert!(!work.join("output").exists(), "run {file}: output folder");
    assert_eq!(tree(outer.path()), before, "{file}: something was written");
}

#[test]
fn every_hostile_file_is_refused_by_validate_and_run_with_a_helpful_message() {
    let start = Instant::now();
    for (file, fragments) in CASES {
        exercise(file, fragments);
    }
    assert!(
        start.elapsed().as_secs() < 30,
        "the corpus took {:?}",
        start.elapsed()
    );
}

#[test]
fn files_valid_on_their_own_but_impossible_on_their_network_are_refused_by_validate_and_run() {
    for (file, fragments) in RUN_ONLY {
        exercise(file, fragments);
    }
}

#[test]
fn the_corpus_is_large_and_every_file_in_it_is_listed() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(corpus())
        .expect("tests/hostile exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(on_disk.len() >= 40, "only {} files", on_disk.len());
    let listed: Vec<&str> = CASES.iter().chain(RUN_ONLY).map(|(f, _)| *f).collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "a file is listed twice");
    for f in &on_disk {
        assert!(unique.contains(f.as_str()), "{f} is not in the table");
    }
    for f in &unique {
        assert!(on_disk.contains(*f), "{f} is listed but missing");
    }
}

#[test]
fn a_file_over_16_mib_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut text = String::from("name = \"big\"\n");
    let pad = format!("# {}\n", "x".repeat(1000));
    while text.len() <= 16 * 1024 * 1024 {
        text.push_str(&pad);
    }
    std::fs::write(dir.path().join("big.toml"), text).unwrap();
    let before = tree(dir.path());
    for args in [
        &["validate", "big.toml"][..],
        &["run", "big.toml", "--steps", "5", "--quiet"][..],
    ] {
        let r = powerdyn(dir.path(), args);
        check_refused(
            &r,
            args[0],
            "big.toml",
            &["scenario files are at most 16777216"],
        );
    }
    assert_eq!(tree(dir.path()), before, "something was written");
}

/// A copy of a bundled scenario in `dir`.
fn bundled_into(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(format!("{name}.toml"));
    std::fs::copy(root().join("scenarios").join(format!("{name}.toml")), &to).unwrap();
    to
}

#[test]
fn number_slips_in_sweep_files_get_the_same_hints_as_in_scenarios() {
    // Sweep parameters are inline tables and arrays, where a percentage or
    // a decimal comma is a TOML syntax error too.
    let dir = tempfile::tempdir().unwrap();
    bundled_into(dir.path(), "bully-target-stays");
    for (text, hint) in [
        (
            "\"rules.coercion.harm\" = { values = [10%, 20%] }",
            "help: write a share as a decimal number: 10% is 0.1",
        ),
        (
            "\"rules.coercion.harm\" = { from = 0.1, to = 60%, steps = 3 }",
            "help: write a share as a decimal number: 60% is 0.6",
        ),
        (
            "\"rules.coercion.harm\" = { from = 0,1, to = 0.6, steps = 3 }",
            "help: use a decimal point, not a comma: 0.1",
        ),
    ] {
        std::fs::write(
            dir.path().join("sw.toml"),
            format!(
                "name = \"sw\"\nscenario = \"bully-target-stays.toml\"\n[parameters]\n{text}\n"
            ),
        )
        .unwrap();
        let before = tree(dir.path());
        let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--dry-run"]);
        check_refused(&r, "sweep", "sw.toml", &["sw.toml:4:", "TOML syntax", hint]);
        assert_eq!(tree(dir.path()), before, "something was written");
    }
}

#[test]
fn a_sweep_too_large_for_memory_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.toml"),
        "name = \"big\"\nsteps = 2\n[[populations]]\nname = \"p\"\ncount = 200000000\n[network]\nkind = \"ring\"\nk = 2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sw.toml"),
        "name = \"sw\"\nscenario = \"big.toml\"\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.2] }\n",
    )
    .unwrap();
    let before = tree(dir.path());
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--threads", "2", "-q"]);
    check_refused(
        &r,
        "sweep",
        "sw.toml",
        &["GiB of memory", "2 runs at once of up to 200000000 agents"],
    );
    // A dry run makes the same check.
    let r = powerdyn(
        dir.path(),
        &["sweep", "sw.toml", "--threads", "2", "--dry-run"],
    );
    check_refused(&r, "sweep", "sw.toml", &["GiB of memory"]);
    assert_eq!(tree(dir.path()), before, "something was written");
}

#[test]
fn files_that_are_not_regular_files_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["validate", "/dev/zero"][..],
        &["run", "/dev/zero", "--quiet"][..],
        &["sweep", "/dev/zero", "-q"][..],
    ] {
        let r = powerdyn(dir.path(), args);
        check_refused(&r, args[0], "/dev/zero", &["not a regular file"]);
    }
    // A base that is a pipe would block a reader forever.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("base.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            std::fs::write(
                dir.path().join("child.toml"),
                "extends = \"base.toml\"\nname = \"child\"\n",
            )
            .unwrap();
            let r = powerdyn(dir.path(), &["validate", "child.toml"]);
            check_refused(&r, "validate", "child.toml", &["not a regular file"]);
        }
    }
    assert!(!dir.path().join("output").exists());
}

#[test]
fn slurm_refuses_paths_and_options_its_scripts_cannot_carry_and_leaves_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("scen");
    std::fs::create_dir_all(scen.join("sweeps")).unwrap();
    std::fs::copy(
        root().join("scenarios/bully-target-stays.toml"),
        scen.join("bully-target-stays.toml"),
    )
    .unwrap();
    std::fs::copy(
        root().join("scenarios/sweeps/bully-harm.toml"),
        scen.join("sweeps/bully-harm.toml"),
    )
    .unwrap();
    let before = tree(dir.path());
    let file = "scen/sweeps/bully-harm.toml";
    for (args, fragment) in [
        (
            vec!["--out", "x\ntouch PWNED\n#"],
            "which the SLURM scripts cannot carry",
        ),
        (
            vec!["--out", "with space"],
            "which the SLURM scripts cannot carry",
        ),
        (
            vec!["--out", "logs%j"],
            "which the SLURM scripts cannot carry",
        ),
        (vec!["--out", "t0"], "at least one task"),
        (
            vec!["--time", "1;reboot", "--out", "t1"],
            "not a SLURM time limit",
        ),
        (
            vec!["--time", "01:00:00:00", "--out", "t1"],
            "not a SLURM time limit",
        ),
        (vec!["--cpus", "0", "--out", "t3"], "at least one CPU"),
        (vec!["--mem", "4X", "--out", "t4"], "is not a memory size"),
        (
            vec!["--max-running", "0", "--out", "t6"],
            "at least one task must be allowed",
        ),
        (vec!["--mem", "1M", "--out", "t5"], "a task needs about"),
        (vec!["--mem", "4G x", "--out", "t2"], "not a valid mem"),
    ] {
        let tasks = if fragment == "at least one task" {
            "0"
        } else {
            "2"
        };
        let mut a = vec!["slurm", file, "--tasks", tasks];
        a.extend(args);
        let r = powerdyn(dir.path(), &a);
        assert_eq!(r.code, Some(2), "{a:?}: {}", r.stderr);
        assert!(r.stderr.contains(fragment), "{a:?}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert_eq!(tree(dir.path()), before, "something was written");
    // Nor where only the absolute path has a space (the default output
    // folder, below a working folder whose path holds one).
    let spaced_cwd = dir.path().join("my project");
    std::fs::create_dir_all(&spaced_cwd).unwrap();
    let r = powerdyn(
        &spaced_cwd,
        &["slurm", "../scen/sweeps/bully-harm.toml", "--tasks", "2"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("which the SLURM scripts cannot carry"),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_dir(&spaced_cwd).unwrap().next().is_none(),
        "nothing made below {}",
        spaced_cwd.display()
    );
    std::fs::remove_dir(&spaced_cwd).unwrap();
    // A sweep file whose path holds a space is quoted in the shell lines.
    let spaced = dir.path().join("my sweeps");
    std::fs::create_dir_all(spaced.join("sweeps")).unwrap();
    std::fs::copy(
        scen.join("bully-target-stays.toml"),
        spaced.join("bully-target-stays.toml"),
    )
    .unwrap();
    std::fs::copy(
        scen.join("sweeps/bully-harm.toml"),
        spaced.join("sweeps/bully-harm.toml"),
    )
    .unwrap();
    let r = powerdyn(
        dir.path(),
        &[
            "slurm",
            "my sweeps/sweeps/bully-harm.toml",
            "--tasks",
            "2",
            "--out",
            "ok",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // The tasks read a snapshot of the sweep's files in the output folder,
    // not the originals (which may change before a task starts).
    let script = std::fs::read_to_string(dir.path().join("ok/sweep.sbatch")).unwrap();
    let at = script.find("/ok/snapshot-").expect("the snapshot's path");
    let rest = &script[at + 1..];
    let snap = &rest[..rest
        .find("/scenario/sweeps/bully-harm.toml'")
        .expect(&script)];
    assert_eq!(
        std::fs::read(
            dir.path()
                .join(snap)
                .join("scenario/sweeps/bully-harm.toml")
        )
        .unwrap(),
        std::fs::read(spaced.join("sweeps/bully-harm.toml")).unwrap()
    );
    assert_eq!(
        std::fs::read(
            dir.path()
                .join(snap)
                .join("scenario/bully-target-stays.toml")
        )
        .unwrap(),
        std::fs::read(spaced.join("bully-target-stays.toml")).unwrap()
    );
}

#[test]
fn report_and_compare_survive_tampered_files_and_show_only_the_scenario_the_run_read() {
    let dir = tempfile::tempdir().unwrap();
    bundled_into(dir.path(), "balanced-couple");
    for (name, out) in [("balanced-couple", "a"), ("balanced-couple", "b")] {
        let r = powerdyn(
            dir.path(),
            &[
                "run",
                &format!("{name}.toml"),
                "--out",
                out,
                "--steps",
                "50",
                "-q",
            ],
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    // The report shows the story of the file the run read.
    let r = powerdyn(dir.path(), &["report", "a"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let html = std::fs::read_to_string(dir.path().join("a/report.html")).unwrap();
    assert!(html.contains("Balanced partners."), "the story is shown");
    // Events and sensitivity files without their columns: no panic.
    std::fs::write(dir.path().join("a/events.csv"), "step\n5\n").unwrap();
    for args in [
        &["report", "a"][..],
        &["compare", "a", "b", "--out", "cmp"][..],
    ] {
        let r = powerdyn(dir.path(), args);
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    }
    // A scenario file changed since the run, or another file named by the
    // manifest, is not embedded.
    std::fs::write(
        dir.path().join("secret.toml"),
        "# token = \"hunter2\"\nname = \"s\"\n",
    )
    .unwrap();
    let mf = dir.path().join("a/manifest.json");
    let text = std::fs::read_to_string(&mf).unwrap();
    std::fs::write(&mf, text.replace("balanced-couple.toml", "secret.toml")).unwrap();
    let r = powerdyn(dir.path(), &["report", "a"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let html = std::fs::read_to_string(dir.path().join("a/report.html")).unwrap();
    assert!(
        !html.contains("hunter2"),
        "another file's text was embedded"
    );
    assert!(html.contains("has changed since the run"));
    // An unfinished folder (no manifest) and a torn CSV are bad input.
    std::fs::remove_file(dir.path().join("b/manifest.json")).unwrap();
    let r = powerdyn(dir.path(), &["report", "b"]);
    check_refused(&r, "report", "b", &["no manifest.json"]);
    let r = powerdyn(dir.path(), &["compare", "a", "b"]);
    check_refused(&r, "compare", "b", &["holds no finished run"]);
    let ts = dir.path().join("a/timeseries.csv");
    let text = std::fs::read_to_string(&ts).unwrap();
    std::fs::write(&ts, format!("{text}1,2\n")).unwrap();
    let r = powerdyn(dir.path(), &["report", "a"]);
    check_refused(
        &r,
        "report",
        "a",
        &[
            "timeseries.csv has",
            "but the run wrote",
            "cut short or changed since",
        ],
    );
    // Without the sizes (a manifest written before they were recorded),
    // the torn CSV itself is refused.
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mf).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("file_bytes").unwrap();
    std::fs::write(&mf, m.to_string()).unwrap();
    let r = powerdyn(dir.path(), &["report", "a"]);
    check_refused(
        &r,
        "report",
        "timeseries.csv",
        &["cannot read it as powerdyn's CSV"],
    );
}

#[test]
fn a_run_refuses_a_folder_holding_a_sweep_and_a_sweep_one_holding_a_run() {
    let dir = tempfile::tempdir().unwrap();
    bundled_into(dir.path(), "balanced-couple");
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "balanced-couple.toml",
            "--out",
            "r",
            "--steps",
            "20",
            "-q",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    std::fs::create_dir(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/runs.csv"), "run_id\n").unwrap();
    let before = tree(dir.path());
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "balanced-couple.toml",
            "--out",
            "s",
            "--steps",
            "20",
            "-q",
        ],
    );
    check_refused(&r, "run", "s", &["holds the output of a sweep"]);
    std::fs::write(
        dir.path().join("sw.toml"),
        "name = \"sw\"\nscenario = \"balanced-couple.toml\"\nsteps = 20\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n",
    )
    .unwrap();
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--out", "r", "-q"]);
    check_refused(&r, "sweep", "r", &["holds the output of a run"]);
    let r = powerdyn(dir.path(), &["demo", "--out", "s"]);
    check_refused(&r, "demo", "s", &["holds the output of a sweep"]);
    let mut after = tree(dir.path());
    after.remove(Path::new("sw.toml"));
    assert_eq!(after, before, "something was written");
}

#[test]
fn resources_multiplied_step_after_step_stay_finite() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shock.toml"),
        "name = \"shock\"\nsteps = 100\n[[agents]]\nname = \"a\"\nresources = 1e12\n[[agents]]\nname = \"b\"\nresources = 1\n[network]\nkind = \"complete\"\n[[events]]\nkind = \"resource_shock\"\nfrom = 1\nevery = 1\nfactor = 1e6\namount = 1e12\n",
    )
    .unwrap();
    let r = powerdyn(dir.path(), &["run", "shock.toml", "-q"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("output/shock/agents.csv")).unwrap();
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let k = header.iter().position(|&h| h == "resources").unwrap();
    let last: Vec<f64> = rows
        .filter(|l| l.starts_with("100,"))
        .map(|l| l.split(',').nth(k).unwrap().parse().unwrap())
        .collect();
    assert_eq!(last.len(), 2);
    for x in last {
        assert!(x.is_finite() && x > 1e29 && x <= 1e30, "{x}");
    }
    let ts = std::fs::read_to_string(dir.path().join("output/shock/timeseries.csv")).unwrap();
    let names: Vec<&str> = ts.lines().next().unwrap().split(',').collect();
    let last_row: Vec<&str> = ts.lines().last().unwrap().split(',').collect();
    for m in [
        "power_gini",
        "power_theil",
        "resources_gini",
        "mean_resources",
    ] {
        let k = names.iter().position(|&h| h == m).unwrap();
        let x: f64 = last_row[k].parse().unwrap_or(f64::NAN);
        assert!(x.is_finite(), "{m} = {:?}", last_row[k]);
    }
}

/// A seed the scenario format cannot hold (above 2^63 - 1, which JSON
/// readers with doubles also garble) and an output folder that cannot be
/// made are bad input: exit 2, a message, nothing written.
#[test]
fn seeds_out_of_range_and_unmakeable_output_folders_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scen = root().join("scenarios/couple-money.toml");
    let scen = scen.to_str().unwrap();
    for (args, fragment) in [
        (
            vec!["run", scen, "--seed", "18446744073709551615", "--out", "a"],
            "not in 0..=9223372036854775807",
        ),
        (
            vec![
                "bench",
                "--agents",
                "100",
                "--seed",
                "9223372036854775808",
                "--out",
                "b",
            ],
            "not in 0..=9223372036854775807",
        ),
        (
            vec!["run", scen, "--out", "/proc/powerdyn-test/x"],
            "cannot make the output folder",
        ),
    ] {
        let r = powerdyn(dir.path(), &args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(fragment), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("help") || r.stderr.contains("--help"),
            "{}",
            r.stderr
        );
    }
    assert!(tree(dir.path()).is_empty(), "nothing written");
    // The largest seed a scenario file can hold is taken.
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            scen,
            "--seed",
            "9223372036854775807",
            "--steps",
            "5",
            "-q",
            "--out",
            "ok",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// A library caller's scenario whose input copies name paths outside the run
/// folder is refused before anything is written there, and nothing lands
/// outside it.
#[test]
fn scenario_copies_with_paths_outside_the_run_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Refused before the folder changes: an earlier run there stays whole.
    let earlier = crate::support::bundled("balanced-couple");
    crate::support::run_into(&earlier, 1, 5, 1, &dir.path().join("run"));
    let before = std::fs::read(dir.path().join("run/manifest.json")).unwrap();
    for bad in [
        "../escape.toml",
        "/abs.toml",
        "a//b.toml",
        "./x.toml",
        "",
        "a\\..\\b.toml",
    ] {
        let mut s = crate::support::bundled("balanced-couple");
        s.inputs[0].path = bad.to_string();
        let out = dir.path().join("run");
        let cfg = powerdyn::run::RunConfig {
            seed: 1,
            steps: 5,
            out_dir: out.clone(),
            threads: 1,
        };
        let e = powerdyn::run::run(&s, &cfg, &mut |_, _| {}).expect_err(bad);
        assert!(
            e.to_string().contains("cannot copy the scenario file"),
            "{bad}: {e}"
        );
        assert_eq!(
            e.exit_code(),
            1,
            "{bad}: a caller's mistake, not the user's file"
        );
        assert_eq!(
            std::fs::read(out.join("manifest.json")).unwrap(),
            before,
            "{bad}: the earlier run untouched"
        );
        assert!(out.join("timeseries.csv").exists(), "{bad}");
        assert!(!dir.path().join("escape.toml").exists());
        assert!(!Path::new("/abs.toml").exists());
    }
}

/// A run refuses, before it changes anything, to let its scenario copy
/// replace a file powerdyn did not write, or go through a symbolic link.
#[test]
fn scenario_copies_never_replace_foreign_files_or_follow_links() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::support::bundled("balanced-couple");
    let cfg = |out: &Path| powerdyn::run::RunConfig {
        seed: 1,
        steps: 5,
        out_dir: out.to_path_buf(),
        threads: 1,
    };
    // A file of the user's where the copy would go.
    let out = dir.path().join("mine");
    std::fs::create_dir_all(out.join("scenario")).unwrap();
    std::fs::write(out.join("scenario/balanced-couple.toml"), "mine").unwrap();
    let e = powerdyn::run::run(&s, &cfg(&out), &mut |_, _| {}).expect_err("refused");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("powerdyn did not write it"), "{e}");
    assert_eq!(
        std::fs::read_to_string(out.join("scenario/balanced-couple.toml")).unwrap(),
        "mine"
    );
    assert!(!out.join("timeseries.csv").exists() && !out.join(".powerdyn-lock").exists());
    // Even a file with the copy's very bytes (the user's own scenario in a
    // folder of theirs named scenario/, with --out its parent).
    let own = dir.path().join("own");
    std::fs::create_dir_all(own.join("scenario")).unwrap();
    std::fs::write(
        own.join("scenario/balanced-couple.toml"),
        &*s.inputs[0].bytes,
    )
    .unwrap();
    let e = powerdyn::run::run(&s, &cfg(&own), &mut |_, _| {}).expect_err("refused");
    assert!(e.to_string().contains("powerdyn did not write it"), "{e}");
    assert!(own.join("scenario/balanced-couple.toml").exists());
    assert!(!own.join("manifest.json").exists());
    // scenario/ a link to a folder elsewhere.
    #[cfg(unix)]
    {
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let out = dir.path().join("linked");
        std::fs::create_dir_all(&out).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("scenario")).unwrap();
        let e = powerdyn::run::run(&s, &cfg(&out), &mut |_, _| {}).expect_err("refused");
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}

/// Removing an earlier run's copies never goes through a symbolic link.
#[cfg(unix)]
#[test]
fn removing_old_scenario_copies_never_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("bases")).unwrap();
    std::fs::copy(
        crate::support::root().join("scenarios/couple-money.toml"),
        root.join("bases/cm.toml"),
    )
    .unwrap();
    std::fs::write(
        root.join("v.toml"),
        "extends = \"bases/cm.toml\"\nname = \"v\"\n",
    )
    .unwrap();
    let v = powerdyn::scenario::load(&root.join("v.toml")).unwrap();
    let out = root.join("out");
    crate::support::run_into(&v, 1, 5, 1, &out);
    assert!(out.join("scenario/bases/cm.toml").exists());
    // The copies' folder replaced by a link to precious files elsewhere.
    let precious = root.join("precious");
    std::fs::create_dir_all(&precious).unwrap();
    std::fs::write(precious.join("cm.toml"), "keep me").unwrap();
    std::fs::remove_dir_all(out.join("scenario/bases")).unwrap();
    std::os::unix::fs::symlink(&precious, out.join("scenario/bases")).unwrap();
    let other = crate::support::bundled("balanced-couple");
    crate::support::run_into(&other, 1, 5, 1, &out);
    assert_eq!(
        std::fs::read_to_string(precious.join("cm.toml")).unwrap(),
        "keep me"
    );
}

/// A base whose path cannot be written as plain names (a backslash in a
/// folder's name) still loads; its runs keep no copies, give no rerun and
/// say why.
#[cfg(unix)]
#[test]
fn a_base_that_cannot_be_copied_still_runs_without_copies() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("we\\ird");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::copy(
        crate::support::root().join("scenarios/couple-money.toml"),
        odd.join("cm.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("w.toml"),
        "extends = \"we\\\\ird/cm.toml\"\nname = \"w\"\n",
    )
    .unwrap();
    let s = powerdyn::scenario::load(&dir.path().join("w.toml")).unwrap();
    assert!(s.inputs.is_empty());
    assert_eq!(s.warnings.len(), 1);
    assert!(s.warnings[0].contains("keeps no copy"), "{}", s.warnings[0]);
    let out = dir.path().join("out");
    crate::support::run_into(&s, 1, 5, 1, &out);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["rerun"], serde_json::Value::Null);
    assert_eq!(m["inputs"], serde_json::json!([]));
    assert!(m["warnings"][0].as_str().unwrap().contains("keeps no copy"));
    assert!(!out.join("scenario").exists());
}

/// A folder of the user's holding files of the names powerdyn writes, and
/// nothing that says powerdyn wrote it, is refused by run and sweep before
/// anything changes.
#[test]
fn a_folder_of_the_users_with_files_of_output_names_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("report.html"), "my report").unwrap();
    std::fs::write(mine.join("aggregate.csv"), "a,b\n").unwrap();
    bundled_into(dir.path(), "balanced-couple");
    let r = powerdyn(
        dir.path(),
        &[
            "run",
            "balanced-couple.toml",
            "--out",
            "mine",
            "--steps",
            "5",
            "-q",
        ],
    );
    check_refused(
        &r,
        "run",
        "mine",
        &["is here, and nothing says powerdyn wrote this folder"],
    );
    std::fs::write(
        dir.path().join("sw.toml"),
        "name = \"sw\"\nscenario = \"balanced-couple.toml\"\nsteps = 5\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1] }\n",
    )
    .unwrap();
    let r = powerdyn(dir.path(), &["sweep", "sw.toml", "--out", "mine", "-q"]);
    check_refused(
        &r,
        "sweep",
        "mine",
        &["nothing says powerdyn wrote this folder"],
    );
    assert_eq!(
        std::fs::read_to_string(mine.join("report.html")).unwrap(),
        "my report"
    );
    assert_eq!(
        std::fs::read_dir(&mine).unwrap().count(),
        2,
        "nothing added"
    );
}

/// Each problem of a scenario text as `path: message`, in the order given.
fn problems(text: &str) -> Vec<String> {
    match powerdyn::scenario::parse_bytes("t.toml", text.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(e) => {
            e.0.iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect()
        }
    }
}

#[test]
fn one_mistake_gives_one_error_not_follow_on_ones() {
    let pop = |count: &str, network: &str| {
        format!(
            "name = \"t\"\n[[populations]]\nname = \"p\"\ncount = {count}\n[network]\n{network}\n"
        )
    };
    // An invalid count: no network check against it (it overflowed: "more
    // than the 18446744073709551615 other agents"), and none against 0.
    for count in ["200000001", "0"] {
        for net in [
            "kind = \"erdos_renyi\"\nmean_degree = 10",
            "kind = \"ring\"\nk = 4",
            "kind = \"barabasi_albert\"\nm = 2",
            "kind = \"erdos_renyi\"\np = 0.5",
        ] {
            let p = problems(&pop(count, net));
            assert_eq!(p.len(), 1, "count {count}, {net}: {p:?}");
            assert!(p[0].starts_with("populations[0].count: "), "{p:?}");
        }
    }
    // Both densities: one error, mean_degree not called unknown.
    let p = problems(&pop(
        "10",
        "kind = \"erdos_renyi\"\np = 0.3\nmean_degree = 3",
    ));
    assert_eq!(p, ["network.p: give either p or mean_degree, not both"]);
    let p = problems(&pop("10", "kind = \"erdos_renyi\""));
    assert_eq!(
        p,
        ["network.p: missing the tie density: give p or mean_degree"]
    );
    // A ring too wide for its agents suggests a k that fits.
    let e = powerdyn::scenario::parse_bytes("t.toml", pop("4", "kind = \"ring\"").as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("k = 4 must be even and below the 4 agents"),
        "{e}"
    );
    assert!(e.contains("use k = 2"), "{e}");
    let e =
        powerdyn::scenario::parse_bytes("t.toml", pop("7", "kind = \"ring\"\nk = 8").as_bytes())
            .unwrap_err()
            .to_string();
    assert!(e.contains("below 7, such as 6"), "{e}");
    // A malformed pair: no "the edge list is empty" besides. Every pair is
    // checked: a repeat is reported beside a self-tie.
    let edges = |list: &str| {
        format!("name = \"t\"\n[[agents]]\nname = \"boss\"\n[[populations]]\nname = \"w\"\ncount = 2\n[network]\nkind = \"edges\"\nedges = {list}\n")
    };
    assert_eq!(
        problems(&edges("[[\"boss\", \"w#0\", \"w#1\"]]")),
        ["network.edges[0]: expected a pair of agent names"]
    );
    assert_eq!(
        problems(&edges(
            "[[\"boss\", \"boss\"], [\"boss\", \"w#0\"], [\"w#0\", \"boss\"]]"
        )),
        [
            "network.edges[0]: an agent cannot be tied to itself",
            "network.edges[2]: this pair repeats network.edges[1]"
        ]
    );
    // An undeclared group in a two-group intersection: that error alone.
    let p = problems(
        "name = \"t\"\n[groups.women]\n[[intersections]]\ngroups = [\"women\", \"black\"]\npay = 0.9\n[[populations]]\nname = \"p\"\ncount = 4\n[network]\nkind = \"complete\"\n",
    );
    assert_eq!(
        p,
        ["intersections[0].groups: group `black` is not declared"]
    );
    // A distribution without `dist`, or with an unknown one: its
    // parameters are not called unknown keys.
    let p = problems(&pop(
        "4\nmotive = { low = 0.1, high = 0.5 }\nresources = { dist = \"gaussian\", mean = 1, sd = 0.2 }",
        "kind = \"complete\"",
    ));
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("a distribution needs a `dist` key"), "{p:?}");
    assert!(p[1].contains("unknown distribution `gaussian`"), "{p:?}");
    // The help for an unknown key of an event lists every key an event takes.
    let e = powerdyn::scenario::parse_bytes(
        "t.toml",
        pop(
            "4",
            "kind = \"complete\"\n[[events]]\nkind = \"counseling\"\nat = 3",
        )
        .as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("expected one of: name, kind, step, from, every, until, targets,"),
        "{e}"
    );
    // A table given as a number inside an array of tables: an inline table
    // is the way ([agents[0].bases] is not TOML).
    let e = powerdyn::scenario::parse_bytes(
        "t.toml",
        b"name = \"t\"\n[[agents]]\nname = \"a\"\nbases = 0.5\n[[agents]]\nname = \"b\"\n[network]\nkind = \"complete\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("write it as an inline table: bases = { ... }"),
        "{e}"
    );
    // TOML syntax errors come in line order.
    let e = powerdyn::scenario::parse_bytes("t.toml", b"name = \"t\nsteps = = 3\n[[agents]")
        .unwrap_err();
    let lines: Vec<usize> = e.0.iter().filter_map(|d| d.line_col.map(|l| l.0)).collect();
    assert!(lines.len() >= 2 && lines.is_sorted(), "{lines:?}");
}

#[test]
fn an_extends_that_is_not_a_file_name_is_the_only_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.toml");
    std::fs::write(&f, "extends = 3\nname = \"x\"\n").unwrap();
    let e = powerdyn::scenario::load(&f).unwrap_err().to_string();
    assert!(e.contains("extends: expected a string"), "{e}");
    assert!(!e.contains("[network]"), "{e}");
}

#[test]
fn a_near_miss_stays_a_warning_beside_errors_elsewhere_and_joins_errors_in_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    let base = "name = \"office\"\n[[agents]]\nname = \"employee\"\n[[agents]]\nname = \"boss\"\n[network]\nkind = \"complete\"\n";
    std::fs::write(dir.path().join("office.toml"), base).unwrap();
    let f = dir.path().join("v.toml");
    // Unrelated error: the near miss is not an error.
    std::fs::write(
        &f,
        "extends = \"office.toml\"\nname = \"v\"\nsteps = 0\n[[agents]]\nname = \"employe\"\nexit_cost = 0.1\n",
    )
    .unwrap();
    let powerdyn::Error::Input(e) = powerdyn::scenario::load(&f).unwrap_err() else {
        panic!("an input error")
    };
    assert_eq!(e.0.len(), 1, "{e}");
    assert_eq!(e.0[0].path, "steps");
    // An error in the misspelt entry: the near miss is said beside it.
    std::fs::write(
        &f,
        "extends = \"office.toml\"\nname = \"v\"\n[[agents]]\nname = \"employe\"\nexit_cost = 7\n",
    )
    .unwrap();
    let e = powerdyn::scenario::load(&f).unwrap_err().to_string();
    assert!(e.contains("exit_cost"), "{e}");
    assert!(e.contains("did you mean `employee`?"), "{e}");
}

#[test]
fn agent_references_groups_and_counts_are_written_one_way() {
    let base = |agents: &str, network: &str| {
        format!("name = \"t\"\n[groups.x]\n[groups.y]\n{agents}[network]\n{network}\n")
    };
    let pops = "[[agents]]\nname = \"boss\"\n[[populations]]\nname = \"w\"\ncount = 3\n";
    // `w#00` and `w#+1` name agents another way than counted: refused.
    for label in ["w#00", "w#+1", "w# 1"] {
        let p = problems(&base(
            pops,
            &format!("kind = \"edges\"\nedges = [[\"boss\", \"{label}\"]]"),
        ));
        assert_eq!(p.len(), 1, "{label}: {p:?}");
        assert!(
            p[0].contains(&format!("no agent is called `{label}`")),
            "{p:?}"
        );
    }
    assert!(problems(&base(
        pops,
        "kind = \"edges\"\nedges = [[\"boss\", \"w#0\"], [\"w#2\", \"w#1\"]]"
    ))
    .is_empty());
    // A group twice in an intersection.
    let p = problems(&base(
        &format!("[[intersections]]\ngroups = [\"x\", \"x\"]\npay = 0.9\n{pops}"),
        "kind = \"complete\"",
    ));
    assert_eq!(p, ["intersections[0].groups: group `x` is listed twice"]);
    // A count on an individual: the hint is [[populations]].
    let e = powerdyn::scenario::parse_bytes(
        "t.toml",
        base(
            "[[agents]]\nname = \"a\"\ncount = 5\n[[agents]]\nname = \"b\"\n",
            "kind = \"complete\"",
        )
        .as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("agents[0].count: an [[agents]] entry is one agent"),
        "{e}"
    );
    assert!(e.contains("[[populations]]"), "{e}");
    assert!(!e.contains("unknown key"), "{e}");
}

#[test]
fn a_kind_that_is_missing_or_unknown_is_the_entrys_only_error() {
    let scen = |extra: &str, network: &str| {
        format!("name = \"t\"\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n{extra}[network]\n{network}\n")
    };
    for events in [
        "[[events]]\nstep = 5\ntargets = [\"a\"]\nrelief = 0.5\n",
        "[[events]]\nkind = \"counselling\"\nstep = 5\nrelief = 0.5\n",
        "[[events]]\nkind = 3\nstep = 5\nrelief = 0.5\n",
    ] {
        let p = problems(&scen(events, "kind = \"complete\""));
        assert_eq!(p.len(), 1, "{events}: {p:?}");
        assert!(p[0].starts_with("events[0].kind: "), "{p:?}");
    }
    for network in ["kind = \"rign\"\nk = 4", "k = 4"] {
        let p = problems(&scen("", network));
        assert_eq!(p.len(), 1, "{network}: {p:?}");
        assert!(p[0].starts_with("network.kind: "), "{p:?}");
    }
    // A misspelt key beside a known kind is still an error.
    let p = problems(&scen(
        "[[events]]\nkind = \"counseling\"\nstep = 5\nrelif = 0.5\n",
        "kind = \"complete\"",
    ));
    assert_eq!(p, ["events[0].relif: unknown key `relif`"]);
}

#[test]
fn until_beside_step_is_refused_not_ignored() {
    let p = problems(
        "name = \"t\"\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[network]\nkind = \"complete\"\n[[events]]\nkind = \"counseling\"\nstep = 5\nuntil = 20\n",
    );
    assert_eq!(
        p,
        ["events[0].step: give either step (once) or from/every/until (a schedule), not both"]
    );
}

#[test]
fn a_bad_count_beside_good_entries_adds_no_network_error() {
    for (count, network) in [
        ("0", "kind = \"ring\"\nk = 4"),
        ("300000000", "kind = \"erdos_renyi\"\nmean_degree = 10"),
    ] {
        let p = problems(&format!(
            "name = \"t\"\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[[populations]]\nname = \"p\"\ncount = {count}\n[network]\n{network}\n"
        ));
        assert_eq!(p.len(), 1, "{count}: {p:?}");
        assert!(p[0].starts_with("populations[0].count: "), "{p:?}");
    }
}

#[test]
fn problems_come_file_by_file_the_scenario_first_then_its_base() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("base.toml"),
        "name = \"base\"\nsteps = 0\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[network]\nkind = \"complete\"\n",
    )
    .unwrap();
    let f = dir.path().join("child.toml");
    std::fs::write(
        &f,
        "extends = \"base.toml\"\nname = \"child\"\n\n\n[rules.coercion]\nharn = 0.5\n",
    )
    .unwrap();
    let powerdyn::Error::Input(e) = powerdyn::scenario::load(&f).unwrap_err() else {
        panic!("an input error")
    };
    let files: Vec<&str> = e.0.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(e.0.len(), 2, "{e}");
    assert!(
        files[0].ends_with("child.toml") && files[1].ends_with("base.toml"),
        "{e}"
    );
}

/// A symbolic link left in an output folder under a name powerdyn writes
/// (a `.part` file, an output, the sweep's state or logs) never makes it
/// write outside the folder: `run` and `sweep` refuse the folder (exit 2)
/// before changing anything, and `report` replaces a linked `.part` with a
/// file of its own.
#[cfg(unix)]
#[test]
fn links_left_in_an_output_folder_are_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let precious = d.join("thesis.csv");
    std::fs::write(&precious, "my thesis data\n").unwrap();
    let scen = bundled_into(d, "couple-money");
    let scen = scen.to_str().unwrap();
    let run_into = |out: &Path| {
        powerdyn(
            d,
            &[
                "run",
                scen,
                "--steps",
                "20",
                "-q",
                "--out",
                out.to_str().unwrap(),
            ],
        )
    };
    for name in [
        "summary.json.part",
        "timeseries.csv.part",
        "summary.json",
        ".powerdyn-copies.part",
    ] {
        let out = d.join(format!("run-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        std::os::unix::fs::symlink(&precious, out.join(name)).unwrap();
        let r = run_into(&out);
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{name} is a symbolic link")),
            "{}",
            r.stderr
        );
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "{name}: nothing else made"
        );
    }
    let sweep = d.join("s.toml");
    std::fs::write(
        &sweep,
        "name = \"s\"\nscenario = \"couple-money.toml\"\nsteps = 20\n[parameters]\n\"rules.coercion.harm\" = { values = [0.1, 0.3] }\n",
    )
    .unwrap();
    for name in ["runs.csv.part", ".sweep-state", "timeseries.csv.part"] {
        let out = d.join(format!("sweep-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        std::os::unix::fs::symlink(&precious, out.join(name)).unwrap();
        let r = powerdyn(
            d,
            &["sweep", "s.toml", "-q", "--out", out.to_str().unwrap()],
        );
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert!(r.stderr.contains("is a symbolic link"), "{}", r.stderr);
    }
    // report: a finished run's folder with a linked report.html.part.
    let out = d.join("ran");
    let r = run_into(&out);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    std::os::unix::fs::symlink(&precious, out.join("report.html.part")).unwrap();
    let r = powerdyn(d, &["report", out.to_str().unwrap()]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!out
        .join("report.html")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "my thesis data\n"
    );
}

/// Every rule on at the extremes of its ranges: the run finishes, and the
/// shares it writes stay in [0, 1] (social power came out at -2e-17 before
/// it was clamped at 0).
#[test]
fn an_extreme_scenario_runs_and_its_shares_stay_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("extreme.toml");
    std::fs::copy(root().join("tests/data/extreme-parameters.toml"), &scen).unwrap();
    let r = powerdyn(dir.path(), &["run", "extreme.toml", "-q", "--out", "o"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("o/agents.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "social_power").unwrap();
    let mut seen = 0;
    for line in lines {
        let cell = line.split(',').nth(col).unwrap();
        if !cell.is_empty() {
            let x: f64 = cell.parse().unwrap();
            assert!((0.0..=1.0).contains(&x), "social_power {x}");
            assert!(!cell.starts_with('-'), "social_power {cell}");
            seen += 1;
        }
    }
    assert!(seen > 0);
}
