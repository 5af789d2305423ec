//! Finding PID 1's command in the container and replacing ourselves with it.
//!
//! Docker distinguishes *why* a command could not start: 127 when it does not exist, 126 when it
//! exists but cannot be executed, 125 for anything else. The messages follow runc's wording, which
//! is what `docker run` prints.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::error::{EXIT_CANNOT_INVOKE, EXIT_ENGINE_ERROR, EXIT_NOT_FOUND};

/// Why the container's set-up stopped, and which exit code that means.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) exit_code: i32,
    pub(super) message: String,
}

impl Failure {
    /// A failure of the engine's set-up (exit 125).
    pub(super) fn engine(message: String) -> Self {
        Self {
            exit_code: EXIT_ENGINE_ERROR,
            message,
        }
    }
}

/// Refuses environment entries the kernel cannot pass (a NUL byte ends a C string).
pub(super) fn check_env(env: &[String]) -> crate::Result<()> {
    if env.iter().any(|kv| kv.contains('\0')) {
        return Err(crate::Error::InvalidArgument(
            "environment variables cannot contain NUL bytes".into(),
        ));
    }
    Ok(())
}

/// The environment as C strings, with `HOME` set to the user's home unless it is already set (as
/// Docker does: `HOME` follows `-u`).
pub(super) fn with_home(env: &[String], home: &str) -> Result<Vec<CString>, Failure> {
    let mut all: Vec<String> = env.to_vec();
    if !all.iter().any(|kv| kv.starts_with("HOME=")) {
        all.push(format!("HOME={home}"));
    }
    all.into_iter()
        .map(|kv| {
            CString::new(kv).map_err(|_| {
                Failure::engine("environment variables cannot contain NUL bytes".into())
            })
        })
        .collect()
}

/// Creates the working directory if the image lacks it (as root, before switching user).
pub(super) fn create_workdir(cwd: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(cwd)
        .map_err(|e| Failure::engine(format!("mkdir {}: {e}", cwd.display())))
}

/// Enters the working directory.
pub(super) fn enter_workdir(cwd: &Path) -> Result<(), Failure> {
    nix::unistd::chdir(cwd).map_err(|e| {
        Failure::engine(format!(
            "chdir to cwd {:?} set in config failed: {e}",
            cwd.display()
        ))
    })
}

/// The `PATH` the command is looked up in: the process's own, else Docker's default.
fn path_var(env: &[CString]) -> String {
    env.iter()
        .filter_map(|kv| kv.to_str().ok())
        .find_map(|kv| kv.strip_prefix("PATH="))
        .unwrap_or(crate::image::toolbox::DEFAULT_PATH)
        .to_string()
}

/// Looks `program` up as `execvp` would: taken as a path if it contains `/`, else searched in PATH.
pub(super) fn resolve(program: &str, path_var: &str) -> Result<PathBuf, Failure> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let mut not_executable = None;
    for dir in path_var.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(program);
        let Ok(meta) = std::fs::metadata(&candidate) else {
            continue;
        };
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            return Ok(candidate);
        }
        not_executable.get_or_insert(candidate);
    }
    match not_executable {
        Some(path) => Ok(path), // exec will fail with EACCES: report "permission denied", 126
        None => Err(Failure {
            exit_code: EXIT_NOT_FOUND,
            message: format!("exec: {program:?}: executable file not found in $PATH"),
        }),
    }
}

/// Execs the command, looked up in the environment's `PATH`. Returns only on failure, mapped to
/// Docker's exit code.
pub(super) fn exec(args: &[String], env: &[CString]) -> Result<Infallible, Failure> {
    let program = args
        .first()
        .ok_or_else(|| Failure::engine("no command specified".into()))?;
    let path = resolve(program, &path_var(env))?;
    let to_c = |s: &str| {
        CString::new(s).map_err(|_| Failure::engine(format!("argument {s:?} contains a NUL byte")))
    };
    let c_path = to_c(&path.to_string_lossy())?;
    let c_args = args
        .iter()
        .map(|a| to_c(a))
        .collect::<Result<Vec<_>, _>>()?;
    let errno = nix::unistd::execve(&c_path, &c_args, env).unwrap_err();
    Err(exec_failure(program, &path, errno))
}

fn exec_failure(program: &str, path: &Path, errno: Errno) -> Failure {
    let (exit_code, why) = match errno {
        Errno::ENOENT | Errno::ENOTDIR => (
            EXIT_NOT_FOUND,
            format!("stat {}: no such file or directory", path.display()),
        ),
        Errno::EACCES | Errno::EPERM | Errno::ENOEXEC | Errno::EISDIR => {
            (EXIT_CANNOT_INVOKE, "permission denied".into())
        }
        other => (EXIT_ENGINE_ERROR, other.desc().to_lowercase()),
    };
    Failure {
        exit_code,
        message: format!("exec: {program:?}: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_missing_from_path_is_127() {
        let dir = tempfile::tempdir().unwrap();
        let failure = resolve("nosuch", dir.path().to_str().unwrap()).unwrap_err();
        assert_eq!(failure.exit_code, 127);
        assert_eq!(
            failure.message,
            "exec: \"nosuch\": executable file not found in $PATH"
        );
    }

    #[test]
    fn the_first_executable_in_path_wins_over_a_non_executable_one() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let plain = a.path().join("tool");
        let runnable = b.path().join("tool");
        std::fs::write(&plain, b"").unwrap();
        std::fs::write(&runnable, b"").unwrap();
        std::fs::set_permissions(&runnable, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path_var = format!("{}:{}", a.path().display(), b.path().display());
        assert_eq!(resolve("tool", &path_var).unwrap(), runnable);
    }

    #[test]
    fn exec_errors_map_to_docker_exit_codes() {
        let p = Path::new("/bin/x");
        assert_eq!(exec_failure("x", p, Errno::ENOENT).exit_code, 127);
        assert_eq!(exec_failure("x", p, Errno::EACCES).exit_code, 126);
        assert_eq!(exec_failure("x", p, Errno::ENOEXEC).exit_code, 126);
        assert_eq!(exec_failure("x", p, Errno::E2BIG).exit_code, 125);
    }
}
