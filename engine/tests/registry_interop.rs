//! Interoperability with real peers from Debian: `skopeo` pushes to and pulls from
//! `ferry registry serve`, and copies between it and `docker-registry` (the reference
//! Distribution registry).
//!
//! No privileges needed; the tools must be installed (`apt-get install skopeo docker-registry`),
//! otherwise the tests are skipped loudly (or fail under `FERRY_REQUIRE_PRIVILEGED=1`).

#[path = "registry_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use support::{
    digest_of, have_tool, run_ok, start_registry, write_oci_layout, TestImage, ADMIN_ADMIN,
};

fn skopeo() -> Command {
    let mut command = Command::new("skopeo");
    command.arg("--insecure-policy");
    command
}

/// The layer bytes in an OCI layout skopeo wrote.
fn layer_in_layout(dir: &Path) -> Vec<u8> {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let blob = |hex: &str| std::fs::read(dir.join("blobs/sha256").join(hex)).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&blob(&manifest_digest)).unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    blob(&layer)
}

#[test]
fn skopeo_pushes_to_ferry_and_pulls_the_same_layer_back() {
    if !have_tool(
        "skopeo_pushes_to_ferry_and_pulls_the_same_layer_back",
        "skopeo",
        "skopeo",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let image = TestImage::new("pushed by skopeo");
    write_oci_layout(&dir.path().join("src"), "v1", &image);
    let remote = format!("docker://{}/team/app:v1", registry.host());
    let src = format!("oci:{}:v1", dir.path().join("src").display());
    run_ok(skopeo().args(["copy", "--dest-tls-verify=false", &src, &remote]));

    let inspect = run_ok(skopeo().args(["inspect", "--tls-verify=false", &remote]));
    let inspect: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(inspect["Layers"][0], digest_of(&image.layer));
    let tags = run_ok(skopeo().args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://{}/team/app", registry.host()),
    ]));
    assert!(tags.contains("\"v1\""), "{tags}");

    let dst = format!("oci:{}:v1", dir.path().join("dst").display());
    run_ok(skopeo().args(["copy", "--src-tls-verify=false", &remote, &dst]));
    assert_eq!(layer_in_layout(&dir.path().join("dst")), image.layer);
}

#[test]
fn skopeo_needs_the_htpasswd_credentials_the_seeds_configure() {
    if !have_tool(
        "skopeo_needs_the_htpasswd_credentials_the_seeds_configure",
        "skopeo",
        "skopeo",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    std::fs::write(&htpasswd, ADMIN_ADMIN).unwrap();
    let registry = start_registry(&dir.path().join("registry"), Some(&htpasswd));
    write_oci_layout(&dir.path().join("src"), "v1", &TestImage::new("secret"));
    let remote = format!("docker://{}/app:v1", registry.host());
    let src = format!("oci:{}:v1", dir.path().join("src").display());
    let denied = skopeo()
        .args(["copy", "--dest-tls-verify=false", &src, &remote])
        .output()
        .unwrap();
    assert!(
        !denied.status.success(),
        "a push without credentials must fail"
    );
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(
        stderr.contains("authentication required") || stderr.contains("unauthorized"),
        "{stderr}"
    );
    run_ok(skopeo().args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "admin:admin",
        &src,
        &remote,
    ]));
}

/// The reference registry on a free port, stopped (by its pid) when dropped.
struct DockerRegistry {
    child: std::process::Child,
    host: String,
    _dir: tempfile::TempDir,
}

impl DockerRegistry {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let host = format!("127.0.0.1:{port}");
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let child = Command::new("docker-registry")
            .args(["serve", &dir.path().join("config.yml").to_string_lossy()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let deadline =
            std::time::Instant::now() + ferry_testkit::patience(std::time::Duration::from_secs(5));
        while std::time::Instant::now() < deadline {
            if std::net::TcpStream::connect(&host).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self {
            child,
            host,
            _dir: dir,
        }
    }
}

impl Drop for DockerRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn skopeo_copies_between_docker_registry_and_ferry_both_ways() {
    let test = "skopeo_copies_between_docker_registry_and_ferry_both_ways";
    if !have_tool(test, "skopeo", "skopeo")
        || !have_tool(test, "docker-registry", "docker-registry")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reference = DockerRegistry::start();
    let ferry = start_registry(&dir.path().join("registry"), None);
    let image = TestImage::new("round trip");
    write_oci_layout(&dir.path().join("src"), "v1", &image);
    let src = format!("oci:{}:v1", dir.path().join("src").display());
    let on_reference = format!("docker://{}/app:v1", reference.host);
    let on_ferry = format!("docker://{}/copied/app:v1", ferry.host());
    let back = format!("docker://{}/back:v1", reference.host);
    run_ok(skopeo().args(["copy", "--dest-tls-verify=false", &src, &on_reference]));
    run_ok(skopeo().args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &on_reference,
        &on_ferry,
    ]));
    run_ok(skopeo().args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &on_ferry,
        &back,
    ]));
    let dst = format!("oci:{}:v1", dir.path().join("dst").display());
    run_ok(skopeo().args(["copy", "--src-tls-verify=false", &back, &dst]));
    assert_eq!(layer_in_layout(&dir.path().join("dst")), image.layer);
}

