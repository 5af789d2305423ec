//! Helpers shared by the registry tests: a registry on a free loopback port, and small images.

#![allow(dead_code)] // each test file uses a different part

use std::path::Path;

use ferry::registry::api::media_type;
use ferry::registry::server::{RunningRegistry, ServerConfig};
use sha2::{Digest as _, Sha256};

/// `sha256:<hex>` of some bytes.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A registry on 127.0.0.1 (free port) storing under `root`, optionally with an htpasswd file.
pub fn start_registry(root: &Path, htpasswd: Option<&Path>) -> RunningRegistry {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().expect("an address"), root);
    config.htpasswd = htpasswd.map(Path::to_path_buf);
    config.max_manifest_bytes = 64 * 1024;
    RunningRegistry::start(config).expect("the registry starts")
}

/// `htpasswd -Bbn admin admin`, as the seeds create it.
pub const ADMIN_ADMIN: &str =
    "admin:$2y$05$eeJIkfXSGoGgWraf.Hv64eLcd3VibCVzNG2a93uFw0NZ51NJXHArm\n";

/// A one-layer image: its layer (a gzipped tar holding `hello.txt`), config and manifest bytes.
pub struct TestImage {
    /// The compressed layer.
    pub layer: Vec<u8>,
    /// The config JSON.
    pub config: Vec<u8>,
    /// The manifest JSON.
    pub manifest: Vec<u8>,
}

impl TestImage {
    /// An OCI image whose one file says `greeting`.
    pub fn new(greeting: &str) -> Self {
        Self::with_types(
            greeting,
            [
                media_type::OCI_MANIFEST,
                media_type::OCI_CONFIG,
                media_type::OCI_LAYER_GZIP,
            ],
        )
    }

    /// The same as a Docker schema 2 image (what `docker push` sends).
    pub fn docker(greeting: &str) -> Self {
        Self::with_types(
            greeting,
            [
                media_type::DOCKER_MANIFEST,
                media_type::DOCKER_CONFIG,
                media_type::DOCKER_LAYER_GZIP,
            ],
        )
    }

    /// An image with the given manifest, config and layer media types.
    pub fn with_types(greeting: &str, [manifest_type, config_type, layer_type]: [&str; 3]) -> Self {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(greeting.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, "hello.txt", greeting.as_bytes())
            .expect("append to an in-memory tar");
        let tar = tar.into_inner().expect("finish the tar");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).expect("gzip in memory");
        let layer = gz.finish().expect("finish gzip");
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Cmd": ["cat", "/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [digest_of(&tar)]}
        });
        let config = serde_json::to_vec(&config).expect("json");
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {"mediaType": config_type, "size": config.len(), "digest": digest_of(&config)},
            "layers": [{"mediaType": layer_type, "size": layer.len(), "digest": digest_of(&layer)}]
        });
        let manifest = serde_json::to_vec(&manifest).expect("json");
        Self {
            layer,
            config,
            manifest,
        }
    }
}

/// Writes `image` as an OCI image layout directory (what `skopeo copy oci:DIR:TAG` reads).
pub fn write_oci_layout(dir: &Path, tag: &str, image: &TestImage) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("create the layout");
    for blob in [&image.layer, &image.config, &image.manifest] {
        let hex = digest_of(blob).trim_start_matches("sha256:").to_string();
        std::fs::write(blobs.join(hex), blob).expect("write a blob");
    }
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("write oci-layout");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type::OCI_MANIFEST,
            "size": image.manifest.len(),
            "digest": digest_of(&image.manifest),
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }]
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("write index.json");
}

/// Whether an external tool can be run; if not, the test is skipped loudly — or fails when
/// `FERRY_REQUIRE_PRIVILEGED=1` says every test must really run.
pub fn have_tool(test: &str, tool: &str, package: &str) -> bool {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    let reason = format!("{tool} is not installed (apt-get install {package})");
    if ferry_testkit::required() {
        panic!("{test}: {reason}, and FERRY_REQUIRE_PRIVILEGED=1 forbids skipping");
    }
    eprintln!("SKIPPED {test}: {reason}");
    false
}

/// Runs a command and returns its stdout, failing the test with its stderr if it fails.
pub fn run_ok(command: &mut std::process::Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Pushes `image` to a registry as `name:tag` with plain HTTP calls (monolithic uploads).
pub fn seed_image(url: &str, name: &str, tag: &str, image: &TestImage) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for blob in [&image.layer, &image.config] {
            let response = client
                .post(format!(
                    "{url}/v2/{name}/blobs/uploads/?digest={}",
                    digest_of(blob)
                ))
                .body(blob.clone())
                .send()
                .await
                .expect("the registry answers");
            assert!(
                response.status().is_success(),
                "{:?}",
                response.text().await
            );
        }
        let response = client
            .put(format!("{url}/v2/{name}/manifests/{tag}"))
            .header("Content-Type", media_type::OCI_MANIFEST)
            .body(image.manifest.clone())
            .send()
            .await
            .expect("the registry answers");
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
    });
}
