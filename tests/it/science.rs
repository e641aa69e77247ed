//! The science core's mechanisms, through the bundled scenarios: exchange
//! networks, contests and hierarchy, motive and context.

use powerdyn::engine::Simulation;
use powerdyn::rules::negotiation::Summary;

use crate::support::{bundled, final_value, level, mean_after, run_into};

fn run_steps(name: &str, seed: u64, steps: u64) -> Simulation {
    let s = bundled(name);
    let mut sim = Simulation::new(&s, seed, 0).expect("builds");
    for _ in 0..steps {
        sim.step();
    }
    sim
}

/// Mean bargaining share per exchange of each agent after a run.
fn shares(name: &str, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let sim = run_steps(name, seed, 2000);
    let b = sim.bargaining.as_ref().expect("negotiation on");
    let s = Summary::from_state(b, &sim.params.negotiation);
    (s.mean_share, s.exclusion_rate)
}

#[test]
fn exchange_networks_reproduce_the_classic_power_positions() {
    for seed in [1, 2, 3] {
        let (d, _) = shares("exchange-dyad", seed);
        assert!(d.iter().all(|&x| (x - 0.5).abs() < 0.05), "dyad {d:?}");

        let (l3, ex3) = shares("exchange-line3", seed);
        assert!(l3[1] > 0.85 && l3[0] < 0.15 && l3[2] < 0.15, "line3 {l3:?}");
        assert!(
            ex3[0] > 0.3 && ex3[2] > 0.3,
            "the ends are excluded: {ex3:?}"
        );

        let (l4, _) = shares("exchange-line4", seed);
        assert!(
            l4[1] > 0.5 && l4[2] > 0.5 && l4[0] < 0.5 && l4[3] < 0.5,
            "line4 {l4:?}"
        );

        let (l5, _) = shares("exchange-line5", seed);
        assert!(l5[1] > 0.8 && l5[3] > 0.8, "line5 B and D {l5:?}");
        assert!(l5[2] < l5[1] && l5[0] < 0.2 && l5[4] < 0.2, "line5 {l5:?}");

        let (st, _) = shares("exchange-stem", seed);
        assert!(
            (1..4).all(|k| st[1] >= st[k]) && st[1] > st[0],
            "stem {st:?}"
        );

        let (tr, ex) = shares("exchange-triangle", seed);
        assert!(tr.iter().all(|&x| (x - 0.5).abs() < 0.1), "triangle {tr:?}");
        assert!(
            ex.iter().all(|&x| x > 0.2),
            "someone is always left out: {ex:?}"
        );

        let (star, exs) = shares("exchange-star", seed);
        assert!(star[0] > 0.85, "the firm {star:?}");
        assert!(
            exs[1..].iter().all(|&x| x > 0.6),
            "applicants excluded: {exs:?}"
        );
    }
}

#[test]
fn fierce_contests_build_a_steep_hierarchy_and_mild_ones_do_not() {
    for seed in [1, 2, 3] {
        let tmp = tempfile::tempdir().unwrap();
        let despotic = bundled("domworld-despotic");
        let egalitarian = bundled("domworld-egalitarian");
        let d = run_into(&despotic, seed, despotic.steps, 1, &tmp.path().join("d"));
        let e = run_into(
            &egalitarian,
            seed,
            egalitarian.steps,
            1,
            &tmp.path().join("e"),
        );
        assert!(
            level(&d, "power_gini") > 2.0 * level(&e, "power_gini"),
            "seed {seed}"
        );
        assert!(final_value(&d, "dominance_cv") > 2.0 * final_value(&e, "dominance_cv"));
        assert!(final_value(&d, "steepness") > 3.0 * final_value(&e, "steepness"));
        assert!(final_value(&d, "h_prime") > 0.9, "a near-linear hierarchy");
        assert!(
            final_value(&d, "directional_consistency") > final_value(&e, "directional_consistency")
        );
        let h = d.hierarchy.as_ref().expect("hierarchy in the summary");
        assert!(
            h.de_vries_p_value < 0.05,
            "the hierarchy is not chance: {h:?}"
        );
    }
}

