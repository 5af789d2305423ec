//! The engine under test: which CLI `docker` means in a step, the environment it gets, and the
//! `bb` image imported into it before the first scenario.
//!
//! Each engine is isolated from the machine's own state where it can be: ferry gets a fresh
//! `--root` (through `FERRY_ROOT`), and every CLI gets a fresh `HOME`, so `login` never writes to
//! root's real credentials.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fixture::REGISTRY_ADDR;
use crate::{shell, Error};

/// The image every scenario runs: a busybox-static root filesystem, imported under this name.
pub const IMAGE: &str = "bb:latest";

/// The environment variable that picks the engine.
pub const ENGINE_ENV: &str = "CONFORMANCE_ENGINE";

/// The engines the suite knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EngineKind {
    /// The binary built from this workspace.
    Ferry,
    /// Real Docker (dockerd + containerd + runc): the reference.
    Docker,
    /// podman, rootful, with runc: the second reference.
    Podman,
}

impl EngineKind {
    /// Every engine, in table order.
    pub const ALL: [EngineKind; 3] = [EngineKind::Ferry, EngineKind::Docker, EngineKind::Podman];

    /// `ferry`, `docker` or `podman`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "ferry" => Some(EngineKind::Ferry),
            "docker" => Some(EngineKind::Docker),
            "podman" => Some(EngineKind::Podman),
            _ => None,
        }
    }

    /// The engine named by `CONFORMANCE_ENGINE`, ferry when unset.
    pub fn from_env() -> Result<Self, Error> {
        match std::env::var(ENGINE_ENV) {
            Err(_) => Ok(EngineKind::Ferry),
            Ok(name) => EngineKind::parse(&name).ok_or(Error::UnknownEngine(name)),
        }
    }

    /// Its lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Ferry => "ferry",
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An engine ready for scenarios: its CLI, environment, and private directories.
#[derive(Debug)]
pub struct Engine {
    /// Which engine.
    pub kind: EngineKind,
    /// What the engine reports as its version.
    pub version: String,
    env: BTreeMap<String, String>,
    /// HOME for the CLI, and ferry's state root below it; removed on drop.
    private: tempfile::TempDir,
}

impl Engine {
    /// Prepares `kind`: finds its CLI, checks it answers, and imports `rootfs_tar` as [`IMAGE`].
    /// `ferry_bin` is the ferry binary to test (the suite builds one).
    pub fn start(kind: EngineKind, ferry_bin: &Path, rootfs_tar: &Path) -> Result<Engine, Error> {
        let private = tempfile::Builder::new()
            .prefix(&format!("conformance-{kind}-"))
            .tempdir()
            .map_err(|e| Error::io(Path::new("/tmp"), e))?;
        let env = environment(kind, ferry_bin, private.path())?;
        let mut engine = Engine {
            kind,
            version: String::new(),
            env,
            private,
        };
        engine.version = engine.query_version()?;
        let import = engine.sh(&format!("docker import {} {IMAGE}", rootfs_tar.display()))?;
        if import.code != 0 {
            return Err(Error::Unavailable(format!(
                "{kind}: importing the busybox image failed: {}",
                import.stderr.trim()
            )));
        }
        Ok(engine)
    }

    /// The environment a step runs with (the scenario adds `WORK` and fixture variables).
    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// Removes the image the suite imported; the private directories go when `self` drops.
    pub fn finish(self) {
        let _ = self.sh(&format!("docker rmi {IMAGE}"));
    }

    fn query_version(&self) -> Result<String, Error> {
        let command = match self.kind {
            EngineKind::Ferry => "docker --version",
            EngineKind::Docker => "docker version --format 'dockerd {{.Server.Version}}'",
            EngineKind::Podman => "docker version --format 'podman {{.Client.Version}}'",
        };
        let out = self.sh(command)?;
        if out.code != 0 {
            let hint = match self.kind {
                EngineKind::Docker => " (is dockerd running? conformance/run-references starts it)",
                _ => "",
            };
            return Err(Error::Unavailable(format!(
                "{}: `{command}` failed{hint}: {}",
                self.kind,
                out.stderr.trim()
            )));
        }
        Ok(out.stdout.trim().to_string())
    }

    fn sh(&self, script: &str) -> Result<shell::Output, Error> {
        shell::run(
            script,
            self.private.path(),
            &self.env,
            Duration::from_secs(120),
        )
        .map_err(|e| Error::io(Path::new("bash"), e))
    }
}

/// The CLI and the variables each engine needs.
fn environment(
    kind: EngineKind,
    ferry_bin: &Path,
    private: &Path,
) -> Result<BTreeMap<String, String>, Error> {
    let home = private.join("home");
    std::fs::create_dir_all(&home).map_err(|e| Error::io(&home, e))?;
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: &Path| env.insert(k.to_string(), v.display().to_string());
    set("HOME", &home);
    set("DOCKER_CONFIG", &home.join(".docker"));
    // podman refuses to run when REGISTRY_AUTH_FILE names a missing file.
    let auth = home.join("auth.json");
    std::fs::write(&auth, "{\"auths\":{}}\n").map_err(|e| Error::io(&auth, e))?;
    set("REGISTRY_AUTH_FILE", &auth);
    match kind {
        EngineKind::Ferry => {
            let cli = std::env::var_os("CONFORMANCE_FERRY")
                .map(PathBuf::from)
                .unwrap_or_else(|| ferry_bin.to_path_buf());
            set("CONFORMANCE_CLI", &cli);
            set("FERRY_ROOT", &private.join("ferry-root"));
        }
        EngineKind::Docker => {
            // The Debian client matches the daemon; any other `docker` on PATH talks to it too.
            let cli = std::env::var_os("CONFORMANCE_DOCKER")
                .map(PathBuf::from)
                .or_else(|| Some(PathBuf::from("/usr/bin/docker")).filter(|p| p.exists()))
                .unwrap_or_else(|| PathBuf::from("docker"));
            set("CONFORMANCE_CLI", &cli);
        }
        EngineKind::Podman => {
            set("CONFORMANCE_CLI", Path::new("podman"));
            let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
            set("CONTAINERS_CONF", &peers.join("containers.conf"));
            let registries = private.join("registries.conf");
            let text = format!("unqualified-search-registries = []\n\n[[registry]]\nlocation = \"{REGISTRY_ADDR}\"\ninsecure = true\n");
            std::fs::write(&registries, text).map_err(|e| Error::io(&registries, e))?;
            set("CONTAINERS_REGISTRIES_CONF", &registries);
        }
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names_round_trip() {
        for kind in EngineKind::ALL {
            assert_eq!(EngineKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(EngineKind::parse("runc"), None);
    }

    #[test]
    fn ferry_gets_a_private_state_root_and_home() {
        let dir = tempfile::tempdir().unwrap();
        let env = environment(EngineKind::Ferry, Path::new("/x/ferry"), dir.path()).unwrap();
        assert_eq!(env["CONFORMANCE_CLI"], "/x/ferry");
        assert!(env["FERRY_ROOT"].starts_with(&dir.path().display().to_string()));
        assert!(env["HOME"].starts_with(&dir.path().display().to_string()));
    }

    #[test]
    fn podman_trusts_the_plain_http_fixture_registry() {
        let dir = tempfile::tempdir().unwrap();
        let env = environment(EngineKind::Podman, Path::new("/x"), dir.path()).unwrap();
        let conf = std::fs::read_to_string(&env["CONTAINERS_REGISTRIES_CONF"]).unwrap();
        assert!(conf.contains(REGISTRY_ADDR) && conf.contains("insecure = true"));
    }
}
