//! The article's examples, told by the bundled scenarios, over several seeds.

use powerdyn::engine::Simulation;
use powerdyn::model::{
    BASE_NAMES, COERCIVE, CONNECTION, EXPERT, INFORMATIONAL, LEGITIMATE, N_BASES, N_TACTICS,
    REFERENT, REWARD,
};
use powerdyn::rules::negotiation::Summary as BargainSummary;
use powerdyn::scenario::Scenario;

use crate::support::{bundled, final_value, level, parse, root, run_into, verdict};

const SEEDS: [u64; 3] = [1, 2, 3];

/// A bundled scenario's text with `from` (which must occur once) replaced by `to`.
fn edited(name: &str, from: &str, to: &str) -> Scenario {
    let path = root().join("scenarios").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{name} holds `{from}` once");
    parse(&text.replacen(from, to, 1))
}

/// The index of the named individual `name`.
fn agent(sim: &Simulation, name: &str) -> usize {
    (0..sim.world.agents.len())
        .find(|&i| sim.world.agent_label(i) == name)
        .unwrap_or_else(|| panic!("no agent {name}"))
}

/// The half `i -> j`, if they are tied.
fn half(sim: &Simulation, i: usize, j: usize) -> usize {
    let csr = &sim.world.ties.csr;
    csr.row(i)
        .find(|&e| csr.targets[e] as usize == j)
        .expect("tied")
}

/// Mean over `i`'s partners of the partner's resentment toward `i`.
fn resentment_toward(sim: &Simulation, i: usize) -> f64 {
    let csr = &sim.world.ties.csr;
    let row = csr.row(i);
    let n = row.len() as f64;
    row.map(|e| f64::from(sim.world.ties.state[csr.reverse[e] as usize].resentment))
        .sum::<f64>()
        / n
}

/// Acts per agent and tactic, and complied acts per agent, over a run.
struct Tally {
    acts: Vec<[u64; N_TACTICS]>,
    complied: Vec<u64>,
}

fn run_tally(s: &Scenario, seed: u64) -> (Simulation, Tally) {
    let mut sim = Simulation::new(s, seed, 0).expect("builds");
    let n = sim.world.agents.len();
    let mut t = Tally {
        acts: vec![[0; N_TACTICS]; n],
        complied: vec![0; n],
    };
    for _ in 0..s.steps {
        sim.step();
        for (i, e) in sim.effects().iter().enumerate() {
            if e.acted() && (e.tactic as usize) < N_TACTICS {
                t.acts[i][e.tactic as usize] += 1;
                t.complied[i] += u64::from(e.complied());
            }
        }
    }
    (sim, t)
}

fn argmax(xs: &[f32]) -> usize {
    (0..xs.len())
        .max_by(|&a, &b| xs[a].total_cmp(&xs[b]))
        .unwrap()
}

fn bases_of(sim: &Simulation, i: usize) -> [f32; N_BASES] {
    std::array::from_fn(|k| sim.world.agents.bases[k][i])
}

const EXEMPLARS: [(&str, usize); 7] = [
    ("cop", COERCIVE),
    ("parent", REWARD),
    ("ceo", LEGITIMATE),
    ("agent", CONNECTION),
    ("student", REFERENT),
    ("spy", INFORMATIONAL),
    ("carpenter", EXPERT),
];

#[test]
fn each_of_the_seven_exemplars_is_strongest_in_its_own_base_and_acts_through_it() {
    let s = bundled("seven-bases");
    for seed in SEEDS {
        let start = Simulation::new(&s, seed, 0).unwrap();
        let (sim, t) = run_tally(&s, seed);
        for (name, base) in EXEMPLARS {
            let i = agent(&sim, name);
            assert_eq!(argmax(&bases_of(&start, i)), base, "{name} at the start");
            let acts = &t.acts[i];
            // Its signature tactic is the one it uses most among the bases.
            let most = (0..N_BASES).max_by_key(|&k| acts[k]).unwrap();
            assert_eq!(
                most, base,
                "{name} mostly uses {}: {acts:?}",
                BASE_NAMES[base]
            );
            // More than half its pushes, except for the spy, whose
            // information is spent by telling it.
            let pushed: u64 = acts[..N_BASES].iter().sum();
            assert!(name == "spy" || acts[base] * 2 > pushed, "{name}: {acts:?}");
            // And nobody uses that tactic more than the exemplar.
            for (j, other) in t.acts.iter().enumerate() {
                assert!(j == i || other[base] < acts[base], "{name} vs {j}");
            }
        }
    }
}

