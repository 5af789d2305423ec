//! The seeds' whole flow, end to end, as the issue's "done when" states it:
//!
//! ```text
//! ferry registry serve --htpasswd …      (registry:2 with REGISTRY_AUTH=htpasswd)
//! ferry build -t app:v1 .                 (a multi-stage Dockerfile)
//! ferry tag app:v1 127.0.0.1:PORT/app:v1
//! ferry login 127.0.0.1:PORT ; ferry push 127.0.0.1:PORT/app:v1
//! curl -u admin:admin http://127.0.0.1:PORT/v2/_catalog
//! ferry rmi … ; ferry pull 127.0.0.1:PORT/app:v1 ; ferry run 127.0.0.1:PORT/app:v1
//! ```
//!
//! Needs root, namespaces and OverlayFS (the build's RUN and the final run are containers).

use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use ferry_testkit::{require, state_root, Need};

/// `htpasswd -Bbn admin admin`.
const HTPASSWD: &str = "admin:$2y$05$eeJIkfXSGoGgWraf.Hv64eLcd3VibCVzNG2a93uFw0NZ51NJXHArm\n";

const DOCKERFILE: &str = "FROM toolbox AS builder\nWORKDIR /build\nCOPY msg.txt .\nRUN mkdir -p /dist && cp msg.txt /dist/index.txt\n\nFROM toolbox\nCOPY --from=builder /dist /usr/share/web/\nCMD [\"cat\", \"/usr/share/web/index.txt\"]\n";

/// `ferry registry serve` as its own process, stopped (by its pid) when dropped.
struct Registry {
    child: Child,
    host: String,
}

impl Registry {
    fn start(storage: &Path, htpasswd: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("127.0.0.1:{port}");
        let child = Process::cargo_bin("ferry")
            .unwrap()
            .arg("--root")
            .arg(storage)
            .args([
                "registry",
                "serve",
                "--quiet",
                "--addr",
                &host,
                "--htpasswd",
            ])
            .arg(htpasswd)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the registry");
        let deadline =
            std::time::Instant::now() + ferry_testkit::patience(std::time::Duration::from_secs(5));
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(&host).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        Registry { child, host }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ferry(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").unwrap();
    cmd.arg("--root")
        .arg(root)
        .env("FERRY_CONFIG", root.join("config"))
        .env_remove("FERRY_ROOT");
    cmd
}

fn catalog(host: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("http://{host}/v2/_catalog"))
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap();
        response.json().await.unwrap()
    })
}

#[test]
fn the_seeds_build_push_pull_run_flow_works_end_to_end() {
    if !require(
        "the_seeds_build_push_pull_run_flow_works_end_to_end",
        &[Need::Root, Need::Namespaces, Need::Overlay],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    std::fs::write(&htpasswd, HTPASSWD).unwrap();
    let registry = Registry::start(&dir.path().join("registry"), &htpasswd);
    let context = dir.path().join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("Dockerfile"), DOCKERFILE).unwrap();
    std::fs::write(context.join("msg.txt"), "built, pushed, pulled\n").unwrap();
    let root = state_root();
    let root = root.path();
    let remote = format!("{}/app:v1", registry.host);

    ferry(root)
        .args(["build", "--network", "none", "-t", "app:v1"])
        .arg(&context)
        .assert()
        .success();
    ferry(root)
        .args(["tag", "app:v1", &remote])
        .assert()
        .success();
    let denied = ferry(root).args(["push", &remote]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("no basic auth credentials"),
        "a push before login is refused"
    );
    ferry(root)
        .args(["login", &registry.host, "-u", "admin", "-p", "admin"])
        .assert()
        .success();
    ferry(root).args(["push", &remote]).assert().success();
    assert_eq!(
        catalog(&registry.host)["repositories"],
        serde_json::json!(["app"])
    );

    ferry(root)
        .args(["rmi", "app:v1", &remote])
        .assert()
        .success();
    ferry(root).args(["pull", &remote]).assert().success();
    let out = ferry(root)
        .args(["run", "--rm", "--network", "none", &remote])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "built, pushed, pulled\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
