//! `ferry pull`, `push`, `login` and `logout` against `ferry registry serve` and a scriptable fake
//! registry: what gets stored, what is skipped, mounted or resumed, and every failure the issue
//! names (a blob with the wrong digest, a 401 without credentials) leaving nothing half-stored.
//!
//! No privileges needed: registries run in-process on loopback; pulls unpack into temp roots.

#[path = "registry_support/fake.rs"]
mod fake;
#[path = "registry_support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use ferry::image::{ImageStore, Reference};
use ferry::registry::api::media_type;
use support::{digest_of, seed_image, start_registry, TestImage, ADMIN_ADMIN};

/// `ferry --root ROOT` with its credentials in `ROOT/config` and no inherited registry settings.
fn ferry(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
    cmd.arg("--root")
        .arg(root)
        .env("FERRY_CONFIG", root.join("config"));
    cmd.env_remove("FERRY_ROOT")
        .env_remove("FERRY_INSECURE_REGISTRIES");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("ferry runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn store(root: &Path) -> ImageStore {
    ImageStore::open_dir(&root.join("images")).expect("the store opens")
}

fn stored_manifest(root: &Path, reference: &str) -> Option<String> {
    let reference = Reference::parse(reference).unwrap();
    store(root)
        .resolve(&reference)
        .ok()
        .map(|image| image.manifest_digest.to_string())
}

#[test]
fn pull_stores_the_image_and_a_second_pull_finds_it_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let image = TestImage::new("hello from the registry");
    seed_image(&registry.url(), "team/app", "v1", &image);
    let reference = format!("{}/team/app:v1", registry.host());
    let root = dir.path().join("root");

    let first = run(ferry(&root).args(["pull", &reference]));
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(
        out.contains(&format!("v1: Pulling from {}/team/app", registry.host())),
        "{out}"
    );
    assert!(out.contains("Pull complete"), "{out}");
    assert!(
        out.contains(&format!("Digest: {}", digest_of(&image.manifest))),
        "{out}"
    );
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {reference}")),
        "{out}"
    );
    assert_eq!(
        stored_manifest(&root, &reference),
        Some(digest_of(&image.manifest))
    );
    let layers = store(&root)
        .layers(
            &store(&root)
                .resolve(&Reference::parse(&reference).unwrap())
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(layers[0].join("hello.txt")).unwrap(),
        "hello from the registry"
    );

    let second = run(ferry(&root).args(["pull", &reference]));
    let out = stdout(&second);
    assert!(
        out.contains("Already exists") && !out.contains("Pull complete"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Status: Image is up to date for {reference}")),
        "{out}"
    );
}

#[test]
fn push_mounts_what_a_sibling_repository_has_and_skips_what_the_registry_has() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let image = TestImage::new("base layer");
    seed_image(&registry.url(), "base", "v1", &image);
    let host = registry.host();
    let root = dir.path().join("root");
    assert!(run(ferry(&root).args(["pull", &format!("{host}/base:v1")]))
        .status
        .success());
    assert!(
        run(ferry(&root).args(["tag", &format!("{host}/base:v1"), &format!("{host}/app:v1")]))
            .status
            .success()
    );

    let pushed = run(ferry(&root).args(["push", &format!("{host}/app:v1")]));
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let out = stdout(&pushed);
    assert!(
        out.contains(&format!("The push refers to repository [{host}/app]")),
        "{out}"
    );
    assert_eq!(
        out.matches("Mounted from base").count(),
        2,
        "layer and config are mounted, not uploaded: {out}"
    );
    assert!(
        out.contains(&format!("v1: digest: {}", digest_of(&image.manifest))),
        "{out}"
    );

    let again = run(ferry(&root).args(["push", &format!("{host}/app:v1")]));
    assert_eq!(
        stdout(&again).matches("Layer already exists").count(),
        2,
        "{}",
        stdout(&again)
    );
}

#[test]
fn an_imported_image_is_pushed_and_pulled_back_into_another_root() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(&dir.path().join("registry"), None);
    let host = registry.host();
    let rootfs = dir.path().join("rootfs.tar");
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "etc/motd", &b"hi!!\n"[..])
        .unwrap();
    std::fs::write(&rootfs, tar.into_inner().unwrap()).unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let reference = format!("{host}/fresh:v1");
    assert!(
        run(ferry(&a).args(["import", &rootfs.to_string_lossy(), &reference]))
            .status
            .success()
    );
    let pushed = run(ferry(&a).args(["push", &reference]));
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    assert_eq!(
        stdout(&pushed).matches(": Pushed").count(),
        2,
        "{}",
        stdout(&pushed)
    );

    let pulled = run(ferry(&b).args(["pull", &reference]));
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    assert_eq!(
        stored_manifest(&a, &reference),
        stored_manifest(&b, &reference),
        "the same manifest digest on both sides"
    );
}