#[test]
fn forgetting_pulls_dominance_back_toward_where_it_started() {
    let text = |forgetting: f64| {
        format!(
            "name = \"f\"\n[[populations]]\nname = \"m\"\ncount = 8\nbases = {{ coercive = 1.0 }}\n[network]\nkind = \"complete\"\n[rules.tactics]\nenabled = false\n[rules.contests]\nrate = 1.0\nintensity = 0.5\nforgetting = {forgetting}\n"
        )
    };
    let cv = |f: f64| {
        let s = crate::support::parse(&text(f));
        let mut sim = Simulation::new(&s, 3, 0).unwrap();
        for _ in 0..1500 {
            sim.step();
        }
        let c = &sim.world.agents.bases[powerdyn::model::COERCIVE];
        let mean = c.iter().map(|&x| x as f64).sum::<f64>() / c.len() as f64;
        let sd =
            (c.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / c.len() as f64).sqrt();
        sd / mean
    };
    assert!(
        cv(0.2) < 0.6 * cv(0.0),
        "forgetting {} vs none {}",
        cv(0.2),
        cv(0.0)
    );
}

#[test]
fn conflict_brings_out_coercion_and_cooperation_brings_out_consulting() {
    for seed in [1, 2] {
        let tmp = tempfile::tempdir().unwrap();
        let c = bundled("motive-context-conflict");
        let k = bundled("motive-context-cooperative");
        let (dc, dk) = (tmp.path().join("c"), tmp.path().join("k"));
        let conflict = run_into(&c, seed, c.steps, 1, &dc);
        let coop = run_into(&k, seed, k.steps, 1, &dk);
        // The tactic shares of the last quarter (one step's share is noisy).
        let from = 3 * c.steps / 4;
        let (coercive_c, coercive_k) = (
            mean_after(&dc, "tactic_coercive", from),
            mean_after(&dk, "tactic_coercive", from),
        );
        assert!(
            coercive_c > 1.5 * coercive_k,
            "seed {seed}: coercion {coercive_c} in conflict, {coercive_k} cooperative"
        );
        assert!(final_value(&coop, "tactic_consult") > final_value(&conflict, "tactic_consult"));
        assert!(level(&conflict, "mean_resentment") > level(&coop, "mean_resentment"));
    }
}

#[test]
fn a_team_discussion_moves_opinions_toward_the_manager() {
    let tmp = tempfile::tempdir().unwrap();
    let s = bundled("influence-team");
    let r = run_into(&s, s.seed, s.steps, 1, tmp.path());
    let inf = r.influence.as_ref().expect("closed form in the summary");
    let manager = inf.social_power[0];
    assert!(
        inf.social_power[1..].iter().all(|&p| p < manager),
        "{:?}",
        inf.social_power
    );
    assert!(
        final_value(&r, "opinion_sd") < 0.5 * 0.327,
        "views converge"
    );
}

#[test]
fn reflected_appraisal_settles_with_the_most_listened_to_agent_most_confident() {
    let sim = run_steps("reflected-appraisal", 2, 6000);
    let s = sim.world.agents.self_weight.to_vec();
    assert!((1..4).all(|k| s[0] > s[k]), "{s:?}");
    // A fixed point: one more issue changes the self-weights very little.
    let mut more = sim;
    let before = more.world.agents.self_weight.to_vec();
    for _ in 0..200 {
        more.step();
    }
    for (a, b) in before.iter().zip(&more.world.agents.self_weight.to_vec()) {
        assert!((a - b).abs() < 1e-3);
    }
}

/// Runs the workplace-voice scenario (optionally edited) and tallies each
/// group's responses: (exit, voice, loyalty, neglect) per population, and
/// complaints voiced and heard.
fn workplace(edit: impl Fn(String) -> String, seed: u64) -> (Simulation, [[u64; 5]; 4], u64, u64) {
    let path = crate::support::root().join("scenarios/workplace-voice.toml");
    let text = edit(std::fs::read_to_string(path).unwrap());
    let s = crate::support::parse(&text);
    let mut sim = Simulation::new(&s, seed, 0).unwrap();
    let mut tally = [[0u64; 5]; 4];
    let (mut voiced, mut heard) = (0, 0);
    for _ in 0..s.steps {
        sim.step();
        for (i, e) in sim.effects().iter().enumerate() {
            tally[sim.world.agents.cohort_of(i)][e.response as usize] += 1;
            if e.tactic as usize == powerdyn::engine::VOICE {
                voiced += 1;
                heard += u64::from(e.decision());
            }
        }
    }
    (sim, tally, voiced, heard)
}

fn share(t: &[u64; 5], which: &[usize]) -> f64 {
    let dissatisfied: u64 = t[1..].iter().sum();
    which.iter().map(|&k| t[k]).sum::<u64>() as f64 / dissatisfied.max(1) as f64
}

