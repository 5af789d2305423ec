//! Registry credentials, stored as Docker stores them: a `config.json` with base64
//! `user:password` under `auths`, keyed by registry (`https://index.docker.io/v1/` for Docker Hub).
//!
//! ```json
//! {"auths": {"172.16.1.226:5000": {"auth": "YWRtaW46YWRtaW4="}}}
//! ```
//!
//! The file lives in `$FERRY_CONFIG` (default `~/.ferry`), as Docker's lives in `$DOCKER_CONFIG`
//! (default `~/.docker`); it is written with mode 0600, atomically, and keys ferry does not know
//! are kept. Like Docker without a credential helper, the password is only encoded, not encrypted.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::endpoint::DOCKER_HUB;

/// The environment variable naming the directory of `config.json`.
pub const CONFIG_ENV: &str = "FERRY_CONFIG";
/// The key Docker uses for Docker Hub in `auths`.
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user.
    pub username: String,
    /// The password (or token).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuthEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// The credentials file.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    path: PathBuf,
}

impl CredentialStore {
    /// `config.json` in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("config.json"),
        }
    }

    /// `$FERRY_CONFIG/config.json`, else `$HOME/.ferry/config.json`.
    pub fn default_location() -> Self {
        let dir = match std::env::var_os(CONFIG_ENV) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".ferry"),
        };
        Self::in_dir(&dir)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials stored for `registry` (`host:port`, or `docker.io`).
    pub fn get(&self, registry: &str) -> Result<Option<Credentials>, String> {
        let config = self.read()?;
        let Some(entry) = config.auths.get(&auth_key(registry)) else {
            return Ok(None);
        };
        let Some(encoded) = &entry.auth else {
            return Ok(None);
        };
        decode(encoded).map(Some).ok_or_else(|| {
            format!(
                "{}: the auth of {registry} is not base64 user:password",
                self.path.display()
            )
        })
    }

    // ANCHOR: store
    /// Stores credentials for `registry`, keeping everything else in the file.
    pub fn store(&self, registry: &str, credentials: &Credentials) -> Result<(), String> {
        let mut config = self.read()?;
        let pair = format!("{}:{}", credentials.username, credentials.password);
        let entry = config.auths.entry(auth_key(registry)).or_default();
        entry.auth = Some(base64::engine::general_purpose::STANDARD.encode(pair));
        self.write(&config)
    }
    // ANCHOR_END: store

    /// Removes the credentials of `registry`; `false` if there were none.
    pub fn erase(&self, registry: &str) -> Result<bool, String> {
        let mut config = self.read()?;
        let removed = config.auths.remove(&auth_key(registry)).is_some();
        if removed {
            self.write(&config)?;
        }
        Ok(removed)
    }

    fn read(&self) -> Result<ConfigFile, String> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("cannot read {}: {e}", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }

    fn write(&self, config: &ConfigFile) -> Result<(), String> {
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", self.path.display());
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(failed)?;
        let tmp = dir.join(format!(".config.json.{}", std::process::id()));
        let json = serde_json::to_vec_pretty(config).map_err(|e| e.to_string())?;
        let written = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&json).and_then(|()| f.sync_all()))
            .and_then(|()| fs::rename(&tmp, &self.path));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written.map_err(failed)
    }
}

/// The `auths` key of a registry: Docker Hub has its historical URL, others their `host:port`.
pub fn auth_key(registry: &str) -> String {
    match registry {
        DOCKER_HUB | "index.docker.io" | "registry-1.docker.io" | DOCKER_HUB_AUTH_KEY => {
            DOCKER_HUB_AUTH_KEY.to_string()
        }
        other => other.to_string(),
    }
}

fn decode(encoded: &str) -> Option<Credentials> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (username, password) = text.split_once(':')?;
    Some(Credentials {
        username: username.to_string(),
        password: password.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn admin() -> Credentials {
        Credentials {
            username: "admin".into(),
            password: "admin".into(),
        }
    }

    #[test]
    fn stored_credentials_are_base64_under_auths_like_docker() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::in_dir(dir.path());
        store.store("172.16.1.226:5000", &admin()).unwrap();
        let json: Value = serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(
            json["auths"]["172.16.1.226:5000"]["auth"],
            "YWRtaW46YWRtaW4="
        );
        assert_eq!(store.get("172.16.1.226:5000").unwrap(), Some(admin()));
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn erasing_removes_one_registry_and_keeps_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let store = CredentialStore::in_dir(dir.path());
        fs::write(
            store.path(),
            r#"{"auths":{"other:5000":{"auth":"dTpw"}},"psFormat":"table"}"#,
        )
        .unwrap();
        store.store("docker.io", &admin()).unwrap();
        assert!(store.erase("docker.io").unwrap());
        assert!(!store.erase("docker.io").unwrap());
        let json: Value = serde_json::from_slice(&fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(json["psFormat"], "table");
        assert_eq!(store.get("other:5000").unwrap().unwrap().username, "u");
    }

    #[test]
    fn docker_hub_uses_its_historical_key() {
        assert_eq!(auth_key("docker.io"), DOCKER_HUB_AUTH_KEY);
        assert_eq!(auth_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn the_password_is_not_printed_in_debug_output() {
        assert!(
            !format!("{:?}", admin()).contains("admin\" }"),
            "{:?}",
            admin()
        );
        assert!(format!("{:?}", admin()).contains("<hidden>"));
    }
}
