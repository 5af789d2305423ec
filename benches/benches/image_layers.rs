//! Image layers: how fast ferry unpacks a large layer tarball (whiteout translation and safety checks
//! included) compared with `tar -x` and `umoci unpack` on the same tarball, and how fast it hashes
//! blobs compared with `sha256sum`. Throughput is reported in bytes per second.
//!
//! `cargo bench -p ferry-benches --bench image_layers` (as root, so ownership is kept as in the
//! engine; `umoci` is compared when installed).

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ferry::image::{create, unpack_safely, ImageConfig, ImageStore, Reference};
use sha2::Digest as _;

/// About 64 MiB: 2000 small files (1 KiB) and 60 large ones (1 MiB), like a typical base layer.
fn make_layer(path: &Path) -> u64 {
    let mut builder = tar::Builder::new(fs::File::create(path).expect("create the layer tarball"));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    let mut add = |name: String, data: Vec<u8>| {
        let mut header = tar::Header::new_ustar();
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(data.len() as u64);
        builder
            .append_data(&mut header, name, &data[..])
            .expect("append to the layer");
    };
    for i in 0..2000 {
        add(
            format!("usr/share/small/{:02}/file{i}", i % 50),
            bytes(1024),
        );
    }
    for i in 0..60 {
        add(format!("usr/lib/big{i}.so"), bytes(1 << 20));
    }
    builder
        .into_inner()
        .expect("finish the layer")
        .sync_all()
        .expect("sync the layer");
    fs::metadata(path).expect("layer size").len()
}

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn unpack(c: &mut Criterion) {
    let scratch = tempfile::Builder::new()
        .prefix("ferry-bench-")
        .tempdir()
        .expect("scratch dir");
    let layer = scratch.path().join("layer.tar");
    let size = make_layer(&layer);
    let mut group = c.benchmark_group("unpack a 64 MiB layer");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    let fresh_dir = || {
        tempfile::Builder::new()
            .prefix("unpack-")
            .tempdir_in(scratch.path())
            .expect("target dir")
    };
    group.bench_function("ferry unpack_safely", |b| {
        b.iter_batched(
            fresh_dir,
            |dir| {
                unpack_safely(fs::File::open(&layer).expect("open layer"), dir.path())
                    .expect("unpack");
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("tar -x", |b| {
        b.iter_batched(
            fresh_dir,
            |dir| {
                let status = Command::new("tar")
                    .arg("-xf")
                    .arg(&layer)
                    .arg("-C")
                    .arg(dir.path())
                    .status()
                    .expect("run tar");
                assert!(status.success());
                dir
            },
            BatchSize::PerIteration,
        )
    });
    if has("umoci") {
        let store = ImageStore::open_dir(&scratch.path().join("layout")).expect("open a layout");
        let reference = Reference::parse("bench").expect("a reference");
        let tarball = fs::File::open(&layer).expect("open layer");
        create::import(
            &store,
            tarball,
            Some(&reference),
            &ImageConfig::default(),
            "bench",
        )
        .expect("store the layer as an image");
        let image = format!("{}:{reference}", store.dir().display());
        group.bench_function("umoci unpack", |b| {
            b.iter_batched(
                fresh_dir,
                |dir| {
                    let bundle = dir.path().join("bundle");
                    let status = Command::new("umoci")
                        .args(["unpack", "--image", &image])
                        .arg(&bundle)
                        .status()
                        .expect("run umoci");
                    assert!(status.success());
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    } else {
        eprintln!("SKIPPED umoci unpack: umoci is not installed");
    }
    group.finish();
}

fn hash(c: &mut Criterion) {
    let scratch = tempfile::Builder::new()
        .prefix("ferry-bench-")
        .tempdir()
        .expect("scratch dir");
    let layer = scratch.path().join("layer.tar");
    let size = make_layer(&layer);
    let mut group = c.benchmark_group("sha256 of a 64 MiB blob");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    group.bench_function("ferry (sha2, streaming)", |b| {
        b.iter(|| {
            let mut file = fs::File::open(&layer).expect("open layer");
            let mut hasher = sha2::Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = file.read(&mut buf).expect("read layer");
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            hasher.finalize()
        })
    });
    group.bench_function("sha256sum", |b| {
        b.iter(|| {
            let out = Command::new("sha256sum")
                .arg(&layer)
                .output()
                .expect("run sha256sum");
            assert!(out.status.success());
            out.stdout
        })
    });
    group.finish();
}

criterion_group!(benches, unpack, hash);
criterion_main!(benches);
