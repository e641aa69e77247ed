//! Times each phase of the step on a generated population (a quick profile).
//!
//! Run: `cargo run --release --example phases -- 1000000 20`
//! (agents, steps; mean degree 8, Watts–Strogatz with beta 0.1).

use std::time::Instant;

use powerdyn::engine::Simulation;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let steps: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let s = powerdyn::scenario::synthetic_population(n, 8).expect("valid scenario");
    let t = Instant::now();
    let mut sim = Simulation::new(&s, 1, 0).expect("builds");
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..steps {
        sim.step();
    }
    let total = t.elapsed().as_secs_f64();
    let per = |d: std::time::Duration| d.as_secs_f64() / steps as f64 * 1e3;
    println!(
        "{{\"agents\":{n},\"steps\":{steps},\"threads\":{},\"setup_s\":{setup:.3},\"agent_steps_per_sec\":{:.0},\"ms_per_step\":{:.2},\"decide_ms\":{:.2},\"apply_ms\":{:.2},\"derive_ms\":{:.2}}}",
        rayon::current_num_threads(),
        n as f64 * steps as f64 / total,
        total / steps as f64 * 1e3,
        per(sim.timings.decide),
        per(sim.timings.apply),
        per(sim.timings.derive)
    );
}