fn ferry(root: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ferry").expect("the ferry binary is built");
    cmd.arg("--root")
        .arg(root)
        .env("FERRY_CONFIG", root.join("config"));
    cmd.env_remove("FERRY_ROOT")
        .env_remove("FERRY_INSECURE_REGISTRIES");
    cmd
}

/// A one-file root filesystem tarball.
fn rootfs_tar(path: &Path, content: &[u8]) {
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "etc/motd", content).unwrap();
    std::fs::write(path, tar.into_inner().unwrap()).unwrap();
}

#[test]
fn ferry_pushes_to_docker_registry_and_pulls_the_image_back() {
    let test = "ferry_pushes_to_docker_registry_and_pulls_the_image_back";
    if !have_tool(test, "docker-registry", "docker-registry")
        || !have_tool(test, "skopeo", "skopeo")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let reference_registry = DockerRegistry::start();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let tarball = dir.path().join("rootfs.tar");
    rootfs_tar(&tarball, b"pushed by ferry\n");
    let image = format!("{}/eladmin/eladmin-web:v1", reference_registry.host);
    ferry(&a)
        .args(["import", &tarball.to_string_lossy(), &image])
        .assert()
        .success();
    ferry(&a).args(["push", &image]).assert().success();

    let inspect = run_ok(skopeo().args([
        "inspect",
        "--tls-verify=false",
        &format!("docker://{image}"),
    ]));
    assert!(inspect.contains("\"Layers\""), "{inspect}");
    ferry(&b).args(["pull", &image]).assert().success();
    let store = ferry::image::ImageStore::open_dir(&b.join("images")).unwrap();
    let pulled = store
        .resolve(&ferry::image::Reference::parse(&image).unwrap())
        .unwrap();
    let layer = &store.layers(&pulled).unwrap()[0];
    assert_eq!(
        std::fs::read(layer.join("etc/motd")).unwrap(),
        b"pushed by ferry\n"
    );
}

#[test]
fn ferry_pulls_what_skopeo_pushed_to_ferrys_registry() {
    if !have_tool(
        "ferry_pulls_what_skopeo_pushed_to_ferrys_registry",
        "skopeo",
        "skopeo",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let image = TestImage::new("pushed by skopeo, pulled by ferry");
    write_oci_layout(&dir.path().join("src"), "v1", &image);
    let src = format!("oci:{}:v1", dir.path().join("src").display());
    let reference = format!("{}/app:v1", registry.host());
    run_ok(skopeo().args([
        "copy",
        "--dest-tls-verify=false",
        &src,
        &format!("docker://{reference}"),
    ]));
    let root = dir.path().join("root");
    ferry(&root).args(["pull", &reference]).assert().success();
    let store = ferry::image::ImageStore::open_dir(&root.join("images")).unwrap();
    let pulled = store
        .resolve(&ferry::image::Reference::parse(&reference).unwrap())
        .unwrap();
    assert_eq!(
        pulled.manifest_digest.to_string(),
        digest_of(&image.manifest)
    );
}

#[test]
fn podman_pulls_from_ferrys_registry_and_runs_an_image_ferry_built() {
    let test = "podman_pulls_from_ferrys_registry_and_runs_an_image_ferry_built";
    let needs = [ferry_testkit::Need::Root, ferry_testkit::Need::Namespaces];
    if !ferry_testkit::require(test, &needs) || !have_tool(test, "podman", "podman") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let context = dir.path().join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        "FROM toolbox\nCOPY msg.txt /msg.txt\nCMD [\"cat\", \"/msg.txt\"]\n",
    )
    .unwrap();
    std::fs::write(context.join("msg.txt"), "built by ferry, run by podman\n").unwrap();
    let root = dir.path().join("root");
    let image = format!("{}/app:v1", registry.host());
    ferry(&root)
        .args(["build", "-t", &image])
        .arg(&context)
        .assert()
        .success();
    ferry(&root).args(["push", &image]).assert().success();

    let storage = dir.path().join("podman");
    // What shared/peers/containers.conf sets: the rlimits root may raise here, and runc.
    let conf = dir.path().join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n[engine]\nruntime = \"runc\"\n",
    )
    .unwrap();
    let podman = || {
        let mut command = Command::new("podman");
        command
            .arg("--root")
            .arg(storage.join("root"))
            .arg("--runroot")
            .arg(storage.join("run"));
        command.args(["--storage-driver", "vfs"]);
        command.env("CONTAINERS_CONF", &conf);
        command
    };
    run_ok(podman().args(["pull", "--tls-verify=false", &image]));
    let cgroup = ferry_testkit::ScratchCgroup::new("ferry-test-podman");
    let out = run_ok(podman().args([
        "run",
        "--rm",
        "--network",
        "none",
        "--cgroup-parent",
        &cgroup.parent(),
        &image,
    ]));
    assert_eq!(out, "built by ferry, run by podman\n");
    assert_eq!(
        ferry_testkit::mounts_below(dir.path()),
        0,
        "podman left no mount behind"
    );
}
