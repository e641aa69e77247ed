//! Influence reduces exactly to its published models when configured as them:
//! French–DeGroot consensus and the Friedkin–Johnsen equilibrium, checked
//! against closed forms computed here, independently of the library; and
//! reflected appraisal (DeGroot–Friedkin) reaches its known fixed points.

use powerdyn::engine::Simulation;

use crate::support::parse;

/// Named agents `a0..` with these starting opinions, a complete network, and
/// the influence rule with the given extra lines.
fn scenario(opinions: &[f64], influence: &str) -> String {
    let mut s = String::from("name = \"influence\"\nsteps = 10\n");
    for (i, x) in opinions.iter().enumerate() {
        s.push_str(&format!("[[agents]]\nname = \"a{i}\"\nopinion = {x}\n"));
    }
    s.push_str("[network]\nkind = \"complete\"\n[rules.influence]\n");
    s.push_str(influence);
    s
}

fn matrix_toml(w: &[Vec<f64>]) -> String {
    let rows: Vec<String> = w
        .iter()
        .map(|r| {
            format!(
                "[{}]",
                r.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    format!("matrix = [{}]\n", rows.join(", "))
}

fn run(text: &str, steps: usize) -> Simulation {
    let mut sim = Simulation::new(&parse(text), 1, 0).expect("builds");
    for _ in 0..steps {
        sim.step();
    }
    sim
}

/// Gauss–Jordan inverse (test-side, independent of the library's solver).
fn inverse(m: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = r.clone();
            row.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))
            .unwrap();
        a.swap(c, p);
        let d = a[c][c];
        for v in a[c].iter_mut() {
            *v /= d;
        }
        for r in 0..n {
            if r != c {
                let f = a[r][c];
                let pivot = a[c].clone();
                for (v, pv) in a[r].iter_mut().zip(pivot) {
                    *v -= f * pv;
                }
            }
        }
    }
    a.into_iter().map(|r| r[n..].to_vec()).collect()
}

/// The left Perron vector by power iteration `pi <- pi W` (test-side).
fn perron(w: &[Vec<f64>]) -> Vec<f64> {
    let n = w.len();
    let mut pi = vec![1.0 / n as f64; n];
    for _ in 0..100_000 {
        let next: Vec<f64> = (0..n)
            .map(|j| (0..n).map(|i| pi[i] * w[i][j]).sum())
            .collect();
        pi = next;
    }
    pi
}

fn normalise(w: &[Vec<f64>]) -> Vec<Vec<f64>> {
    w.iter()
        .map(|r| {
            let s: f64 = r.iter().sum();
            r.iter().map(|x| x / s).collect()
        })
        .collect()
}

const MATRICES: [&[&[f64]]; 3] = [
    &[&[0.5, 0.3, 0.2], &[0.1, 0.6, 0.3], &[0.4, 0.4, 0.2]],
    &[
        &[0.2, 0.8, 0.0, 0.0],
        &[0.0, 0.3, 0.7, 0.0],
        &[0.0, 0.0, 0.4, 0.6],
        &[0.5, 0.0, 0.0, 0.5],
    ],
    &[
        &[0.6, 0.1, 0.1, 0.1, 0.1],
        &[0.3, 0.4, 0.3, 0.0, 0.0],
        &[0.2, 0.2, 0.2, 0.2, 0.2],
        &[0.0, 0.0, 0.5, 0.25, 0.25],
        &[0.1, 0.0, 0.0, 0.6, 0.3],
    ],
];

const OPINIONS: [f64; 5] = [0.9, 0.1, 0.4, 0.75, 0.3];

fn rows(m: &[&[f64]]) -> Vec<Vec<f64>> {
    m.iter().map(|r| r.to_vec()).collect()
}

#[test]
fn degroot_reaches_the_consensus_of_the_left_perron_vector() {
    for m in MATRICES {
        let w = normalise(&rows(m));
        let n = w.len();
        let x0 = &OPINIONS[..n];
        let pi = perron(&w);
        let consensus: f64 = pi.iter().zip(x0).map(|(p, x)| p * x).sum();
        let sim = run(&scenario(x0, &matrix_toml(&w)), 3000);
        for (i, &x) in sim.world.agents.opinion.iter().enumerate() {
            assert!(
                (x as f64 - consensus).abs() < 1e-6,
                "agent {i}: {x} vs consensus {consensus}"
            );
        }
        let (eq, power) = sim.influence_closed_form().expect("closed form");
        let eq = eq.expect("an equilibrium");
        for (p, q) in power.iter().zip(&pi) {
            assert!((p - q).abs() < 1e-6, "social power {p} vs {q}");
        }
        assert!(eq.iter().all(|e| (e - consensus).abs() < 1e-6));
    }
}

