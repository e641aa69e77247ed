//! Groups, events and interventions, and scenario composition.

use powerdyn::engine::Simulation;
use powerdyn::model::LEGITIMATE;

use crate::support::{bundled, mean_after, parse, root, run_into};

fn run_pair(
    a: &str,
    b: &str,
    seed: u64,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    let (sa, sb) = (bundled(a), bundled(b));
    run_into(&sa, seed, sa.steps, 1, &da);
    run_into(&sb, seed, sb.steps, 1, &db);
    (tmp, da, db)
}

#[test]
fn counseling_lowers_resentment_and_brings_consulting_after_it_starts() {
    for seed in [1, 2, 3] {
        let (_t, with, without) = run_pair("couple-money-counseling", "couple-money", seed);
        assert!(
            mean_after(&with, "mean_resentment", 1200)
                < 0.5 * mean_after(&without, "mean_resentment", 1200)
        );
        assert!(
            mean_after(&with, "tactic_consult", 1200)
                > mean_after(&without, "tactic_consult", 1200)
        );
        // Sessions at 1000, 1100, ..., 1900 (one due at the last step would apply after it).
        let events = std::fs::read_to_string(with.join("events.csv")).unwrap();
        assert_eq!(
            events.lines().filter(|l| l.contains("counseling")).count(),
            10,
            "{events}"
        );
    }
}

#[test]
fn sanctions_deter_coercion_and_relieve_the_target() {
    for seed in [1, 2, 3] {
        let (_t, with, without) = run_pair("bully-sanctions", "bully-target-stays", seed);
        assert!(
            mean_after(&with, "tactic_coercive", 700)
                < 0.7 * mean_after(&without, "tactic_coercive", 700)
        );
        assert!(
            mean_after(&with, "mean_resentment", 1000)
                < 0.7 * mean_after(&without, "mean_resentment", 1000)
        );
    }
}

#[test]
fn a_biased_arbitrator_leaves_a_larger_gap_than_a_neutral_one() {
    for seed in [1, 2, 3] {
        let (_t, neutral, biased) = run_pair("arbitration-neutral", "arbitration-biased", seed);
        assert!(
            mean_after(&biased, "resources_gini", 400)
                > mean_after(&neutral, "resources_gini", 400) + 0.05
        );
        assert!(
            mean_after(&biased, "mean_resentment", 400)
                > mean_after(&neutral, "mean_resentment", 400)
        );
    }
}

const GROUPS: &str = r#"
name = "groups"
[groups.a]
pay = 1.0
promotion = 1.0
[groups.b]
pay = 0.5
acceptance = 0.5
promotion = 0.2
[groups.c]
[[intersections]]
groups = ["b", "c"]
pay = 0.5
[[populations]]
name = "pa"
count = 40
groups = ["a"]
income = 2
bases = { legitimate = 1.0 }
[[populations]]
name = "pb"
count = 40
groups = ["b"]
income = 2
bases = { legitimate = 1.0 }
[[populations]]
name = "pbc"
count = 40
groups = ["b", "c"]
income = 2
bases = { legitimate = 1.0 }
[network]
kind = "complete"
[rules.tactics]
enabled = false
[[events]]
kind = "promotion"
step = 5
probability = 0.5
amount = 1.0
[[events]]
kind = "resource_shock"
step = 7
targets = ["group:a"]
factor = 2.0
[[events]]
kind = "job_market"
step = 8
targets = ["pb"]
exit_cost = 0.05
alternatives = 4
"#;

#[test]
fn group_modifiers_and_intersections_shape_pay_acceptance_and_promotion() {
    let mut sim = Simulation::new(&parse(GROUPS), 4, 0).unwrap();
    let a = &sim.world.agents;
    assert_eq!(a.income.get(0), 2.0);
    assert_eq!(a.income.get(40), 1.0, "group b earns half");
    assert_eq!(a.income.get(80), 0.5, "b and c: a super-additive penalty");
    assert_eq!(a.acceptance_of(40), 0.5);
    for _ in 0..10 {
        sim.step();
    }
    let a = &sim.world.agents;
    let promoted =
        |range: std::ops::Range<usize>| range.filter(|&i| a.bases[LEGITIMATE][i] > 1.5).count();
    assert!(
        promoted(0..40) > 2 * promoted(40..80).max(1),
        "{} vs {}",
        promoted(0..40),
        promoted(40..80)
    );
    assert!((40..80).all(|i| a.exit_cost.get(i) == 0.05) && a.exit_cost.get(0) != 0.05);
    assert!(a.alternatives[40..80].iter().all(|&x| x == 4.0));
    let log = sim.take_event_log();
    assert_eq!(
        log.iter().map(|r| r.kind).collect::<Vec<_>>(),
        ["promotion", "resource_shock", "job_market"]
    );
}

