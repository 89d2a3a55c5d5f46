//! The `plenum` binary; everything lives in the library (see `cli`).

fn main() -> std::process::ExitCode {
    plenum_server::cli::main()
}
