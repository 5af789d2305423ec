//! Chapter 7: how fast images move and rebuild.
//!
//! - `registry_push` / `registry_pull`: one 32 MiB layer between a ferry state root and
//!   `ferry registry serve` on loopback (ferry's client), next to `skopeo copy` of the same image
//!   between the same registry and an OCI layout directory (when skopeo is installed).
//! - `build_cache`: an unchanged rebuild (every step from the cache) of a three-step Dockerfile.
//!
//! `cargo bench -p ferry-benches --bench registry` (as root: layers are unpacked with owners).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferry::build::{self, BuildOptions};
use ferry::container::StateRoot;
use ferry::image::{create, ImageConfig, ImageStore, Reference};
use ferry::registry::client::progress::Progress;
use ferry::registry::client::{self, Context, CredentialStore};
use ferry::registry::server::{RunningRegistry, ServerConfig};

const LAYER_BYTES: usize = 32 << 20;

/// A state root holding one image of one 32 MiB layer (incompressible bytes), tagged `name`.
fn root_with_image(dir: &Path, name: &Reference) -> StateRoot {
    let root = StateRoot::open(dir).expect("open the state root");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let data: Vec<u8> = (0..LAYER_BYTES)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_size(data.len() as u64);
    tar.append_data(&mut header, "data.bin", &data[..])
        .expect("build the layer");
    let store = ImageStore::open(&root).expect("open the store");
    let tarball = tar.into_inner().expect("finish the layer");
    create::import(
        &store,
        &tarball[..],
        Some(name),
        &ImageConfig::default(),
        "bench import",
    )
    .expect("import the image");
    root
}

fn context(root: &StateRoot, config_dir: &Path) -> Context {
    let mut context =
        Context::open(root, CredentialStore::in_dir(config_dir)).expect("a client context");
    context.progress = Progress::hidden();
    context
}

fn registry(dir: &Path) -> RunningRegistry {
    RunningRegistry::start(ServerConfig::new(
        "127.0.0.1:0".parse().expect("an address"),
        dir,
    ))
    .expect("start the registry")
}

fn has_skopeo() -> bool {
    Command::new("skopeo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skopeo_copy(from: &str, to: &str) {
    let status = Command::new("skopeo")
        .args([
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "-q",
            from,
            to,
        ])
        .status()
        .expect("run skopeo");
    assert!(status.success(), "skopeo copy {from} {to}");
}

fn transfers(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = client::runtime().expect("a runtime");
    let source_name = Reference::parse("127.0.0.1:1/bench:v1").expect("a reference");
    let source = root_with_image(&dir.path().join("source"), &source_name);

    let mut push = c.benchmark_group("registry_push");
    push.throughput(Throughput::Bytes(LAYER_BYTES as u64));
    push.sample_size(10);
    push.bench_function("ferry push", |b| {
        b.iter_batched(
            || {
                let registry_dir = tempfile::tempdir().expect("a registry directory");
                let registry = registry(registry_dir.path());
                let target = Reference::parse(&format!("{}/bench:v1", registry.host()))
                    .expect("a reference");
                let store = ImageStore::open(&source).expect("the store");
                store
                    .tag(&store.resolve(&source_name).expect("the image"), &target)
                    .expect("tag");
                (registry_dir, registry, target)
            },
            |(_dir, _registry, target)| {
                runtime
                    .block_on(client::push::push(&context(&source, dir.path()), &target))
                    .expect("push");
            },
            BatchSize::PerIteration,
        )
    });
    if has_skopeo() {
        let layout = dir.path().join("layout");
        let registry_dir = tempfile::tempdir().expect("a registry directory");
        let seeded = registry(registry_dir.path());
        let seed_ref =
            Reference::parse(&format!("{}/bench:v1", seeded.host())).expect("a reference");
        let store = ImageStore::open(&source).expect("the store");
        store
            .tag(&store.resolve(&source_name).expect("the image"), &seed_ref)
            .expect("tag");
        runtime
            .block_on(client::push::push(&context(&source, dir.path()), &seed_ref))
            .expect("seed push");
        skopeo_copy(
            &format!("docker://{seed_ref}"),
            &format!("oci:{}:v1", layout.display()),
        );
        push.bench_function("skopeo copy oci: → docker://", |b| {
            b.iter_batched(
                || {
                    let registry_dir = tempfile::tempdir().expect("a registry directory");
                    let registry = registry(registry_dir.path());
                    (registry_dir, registry)
                },
                |(_dir, registry)| {
                    skopeo_copy(
                        &format!("oci:{}:v1", layout.display()),
                        &format!("docker://{}/bench:v1", registry.host()),
                    )
                },
                BatchSize::PerIteration,
            )
        });
    }
    push.finish();

    let registry_dir = tempfile::tempdir().expect("a registry directory");
    let serving = registry(registry_dir.path());
    let remote = Reference::parse(&format!("{}/bench:v1", serving.host())).expect("a reference");
    let store = ImageStore::open(&source).expect("the store");
    store
        .tag(&store.resolve(&source_name).expect("the image"), &remote)
        .expect("tag");
    runtime
        .block_on(client::push::push(&context(&source, dir.path()), &remote))
        .expect("seed push");
    let mut pull = c.benchmark_group("registry_pull");
    pull.throughput(Throughput::Bytes(LAYER_BYTES as u64));
    pull.sample_size(10);
    pull.bench_function("ferry pull", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("a state root"),
            |root_dir| {
                let root = StateRoot::open(root_dir.path()).expect("open the state root");
                runtime
                    .block_on(client::pull::pull(
                        &context(&root, root_dir.path()),
                        &remote,
                    ))
                    .expect("pull");
            },
            BatchSize::PerIteration,
        )
    });
    if has_skopeo() {
        pull.bench_function("skopeo copy docker:// → oci:", |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("a layout directory"),
                |out| {
                    skopeo_copy(
                        &format!("docker://{remote}"),
                        &format!("oci:{}:v1", out.path().join("layout").display()),
                    )
                },
                BatchSize::PerIteration,
            )
        });
    }
    pull.finish();
}

fn cached_rebuild(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let context_dir = dir.path().join("context");
    fs::create_dir_all(context_dir.join("src")).expect("create the context");
    for i in 0..200 {
        fs::write(
            context_dir.join("src").join(format!("file{i}.txt")),
            format!("content {i}\n").repeat(100),
        )
        .expect("write a file");
    }
    let dockerfile = "FROM toolbox\nENV APP=/srv/app\nWORKDIR $APP\nCOPY src/ ./\nCMD [\"ls\"]\n";
    fs::write(context_dir.join("Dockerfile"), dockerfile).expect("write the Dockerfile");
    let root = StateRoot::open(dir.path().join("root")).expect("open the state root");
    let options = BuildOptions {
        context: context_dir,
        dockerfile: None,
        tags: vec![Reference::parse("bench:v1").expect("a reference")],
        build_args: BTreeMap::new(),
        no_cache: false,
        target: None,
        network: "none".into(),
        quiet: true,
    };
    build::build(&root, &options).expect("the first build");
    c.bench_function("build_cache/unchanged rebuild (3 steps, 200 files)", |b| {
        b.iter(|| {
            let built = build::build(&root, &options).expect("a cached build");
            assert!(built.cache_hits >= 1 && built.containers_run == 0);
        })
    });
}

criterion_group!(benches, transfers, cached_rebuild);
criterion_main!(benches);
