//! The `powerdyn` command: parse options, call the library, map errors to exit codes.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