#[test]
fn login_checks_the_password_and_logout_forgets_it() {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    std::fs::write(&htpasswd, ADMIN_ADMIN).unwrap();
    let registry = start_registry(&dir.path().join("registry"), Some(&htpasswd));
    let host = registry.host();
    let root = dir.path().join("root");
    let reference = format!("{host}/nginx:alpine");

    let anonymous = run(ferry(&root).args(["pull", &reference]));
    assert_eq!(anonymous.status.code(), Some(1), "Docker's pull exits 1");
    assert!(
        stderr(&anonymous).contains(&format!(
            "unauthorized: no basic auth credentials for {host} (try `ferry login {host}`)"
        )),
        "{}",
        stderr(&anonymous)
    );

    let wrong = run(ferry(&root).args(["login", &host, "-u", "admin", "-p", "wrong"]));
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("login failed: unauthorized"),
        "{}",
        stderr(&wrong)
    );
    assert!(
        !root.join("config/config.json").exists(),
        "a refused login stores nothing"
    );

    let good = run(ferry(&root)
        .args(["login", &host, "-u", "admin", "--password-stdin"])
        .write_stdin("admin\n"));
    assert!(good.status.success(), "{}", stderr(&good));
    assert_eq!(stdout(&good), "Login Succeeded\n");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("config/config.json")).unwrap()).unwrap();
    assert_eq!(config["auths"][&host]["auth"], "YWRtaW46YWRtaW4=");

    seed_with_credentials(&registry.url(), "nginx", "alpine");
    let pulled = run(ferry(&root).args(["pull", &reference]));
    assert!(pulled.status.success(), "{}", stderr(&pulled));

    let logout = run(ferry(&root).args(["logout", &host]));
    assert_eq!(
        stdout(&logout),
        format!("Removing login credentials for {host}\n")
    );
    let refused = run(ferry(&root).args(["pull", &reference]));
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let push = run(ferry(&root).args(["push", &reference]));
    assert_eq!(push.status.code(), Some(1), "{}", stderr(&push));
    assert!(
        stderr(&push).contains("no basic auth credentials"),
        "{}",
        stderr(&push)
    );
}

/// Seeds an image into an htpasswd-protected registry by pushing it with `ferry` itself.
fn seed_with_credentials(url: &str, name: &str, tag: &str) {
    let dir = tempfile::tempdir().unwrap();
    let host = url.trim_start_matches("http://");
    let rootfs = dir.path().join("rootfs.tar");
    std::fs::write(&rootfs, tar::Builder::new(Vec::new()).into_inner().unwrap()).unwrap();
    let reference = format!("{host}/{name}:{tag}");
    assert!(
        run(ferry(dir.path()).args(["import", &rootfs.to_string_lossy(), &reference]))
            .status
            .success()
    );
    assert!(
        run(ferry(dir.path()).args(["login", host, "-u", "admin", "-p", "admin"]))
            .status
            .success()
    );
    let pushed = run(ferry(dir.path()).args(["push", &reference]));
    assert!(pushed.status.success(), "{}", stderr(&pushed));
}

#[test]
fn the_bearer_token_flow_fetches_a_token_with_the_stored_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake::FakeRegistry::start();
    *fake.state.bearer.lock().unwrap() = Some(("hub-user".into(), "hub-pass".into()));
    let image = TestImage::docker("from a token-protected registry");
    fake.state.add_blob(&image.layer);
    fake.state.add_blob(&image.config);
    fake.state.add_manifest(
        "library/app",
        "v1",
        &image.manifest,
        media_type::DOCKER_MANIFEST,
    );
    let root = dir.path().join("root");
    let reference = format!("{}/library/app:v1", fake.host());

    let anonymous = run(ferry(&root).args(["pull", &reference]));
    assert!(
        stderr(&anonymous).contains("unauthorized: the token server refused the credentials"),
        "{}",
        stderr(&anonymous)
    );
    let login = run(ferry(&root).args(["login", &fake.host(), "-u", "hub-user", "-p", "hub-pass"]));
    assert!(login.status.success(), "{}", stderr(&login));
    let pulled = run(ferry(&root).args(["pull", &reference]));
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    assert_eq!(
        stored_manifest(&root, &reference),
        Some(digest_of(&image.manifest))
    );

    let requests = fake.state.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /token") && r.contains("auth=Basic ")),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/blobs/") && r.contains(&format!("auth=Bearer {}", fake::TOKEN))),
        "{requests:#?}"
    );
}