#[test]
fn coupled_friedkin_johnsen_reaches_its_closed_form_equilibrium() {
    for m in MATRICES {
        let w = normalise(&rows(m));
        let n = w.len();
        let u = &OPINIONS[..n];
        // lambda_i = 1 - W_ii
        let lambda: Vec<f64> = (0..n).map(|i| 1.0 - w[i][i]).collect();
        let a: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| f64::from(u8::from(i == j)) - lambda[i] * w[i][j])
                    .collect()
            })
            .collect();
        let inv = inverse(&a);
        let y: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| inv[i][j] * (1.0 - lambda[j]) * u[j]).sum())
            .collect();
        let sim = run(
            &scenario(u, &format!("coupled = true\n{}", matrix_toml(&w))),
            3000,
        );
        for (i, (&x, &yi)) in sim.world.agents.opinion.iter().zip(&y).enumerate() {
            assert!(
                (x as f64 - yi).abs() < 1e-6,
                "agent {i}: {x} vs closed form {}",
                yi
            );
        }
        let (eq, _) = sim.influence_closed_form().expect("closed form");
        let eq = eq.expect("an equilibrium");
        // Self-weights and prejudices are stored in f32 (relative precision
        // 6e-8), so the library's closed form agrees to that precision.
        for i in 0..n {
            assert!((eq[i] - y[i]).abs() < 1e-6, "{} vs {}", eq[i], y[i]);
        }
    }
}

#[test]
fn friedkin_johnsen_with_given_susceptibilities_matches_its_closed_form() {
    let w = normalise(&rows(MATRICES[2]));
    let n = w.len();
    let u = &OPINIONS[..n];
    let lambda = [0.9, 0.5, 0.0, 0.7, 0.95];
    let mut text = String::from("name = \"fj\"\n");
    for i in 0..n {
        text.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nopinion = {}\nsusceptibility = {}\n",
            u[i], lambda[i]
        ));
    }
    text.push_str("[network]\nkind = \"complete\"\n[rules.influence]\n");
    text.push_str(&matrix_toml(&w));
    let a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| f64::from(u8::from(i == j)) - lambda[i] * w[i][j])
                .collect()
        })
        .collect();
    let inv = inverse(&a);
    let y: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| inv[i][j] * (1.0 - lambda[j]) * u[j]).sum())
        .collect();
    let sim = run(&text, 3000);
    for (i, (&x, &yi)) in sim.world.agents.opinion.iter().zip(&y).enumerate() {
        assert!((x as f64 - yi).abs() < 1e-6, "agent {i}");
    }
    assert!(
        sim.world.agents.opinion[2] == u[2] as f32,
        "lambda 0 keeps its prejudice"
    );
}

#[test]
fn a_weighted_edge_list_gives_the_same_opinions_as_the_matrix() {
    let w = normalise(&rows(MATRICES[0]));
    let mut list = String::from("weights = [");
    for (i, r) in w.iter().enumerate() {
        for (j, x) in r.iter().enumerate() {
            list.push_str(&format!("[\"a{i}\", \"a{j}\", {x:?}], "));
        }
    }
    list.push_str("]\n");
    let a = run(&scenario(&OPINIONS[..3], &matrix_toml(&w)), 200);
    let b = run(&scenario(&OPINIONS[..3], &list), 200);
    assert_eq!(a.world.agents.opinion, b.world.agents.opinion);
}

#[test]
fn a_zero_on_the_matrix_diagonal_is_a_self_weight_of_zero() {
    // French-DeGroot with s_i = 0: two agents who listen only to each other
    // swap opinions every step, as the weights list with explicit zeros does.
    let w = vec![vec![0.0, 1.0], vec![1.0, 0.0]];
    let list = "weights = [[\"a0\", \"a0\", 0.0], [\"a0\", \"a1\", 1.0], [\"a1\", \"a1\", 0.0], [\"a1\", \"a0\", 1.0]]\n";
    for text in [matrix_toml(&w), list.to_string()] {
        let sim = run(&scenario(&[0.2, 0.8], &text), 1);
        assert_eq!(sim.world.agents.self_weight.to_vec(), [0.0, 0.0], "{text}");
        assert_eq!(sim.world.agents.opinion, [0.8, 0.2], "{text}");
    }
}