#[test]
fn a_job_market_that_reaches_everyone_leaves_one_shared_exit_cost() {
    // Exit costs every agent shares are stored once; an event that sets some
    // spreads them into a column, and one that sets everyone's stores the
    // new value once again.
    let start = Simulation::new(&parse(GROUPS), 4, 0).unwrap();
    let before = &start.world.agents.exit_cost;
    assert!(before.is_uniform());
    for (targets, uniform) in [(r#"["pb"]"#, false), (r#"["pa", "pb", "pbc"]"#, true)] {
        let text = GROUPS.replace(r#"targets = ["pb"]"#, &format!("targets = {targets}"));
        let mut sim = Simulation::new(&parse(&text), 4, 0).unwrap();
        for _ in 0..10 {
            sim.step();
        }
        let c = &sim.world.agents.exit_cost;
        assert_eq!(c.is_uniform(), uniform, "{targets}");
        assert_eq!((c.len(), c.get(50)), (120, 0.05), "{targets}");
        if !uniform {
            // Agents outside the targets keep the shared value.
            assert!((0..40).chain(80..120).all(|i| c.get(i) == before.get(i)));
            assert_ne!(before.get(0), 0.05);
        }
    }
}

#[test]
fn a_resource_shock_multiplies_the_targets_resources_and_pay_gaps_show_between_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let s = parse(GROUPS);
    run_into(&s, 1, 10, 1, tmp.path());
    let after = mean_after(tmp.path(), "group_a_resources", 8);
    let other = mean_after(tmp.path(), "group_b_resources", 8);
    assert!(after > 1.8 * other, "{after} vs {other}");
    assert!(mean_after(tmp.path(), "resources_theil_between", 8) > 0.01);
    let share = mean_after(tmp.path(), "resources_between_share", 8);
    assert!(
        share > 0.5 && share <= 1.0,
        "most of the inequality lies between the groups: {share}"
    );
}

#[test]
fn a_scenario_can_extend_a_base_and_override_parts_of_it() {
    let s =
        powerdyn::scenario::load(&root().join("scenarios/couple-money-counseling.toml")).unwrap();
    let base = bundled("couple-money");
    assert_eq!(s.name, "couple-money-counseling");
    assert_eq!(s.cohorts, base.cohorts, "agents come from the base");
    assert_eq!(s.rules, base.rules);
    assert_eq!(s.events.len(), 1);
    assert_ne!(s.sha256, base.sha256);
}

#[test]
fn extends_refuses_cycles_paths_outside_the_folder_and_missing_bases() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scenarios");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(tmp.path().join("outside.toml"), "name = \"o\"\n").unwrap();
    let cases = [
        ("a.toml", "extends = \"b.toml\"\nname = \"a\"\n", "cycle"),
        (
            "esc.toml",
            "extends = \"../outside.toml\"\nname = \"e\"\n",
            "outside the scenario's folder",
        ),
        (
            "abs.toml",
            "extends = \"/etc/hostname\"\nname = \"e\"\n",
            "absolute path",
        ),
        (
            "miss.toml",
            "extends = \"nowhere.toml\"\nname = \"m\"\n",
            "cannot read",
        ),
    ];
    std::fs::write(dir.join("b.toml"), "extends = \"a.toml\"\nname = \"b\"\n").unwrap();
    for (file, text, expect) in cases {
        std::fs::write(dir.join(file), text).unwrap();
        let err = powerdyn::scenario::load(&dir.join(file)).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(expect), "{file}: {err}");
    }
}