#[test]
fn the_invested_voice_or_wait_the_mobile_exit_and_the_stuck_neglect() {
    // Cohorts: 0 manager, 1 committed, 2 mobile, 3 stuck. Responses: 1 exit, 2 voice, 3 loyalty, 4 neglect.
    let (_, t, _, _) = workplace(|s| s, 12);
    let (committed, mobile, stuck) = (&t[1], &t[2], &t[3]);
    assert!(
        share(committed, &[2, 3]) > share(mobile, &[2, 3]) + 0.2,
        "{t:?}"
    );
    assert!(share(mobile, &[1]) > share(committed, &[1]) + 0.2, "{t:?}");
    assert!(
        share(stuck, &[4]) > share(committed, &[4]) && share(stuck, &[4]) > share(mobile, &[4]),
        "{t:?}"
    );
}

#[test]
fn a_coalition_gets_complaints_heard_that_a_lone_voice_does_not() {
    let (mut with, mut without) = ((0, 0), (0, 0));
    for seed in [1, 2, 3] {
        let (_, _, v, h) = workplace(|s| s, seed);
        with = (with.0 + v, with.1 + h);
        let (_, _, v, h) = workplace(
            |s| {
                s.replace(
                    "[rules.coalition]\n",
                    "[rules.coalition]\nenabled = false\n",
                )
            },
            seed,
        );
        without = (without.0 + v, without.1 + h);
    }
    let rate = |(v, h): (u64, u64)| h as f64 / v.max(1) as f64;
    assert!(with.0 > 0 && without.0 > 0);
    assert!(
        rate(with) > 2.0 * rate(without) + 0.01,
        "with {with:?}, without {without:?}"
    );
}

#[test]
fn deference_turns_into_status_and_dependence_into_a_search_for_alternatives() {
    let (on, _, _, _) = workplace(|s| s, 12);
    let (off, _, _, _) = workplace(
        |s| {
            s.replace("[rules.status]\n", "[rules.status]\nenabled = false\n")
                .replace(
                    "[rules.extension]\n",
                    "[rules.extension]\nenabled = false\n",
                )
        },
        12,
    );
    let legit = powerdyn::model::LEGITIMATE;
    assert!(
        on.world.agents.bases[legit][0] > 1.2,
        "the manager's authority grew"
    );
    assert_eq!(
        off.world.agents.bases[legit][0], 1.0,
        "no status giving, no growth"
    );
    // The stuck (cohort 3) started with no alternatives.
    let stuck: Vec<usize> = (0..on.world.agents.len())
        .filter(|&i| on.world.agents.cohort_of(i) == 3)
        .collect();
    assert!(stuck.iter().any(|&i| on.world.agents.alternatives[i] > 0.1));
    assert!(stuck
        .iter()
        .all(|&i| off.world.agents.alternatives[i] == 0.0));
}

#[test]
fn rewarding_spends_the_rewarders_resources_and_so_its_reward_power() {
    // One giver with only reward, a taker who holds nothing to offer; no
    // consumption, so every change of resources is a transfer.
    let s = crate::support::parse(
        "name = \"reward-only\"\n[[agents]]\nname = \"giver\"\nresources = 100\nmotive = 0.0\nbases = { reward = 1.0 }\n\
         [[agents]]\nname = \"taker\"\nresources = 100\nmotive = 1.0\n[network]\nkind = \"edges\"\nedges = [[\"giver\", \"taker\"]]\n\
         [rules.resources]\nconsumption = 0.0\n[rules.consult]\nenabled = false\n[rules.connection]\nenabled = false\n\
         [rules.referent]\nenabled = false\n[rules.legitimate]\nenabled = false\n[rules.coercion]\nenabled = false\n\
         [rules.expert]\nenabled = false\n[rules.informational]\nenabled = false\n",
    );
    let mut sim = Simulation::new(&s, 1, 0).unwrap();
    let reward_base = |sim: &Simulation| sim.world.agents.bases[powerdyn::model::REWARD][0];
    let before = reward_base(&sim);
    let mut rewards = 0;
    for _ in 0..300 {
        sim.step();
        let e = sim.effects()[0];
        rewards +=
            usize::from(e.acted() && e.tactic as usize == powerdyn::model::REWARD && e.complied());
    }
    let r = &sim.world.agents.resources;
    assert!(rewards > 20, "the giver rewards: {rewards}");
    assert!(r[0] < 100.0 && r[1] > 100.0, "the giver pays: {r:?}");
    assert!((r[0] + r[1] - 200.0).abs() < 1e-6, "transfers only: {r:?}");
    assert!(reward_base(&sim) < before, "reward power is spent by use");
}
