//! Helpers shared by the integration tests: run the built toolbox binary, make temp dirs, and
//! build a `bin` directory of applet symlinks so `sh` finds *our* applets, not the host's.

#![allow(dead_code)] // each test file uses a different subset

use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The toolbox binary cargo built for these tests.
pub fn toolbox() -> &'static str {
    env!("CARGO_BIN_EXE_toolbox")
}

/// A directory under the system temp dir, removed with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!("toolbox-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A directory with `NAME -> toolbox` for every applet: the `/bin` of ferry's default image.
pub fn applet_bin() -> TempDir {
    let dir = TempDir::new();
    for name in toolbox::APPLETS {
        symlink(toolbox(), dir.path().join(name)).expect("symlink applet");
    }
    dir
}

/// `toolbox ARGS...` with stdin from `input`.
pub fn run(args: &[&str], input: &str) -> Output {
    run_in(Command::new(toolbox()).args(args), input)
}

/// Runs a prepared command feeding it `input`, and collects its output.
pub fn run_in(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn toolbox");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait toolbox")
}

/// `sh -c SCRIPT` with PATH holding only the applets (so `ls` is our `ls`), in `cwd`.
pub fn sh(script: &str) -> Output {
    let bin = applet_bin();
    let mut command = Command::new(toolbox());
    command.args(["sh", "-c", script]).env("PATH", bin.path());
    run_in(&mut command, "")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The exit code, failing the test if the process was killed by a signal.
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {output:?}"))
}