#[test]
fn agents_join_and_leave_and_ties_are_cut_and_added_on_schedule() {
    let text = r#"
name = "structure"
[[agents]]
name = "a"
bases = { referent = 1.0, expert = 1.0 }
[[agents]]
name = "b"
bases = { referent = 1.0, expert = 1.0 }
[[agents]]
name = "c"
bases = { referent = 1.0, expert = 1.0 }
[[agents]]
name = "newcomer"
bases = { referent = 1.0, expert = 1.0 }
[network]
kind = "complete"
[[events]]
kind = "join"
step = 10
targets = ["newcomer"]
[[events]]
kind = "tie_cut"
step = 5
pairs = [["a", "b"]]
[[events]]
kind = "leave"
step = 20
targets = ["c"]
"#;
    let mut sim = Simulation::new(&parse(text), 1, 0).unwrap();
    let eng = |s: &Simulation, i: usize, j: usize| {
        s.world.ties.state[s.world.ties.half(i, j).unwrap()].engagement
    };
    assert_eq!(eng(&sim, 3, 0), 0.0, "the newcomer is not there yet");
    for _ in 0..9 {
        sim.step();
        assert!(
            !sim.effects()[3].acted(),
            "the newcomer does nothing before joining"
        );
    }
    for _ in 0..21 {
        sim.step();
    }
    assert_eq!(eng(&sim, 0, 1), 0.0, "a-b was cut and stays cut");
    assert_eq!(eng(&sim, 1, 0), 0.0);
    assert!(eng(&sim, 3, 0) > 0.5, "the newcomer joined");
    for j in [0, 1, 3] {
        assert_eq!(eng(&sim, 2, j), 0.0, "c left");
        assert_eq!(eng(&sim, j, 2), 0.0);
    }
    let kinds: Vec<&str> = sim.take_event_log().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, ["tie_cut", "join", "leave"]);
}

#[test]
fn an_extending_file_overrides_agents_by_name_and_appends_new_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "name = \"base\"\n[[agents]]\nname = \"a\"\nexit_cost = 0.9\n[[agents]]\nname = \"b\"\nexit_cost = 0.9\n[network]\nkind = \"complete\"\n";
    let child = "extends = \"base.toml\"\nname = \"child\"\n[[agents]]\nname = \"b\"\nexit_cost = 0.1\n[[agents]]\nname = \"c\"\n";
    std::fs::write(tmp.path().join("base.toml"), base).unwrap();
    std::fs::write(tmp.path().join("child.toml"), child).unwrap();
    let s = powerdyn::scenario::load(&tmp.path().join("child.toml")).unwrap();
    let names: Vec<&str> = s.cohorts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let exit = |k: usize| s.cohorts[k].attributes.exit_cost.mean();
    assert_eq!(
        (exit(0), exit(1)),
        (0.9, 0.1),
        "b's exit cost overridden, a's kept"
    );
    // A problem in the base is reported in the base file, at its line.
    std::fs::write(
        tmp.path().join("base.toml"),
        base.replace("exit_cost = 0.9\n[[agents]]", "exit_cost = 9\n[[agents]]"),
    )
    .unwrap();
    let err = powerdyn::scenario::load(&tmp.path().join("child.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("base.toml:4:13"), "{err}");
}

#[test]
fn an_extending_file_changes_named_events_and_intersections_and_appends_unnamed_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let base = "name = \"base\"\n[groups.w]\n[groups.p]\n\
                [[intersections]]\nname = \"wp\"\ngroups = [\"w\", \"p\"]\nalternatives = 0.9\n\
                [[agents]]\nname = \"a\"\ngroups = [\"w\", \"p\"]\n[[agents]]\nname = \"b\"\n\
                [[events]]\nname = \"help\"\nkind = \"counseling\"\nfrom = 100\nevery = 50\n\
                [network]\nkind = \"complete\"\n";
    let child = "extends = \"base.toml\"\nname = \"child\"\n\
                 [[intersections]]\nname = \"wp\"\nalternatives = 0.5\n\
                 [[events]]\nname = \"help\"\nfrom = 20\n\
                 [[events]]\nkind = \"counseling\"\nstep = 7\n";
    std::fs::write(tmp.path().join("base.toml"), base).unwrap();
    std::fs::write(tmp.path().join("child.toml"), child).unwrap();
    let s = powerdyn::scenario::load(&tmp.path().join("child.toml")).unwrap();
    assert_eq!(
        s.intersections.len(),
        1,
        "the named intersection changed in place"
    );
    assert_eq!(
        s.intersections[0].0,
        [0, 1],
        "its groups kept from the base"
    );
    assert_eq!(
        s.events.len(),
        2,
        "the named event changed, the unnamed one added"
    );
    assert_eq!(s.events[0].name.as_deref(), Some("help"));
    assert_eq!((s.events[0].from, s.events[0].every), (20, 50));
    assert_eq!((s.events[1].name.as_deref(), s.events[1].from), (None, 7));
    let base_only = powerdyn::scenario::load(&tmp.path().join("base.toml")).unwrap();
    assert_ne!(
        s.intersections, base_only.intersections,
        "the child's alternatives replace the base's"
    );
    // A late named event is warned about by its name.
    assert_eq!(
        s.unreached_events(10),
        ["events[0] (`help`, counseling) at step 20 never happens: events apply at the start of steps 0 to 9 (the last record, at step 10, is the state after them)"]
    );
}

