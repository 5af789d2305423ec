//! The three chapter 7 binaries against ferry's registry on loopback: a directory becomes an
//! image, is pushed with plain HTTP requests, and comes back byte for byte.

use std::path::Path;

use assert_cmd::Command;
use ferry::registry::server::{RunningRegistry, ServerConfig};

fn registry(root: &Path, htpasswd: Option<&Path>) -> RunningRegistry {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), root);
    config.htpasswd = htpasswd.map(Path::to_path_buf);
    RunningRegistry::start(config).expect("the registry starts")
}

fn bin(name: &str) -> Command {
    Command::cargo_bin(name).expect("the chapter's binaries are built")
}

#[test]
fn an_image_built_by_hand_is_pushed_and_pulled_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("app")).unwrap();
    std::fs::write(src.join("app/hello.txt"), "hello, registry\n").unwrap();
    let layout = dir.path().join("layout");
    let built = bin("build-image")
        .arg(&src)
        .arg(&layout)
        .args(["cat", "/app/hello.txt"])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let built = String::from_utf8_lossy(&built.stdout).into_owned();
    assert!(
        built.contains("diff_id sha256:") && built.contains("manifest"),
        "{built}"
    );

    let registry = registry(&dir.path().join("registry"), None);
    let target = format!("{}/handmade/hello:v1", registry.host());
    let pushed = bin("push-image")
        .arg(&layout)
        .arg(&target)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&pushed.stdout).into_owned();
    assert!(
        pushed.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    assert_eq!(
        out.matches("> POST /v2/handmade/hello/blobs/uploads/")
            .count(),
        2,
        "{out}"
    );
    assert_eq!(
        out.matches("< 201 Created").count(),
        3,
        "two blobs and the manifest: {out}"
    );
    assert!(
        out.contains("> PUT /v2/handmade/hello/manifests/v1"),
        "{out}"
    );

    let dest = dir.path().join("pulled");
    let pulled = bin("pull-image").arg(&target).arg(&dest).output().unwrap();
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("rootfs/app/hello.txt")).unwrap(),
        "hello, registry\n"
    );
    let manifest_digest = |d: &Path| ch07_images::layout::manifest_digest(d).unwrap();
    assert_eq!(
        manifest_digest(&layout),
        manifest_digest(&dest),
        "the same manifest digest on both sides"
    );
}

#[test]
fn an_htpasswd_registry_refuses_the_push_without_credentials_and_takes_it_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), "x").unwrap();
    let layout = dir.path().join("layout");
    bin("build-image").arg(&src).arg(&layout).assert().success();
    let htpasswd = dir.path().join("htpasswd");
    // htpasswd -Bbn admin admin
    std::fs::write(
        &htpasswd,
        "admin:$2y$05$eeJIkfXSGoGgWraf.Hv64eLcd3VibCVzNG2a93uFw0NZ51NJXHArm\n",
    )
    .unwrap();
    let registry = registry(&dir.path().join("registry"), Some(&htpasswd));
    let target = format!("{}/private:v1", registry.host());
    let denied = bin("push-image")
        .arg(&layout)
        .arg(&target)
        .output()
        .unwrap();
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("401 Unauthorized"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );
    bin("push-image")
        .arg(&layout)
        .arg(&target)
        .arg("admin:admin")
        .assert()
        .success();
}
