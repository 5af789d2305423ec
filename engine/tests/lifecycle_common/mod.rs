//! Helpers shared by the lifecycle tests: a state root that cleans up after itself, and short ways
//! to drive the `ferry` binary.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ferry_testkit::{require, state_root, Need};

/// What every lifecycle test needs: root, namespaces, OverlayFS and cgroups.
pub const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay, Need::Cgroups];

/// Skips (or fails under FERRY_REQUIRE_PRIVILEGED=1) when the machine cannot run containers.
pub fn can_run(test: &str) -> bool {
    require(test, NEEDS)
}

/// A state root of its own; dropping it force-removes every container first (also when the test
/// panicked), so no monitor, process or cgroup outlives the test.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    pub fn new() -> Self {
        Root { dir: state_root() }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `ferry --root <root>` with FERRY_ROOT cleared.
    pub fn ferry(&self) -> Command {
        let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
        cmd.arg("--root").arg(self.path()).env_remove("FERRY_ROOT");
        cmd
    }

    /// The same as a `std::process::Command`, for spawning (`logs -f`, piped stdin).
    pub fn spawnable(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"));
        cmd.arg("--root").arg(self.path()).env_remove("FERRY_ROOT");
        cmd
    }

    /// Runs `ferry ARGS…` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.ferry().args(args).output().expect("ferry runs")
    }

    /// Runs `ferry ARGS…`, asserts it succeeded, returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "ferry {args:?} failed: {out:?}");
        stdout(&out)
    }

    /// `ferry run -d --network none FLAGS… toolbox CMD…`: returns the full id.
    pub fn detach(&self, flags: &[&str], command: &[&str]) -> String {
        let mut args = vec!["run", "-d", "--network", "none"];
        args.extend_from_slice(flags);
        args.push("toolbox");
        args.extend_from_slice(command);
        let id = self.ok(&args).trim().to_string();
        assert_eq!(id.len(), 64, "run -d prints the full id: {id:?}");
        id
    }

    /// `ferry inspect --format TEMPLATE CONTAINER`, trimmed.
    pub fn inspect(&self, container: &str, template: &str) -> String {
        self.ok(&["inspect", "--format", template, container])
            .trim()
            .to_string()
    }

    /// The container's status as `inspect` reports it.
    pub fn status(&self, container: &str) -> String {
        self.inspect(container, "{{.State.Status}}")
    }

    /// Waits until the container's status is `status` (panics after 10 s).
    pub fn wait_for_status(&self, container: &str, status: &str) {
        wait_until(&format!("{container} to be {status}"), || {
            self.status(container) == status
        });
    }

    /// The host processes whose command line mentions this state root (monitors, and anything
    /// they left).
    pub fn processes(&self) -> Vec<String> {
        let root = self.path().to_string_lossy().into_owned();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&root)
                && entry.file_name() != std::process::id().to_string().as_str()
            {
                found.push(cmdline);
            }
        }
        found
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let Ok(out) = self.ferry().args(["ps", "-aq", "--no-trunc"]).output() else {
            return;
        };
        let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(String::from)
            .collect();
        if !ids.is_empty() {
            let _ = self.ferry().arg("rm").arg("-f").args(&ids).output();
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Polls `condition` every 20 ms for up to 10 s (stretched on slow machines).
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + ferry_testkit::patience(Duration::from_secs(10));
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The container's cgroup directories that exist (none once it is gone): `<id>` under a parent
/// named `ferry` or `ferry-<hash of the state root>`, in the v2 tree or any v1 hierarchy.
pub fn cgroup_dirs(id: &str) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect()
    };
    let top = Path::new("/sys/fs/cgroup");
    let mut hierarchies = entries(top);
    hierarchies.push(top.to_path_buf());
    hierarchies
        .iter()
        .flat_map(|h| entries(h))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("ferry"))
        })
        .map(|parent| parent.join(id))
        .filter(|dir| dir.is_dir())
        .collect()
}

/// Whether a process with this pid exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}