#[test]
fn a_scenario_in_memory_reads_as_its_files_would() {
    let base = std::fs::read(root().join("scenarios/couple-money.toml")).unwrap();
    let child = std::fs::read(root().join("scenarios/couple-money-counseling.toml")).unwrap();
    let s = powerdyn::scenario::parse_files(&[
        ("couple-money-counseling.toml", &child),
        ("couple-money.toml", &base),
    ])
    .unwrap();
    let from_files = bundled("couple-money-counseling");
    assert_eq!(s.sha256, from_files.sha256);
    assert_eq!(s.events, from_files.events);
    assert_eq!(s.cohorts, from_files.cohorts);
    let paths: Vec<&str> = s.inputs.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["couple-money-counseling.toml", "couple-money.toml"]);
    // A base not given, a cycle, a path that is not plain names.
    let missing = powerdyn::scenario::parse_files(&[("c.toml", &child)]).unwrap_err();
    assert!(
        missing.to_string().contains("not among the files given"),
        "{missing}"
    );
    let a = b"extends = \"b.toml\"\nname = \"a\"\n";
    let b = b"extends = \"a.toml\"\nname = \"b\"\n";
    let cycle =
        powerdyn::scenario::parse_files(&[("a.toml", &a[..]), ("b.toml", &b[..])]).unwrap_err();
    assert!(cycle.to_string().contains("cycle"), "{cycle}");
    let escape = powerdyn::scenario::parse_files(&[("../x.toml", &base)]).unwrap_err();
    assert_eq!(escape.exit_code(), 2);
}

#[test]
fn a_misspelt_entry_name_in_an_extending_file_is_pointed_out() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["couple-money.toml", "couple-money-counseling.toml"] {
        std::fs::copy(root().join("scenarios").join(f), tmp.path().join(f)).unwrap();
    }
    // Complete: valid, but a second event; warned about at its line.
    std::fs::write(
        tmp.path().join("v5.toml"),
        "extends = \"couple-money-counseling.toml\"\nname = \"v5\"\n[[events]]\nname = \"counselling\"\nkind = \"counseling\"\nfrom = 1000\nevery = 100\n",
    )
    .unwrap();
    let s = powerdyn::scenario::load(&tmp.path().join("v5.toml")).unwrap();
    assert_eq!(s.events.len(), 2);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].contains("v5.toml:3:1"), "{}", s.warnings[0]);
    assert!(
        s.warnings[0].contains("did you mean `counseling`?"),
        "{}",
        s.warnings[0]
    );
    // Partial: refused, the misspelling among the reasons.
    std::fs::write(
        tmp.path().join("v4.toml"),
        "extends = \"couple-money-counseling.toml\"\nname = \"v4\"\n[[events]]\nname = \"counselling\"\nrelief = 0.9\n",
    )
    .unwrap();
    let e = powerdyn::scenario::load(&tmp.path().join("v4.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("write name = \"counseling\""), "{e}");
    // No bundled scenario is warned about.
    for f in crate::support::bundled_files() {
        let s = powerdyn::scenario::load(&f).unwrap();
        assert!(s.warnings.is_empty(), "{}: {:?}", f.display(), s.warnings);
    }
}