#[test]
fn the_cop_is_resented_while_the_popular_student_is_followed_without_resentment() {
    let s = bundled("seven-bases");
    for seed in SEEDS {
        let (sim, t) = run_tally(&s, seed);
        let (cop, student, ceo) = (
            agent(&sim, "cop"),
            agent(&sim, "student"),
            agent(&sim, "ceo"),
        );
        let rate =
            |i: usize| t.complied[i] as f64 / t.acts[i][..N_BASES].iter().sum::<u64>() as f64;
        assert!(resentment_toward(&sim, cop) > 0.5, "seed {seed}");
        assert!(resentment_toward(&sim, student) < 0.05, "seed {seed}");
        assert!(
            resentment_toward(&sim, ceo) < 0.05,
            "accepted orders, seed {seed}"
        );
        assert!(rate(student) > rate(cop) + 0.2, "seed {seed}");
    }
}

#[test]
fn the_spys_information_is_spent_by_telling_while_the_carpenters_skill_spreads_unspent() {
    let s = bundled("seven-bases");
    for seed in SEEDS {
        let start = Simulation::new(&s, seed, 0).unwrap();
        let (sim, _) = run_tally(&s, seed);
        let (spy, carpenter) = (agent(&sim, "spy"), agent(&sim, "carpenter"));
        let info = |x: &Simulation| x.world.agents.bases[INFORMATIONAL][spy];
        let skill = |x: &Simulation, i: usize| x.world.agents.bases[EXPERT][i];
        assert!(info(&sim) < 0.5 * info(&start), "seed {seed}");
        assert_eq!(
            skill(&sim, carpenter),
            skill(&start, carpenter),
            "seed {seed}"
        );
        // The townspeople learn: each one's expertise at least doubles.
        let town = sim
            .world
            .cohorts
            .iter()
            .find(|c| c.name == "townspeople")
            .unwrap();
        for i in town.start..town.start + town.count {
            assert!(
                skill(&sim, i) > 2.0 * skill(&start, i),
                "seed {seed} agent {i}"
            );
        }
    }
}

#[test]
fn a_parent_guides_a_toddler_with_a_large_imbalance_that_settles_without_resentment() {
    let s = bundled("parent-toddler");
    for seed in SEEDS {
        let tmp = tempfile::tempdir().unwrap();
        let r = run_into(&s, seed, s.steps, 1, tmp.path());
        assert_ne!(verdict(&r, "dyad_imbalance"), "grows", "seed {seed}");
        assert!(level(&r, "dyad_imbalance") > 0.3, "seed {seed}");
        assert!(level(&r, "mean_resentment") < 0.05, "seed {seed}");
        assert_eq!(level(&r, "withdrawn_share"), 0.0, "seed {seed}");
        assert_eq!(final_value(&r, "tactic_coercive"), 0.0, "seed {seed}");
        let (sim, t) = run_tally(&s, seed);
        let parent = agent(&sim, "parent");
        let pushed: u64 = t.acts[parent][..N_BASES].iter().sum();
        let rate = t.complied[parent] as f64 / pushed as f64;
        assert!(
            rate > 0.75,
            "the toddler mostly complies: {rate}, seed {seed}"
        );
        assert_eq!(t.acts.iter().map(|a| a[COERCIVE]).sum::<u64>(), 0);
    }
}

/// Robin's mean engagement toward friends, Robin's connection base, and the
/// peak and final resentment of Robin toward Jordan, after a run.
fn isolation_run(s: &Scenario, seed: u64) -> (f64, f32, f32, f32) {
    let mut sim = Simulation::new(s, seed, 0).unwrap();
    let (jordan, robin) = (agent(&sim, "jordan"), agent(&sim, "robin"));
    let to_jordan = half(&sim, robin, jordan);
    let mut peak = 0.0f32;
    for _ in 0..s.steps {
        sim.step();
        peak = peak.max(sim.world.ties.state[to_jordan].resentment);
    }
    let friends: Vec<usize> = (1..=3)
        .map(|k| half(&sim, robin, agent(&sim, &format!("friend{k}"))))
        .collect();
    let engagement = friends
        .iter()
        .map(|&e| f64::from(sim.world.ties.state[e].engagement))
        .sum::<f64>()
        / 3.0;
    let st = &sim.world.ties.state[to_jordan];
    (
        engagement,
        sim.world.agents.bases[CONNECTION][robin],
        peak,
        st.resentment,
    )
}

#[test]
fn threats_with_isolation_cut_the_partner_off_from_friends_and_take_its_connection_power() {
    let with = bundled("abusive-isolation");
    let without = edited("abusive-isolation", "isolation = 0.5", "isolation = 0");
    for seed in SEEDS {
        let (eng, conn, peak, last) = isolation_run(&with, seed);
        let (eng0, conn0, peak0, _) = isolation_run(&without, seed);
        assert!(eng < 0.3 && eng0 > 0.8, "seed {seed}: {eng} vs {eng0}");
        assert!(conn < 0.5 * conn0, "seed {seed}: {conn} vs {conn0}");
        // Threats breed resentment far above the withdrawal threshold, with or without isolation.
        assert!(peak > 3.0 && peak0 > 3.0, "seed {seed}: {peak}, {peak0}");
        assert!(last > 1.0, "seed {seed}: {last}");
    }
}

