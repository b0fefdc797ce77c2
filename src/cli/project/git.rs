//! `check --against git:REF`: the project as it was at another commit, read with the git
//! command line (no working tree is touched).

use std::path::Path;
use std::process::Command;

use crate::project::load;
use crate::project::resolve::{Existing, resolve};

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git").arg("-C").arg(dir).args(args).output().map_err(|e| format!("cannot run git: {e}"))
}

/// The baseline at `reference`: every schema of the project there, as version 1 (the
/// schemas of the current project that changed become version 2). A commit without the
/// project file is an empty baseline (every schema is new).
///
/// # Errors
/// Not a git repository, or no such commit.
pub fn baseline(dir: &Path, reference: &str) -> Result<Existing, String> {
    let verify = git(dir, &["rev-parse", "--verify", "--quiet", &format!("{reference}^{{commit}}")])?;
    if !verify.status.success() {
        return Err(format!("git:{reference} is not a commit of the repository holding {}", dir.display()));
    }
    let prefix = git(dir, &["rev-parse", "--show-prefix"])?;
    if !prefix.status.success() {
        return Err(format!("{} is not inside a git repository", dir.display()));
    }
    let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_owned();
    let read = |relative: &str| -> Result<Option<String>, String> {
        let spec = format!("{reference}:{prefix}{relative}");
        let exists = git(dir, &["cat-file", "-e", &spec])?;
        if !exists.status.success() {
            return Ok(None);
        }
        let out = git(dir, &["show", &spec])?;
        if out.status.success() {
            String::from_utf8(out.stdout).map(Some).map_err(|_| format!("{spec} is not UTF-8"))
        } else {
            Err(format!("git show {spec}: {}", String::from_utf8_lossy(&out.stderr).trim()))
        }
    };
    let project = match load(&read) {
        Ok((project, _)) => project,
        // No project at that commit: nothing to be compatible with.
        Err(problems) if problems.iter().all(|p| p.code == crate::project::problem::codes::MISSING_FILE) => {
            return Ok(Existing::new());
        }
        Err(problems) => {
            return Err(format!(
                "the project at git:{reference} does not load: {}",
                problems.iter().map(crate::project::Problem::text).collect::<Vec<_>>().join("; ")
            ));
        }
    };
    let (resolved, _) = resolve(&project, &Existing::new());
    Ok(resolved
        .desired
        .into_iter()
        .map(|(key, d)| (key, std::iter::once((d.version, d.content)).collect()))
        .collect())
}
