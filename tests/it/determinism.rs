//! The determinism contract: byte-identical outputs on 1 and 2 threads and for
//! the same seed twice; different seeds differ.

use std::fs;
use std::path::Path;

use crate::support::{parse, run_into};

/// Several chunks of agents, a random network, every rule switched on.
const POPULATION: &str = r#"
name = "determinism"
steps = 60
record_every = 5
snapshot_every = 30
[groups.left]
[groups.right]
[[agents]]
name = "boss"
groups = ["left"]
bases = { coercive = 2.0, legitimate = 1.5 }
motive = 0.9
[[populations]]
name = "left"
count = 2600
groups = ["left"]
resources = { dist = "lognormal", mu = 4.0, sigma = 0.8 }
income = { dist = "uniform", low = 0.5, high = 1.5 }
motive = { dist = "beta", a = 2, b = 2 }
exit_cost = { dist = "uniform", low = 0, high = 1 }
self_esteem = { dist = "normal", mean = 0.6, sd = 0.2 }
bases = { coercive = { dist = "uniform", low = 0, high = 1 }, legitimate = { dist = "beta", a = 2, b = 5, scale = 2 }, expert = { dist = "normal", mean = 0.3, sd = 0.3 }, informational = 0.2, connection = 0.1, referent = 0.1 }
[[populations]]
name = "right"
count = 1900
groups = ["right"]
resources = { dist = "uniform", low = 10, high = 200 }
motive = 0.3
alternatives = { dist = "uniform", low = 0, high = 3 }
bases = { coercive = 0.2, reward = 0.3, expert = 0.5 }
[network]
kind = "watts_strogatz"
k = 8
beta = 0.3
[rules.tactics]
context = "conflict"
[rules.influence]
coupled = true
[rules.contests]
rate = 0.1
forgetting = 0.01
[rules.negotiation]
[rules.response]
[rules.coalition]
[rules.status]
[rules.extension]
"#;

fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["timeseries.csv", "agents.csv", "summary.json"]
        .iter()
        .map(|f| (f.to_string(), fs::read(dir.join(f)).expect("output exists")))
        .collect()
}

#[test]
fn same_seed_same_bytes_on_one_and_two_threads() {
    let s = parse(POPULATION);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&s, 5, 60, 1, &a);
    run_into(&s, 5, 60, 2, &b);
    for ((name, x), (_, y)) in outputs(&a).iter().zip(outputs(&b)) {
        assert!(x == &y, "{name} differs between 1 and 2 threads");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(b.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["threads"], 2);
}

#[test]
fn same_seed_twice_gives_the_same_bytes_and_different_seeds_differ() {
    let s = parse(POPULATION);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    run_into(&s, 9, 40, 2, &a);
    run_into(&s, 9, 40, 2, &b);
    run_into(&s, 10, 40, 2, &c);
    assert_eq!(outputs(&a), outputs(&b));
    let (ta, tc) = (&outputs(&a)[0].1, &outputs(&c)[0].1);
    assert_ne!(ta, tc, "a different seed must give a different time series");
}

#[test]
fn small_named_scenarios_are_deterministic_too() {
    let s = crate::support::bundled("bully-target-leaves");
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_into(&s, 3, 500, 1, &a);
    run_into(&s, 3, 500, 2, &b);
    assert_eq!(outputs(&a), outputs(&b));
    assert_eq!(
        fs::read(a.join("ties.csv")).unwrap(),
        fs::read(b.join("ties.csv")).unwrap()
    );
}

#[test]
fn every_mechanism_at_once_is_deterministic_in_a_small_group_too() {
    // Small enough for hierarchy metrics, closed forms and reflected appraisal.
    let text = POPULATION
        .replace("count = 2600", "count = 30")
        .replace("count = 1900", "count = 20")
        .replace(
            "[rules.influence]\ncoupled = true",
            "[rules.influence]\nissue_length = 20",
        );
    let s = parse(&text);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&s, 5, 60, 1, &a);
    run_into(&s, 5, 60, 2, &b);
    assert_eq!(outputs(&a), outputs(&b));
    assert_eq!(
        fs::read(a.join("issues.csv")).unwrap(),
        fs::read(b.join("issues.csv")).unwrap()
    );
    let header = String::from_utf8(outputs(&a)[0].1.clone()).unwrap();
    for column in [
        "h_prime",
        "exchange_rate",
        "voice_share",
        "opinion_sd",
        "self_weight_gini",
    ] {
        assert!(
            header.lines().next().unwrap().contains(column),
            "{column} missing"
        );
    }
}

