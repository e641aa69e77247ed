//! Each rule moves the state in the direction its mechanism says.

use powerdyn::engine::{dyad_powers, Simulation};
use powerdyn::model::{COERCIVE, CONNECTION, REWARD};

use crate::support::parse;

/// A dyad: `a` acts with the given bases; `b` has no bases and so never acts.
fn dyad(a_bases: &str, b_extra: &str, rules: &str) -> String {
    format!(
        r#"
name = "dyad"
steps = 100
[[agents]]
name = "a"
motive = 1.0
resources = 100
income = 0
bases = {{ {a_bases} }}
[[agents]]
name = "b"
resources = 100
income = 0
{b_extra}
[network]
kind = "edges"
edges = [["a", "b"]]
[rules.resources]
consumption = 0
[rules.resentment]
envy = 0
{rules}
"#
    )
}

fn sim(text: &str) -> Simulation {
    Simulation::new(&parse(text), 1, 0).expect("builds")
}

/// The half of the tie held by agent `i` (a dyad has one tie per agent).
fn half(s: &Simulation, i: usize) -> powerdyn::model::TieState {
    s.world.ties.state[s.world.ties.csr.row(i).start]
}

fn run(s: &mut Simulation, steps: usize) {
    for _ in 0..steps {
        s.step();
    }
}

#[test]
fn coercion_raises_the_targets_resentment() {
    let mut with = sim(&dyad(
        "coercive = 1.0",
        "exit_cost = 1",
        "[rules.withdrawal]\nenabled = false",
    ));
    let mut without = sim(&dyad(
        "coercive = 1.0",
        "exit_cost = 1",
        "[rules.withdrawal]\nenabled = false\n[rules.coercion]\nenabled = false",
    ));
    run(&mut with, 50);
    run(&mut without, 50);
    assert!(half(&with, 1).resentment > 1.0, "{:?}", half(&with, 1));
    assert!(half(&with, 1).affect < 0.0);
    assert!(with.world.agents.self_esteem[1] < 0.6);
    assert_eq!(half(&without, 1).resentment, 0.0);
}

#[test]
fn withdrawal_lowers_the_other_sides_power_and_restores_self_esteem() {
    let text = dyad("coercive = 1.0, legitimate = 1.0", "exit_cost = 0", "");
    let mut s = sim(&text);
    let before = {
        let p = &s.profiles;
        dyad_powers(&s.params, &p[0], &p[1], &half(&s, 0), &half(&s, 1)).0
    };
    run(&mut s, 300);
    let after = {
        let p = &s.profiles;
        dyad_powers(&s.params, &p[0], &p[1], &half(&s, 0), &half(&s, 1)).0
    };
    assert!(
        half(&s, 1).engagement < 0.5,
        "the target withdrew: {:?}",
        half(&s, 1)
    );
    assert!(
        after < 0.5 * before,
        "P(a over b) fell from {before} to {after}"
    );

    let mut stuck = sim(&dyad(
        "coercive = 1.0, legitimate = 1.0",
        "exit_cost = 0",
        "[rules.withdrawal]\nenabled = false",
    ));
    run(&mut stuck, 300);
    assert!(
        s.world.agents.self_esteem[1] > stuck.world.agents.self_esteem[1],
        "withdrawing protects self-esteem"
    );
}

#[test]
fn high_exit_cost_suppresses_withdrawal() {
    let mut free = sim(&dyad("coercive = 1.0", "exit_cost = 0.0", ""));
    let mut bound = sim(&dyad("coercive = 1.0", "exit_cost = 0.95", ""));
    run(&mut free, 300);
    run(&mut bound, 300);
    assert!(half(&free, 1).engagement < 0.3);
    assert!(half(&bound, 1).engagement > 0.9);
    assert!(half(&bound, 1).resentment > half(&free, 1).resentment);
}

#[test]
fn isolation_cuts_the_targets_other_ties_and_its_connection_power() {
    let star = |isolation: f64| {
        format!(
            r#"
name = "isolation"
[[agents]]
name = "abuser"
motive = 1.0
bases = {{ coercive = 1.0 }}
[[agents]]
name = "target"
exit_cost = 1
[[agents]]
name = "friend1"
[[agents]]
name = "friend2"
[[agents]]
name = "friend3"
[network]
kind = "edges"
edges = [["abuser", "target"], ["target", "friend1"], ["target", "friend2"], ["target", "friend3"]]
[rules.coercion]
isolation = {isolation}
isolation_cut = 0.2
[rules.withdrawal]
enabled = false
[rules.connection]
enabled = false
[rules.referent]
enabled = false
"#
        )
    };
    let mut isolated = sim(&star(1.0));
    let mut control = sim(&star(0.0));
    let start = isolated.world.agents.bases[CONNECTION][1];
    run(&mut isolated, 40);
    run(&mut control, 40);
    let target_row = isolated.world.ties.csr.row(1);
    let friends: Vec<f32> = target_row
        .clone()
        .filter(|&e| isolated.world.ties.csr.targets[e] != 0)
        .map(|e| isolated.world.ties.state[e].engagement)
        .collect();
    assert!(friends.iter().all(|&e| e < 0.5), "{friends:?}");
    assert!(isolated.world.agents.bases[CONNECTION][1] < start);
    assert!(isolated.world.agents.bases[CONNECTION][1] < control.world.agents.bases[CONNECTION][1]);
}

