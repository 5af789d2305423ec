//! ferry's images against real peers from Debian (`apt-get install podman skopeo umoci`): an image
//! ferry saves loads into podman and runs there; images skopeo and podman write load into ferry and
//! run; skopeo and umoci read ferry's store as the OCI image layout it is.
//!
//! The peers use scratch directories of their own (podman: `--root`, `--runroot`, `--tmpdir`, a
//! private tmpfs on /run, and the `vfs` driver, so no mount outlives a test) and never touch the
//! network (`--pull never`, `--network none`).

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use assert_cmd::Command;
use ferry_testkit::{require, required, state_root, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay];
/// The toolbox image's name in ferry's OCI layout (its `org.opencontainers.image.ref.name`).
const LAYOUT_NAME: &str = "docker.io/library/toolbox:latest";

/// Whether the peer tools are installed: skips loudly, or fails when privileged tests are required.
fn peers(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            !Process::new(t)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!(
        "{} not installed (apt-get install -y podman skopeo umoci)",
        missing.join(", ")
    );
    assert!(
        !required(),
        "{test}: {reason}, and FERRY_REQUIRE_PRIVILEGED=1 forbids skipping"
    );
    eprintln!("SKIPPED {test}: {reason}");
    false
}

fn ferry(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
    cmd.arg("--root")
        .arg(root)
        .env_remove("FERRY_ROOT")
        .env_remove("FERRY_STORAGE_DRIVER");
    cmd
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn peer(tool: &str, args: &[&str]) -> String {
    ok(Process::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {tool}: {e}")))
}

/// podman with scratch storage below `dir` and this machine's peer config (see shared/peers), in a
/// mount namespace of its own with a fresh tmpfs on /run: podman and runc create state directories
/// there whatever their flags say, and this way they vanish with the command.
fn podman(dir: &Path) -> Process {
    let mut cmd = Process::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        "mount -t tmpfs tmpfs /run && exec \"$0\" \"$@\"",
        "podman",
    ]);
    let conf =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/peers/containers.conf");
    if conf.exists() {
        cmd.env("CONTAINERS_CONF", conf);
    }
    cmd.arg("--root")
        .arg(dir.join("storage"))
        .arg("--runroot")
        .arg(dir.join("run"))
        .arg("--tmpdir")
        .arg(dir.join("tmp"));
    cmd.args([
        "--storage-driver",
        "vfs",
        "--cgroup-manager",
        "cgroupfs",
        "--events-backend",
        "none",
    ]);
    cmd
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

fn image_id(root: &Path, name: &str) -> String {
    let text = ok(ferry(root)
        .args(["image", "inspect", name])
        .output()
        .unwrap());
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json[0]["Id"].as_str().unwrap().to_string()
}

#[test]
fn podman_loads_and_runs_an_image_saved_by_ferry() {
    let test = "podman_loads_and_runs_an_image_saved_by_ferry";
    if !require(test, NEEDS) || !peers(test, &["podman"]) {
        return;
    }
    let root = state_root();
    ok(ferry(root.path())
        .args(["toolbox", "install"])
        .output()
        .unwrap());
    let tarball = root.path().join("t.tar");
    ok(ferry(root.path())
        .args(["save", "-o", path(&tarball), "toolbox"])
        .output()
        .unwrap());
    let scratch = tempfile::tempdir().unwrap();
    let loaded = ok(podman(scratch.path())
        .args(["load", "-i", path(&tarball)])
        .output()
        .unwrap());
    assert!(loaded.contains("toolbox:latest"), "{loaded}");
    let id = ok(podman(scratch.path())
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            "localhost/toolbox:latest",
        ])
        .output()
        .unwrap());
    assert_eq!(
        format!("sha256:{}", id.trim()),
        image_id(root.path(), "toolbox"),
        "podman sees the same image id"
    );
    let cgroup = ferry_testkit::ScratchCgroup::new("ferry-test-podman");
    let out = podman(scratch.path())
        .args([
            "run",
            "--rm",
            "--pull",
            "never",
            "--network",
            "none",
            "--cgroup-parent",
            &cgroup.parent(),
            "localhost/toolbox:latest",
            "sh",
            "-c",
            "echo hello from podman",
        ])
        .output()
        .unwrap();
    assert_eq!(ok(out), "hello from podman\n");
}

