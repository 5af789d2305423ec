//! Runs one step: `bash -c` with `docker` defined as the engine under test, a time limit, and
//! stdout/stderr captured.
//!
//! Output goes to files rather than pipes: an engine that leaves a daemon holding a copy of
//! stdout (a container monitor, say) must not make the step wait for EOF that never comes.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a step did.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The exit code; 128+N when killed by signal N, as a shell reports it.
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Killed after its time limit.
    pub timed_out: bool,
}

/// Defines `docker` as the engine's CLI, so scenarios read like the seeds' walk-throughs
/// (`docker run …`) and may use pipes, `$(…)` and host commands around it.
const PRELUDE: &str = r#"docker() { "$CONFORMANCE_CLI" "$@"; }
export -f docker
"#;

/// Runs `script` with bash in `dir`, with `env` added to the environment, for at most `timeout`.
pub fn run(
    script: &str,
    dir: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> std::io::Result<Output> {
    let mut stdout = tempfile::tempfile()?;
    let mut stderr = tempfile::tempfile()?;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("{PRELUDE}{script}"))
        .current_dir(dir)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(stdout.try_clone()?)
        .stderr(stderr.try_clone()?)
        // Its own process group, so a timeout kills everything the step started.
        .process_group(0)
        .spawn()?;
    let started = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if started.elapsed() >= timeout {
            kill_group(child.id());
            break (child.wait()?, true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    Ok(Output {
        code,
        stdout: read_all(&mut stdout)?,
        stderr: read_all(&mut stderr)?,
        timed_out,
    })
}

fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it has no memory effects.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

fn read_all(file: &mut std::fs::File) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_with_cli(cli: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("CONFORMANCE_CLI".to_string(), cli.to_string())])
    }

    #[test]
    fn docker_in_a_step_calls_the_configured_cli() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            "docker run --rm bb; x=$(docker ps); echo \"$x\"",
            dir.path(),
            &env_with_cli("echo"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(out.stdout, "run --rm bb\nps\n");
        assert_eq!(out.code, 0);
    }

    #[test]
    fn exit_codes_and_stderr_are_captured() {
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            "echo oops >&2; exit 3",
            dir.path(),
            &BTreeMap::new(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(
            (out.code, out.stderr.as_str(), out.timed_out),
            (3, "oops\n", false)
        );
    }

    #[test]
    fn a_step_past_its_limit_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = run(
            "sleep 30 & sleep 30",
            dir.path(),
            &BTreeMap::new(),
            Duration::from_millis(200),
        )
        .unwrap();
        assert!(out.timed_out);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_background_process_holding_stdout_does_not_block_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = run(
            "(sleep 3 &) ; echo done",
            dir.path(),
            &BTreeMap::new(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(out.stdout, "done\n");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
