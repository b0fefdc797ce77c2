//! Pinned Python tools in virtualenvs under the target directory, built on first use
//! (pip from PyPI). Building fails loudly: `.ci/run` installs python3-venv.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The virtualenv `target/<name>` with `requirement` (an exact `pkg==x.y.z` pin) installed,
/// created when missing. Returns the directory; its tools are in `bin/`.
pub fn pinned_venv(name: &str, requirement: &str) -> PathBuf {
    pinned_venv_of(name, &[requirement])
}

/// [`pinned_venv`] with several pins installed together.
pub fn pinned_venv_of(name: &str, requirements: &[&str]) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let venv = target.join(name);
    let marker =
        venv.join(format!("installed-{}", requirements.join("+").replace(['/', '[', ']', ',', '='], "_")));
    // Tests that want the same venv run at once: the first builds it while the others wait
    // on the lock (two `python3 -m venv` on one directory fail). Released when dropped.
    let lock = std::fs::File::create(target.join(format!("{name}.lock"))).unwrap();
    lock.lock().unwrap();
    if !marker.exists() {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "python3 -m venv failed: install python3-venv (.ci/run does)"
        );
        let installed = Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(requirements)
            .status()
            .unwrap();
        assert!(installed.success(), "pip install {requirements:?} failed");
        std::fs::write(&marker, "").unwrap();
    }
    venv
}