#[test]
fn reward_pays_the_target_and_spends_the_actors_resources() {
    // A generous rewarder: each complied reward pays three times the stake.
    let text = dyad(
        "reward = 0.5",
        "",
        "[rules.reward]\npay = 3.0\n[rules.consult]\nenabled = false",
    )
    .replacen("motive = 1.0", "motive = 0.0", 1);
    let mut s = sim(&text);
    let total0 = s.world.agents.resources.iter().sum::<f64>();
    let reward0 = s.world.agents.bases[REWARD][0];
    let mut paid = 0.0;
    for _ in 0..200 {
        s.step();
        paid += s.effects()[0].pay as f64;
    }
    let a = &s.world.agents;
    assert!(paid > 0.0);
    assert!(
        a.resources[0] < 100.0 && a.resources[1] > 100.0,
        "{:?}",
        a.resources
    );
    assert!(
        a.bases[REWARD][0] < reward0,
        "spent resources mean less reward power"
    );
    let total = a.resources.iter().sum::<f64>();
    assert!(
        (total - total0).abs() < 1e-6 * total0,
        "transfers conserve resources: {total0} -> {total}"
    );
    assert!(
        half(&s, 1).affect > 0.5,
        "rewards raise the target's affect"
    );
}

#[test]
fn resisted_coercion_is_a_contest_that_moves_both_coercive_bases() {
    // b resents and resists: its compliance is pushed far down.
    let mut s = sim(&dyad(
        "coercive = 1.0",
        "exit_cost = 1\nbases = { coercive = 1.0 }\nmotive = 0.0",
        "[rules.withdrawal]\nenabled = false\n[rules.tactics]\nsensitivity = 0\nretaliation = 0\n[rules.tactics.bias]\ncoercive = -20\n[rules.contests]\nenabled = false\nintensity = 0.02",
    ));
    let sum0 = s.world.agents.bases[COERCIVE][0] + s.world.agents.bases[COERCIVE][1];
    run(&mut s, 30);
    let c = &s.world.agents.bases[COERCIVE];
    assert_ne!(c[0], 1.0);
    assert_ne!(c[1], 1.0);
    assert!(
        (c[0] + c[1] - sum0).abs() < 1e-4,
        "winner gains what loser loses: {c:?}"
    );
    let e = s.world.ties.half(0, 1).expect("tied");
    assert!(s.world.ties.wins_of(e) > 0, "the actor won some contests");
}

#[test]
fn consulting_relieves_resentment_faster_than_decay_alone() {
    let base = |consult: bool| {
        format!(
            r#"
name = "talk"
[[agents]]
name = "a"
motive = 0.0
bases = {{ referent = 1.0 }}
[[agents]]
name = "b"
motive = 0.0
bases = {{ referent = 1.0 }}
[network]
kind = "complete"
[rules.tactics]
consult_rate = 20
[rules.consult]
enabled = {consult}
[rules.resentment]
envy = 0
"#
        )
    };
    let mut talk = sim(&base(true));
    let mut silent = sim(&base(false));
    for s in [&mut talk, &mut silent] {
        for t in s.world.ties.state.iter_mut() {
            t.resentment = 3.0;
        }
    }
    run(&mut talk, 20);
    run(&mut silent, 20);
    assert!(half(&talk, 0).resentment < 0.5 * half(&silent, 0).resentment);
}

#[test]
fn the_poorer_side_resents_inequality_and_resentment_decays() {
    let text = r#"
name = "envy"
[[agents]]
name = "rich"
resources = 900
bases = { expert = 1.0 }
[[agents]]
name = "poor"
resources = 100
bases = { expert = 1.0 }
[network]
kind = "complete"
[rules.resources]
consumption = 0
[rules.withdrawal]
enabled = false
[rules.consult]
enabled = false
"#;
    let mut s = sim(text);
    run(&mut s, 30);
    assert!(half(&s, 1).resentment > 0.1);
    assert_eq!(half(&s, 0).resentment, 0.0);
    // With no more interaction, resentment only decays.
    let r = half(&s, 1).resentment;
    let p = &mut s.params;
    p.knowledge.expert_enabled = false;
    p.knowledge.informational_enabled = false;
    (p.reward.enabled, p.connection.enabled, p.referent.enabled) = (false, false, false);
    (p.legitimate.enabled, p.coercion.enabled) = (false, false);
    run(&mut s, 30);
    assert!(half(&s, 1).resentment < r);
}

#[test]
fn rules_switched_on_after_the_simulation_is_built_run_without_panicking() {
    // Baselines are kept only when forgetting or renewal is on at build
    // time; switching them on later relaxes toward the current value.
    let mut s = sim(&dyad("coercive = 1.0", "exit_cost = 0.5", ""));
    s.params.contests.forgetting = 0.1;
    s.params.knowledge.renewal = 0.1;
    run(&mut s, 20);
    assert!(s.world.agents.bases[powerdyn::model::COERCIVE][0].is_finite());
}
