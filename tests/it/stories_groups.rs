//! Stories of groups: oppression, intersectionality, privilege.

use powerdyn::engine::Simulation;
use powerdyn::rules::negotiation::Summary;

use crate::support::{bundled, final_value, run_into};

/// Mean pay (dollars) of each employee population in `intersectionality`:
/// the mean bargained share per exchange times the pool, over the second
/// half of the run, averaged over the population's members.
fn group_pay(seed: u64) -> [f64; 4] {
    let s = bundled("intersectionality");
    let mut sim = Simulation::new(&s, seed, 0).expect("builds");
    let half = s.steps / 2;
    for _ in 0..half {
        sim.step();
    }
    sim.bargaining
        .as_mut()
        .expect("negotiation on")
        .reset_tallies();
    for _ in half..s.steps {
        sim.step();
    }
    let b = sim.bargaining.as_ref().expect("negotiation on");
    let summary = Summary::from_state(b, &sim.params.negotiation);
    let pool = sim.params.negotiation.pool;
    let label = |i: usize| sim.world.agent_label(i);
    let mut pay = [0.0; 4];
    for (k, population) in ["white-men", "men-of-color", "white-women", "women-of-color"]
        .iter()
        .enumerate()
    {
        let prefix = format!("{population}#");
        let shares: Vec<f64> = (0..summary.mean_share.len())
            .filter(|&i| label(i).starts_with(&prefix))
            .map(|i| summary.mean_share[i] * pool)
            .collect();
        assert!(!shares.is_empty(), "{population} has members");
        pay[k] = shares.iter().sum::<f64>() / shares.len() as f64;
    }
    pay
}

#[test]
fn bargained_pay_reproduces_the_cybersecurity_pay_table() {
    let table = [124_000.0, 121_000.0, 121_000.0, 115_000.0];
    for seed in [1, 2, 3] {
        let pay = group_pay(seed);
        eprintln!("seed {seed}: {pay:?}");
        for (got, want) in pay.iter().zip(table) {
            assert!(
                (got - want).abs() < 1_000.0,
                "seed {seed}: pay {pay:?} against {table:?}"
            );
        }
    }
}

#[test]
fn women_of_color_pay_a_penalty_larger_than_the_sum_of_the_two() {
    for seed in [1, 2, 3] {
        let [wm, mc, ww, wc] = group_pay(seed);
        let both = wm - wc;
        let sum = (wm - mc) + (wm - ww);
        assert!(
            both > sum + 1_000.0,
            "seed {seed}: intersection penalty {both} against {sum} added"
        );
    }
}

/// Runs a bundled scenario with a seed into a temporary folder and returns
/// the run summary.
fn run_groups(name: &str, seed: u64) -> powerdyn::run::Summary {
    let s = bundled(name);
    let dir = tempfile::tempdir().expect("temp dir");
    run_into(&s, seed, s.steps, 1, dir.path())
}

/// The between-group Theil index of resources at a step, from timeseries.csv.
fn theil_between_at(dir: &std::path::Path, step: u64) -> f64 {
    let text = std::fs::read_to_string(dir.join("timeseries.csv")).expect("timeseries");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = head
        .iter()
        .position(|c| *c == "resources_theil_between")
        .expect("column");
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[0] == step.to_string())
        .map(|r| r[col].parse().expect("number"))
        .expect("step recorded")
}

#[test]
fn oppression_opens_group_gaps_in_power_and_resources_that_persist() {
    for seed in [1, 2, 3] {
        let sum = run_groups("oppression", seed);
        let power =
            final_value(&sum, "group_dominant_power") - final_value(&sum, "group_oppressed_power");
        let money = final_value(&sum, "group_dominant_resources")
            - final_value(&sum, "group_oppressed_resources");
        let theil_power = final_value(&sum, "power_theil_between");
        let theil_money = final_value(&sum, "resources_theil_between");
        assert!(power > 1.0, "seed {seed}: power gap {power}");
        assert!(money > 15.0, "seed {seed}: resource gap {money}");
        assert!(
            theil_power > 0.005 && theil_money > 0.005,
            "seed {seed}: between-group Theil {theil_power}, {theil_money}"
        );
    }
}

#[test]
fn oppression_gap_does_not_shrink_in_the_second_half() {
    let s = bundled("oppression");
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().expect("temp dir");
        run_into(&s, seed, s.steps, 1, dir.path());
        let mid = theil_between_at(dir.path(), s.steps / 2);
        let end = theil_between_at(dir.path(), s.steps);
        assert!(
            mid > 0.005 && end > 0.8 * mid,
            "seed {seed}: {mid} then {end}"
        );
    }
}

#[test]
fn a_biased_culture_keeps_the_gap_though_no_one_coerces() {
    let s = bundled("privileged-socialized");
    assert!(!s.rules.coercion.enabled, "coercion is off in the scenario");
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().expect("temp dir");
        let sum = run_into(&s, seed, s.steps, 1, dir.path());
        assert_eq!(final_value(&sum, "tactic_coercive"), 0.0, "seed {seed}");
        let power =
            final_value(&sum, "group_privileged_power") - final_value(&sum, "group_other_power");
        let money = final_value(&sum, "group_privileged_resources")
            - final_value(&sum, "group_other_resources");
        assert!(power > 0.05, "seed {seed}: power gap {power}");
        assert!(money > 10.0, "seed {seed}: resource gap {money}");
        let mid = theil_between_at(dir.path(), s.steps / 2);
        let end = theil_between_at(dir.path(), s.steps);
        assert!(
            end > 0.003 && end > 0.8 * mid,
            "seed {seed}: between-group Theil {mid} then {end}"
        );
    }
}