/// The step's x86-64-v3 twins (AVX2, chosen at run time) against its
/// baseline code, on every bundled scenario: every column, tie state,
/// counter and metric the same, bit for bit, each recorded step. (On a CPU
/// without AVX2 both sides take the baseline code.)
#[test]
fn the_wide_vector_twins_write_the_same_bits() {
    use powerdyn::engine::Simulation;
    let files = crate::support::bundled_files();
    assert!(files.len() >= 30, "{} bundled scenarios", files.len());
    let f32s = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let f64s = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for f in &files {
        let s = powerdyn::scenario::load(f).unwrap();
        // The x86-64-v4 twins where the step has them (on a CPU with
        // AVX-512), then the x86-64-v3 twins alone, each against baseline code.
        for avx512 in [true, false] {
            let [mut wide, mut base] = [0, 1].map(|_| Simulation::new(&s, 11, 0).unwrap());
            wide.set_wide_vectors(true);
            wide.set_avx512(avx512);
            base.set_wide_vectors(false);
            assert!(!base.avx512());
            let name = format!(
                "{} (AVX-512 {})",
                f.file_name().unwrap().to_string_lossy(),
                wide.avx512()
            );
            for step in 1..=s.steps.min(120) {
                wide.step();
                base.step();
                if step % 10 != 0 {
                    continue;
                }
                let (a, b) = (&wide.world.agents, &base.world.agents);
                let at = format!("{name}, step {step}");
                for k in 0..a.bases.len() {
                    assert_eq!(f32s(&a.bases[k]), f32s(&b.bases[k]), "{at}: base {k}");
                }
                for k in 0..3 {
                    let (x, y) = (a.endowment[k].to_vec(), b.endowment[k].to_vec());
                    assert_eq!(f32s(&x), f32s(&y), "{at}: endowment {k}");
                }
                assert_eq!(f64s(&a.resources), f64s(&b.resources), "{at}: resources");
                assert_eq!(f32s(&a.self_esteem), f32s(&b.self_esteem), "{at}");
                assert_eq!(f32s(&a.alternatives), f32s(&b.alternatives), "{at}");
                assert_eq!(f32s(&a.opinion), f32s(&b.opinion), "{at}: opinions");
                let ties = |sim: &Simulation| -> Vec<[u32; 3]> {
                    sim.world
                        .ties
                        .state
                        .iter()
                        .map(|t| [t.engagement, t.resentment, t.affect].map(f32::to_bits))
                        .collect()
                };
                assert_eq!(ties(&wide), ties(&base), "{at}: ties");
                let (cw, cb) = (wide.take_counters(), base.take_counters());
                assert_eq!(cw, cb, "{at}: counters");
                let rw = powerdyn::metrics::compute(&wide, &cw);
                let rb = powerdyn::metrics::compute(&base, &cb);
                assert_eq!(f64s(&rw), f64s(&rb), "{at}: metrics");
            }
        }
    }
}

/// A record's tie sums (`dyad_imbalance`, `cohesion`, the half-level means)
/// are taken by the next step's influence and decide pass, from the powers
/// its influence weights compute (or agent by agent when influence is off
/// or its weights are fixed), or before the step's events when some are
/// due; taken in a pass of their own they are the same bits. Every bundled
/// scenario (influence from dyadic power, fixed weights and off; events),
/// and a population of several chunks, recorded every step.
#[test]
fn tie_sums_taken_by_the_next_step_equal_their_own_pass() {
    use powerdyn::engine::Simulation;
    use powerdyn::metrics::Recorder;
    let files = crate::support::bundled_files();
    let mut scenarios: Vec<(String, powerdyn::scenario::Scenario)> = files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            (name, powerdyn::scenario::load(f).unwrap())
        })
        .collect();
    scenarios.push(("POPULATION".into(), parse(POPULATION)));
    let bits = |rows: &[(u64, Vec<f64>)]| -> Vec<(u64, Vec<u64>)> {
        rows.iter()
            .map(|(s, r)| (*s, r.iter().map(|x| x.to_bits()).collect()))
            .collect()
    };
    let mut with_events = 0;
    for (name, s) in &scenarios {
        let steps = s.steps.min(3000);
        let rows = |fused: bool| {
            let mut sim = Simulation::new(s, 5, 0).unwrap();
            sim.set_fused_tie_sums(fused);
            let mut rec = Recorder::new();
            let mut rows = Vec::new();
            let c = sim.take_counters();
            rec.record(&mut sim, &c);
            while sim.step < steps {
                sim.step();
                rec.after_step(&mut sim);
                let c = sim.take_counters();
                rec.record(&mut sim, &c);
                rows.extend(rec.drain());
            }
            rec.finish(&mut sim);
            rows.extend(rec.drain());
            (rows, sim.timings.fused_steps)
        };
        let (fused, fused_steps) = rows(true);
        let (alone, none) = rows(false);
        assert_eq!(none, 0, "{name}: no step takes the sums when told not to");
        let due = (0..steps)
            .filter(|&t| s.events.iter().any(|e| e.due(t)))
            .count() as u64;
        with_events += usize::from(due > 0);
        // Every step takes them (each follows a record) but those with events due.
        assert_eq!(
            fused_steps,
            steps - due,
            "{name}: steps that took the tie sums"
        );
        assert_eq!(fused.len() as u64, steps + 1, "{name}: one row a step");
        assert!(
            fused.iter().zip(0..).all(|(r, s)| r.0 == s),
            "{name}: rows in step order"
        );
        assert_eq!(bits(&fused), bits(&alone), "{name}");
    }
    assert!(with_events >= 3, "{with_events} scenarios with events");
}