#[test]
fn a_manifest_list_resolves_to_its_linux_amd64_entry() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake::FakeRegistry::start();
    let amd64 = TestImage::docker("amd64");
    let arm64 = TestImage::docker("arm64");
    fake.state.add_blob(&amd64.layer);
    fake.state.add_blob(&amd64.config);
    for image in [&amd64, &arm64] {
        fake.state.add_manifest(
            "multi",
            &digest_of(&image.manifest),
            &image.manifest,
            media_type::DOCKER_MANIFEST,
        );
    }
    let entry = |image: &TestImage, arch: &str| {
        serde_json::json!({
            "mediaType": media_type::DOCKER_MANIFEST, "size": image.manifest.len(), "digest": digest_of(&image.manifest),
            "platform": {"architecture": arch, "os": "linux"}
        })
    };
    let list = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::DOCKER_MANIFEST_LIST,
        "manifests": [entry(&arm64, "arm64"), entry(&amd64, "amd64")]});
    fake.state.add_manifest(
        "multi",
        "latest",
        list.to_string().as_bytes(),
        media_type::DOCKER_MANIFEST_LIST,
    );
    let root = dir.path().join("root");
    let reference = format!("{}/multi", fake.host());
    let pulled = run(ferry(&root).args(["pull", &reference]));
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    assert_eq!(
        stored_manifest(&root, &reference),
        Some(digest_of(&amd64.manifest))
    );
}

#[test]
fn a_blob_with_the_wrong_digest_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake::FakeRegistry::start();
    let image = TestImage::new("tampered");
    fake.state.add_blob(&image.layer);
    fake.state.add_blob(&image.config);
    fake.state
        .add_manifest("app", "v1", &image.manifest, media_type::OCI_MANIFEST);
    fake.state
        .corrupt
        .lock()
        .unwrap()
        .insert(digest_of(&image.layer));
    let root = dir.path().join("root");
    let reference = format!("{}/app:v1", fake.host());
    let pulled = run(ferry(&root).args(["pull", &reference]));
    assert_eq!(pulled.status.code(), Some(1));
    let err = stderr(&pulled);
    assert!(
        err.contains(&format!(
            "blob {} of app: digest mismatch: expected {}",
            digest_of(&image.layer),
            digest_of(&image.layer)
        )),
        "{err}"
    );
    assert_eq!(stored_manifest(&root, &reference), None);
    assert!(!store(&root)
        .blobs()
        .contains(&ferry::image::digest::parse(&digest_of(&image.layer)).unwrap()));
    let partial = root.join("registry/downloads").join(format!(
        "{}.partial",
        digest_of(&image.layer).trim_start_matches("sha256:")
    ));
    assert!(!partial.exists(), "the bad download is deleted");
}

#[test]
fn a_broken_download_resumes_with_a_range_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake::FakeRegistry::start();
    let image = TestImage::new(&"resumable content ".repeat(4000));
    fake.state.add_blob(&image.layer);
    fake.state.add_blob(&image.config);
    fake.state
        .add_manifest("app", "v1", &image.manifest, media_type::OCI_MANIFEST);
    fake.state
        .cut_once
        .lock()
        .unwrap()
        .insert(digest_of(&image.layer));
    let root = dir.path().join("root");
    let reference = format!("{}/app:v1", fake.host());
    let pulled = run(ferry(&root).args(["pull", &reference]));
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    assert_eq!(
        stored_manifest(&root, &reference),
        Some(digest_of(&image.manifest))
    );
    let half = image.layer.len() / 2;
    let layer_requests: Vec<String> = fake
        .state
        .requests()
        .into_iter()
        .filter(|r| r.contains(&digest_of(&image.layer)))
        .collect();
    assert_eq!(layer_requests.len(), 2, "{layer_requests:#?}");
    assert!(
        layer_requests[1].contains(&format!("range=bytes={half}-")),
        "{layer_requests:#?}"
    );
}

#[test]
fn pushing_an_image_that_is_not_stored_names_the_missing_tag() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(ferry(dir.path()).args(["push", "127.0.0.1:1/nothing:v1"]));
    assert_eq!(out.status.code(), Some(1), "Docker's push exits 1");
    assert!(
        stderr(&out)
            .contains("An image does not exist locally with the tag: 127.0.0.1:1/nothing:v1"),
        "{}",
        stderr(&out)
    );
}