#[test]
fn reflected_appraisal_with_doubly_stochastic_weights_tends_to_democracy() {
    // C: every agent splits its interpersonal weight equally (a complete graph is doubly stochastic).
    let n = 4;
    let mut text = String::from("name = \"ra\"\n");
    let selfw = [0.9, 0.1, 0.6, 0.3];
    for (i, s) in selfw.iter().enumerate() {
        text.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nopinion = {{ dist = \"uniform\", low = 0, high = 1 }}\nself_weight = {s}\n"
        ));
    }
    text.push_str("[network]\nkind = \"complete\"\n[rules.influence]\nissue_length = 400\n");
    let sim = run(&text, 400 * 30);
    for (i, &s) in sim.world.agents.self_weight.to_vec().iter().enumerate() {
        assert!(
            (s as f64 - 1.0 / n as f64).abs() < 1e-3,
            "agent {i}: self-weight {s}"
        );
    }
}

#[test]
fn reflected_appraisal_in_a_star_concentrates_power_in_the_centre() {
    let mut text = String::from("name = \"star\"\n");
    for i in 0..5 {
        text.push_str(&format!(
            "[[agents]]\nname = \"a{i}\"\nopinion = {{ dist = \"uniform\", low = 0, high = 1 }}\nself_weight = 0.3\n"
        ));
    }
    text.push_str(
        "[network]\nkind = \"edges\"\nedges = [[\"a0\", \"a1\"], [\"a0\", \"a2\"], [\"a0\", \"a3\"], [\"a0\", \"a4\"]]\n",
    );
    text.push_str("[rules.influence]\nissue_length = 300\nweights = [[\"a0\", \"a1\", 1], [\"a0\", \"a2\", 1], [\"a0\", \"a3\", 1], [\"a0\", \"a4\", 1], [\"a1\", \"a0\", 1], [\"a2\", \"a0\", 1], [\"a3\", \"a0\", 1], [\"a4\", \"a0\", 1], [\"a0\", \"a0\", 1], [\"a1\", \"a1\", 1], [\"a2\", \"a2\", 1], [\"a3\", \"a3\", 1], [\"a4\", \"a4\", 1]]\n");
    let sim = run(&text, 300 * 40);
    let s = sim.world.agents.self_weight.to_vec();
    assert!(s[0] > 0.9, "centre's self-weight {}", s[0]);
    assert!(s[1..].iter().all(|&x| x < 0.05), "{s:?}");
}

#[test]
fn power_derived_influence_pulls_opinions_toward_the_powerful() {
    // A boss with every base and a worker with none: the boss's view wins.
    let text = r#"
name = "boss"
[[agents]]
name = "boss"
opinion = 0.9
self_weight = 0.5
bases = { legitimate = 2.0, expert = 2.0, coercive = 1.0 }
[[agents]]
name = "worker"
opinion = 0.1
self_weight = 0.5
[network]
kind = "complete"
[rules.influence]
"#;
    let sim = run(text, 300);
    let x = &sim.world.agents.opinion;
    assert!((x[0] - x[1]).abs() < 1e-3, "they reach consensus: {x:?}");
    assert!(
        x[0] > 0.6,
        "closer to the boss's 0.9 than the worker's 0.1: {x:?}"
    );
}

/// Two agents who listen only to each other swap opinions for ever: no
/// consensus is claimed, while their social powers (the Perron vector, which
/// reflected appraisal uses) are still given.
#[test]
fn a_periodic_network_has_social_powers_but_no_consensus() {
    let text = scenario(
        &[0.1, 0.9],
        &matrix_toml(&rows(&[&[0.0, 1.0], &[1.0, 0.0]])),
    );
    let sim = run(&text, 3);
    let x = &sim.world.agents.opinion;
    assert_eq!((x[0], x[1]), (0.9, 0.1), "they swap every step");
    let (eq, power) = sim.influence_closed_form().expect("social powers");
    assert!(eq.is_none(), "{eq:?}");
    assert!((power[0] - 0.5).abs() < 1e-12 && (power[1] - 0.5).abs() < 1e-12);
}
