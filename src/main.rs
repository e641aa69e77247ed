//! The `powerdyn` command: parse options, call the library, map errors to exit codes.

mod cli;

/// Large arrays on transparent huge pages (see `powerdyn::alloc`).
#[global_allocator]
static ALLOC: powerdyn::alloc::HugePages = powerdyn::alloc::HugePages;

fn main() {
    std::process::exit(cli::main());
}
