//! The `schemabus` binary; everything it does lives in the library.

fn main() -> std::process::ExitCode {
    schemabus::cli::run()
}
