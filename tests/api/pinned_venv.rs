//! The shared pinned Python virtualenv helper: a venv under the target directory, built
//! on first use with exact `pip` pins, reused while a marker naming the pins exists. It
//! fails loudly when it cannot be built (`.ci/run` installs python3-venv).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv `target/<name>` with `pins` installed; returns its directory.
pub fn venv(name: &str, pins: &[&str]) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let venv = target.join(name);
    let marker = venv.join(format!("installed-{}", pins.join("+").replace(['/', '[', ']', ','], "_")));
    if !marker.exists() {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "python3 -m venv failed: install python3-venv (.ci/run does)"
        );
        let installed = Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(pins)
            .status()
            .unwrap();
        assert!(installed.success(), "pip install {pins:?} failed");
        std::fs::write(&marker, "").unwrap();
    }
    venv
}