#[test]
fn new_entries_of_an_extending_file_are_matched_only_against_its_base() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("scenarios/couple-money.toml"),
        tmp.path().join("couple-money.toml"),
    )
    .unwrap();
    // Two new agents of near names: no warning about each other.
    std::fs::write(
        tmp.path().join("kids.toml"),
        "extends = \"couple-money.toml\"\nname = \"kids\"\n[[agents]]\nname = \"kid1\"\n[[agents]]\nname = \"kid2\"\n",
    )
    .unwrap();
    let s = powerdyn::scenario::load(&tmp.path().join("kids.toml")).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.cohorts.len(), 4);
    // Two new events of one name: refused, as in a file extending nothing.
    std::fs::write(
        tmp.path().join("dup.toml"),
        "extends = \"couple-money.toml\"\nname = \"dup\"\n[[events]]\nname = \"extra\"\nkind = \"counseling\"\nstep = 5\n[[events]]\nname = \"extra\"\nkind = \"counseling\"\nstep = 9\n",
    )
    .unwrap();
    let e = powerdyn::scenario::load(&tmp.path().join("dup.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("the name `extra` is used by two events"), "{e}");
}

#[test]
fn a_join_opens_no_tie_to_a_leaver_or_a_cut_tie_and_closed_ties_carry_no_act_complaint_or_bargain()
{
    // Everyone resents everyone from the start, so complaints are frequent.
    let text = r#"
name = "closed"
[[agents]]
name = "a"
bases = { coercive = 1.0, referent = 1.0 }
[[agents]]
name = "b"
bases = { coercive = 1.0, referent = 1.0 }
[[agents]]
name = "c"
bases = { coercive = 1.0, referent = 1.0 }
[[agents]]
name = "newcomer"
bases = { coercive = 1.0, referent = 1.0 }
[network]
kind = "complete"
[rules.response]
voice_bias = 3.0
[rules.withdrawal]
withdrawn_below = 0
[rules.negotiation]
[[events]]
kind = "tie_cut"
step = 2
pairs = [["a", "newcomer"]]
[[events]]
kind = "leave"
step = 3
targets = ["c"]
[[events]]
kind = "join"
step = 10
targets = ["newcomer"]
"#;
    let mut sim = Simulation::new(&parse(text), 7, 0).unwrap();
    for t in sim.world.ties.state.iter_mut() {
        t.resentment = 5.0;
    }
    let mut voices_after_leave = 0;
    for step in 0..60 {
        sim.step();
        let ties = &sim.world.ties;
        for (i, eff) in sim.effects().iter().enumerate() {
            if eff.acted() {
                assert!(
                    !ties.closed[eff.tie as usize],
                    "step {step}: agent {i} acted on a closed tie ({eff:?})"
                );
                if i == 2 && step >= 3 {
                    voices_after_leave += 1;
                }
            }
        }
    }
    assert_eq!(voices_after_leave, 0, "c, gone, neither acts nor complains");
    let eng =
        |i: usize, j: usize| sim.world.ties.state[sim.world.ties.half(i, j).unwrap()].engagement;
    assert_eq!(eng(3, 0), 0.0, "the tie cut before the join stays cut");
    assert_eq!(eng(3, 2), 0.0, "no tie to the one who left");
    assert!(eng(3, 1) > 0.0, "the newcomer's other tie opened");
    let log = sim.take_event_log();
    let join = log.iter().find(|r| r.kind == "join").unwrap();
    assert!(join.effect.contains("1 ties opened"), "{}", join.effect);

    // With every half usable (withdrawn_below = 0), a cut tie still carries
    // no bargain.
    let pair = r#"
name = "pair"
[[agents]]
name = "a"
[[agents]]
name = "b"
[network]
kind = "complete"
[rules.withdrawal]
withdrawn_below = 0
[rules.negotiation]
[[events]]
kind = "tie_cut"
step = 5
pairs = [["a", "b"]]
"#;
    let mut sim = Simulation::new(&parse(pair), 1, 0).unwrap();
    for _ in 0..5 {
        sim.step();
    }
    assert!(sim.take_counters().exchanges > 0, "they bargain while tied");
    for _ in 0..20 {
        sim.step();
    }
    assert_eq!(
        sim.take_counters().exchanges,
        0,
        "no bargain over a cut tie"
    );
}

#[test]
fn an_agent_who_leaves_can_join_again_and_a_cut_tie_can_be_added_again() {
    // a leaves at 10 and joins at 20; b-c is cut at 5 and added at 15:
    // both are there from the start, since their first event takes them away.
    let text = r#"
name = "again"
[[agents]]
name = "a"
bases = { referent = 1.0 }
[[agents]]
name = "b"
bases = { referent = 1.0 }
[[agents]]
name = "c"
bases = { referent = 1.0 }
[network]
kind = "complete"
[[events]]
kind = "tie_cut"
step = 5
pairs = [["b", "c"]]
[[events]]
kind = "leave"
step = 10
targets = ["a"]
[[events]]
kind = "tie_add"
step = 15
pairs = [["b", "c"]]
[[events]]
kind = "join"
step = 20
targets = ["a"]
[[events]]
kind = "tie_cut"
step = 25
pairs = [["b", "c"], ["b", "c"]]
"#;
    let mut sim = Simulation::new(&parse(text), 3, 0).unwrap();
    let open =
        |s: &Simulation, i: usize, j: usize| !s.world.ties.closed[s.world.ties.half(i, j).unwrap()];
    assert!(
        open(&sim, 0, 1) && open(&sim, 1, 2),
        "everyone is there at step 0"
    );
    let mut seen = Vec::new();
    for step in 0..30 {
        sim.step();
        seen.push((step, open(&sim, 0, 1), open(&sim, 1, 2)));
    }
    // After the step that applies the event due at s (loop index s).
    assert_eq!(seen[4], (4, true, true));
    assert_eq!(seen[5], (5, true, false), "b-c cut");
    assert_eq!(seen[10], (10, false, false), "a left");
    assert_eq!(seen[15], (15, false, true), "b-c added again");
    assert_eq!(seen[20], (20, true, true), "a back");
    assert_eq!(seen[25], (25, true, false));
    let effects: Vec<String> = sim.take_event_log().into_iter().map(|r| r.effect).collect();
    assert_eq!(
        effects,
        [
            "1 ties cut",
            "1 agents left: 2 ties closed",
            "1 ties added",
            "1 agents joined: 2 ties opened",
            // A pair named twice is cut once.
            "1 ties cut",
        ]
    );
}

#[test]
fn fixed_influence_weights_carry_nothing_over_a_closed_tie() {
    // Two agents who weigh each other equally converge at once while tied;
    // after one leaves, each keeps its own opinion.
    let scenario = |leave: bool| {
        let mut t = String::from(
            "name = \"w\"\n[[agents]]\nname = \"a\"\nopinion = 0.0\n[[agents]]\nname = \"b\"\nopinion = 1.0\n[network]\nkind = \"complete\"\n[rules.influence]\nweights = [[\"a\", \"a\", 1], [\"a\", \"b\", 1], [\"b\", \"b\", 1], [\"b\", \"a\", 1]]\n",
        );
        if leave {
            t.push_str("[[events]]\nkind = \"leave\"\nstep = 0\ntargets = [\"b\"]\n");
        }
        t
    };
    let mut tied = Simulation::new(&parse(&scenario(false)), 1, 0).unwrap();
    let mut apart = Simulation::new(&parse(&scenario(true)), 1, 0).unwrap();
    for _ in 0..5 {
        tied.step();
        apart.step();
    }
    assert_eq!(tied.world.agents.opinion, [0.5, 0.5]);
    assert_eq!(apart.world.agents.opinion, [0.0, 1.0]);
}

/// Two promotions at the same step draw independently: with probability
/// 0.5 each, about half of the agents are promoted once (the same draw for
/// both would promote each agent twice or not at all).
#[test]
fn two_promotions_at_one_step_draw_independently() {
    let text = r#"
name = "two-promotions"
[[populations]]
name = "staff"
count = 400
bases = { legitimate = 1.0 }
[network]
kind = "ring"
k = 2
[rules.tactics]
enabled = false
[[events]]
kind = "promotion"
step = 3
probability = 0.5
amount = 1.0
[[events]]
kind = "promotion"
step = 3
probability = 0.5
amount = 1.0
"#;
    let mut sim = Simulation::new(&parse(text), 9, 0).unwrap();
    for _ in 0..4 {
        sim.step();
    }
    let legit = &sim.world.agents.bases[powerdyn::model::LEGITIMATE];
    let count = |v: f32| legit.iter().filter(|&&x| x == v).count();
    let (none, once, twice) = (count(1.0), count(2.0), count(3.0));
    assert_eq!(none + once + twice, 400);
    // Binomial(400, 1/2) for once: 200 +- 10 (sd); 1/4 each for the others.
    assert!((140..=260).contains(&once), "{none} {once} {twice}");
    assert!(none > 50 && twice > 50, "{none} {once} {twice}");
}
