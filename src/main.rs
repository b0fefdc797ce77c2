//! The `schemabus` binary; everything it does lives in the library.

/// mimalloc instead of glibc's allocator: PutEvents allocates many small JSON values per
/// event, and glibc's malloc/free was a fifth of the CPU time under load (perf, see
/// docs/BUS.md#load-figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    schemabus::cli::run()
}