#[test]
fn images_written_by_skopeo_and_podman_load_into_ferry_and_run() {
    let test = "images_written_by_skopeo_and_podman_load_into_ferry_and_run";
    if !require(test, NEEDS) || !peers(test, &["skopeo", "podman"]) {
        return;
    }
    let source = state_root();
    ok(ferry(source.path())
        .args(["toolbox", "install"])
        .output()
        .unwrap());
    let layout = format!("oci:{}:{LAYOUT_NAME}", path(&source.path().join("images")));
    let scratch = tempfile::tempdir().unwrap();
    let docker_archive = scratch.path().join("skopeo-docker.tar");
    let oci_archive = scratch.path().join("skopeo-oci.tar");
    peer(
        "skopeo",
        &[
            "copy",
            &layout,
            &format!("docker-archive:{}:skopeo/box:v1", path(&docker_archive)),
        ],
    );
    peer(
        "skopeo",
        &[
            "copy",
            "--dest-compress",
            "--dest-compress-format",
            "gzip",
            &layout,
            &format!("oci-archive:{}:skopeo/box:v2", path(&oci_archive)),
        ],
    );
    let podman_archive = scratch.path().join("podman-oci.tar");
    ok(podman(scratch.path())
        .args(["load", "-i", path(&docker_archive)])
        .output()
        .unwrap());
    ok(podman(scratch.path())
        .args([
            "save",
            "--format",
            "oci-archive",
            "-o",
            path(&podman_archive),
            "skopeo/box:v1",
        ])
        .output()
        .unwrap());

    let root = state_root();
    for (archive, name) in [
        (&docker_archive, "skopeo/box:v1"),
        (&oci_archive, "skopeo/box:v2"),
        (&podman_archive, "skopeo/box:v1"),
    ] {
        let loaded = ok(ferry(root.path())
            .args(["load", "-i", path(archive)])
            .output()
            .unwrap());
        assert!(loaded.contains("Loaded image"), "{loaded}");
        let out = ok(ferry(root.path())
            .args(["run", "--rm", name, "sh", "-c", "echo loaded and ran"])
            .output()
            .unwrap());
        assert_eq!(out, "loaded and ran\n", "{}", archive.display());
        assert_eq!(
            image_id(root.path(), name),
            image_id(source.path(), "toolbox"),
            "{}",
            archive.display()
        );
    }
}

#[test]
fn umoci_and_skopeo_read_ferrys_store_as_an_oci_layout() {
    let test = "umoci_and_skopeo_read_ferrys_store_as_an_oci_layout";
    if !require(test, NEEDS) || !peers(test, &["umoci", "skopeo"]) {
        return;
    }
    let root = state_root();
    ok(ferry(root.path())
        .args(["toolbox", "install"])
        .output()
        .unwrap());
    let layout = root.path().join("images");
    assert_eq!(
        peer("umoci", &["ls", "--layout", path(&layout)]),
        format!("{LAYOUT_NAME}\n")
    );
    let bundle = root.path().join("bundle");
    peer(
        "umoci",
        &[
            "unpack",
            "--image",
            &format!("{}:{LAYOUT_NAME}", path(&layout)),
            path(&bundle),
        ],
    );
    let ours = ok(ferry(root.path())
        .args(["run", "--rm", "toolbox", "cat", "/etc/passwd"])
        .output()
        .unwrap());
    assert_eq!(
        std::fs::read_to_string(bundle.join("rootfs/etc/passwd")).unwrap(),
        ours
    );
    assert!(bundle.join("rootfs/bin/toolbox").is_file());
    let config = peer(
        "skopeo",
        &[
            "inspect",
            "--config",
            &format!("oci:{}:{LAYOUT_NAME}", path(&layout)),
        ],
    );
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["sh"]));
}
