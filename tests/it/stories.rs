//! The bundled scenarios tell their stories, over several seeds.

use crate::support::{bundled, final_value, level, run_into, verdict};

const SEEDS: [u64; 4] = [1, 2, 3, 4];

#[test]
fn every_bundled_scenario_validates_and_runs() {
    let dir = crate::support::root().join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = powerdyn::scenario::load(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let tmp = tempfile::tempdir().unwrap();
            let summary = run_into(&s, s.seed, s.steps.min(100), 2, tmp.path());
            assert!(summary.agents >= 2);
            assert!(tmp.path().join("manifest.json").exists());
            n += 1;
        }
    }
    assert!(n >= 4, "at least four bundled scenarios, found {n}");
}

#[test]
fn a_balanced_couple_stays_balanced_and_settles() {
    let s = bundled("balanced-couple");
    let mut settled = 0;
    for seed in SEEDS {
        let tmp = tempfile::tempdir().unwrap();
        let r = run_into(&s, seed, s.steps, 1, tmp.path());
        assert!(level(&r, "dyad_imbalance") < 0.3, "seed {seed}");
        assert!(level(&r, "mean_resentment") < 0.3, "seed {seed}");
        assert_eq!(final_value(&r, "withdrawn_share"), 0.0, "seed {seed}");
        assert_eq!(
            final_value(&r, "tactic_coercive"),
            0.0,
            "socialized partners never coerce"
        );
        settled += usize::from(verdict(&r, "power_gini") == "settles");
    }
    assert!(settled >= 3, "power_gini settles in {settled} of 4 seeds");
}

#[test]
fn a_money_imbalance_grows_into_a_power_imbalance() {
    let s = bundled("couple-money");
    for seed in SEEDS {
        let tmp = tempfile::tempdir().unwrap();
        let r = run_into(&s, seed, s.steps, 1, tmp.path());
        assert_eq!(verdict(&r, "resources_gini"), "grows", "seed {seed}");
        assert_eq!(verdict(&r, "power_gini"), "grows", "seed {seed}");
        assert!(final_value(&r, "resources_gini") > 0.3, "seed {seed}");
    }
}

#[test]
fn the_target_who_needs_the_income_stays_resenting_and_the_one_with_alternatives_withdraws() {
    let stays = bundled("bully-target-stays");
    let leaves = bundled("bully-target-leaves");
    for seed in SEEDS {
        let tmp = tempfile::tempdir().unwrap();
        let a = run_into(&stays, seed, stays.steps, 1, &tmp.path().join("stays"));
        let b = run_into(&leaves, seed, leaves.steps, 1, &tmp.path().join("leaves"));
        // Staying: engaged, no withdrawal, resentment far above the withdrawal threshold.
        assert_eq!(level(&a, "withdrawn_share"), 0.0, "seed {seed}");
        assert!(level(&a, "mean_engagement") > 0.85, "seed {seed}");
        assert!(level(&a, "mean_resentment") > 1.0, "seed {seed}");
        // Leaving: withdrawn, less resentful, and the imbalance settles lower.
        assert!(level(&b, "mean_engagement") < 0.85, "seed {seed}");
        assert!(level(&b, "mean_engagement") < level(&a, "mean_engagement") - 0.08);
        assert!(level(&b, "mean_resentment") < level(&a, "mean_resentment") / 2.0);
        assert!(level(&b, "dyad_imbalance") < level(&a, "dyad_imbalance"));
        assert_ne!(verdict(&b, "dyad_imbalance"), "grows", "seed {seed}");
    }
}

#[test]
fn the_bullied_targets_resentment_is_mostly_fear_and_partly_envy() {
    // Coercion turned off, the manager still wins the stake of every
    // decision: envy alone keeps some resentment, far less than bullying.
    let stays = bundled("bully-target-stays");
    let text =
        std::fs::read_to_string(crate::support::root().join("scenarios/bully-target-stays.toml"))
            .unwrap();
    let calm = crate::support::parse(&format!("{text}\n[rules.coercion]\nenabled = false\n"));
    for seed in SEEDS {
        let tmp = tempfile::tempdir().unwrap();
        let a = run_into(&stays, seed, stays.steps, 1, &tmp.path().join("bullied"));
        let b = run_into(&calm, seed, calm.steps, 1, &tmp.path().join("calm"));
        let (bullied, envy) = (level(&a, "mean_resentment"), level(&b, "mean_resentment"));
        assert!(
            envy > 0.3 && envy < 0.75 * bullied,
            "seed {seed}: {envy} against {bullied}"
        );
    }
}
