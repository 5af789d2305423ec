//! Chapter 3, `layers`: three image layers under two containers, as an engine stacks them.
//!
//! Usage, as root: `layers [DIR]` (DIR is kept afterwards; otherwise a temporary directory is used
//! and removed). Each container is an overlay with the same `lowerdir` list — the image's layers,
//! uppermost first — and an `upper` of its own.

use std::fs;
use std::path::{Path, PathBuf};

use ch03_overlayfs::inspect::{describe, names, Node};
use ch03_overlayfs::mount::{private_mount_namespace, Overlay};
use ch03_overlayfs::{exit_with, work_dir, write, Error, Result};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};

fn main() {
    let (dir, keep) = match work_dir(std::env::args_os().nth(1), "layers-demo") {
        Ok(dir) => dir,
        Err(e) => exit_with("layers", Err(e)),
    };
    let result = run(&dir);
    if !keep {
        let _ = fs::remove_dir_all(&dir);
    }
    exit_with("layers", result);
}

fn run(dir: &Path) -> Result<()> {
    println!("== 1. three image layers, bottom first");
    let layers = make_image_layers(dir)?;
    for layer in layers.iter().rev() {
        println!("{}: {}", name(layer), tree(layer).join(" "));
    }

    println!("== 2. two containers: the same lowerdir, an upper each");
    private_mount_namespace()?;
    // ANCHOR: containers
    let lower: Vec<PathBuf> = layers.clone(); // uppermost first, as lowerdir wants them
    let containers: Vec<Overlay> = ["c1", "c2"]
        .iter()
        .map(|c| Overlay {
            lower: lower.clone(),
            upper: dir.join(c).join("upper"),
            work: dir.join(c).join("work"),
            merged: dir.join(c).join("merged"),
        })
        .collect();
    for container in &containers {
        container.mount()?;
    }
    // ANCHOR_END: containers
    println!("lowerdir={}", names_of(&lower).join(":"));
    for (c, container) in containers.iter().enumerate() {
        println!("c{}/merged: {}", c + 1, tree(&container.merged).join(" "));
    }
    for file in ["etc/os-release", "app/app.conf"] {
        println!("{file} comes from {}", origin(&lower, Path::new(file)));
    }

    println!("== 3. each container writes: c1 changes app.conf, c2 adds a file");
    write(&containers[0].merged.join("app/app.conf"), "port=9090\n")?;
    write(&containers[1].merged.join("tmp/c2-only"), "mine\n")?;
    for (c, container) in containers.iter().enumerate() {
        let conf = container.merged.join("app/app.conf");
        println!(
            "c{}: app/app.conf = {}, tmp/c2-only: {}",
            c + 1,
            describe(&conf),
            describe(&container.merged.join("tmp/c2-only"))
        );
        println!("c{}/upper: {}", c + 1, tree(&container.upper).join(" "));
    }
    println!(
        "layer3/app/app.conf: {}",
        describe(&layers[0].join("app/app.conf"))
    );

    for container in &containers {
        container.unmount()?;
    }
    println!("== 4. unmounted: the layers are unchanged and shared; the containers' changes are in their uppers");
    Ok(())
}

// ANCHOR: image_layers
/// Layer 1 is a tiny base system, layer 2 adds an application and changes a base file, layer 3
/// configures it and deletes a base file — with a whiteout, as an image layer does.
fn make_image_layers(dir: &Path) -> Result<Vec<PathBuf>> {
    let (l1, l2, l3) = (dir.join("layer1"), dir.join("layer2"), dir.join("layer3"));
    write(&l1.join("etc/os-release"), "NAME=base\n")?;
    write(&l1.join("bin/tool"), "#!/bin/sh\n")?;
    write(&l2.join("etc/os-release"), "NAME=base with app\n")?;
    write(&l2.join("app/app.py"), "print('hi')\n")?;
    write(&l3.join("app/app.conf"), "port=8080\n")?;
    fs::create_dir_all(l3.join("bin")).map_err(Error::io("create directory", l3.join("bin")))?;
    let whiteout = l3.join("bin/tool");
    mknod(&whiteout, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0)).map_err(|source| {
        Error::Sys {
            op: format!("mknod whiteout {}", whiteout.display()),
            source,
        }
    })?;
    Ok(vec![l3, l2, l1])
}
// ANCHOR_END: image_layers

/// Which layer provides `file`: the first one, from the top, that has it.
fn origin(lower: &[PathBuf], file: &Path) -> String {
    let found = lower
        .iter()
        .find(|layer| !matches!(describe(&layer.join(file)), Node::Missing));
    found.map(|l| name(l)).unwrap_or_else(|| "nowhere".into())
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn names_of(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| name(p)).collect()
}

/// Every file below `dir` (directories end in `/`, whiteouts are marked `(whiteout)`).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in names(dir) {
            let path = dir.join(&entry);
            let shown = format!("{prefix}{entry}");
            match describe(&path) {
                Node::Dir { .. } => walk(&path, &format!("{shown}/"), out),
                Node::Whiteout => out.push(format!("{shown}(whiteout)")),
                _ => out.push(shown),
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}
