//! A small tmpfs the test mounts itself, to fill up.
//!
//! Unprivileged first: `unshare --user --map-root-user --mount` makes a mount namespace
//! owned by the caller, where a process (`sleep`) holds the tmpfs; the service runs in it
//! through `nsenter`, and the test reaches its files through `/proc/<holder>/root`.
//! Without user namespaces, root mounts the tmpfs directly (and unmounts it at drop).
//! Neither possible: the test fails, saying so (it never skips).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct SmallFs {
    /// Where the service sees the mount.
    pub mount: PathBuf,
    /// Where the test sees it.
    pub view: PathBuf,
    /// Command prefix running a program where the mount is visible.
    pub prefix: Vec<OsString>,
    holder: Option<Child>,
    _dir: tempfile::TempDir,
}

impl SmallFs {
    /// Mounts a tmpfs of `mib` MiB.
    pub fn mount(mib: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).expect("mount point");
        let script = format!(
            "mount -t tmpfs -o size={mib}m tmpfs '{}' && echo mounted && exec sleep 100000",
            mount.display()
        );
        let holder = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut why = String::new();
        if let Ok(mut holder) = holder {
            let mut line = String::new();
            let stdout = holder.stdout.take().expect("stdout piped");
            drop(BufReader::new(stdout).read_line(&mut line));
            if line.trim() == "mounted" {
                let pid = holder.id();
                let view = PathBuf::from(format!("/proc/{pid}/root"))
                    .join(mount.strip_prefix("/").expect("absolute"));
                let prefix =
                    ["nsenter", "-t", &pid.to_string(), "--user", "--mount", "--preserve-credentials", "--"]
                        .iter()
                        .map(OsString::from)
                        .collect();
                return Self { mount, view, prefix, holder: Some(holder), _dir: dir };
            }
            drop(holder.kill());
            let output = holder.wait_with_output().expect("reaped");
            why = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        }
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&mount)
            .output()
            .expect("mount runs");
        assert!(
            status.status.success(),
            "this test needs a small file system it mounts itself: either unprivileged user namespaces \
             (`unshare --user --map-root-user --mount` failed: {why}) or root (`mount -t tmpfs` failed: {}). \
             Run it as root, or enable user namespaces (sysctl kernel.unprivileged_userns_clone=1).",
            String::from_utf8_lossy(&status.stderr).trim()
        );
        Self { view: mount.clone(), mount, prefix: Vec::new(), holder: None, _dir: dir }
    }

    /// The test's path of `relative` inside the mount.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.view.join(relative)
    }

    /// Free bytes on it.
    pub fn free(&self) -> u64 {
        fs2::available_space(&self.view).expect("statvfs")
    }

    /// Writes `name` until the file system is full; returns the bytes written.
    pub fn fill(&self, name: &str) -> u64 {
        use std::io::Write as _;
        let mut file = std::fs::File::create(self.path(name)).expect("filler file");
        let block = vec![0xA5u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling: {e}"),
            }
        }
        // Pages smaller than a block may still be free.
        let small = [0xA5u8; 512];
        while let Ok(n @ 1..) = file.write(&small[..]) {
            written += n as u64;
        }
        written
    }

    /// Deletes a file inside it.
    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.path(name)).expect("removes");
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        match &mut self.holder {
            Some(holder) => {
                drop(holder.kill());
                drop(holder.wait());
            }
            None => drop(Command::new("umount").arg("-l").arg(&self.mount).status()),
        }
    }
}
