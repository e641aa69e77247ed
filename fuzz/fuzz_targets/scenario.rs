//! Scenario parsing and validation must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = powerdyn::scenario::parse_bytes("fuzz.toml", data) {
        // A valid scenario small enough to build must build without panicking.
        if s.n_agents() <= 200 {
            let _ = powerdyn::engine::Simulation::new(&s, 1, 0);
        }
    }
});