/// Each partner's engagement toward the other and resentment after a run of
/// the less-attractive-partner scenario, and the coercive acts seen.
fn couple_run(s: &Scenario, seed: u64) -> (f32, f32, f32, u64) {
    let (sim, t) = run_tally(s, seed);
    let (drew, casey) = (agent(&sim, "drew"), agent(&sim, "casey"));
    let st = &sim.world.ties.state;
    let (dc, cd) = (half(&sim, drew, casey), half(&sim, casey, drew));
    let coerced = t.acts.iter().map(|a| a[COERCIVE]).sum();
    (
        st[dc].engagement,
        st[cd].engagement,
        st[dc].resentment + st[cd].resentment,
        coerced,
    )
}

#[test]
fn the_partner_who_feels_less_attractive_withdraws_from_intimacy_without_any_coercion() {
    let s = bundled("less-attractive-partner");
    let secure = edited(
        "less-attractive-partner",
        "self_esteem = 0.1",
        "self_esteem = 0.6",
    );
    for seed in SEEDS {
        let (drew, casey, resentment, coerced) = couple_run(&s, seed);
        assert!(casey < 0.5, "casey withdraws: {casey}, seed {seed}");
        assert!(drew > 0.95, "drew stays: {drew}, seed {seed}");
        assert!(
            resentment < 0.01,
            "no resentment: {resentment}, seed {seed}"
        );
        assert_eq!(coerced, 0, "seed {seed}");
        // The same partner with ordinary self-esteem stays engaged.
        let (_, casey_secure, _, _) = couple_run(&secure, seed);
        assert!(casey_secure > 0.95, "{casey_secure}, seed {seed}");
    }
}

/// Each agent's mean bargaining share per exchange over a run.
fn bargain_shares(s: &Scenario, seed: u64) -> (Simulation, Vec<f64>) {
    let mut sim = Simulation::new(s, seed, 0).unwrap();
    for _ in 0..s.steps {
        sim.step();
    }
    let b = sim.bargaining.as_ref().expect("negotiation on");
    let shares = BargainSummary::from_state(b, &sim.params.negotiation).mean_share;
    (sim, shares)
}

#[test]
fn an_employee_with_a_unique_skillset_negotiates_the_larger_share_of_the_salary_pool() {
    let s = bundled("salary-unique-skills");
    let ordinary = edited(
        "salary-unique-skills",
        "alternatives = 3.5",
        "alternatives = 0",
    );
    for seed in SEEDS {
        let (sim, x) = bargain_shares(&s, seed);
        let (company, kim) = (agent(&sim, "company"), agent(&sim, "kim"));
        assert!(x[kim] > 0.6 && x[company] < 0.4, "seed {seed}: {x:?}");
        // Without the outside offers the same two split evenly.
        let (_, y) = bargain_shares(&ordinary, seed);
        assert!((y[kim] - 0.5).abs() < 0.05, "seed {seed}: {y:?}");
    }
}

#[test]
fn with_many_applicants_for_one_job_the_employer_negotiates_the_larger_share() {
    let s = bundled("salary-scarce-jobs");
    for seed in SEEDS {
        let (sim, x) = bargain_shares(&s, seed);
        let employer = agent(&sim, "employer");
        assert!(x[employer] > 0.65, "seed {seed}: {x:?}");
        for (i, share) in x.iter().enumerate() {
            assert!(i == employer || *share < 0.35, "seed {seed}: {x:?}");
        }
    }
}

/// The boss's orders and how many were obeyed, and the staff's mean
/// resentment toward the boss, after a run of the menial-tasks scenario.
fn menial_run(s: &Scenario, seed: u64) -> (u64, u64, f64) {
    let mut sim = Simulation::new(s, seed, 0).unwrap();
    let boss = agent(&sim, "boss");
    let (mut orders, mut obeyed) = (0, 0);
    for _ in 0..s.steps {
        sim.step();
        let e = sim.effects()[boss];
        if e.acted() && e.tactic as usize == LEGITIMATE {
            orders += 1;
            obeyed += u64::from(e.complied());
        }
    }
    (orders, obeyed, resentment_toward(&sim, boss))
}

#[test]
fn menial_orders_are_obeyed_but_not_accepted_so_resentment_builds() {
    let s = bundled("menial-tasks");
    let accepted = edited("menial-tasks", "acceptance = 0.3", "acceptance = 1");
    for seed in SEEDS {
        let (orders, obeyed, resentment) = menial_run(&s, seed);
        let (orders1, obeyed1, resentment1) = menial_run(&accepted, seed);
        assert!(orders > 100, "the boss gives orders: {orders}, seed {seed}");
        assert!(
            obeyed as f64 > 0.8 * orders as f64,
            "seed {seed}: {obeyed}/{orders}"
        );
        assert!(obeyed1 as f64 > 0.8 * orders1 as f64, "seed {seed}");
        assert!(resentment > 0.3, "seed {seed}: {resentment}");
        assert!(resentment1 < 0.05, "seed {seed}: {resentment1}");
    }
}
