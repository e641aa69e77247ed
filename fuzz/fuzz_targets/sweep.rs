//! Sweep-file parsing and validation must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A folder with a base scenario the fuzzed sweep files can name.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("powerdyn-fuzz-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("base.toml"),
            "name = \"base\"\nsteps = 5\n[[agents]]\nname = \"a\"\n[[agents]]\nname = \"b\"\n[network]\nkind = \"complete\"\n",
        )
        .unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let path = dir().join("sweep.toml");
    if std::fs::write(&path, data).is_ok() {
        let _ = powerdyn::sweep::file::load(&path, false);
    }
});
