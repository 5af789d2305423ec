//! Images and container layers, driven through the real binary: sharing layers, `diff`, `commit`,
//! `save`/`load`, `rmi`, `images`, `tag`, `image inspect`, the copying driver, and hostile archives.
//!
//! Every test uses its own state root and checks it needs root first (see ferry-testkit).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use ferry_testkit::{mounts_below, require, state_root, Need};
use sha2::{Digest, Sha256};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay];

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

fn run(root: &Path, args: &[&str]) -> String {
    ok(ferry(root).args(args).output().expect("ferry runs"))
}

fn container_ids(root: &Path) -> BTreeSet<String> {
    fs::read_dir(root.join("containers"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a container (kept after it exits) and returns its id.
fn run_kept(root: &Path, image: &str, script: &str) -> String {
    let before = container_ids(root);
    run(root, &["run", image, "sh", "-c", script]);
    let after = container_ids(root);
    let new: Vec<_> = after.difference(&before).cloned().collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new[0].clone()
}

/// A digest of every path, type, mode, owner, link target and content below `dir`.
fn tree_hash(dir: &Path) -> String {
    fn walk(dir: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in fs::read_dir(dir.join(rel)).unwrap() {
            let entry = entry.unwrap();
            let path = rel.join(entry.file_name());
            let meta = dir.join(&path).symlink_metadata().unwrap();
            let mut text = format!(
                "{:o} {} {} {} ",
                meta.mode(),
                meta.uid(),
                meta.gid(),
                meta.rdev()
            );
            if meta.is_file() {
                text.push_str(&hex::encode(Sha256::digest(
                    fs::read(dir.join(&path)).unwrap(),
                )));
            } else if meta.file_type().is_symlink() {
                text.push_str(&fs::read_link(dir.join(&path)).unwrap().to_string_lossy());
            }
            out.insert(path.clone(), text);
            if meta.is_dir() {
                walk(dir, &path, out);
            }
        }
    }
    let mut entries = BTreeMap::new();
    walk(dir, Path::new(""), &mut entries);
    hex::encode(Sha256::digest(format!("{entries:?}")))
}

fn layer_json(root: &Path, id: &str) -> serde_json::Value {
    serde_json::from_slice(&fs::read(root.join("containers").join(id).join("layer.json")).unwrap())
        .unwrap()
}

fn inspect(root: &Path, image: &str) -> serde_json::Value {
    let text = run(root, &["image", "inspect", image]);
    serde_json::from_str::<serde_json::Value>(&text).unwrap()[0].clone()
}

fn no_temporaries_left(root: &Path) {
    let images = root.join("images");
    let mut leftovers = Vec::new();
    for dir in [
        images.clone(),
        images.join("blobs/sha256"),
        images.join("layers"),
    ] {
        for entry in fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
        {
            if entry.file_name().to_string_lossy().starts_with(".tmp") {
                leftovers.push(entry.path());
            }
        }
    }
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn two_containers_share_the_image_layers_and_each_sees_only_its_own_writes() {
    if !require(
        "two_containers_share_the_image_layers_and_each_sees_only_its_own_writes",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let layer_dir = PathBuf::from(
        inspect(root.path(), "toolbox")["GraphDriver"]["Data"]["UpperDir"]
            .as_str()
            .unwrap(),
    );
    let before = tree_hash(&layer_dir);
    let a = run_kept(
        root.path(),
        "toolbox",
        "echo a > /a.txt && rm /etc/group && echo changed >> /etc/passwd",
    );
    let b = run_kept(
        root.path(),
        "toolbox",
        "mkdir -p /srv/b && echo b > /srv/b/file && cat /a.txt 2>/dev/null; true",
    );
    assert_eq!(
        layer_json(root.path(), &a)["Lower"],
        layer_json(root.path(), &b)["Lower"],
        "both use the same layer dirs"
    );
    assert_eq!(layer_json(root.path(), &a)["Driver"], "overlay");
    let diff_a = run(root.path(), &["diff", &a]);
    assert_eq!(diff_a, "A /a.txt\nC /etc\nD /etc/group\nC /etc/passwd\n");
    let diff_b = run(root.path(), &["diff", &b[..12]]);
    assert_eq!(diff_b, "A /srv\nA /srv/b\nA /srv/b/file\n");
    assert_eq!(tree_hash(&layer_dir), before, "the image's layer changed");
    assert_eq!(mounts_below(root.path()), 0);
}

#[test]
fn save_rmi_load_round_trip_keeps_the_image_and_it_runs() {
    if !require(
        "save_rmi_load_round_trip_keeps_the_image_and_it_runs",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let id = inspect(root.path(), "toolbox")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let tarball = root.path().join("t.tar");
    run(
        root.path(),
        &["save", "-o", tarball.to_str().unwrap(), "toolbox"],
    );
    let removed = run(root.path(), &["rmi", "toolbox"]);
    assert!(
        removed.starts_with("Untagged: toolbox:latest\nDeleted: sha256:"),
        "{removed}"
    );
    assert_eq!(run(root.path(), &["images", "-q"]), "");
    assert_eq!(
        fs::read_dir(root.path().join("images/layers"))
            .unwrap()
            .count(),
        0,
        "unreferenced layers stay"
    );
    assert_eq!(
        run(root.path(), &["load", "-i", tarball.to_str().unwrap()]),
        "Loaded image: toolbox:latest\n"
    );
    assert_eq!(
        inspect(root.path(), "toolbox")["Id"],
        id,
        "the image id survives save and load"
    );
    let out = ferry(root.path())
        .args(["run", "--rm", "toolbox", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    no_temporaries_left(root.path());
}

#[test]
fn the_saved_archive_has_dockers_layout() {
    if !require("the_saved_archive_has_dockers_layout", NEEDS) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let tarball = root.path().join("t.tar");
    run(
        root.path(),
        &["save", "-o", tarball.to_str().unwrap(), "toolbox"],
    );
    let mut archive = tar::Archive::new(fs::File::open(&tarball).unwrap());
    let mut files = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files.insert(name, bytes);
    }
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["toolbox:latest"])
    );
    let config_name = manifest[0]["Config"].as_str().unwrap();
    let config_hex = config_name.trim_end_matches(".json");
    assert_eq!(
        hex::encode(Sha256::digest(&files[config_name])),
        config_hex,
        "config file named by its digest"
    );
    let layer = manifest[0]["Layers"][0].as_str().unwrap();
    let layer_hex = layer.trim_end_matches("/layer.tar");
    assert_eq!(
        hex::encode(Sha256::digest(&files[layer])),
        layer_hex,
        "layer named by its diff id"
    );
    let repositories: serde_json::Value = serde_json::from_slice(&files["repositories"]).unwrap();
    assert_eq!(repositories["toolbox"]["latest"], layer_hex);
}

#[test]
fn rmi_refuses_an_image_a_container_uses_unless_forced_and_the_container_keeps_its_layers() {
    if !require(
        "rmi_refuses_an_image_a_container_uses_unless_forced_and_the_container_keeps_its_layers",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let id = run_kept(root.path(), "toolbox", "echo kept > /kept");
    let refused = ferry(root.path())
        .args(["rmi", "toolbox"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("conflict") && err.contains(&id[..12]), "{err}");
    let forced = run(root.path(), &["rmi", "-f", "toolbox"]);
    assert!(
        forced.contains("Untagged: toolbox:latest") && forced.contains("Deleted: sha256:"),
        "{forced}"
    );
    let lower = layer_json(root.path(), &id)["Lower"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        Path::new(&lower).join("bin/toolbox").exists(),
        "the container's layer was deleted with the image"
    );
    assert_eq!(run(root.path(), &["diff", &id]), "A /kept\n");
}

#[test]
fn commit_makes_an_image_whose_containers_see_the_changes() {
    if !require(
        "commit_makes_an_image_whose_containers_see_the_changes",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let id = run_kept(
        root.path(),
        "toolbox",
        "mkdir /data && echo saved > /data/file && rm /etc/group",
    );
    let new_id = run(root.path(), &["commit", &id, "snap:v1"]);
    assert!(new_id.starts_with("sha256:"), "{new_id}");
    let image = inspect(root.path(), "snap:v1");
    assert_eq!(image["RootFS"]["Layers"].as_array().unwrap().len(), 2);
    assert_eq!(
        image["Config"]["Cmd"],
        serde_json::json!(["sh"]),
        "the base image's defaults are kept"
    );
    let out = run(
        root.path(),
        &[
            "run",
            "--rm",
            "snap:v1",
            "sh",
            "-c",
            "cat /data/file; test -e /etc/group || echo group-gone",
        ],
    );
    assert_eq!(out, "saved\ngroup-gone\n");
}

#[test]
fn images_tag_and_inspect_show_what_is_stored() {
    if !require("images_tag_and_inspect_show_what_is_stored", NEEDS) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    run(
        root.path(),
        &["tag", "toolbox", "127.0.0.1:5000/team/box:v2"],
    );
    let listing = run(root.path(), &["images"]);
    let lines: Vec<&str> = listing.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY")
            && lines[0].contains("IMAGE ID")
            && lines[0].ends_with("SIZE"),
        "{listing}"
    );
    let image = inspect(root.path(), "toolbox");
    let short = &image["Id"].as_str().unwrap()["sha256:".len()..][..12];
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("toolbox ") && l.contains("latest") && l.contains(short)),
        "{listing}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("127.0.0.1:5000/team/box ") && l.contains("v2")),
        "{listing}"
    );
    assert_eq!(
        run(root.path(), &["images", "-q"]),
        format!("{short}\n{short}\n")
    );
    assert_eq!(
        image["RepoTags"],
        serde_json::json!(["toolbox:latest", "127.0.0.1:5000/team/box:v2"])
    );
    assert_eq!(
        inspect(root.path(), short)["Id"],
        image["Id"],
        "an id prefix names the image"
    );
    let untag = run(root.path(), &["rmi", "127.0.0.1:5000/team/box:v2"]);
    assert_eq!(
        untag, "Untagged: 127.0.0.1:5000/team/box:v2\n",
        "one of two names is only untagged"
    );
    let missing = ferry(root.path())
        .args(["image", "inspect", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No such image: nosuch"));
}

#[test]
fn images_with_a_repository_argument_lists_only_the_names_it_matches() {
    if !require(
        "images_with_a_repository_argument_lists_only_the_names_it_matches",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    run(root.path(), &["tag", "toolbox", "toolbox:v2"]);
    run(
        root.path(),
        &["tag", "toolbox", "127.0.0.1:5000/team/box:v1"],
    );
    let id = inspect(root.path(), "toolbox")["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let short = &id["sha256:".len()..][..12];
    assert_eq!(
        run(root.path(), &["images", "-q", "toolbox"]),
        format!("{short}\n{short}\n"),
        "a repository matches each of its tags"
    );
    assert_eq!(
        run(root.path(), &["images", "-q", "toolbox:v2"]),
        format!("{short}\n")
    );
    let listing = run(root.path(), &["images", "127.0.0.1:5000/team/*"]);
    let rows: Vec<&str> = listing.lines().skip(1).collect();
    assert!(
        listing.starts_with("REPOSITORY") && rows.len() == 1,
        "{listing}"
    );
    assert!(
        rows[0].starts_with("127.0.0.1:5000/team/box ") && rows[0].contains(" v1 "),
        "{listing}"
    );
    assert_eq!(run(root.path(), &["images", "-q", "toolbox:v3"]), "");
    assert_eq!(
        run(root.path(), &["image", "ls", "-q", "nosuch"]),
        "",
        "`image ls` takes the same filter"
    );
}

#[test]
fn the_copying_driver_is_announced_and_behaves_like_overlay() {
    if !require(
        "the_copying_driver_is_announced_and_behaves_like_overlay",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let layer_dir = PathBuf::from(
        inspect(root.path(), "toolbox")["GraphDriver"]["Data"]["UpperDir"]
            .as_str()
            .unwrap(),
    );
    let before = tree_hash(&layer_dir);
    let before_ids = container_ids(root.path());
    let out = ferry(root.path())
        .env("FERRY_STORAGE_DRIVER", "copy")
        .args([
            "run",
            "toolbox",
            "sh",
            "-c",
            "echo x > /new && rm /etc/group && cat /new",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x\n", "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("storage driver: copy"),
        "{out:?}"
    );
    let id = container_ids(root.path())
        .difference(&before_ids)
        .next()
        .unwrap()
        .clone();
    assert_eq!(layer_json(root.path(), &id)["Driver"], "copy");
    assert_eq!(
        run(root.path(), &["diff", &id]),
        "C /etc\nD /etc/group\nA /new\n"
    );
    assert_eq!(
        tree_hash(&layer_dir),
        before,
        "the copy driver wrote into the image's layer"
    );
    assert_eq!(mounts_below(root.path()), 0);
}

/// Rewrites a docker-archive with one layer's bytes changed (same length), keeping the manifest.
fn tamper(archive: &Path) -> Vec<u8> {
    let mut input = tar::Archive::new(fs::File::open(archive).unwrap());
    let mut builder = tar::Builder::new(Vec::new());
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut header = entry.header().clone();
        let name = entry.path().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name.ends_with("layer.tar") {
            let at = bytes.len() / 2;
            bytes[at] ^= 0xff;
        }
        builder.append_data(&mut header, &name, &bytes[..]).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn a_tampered_archive_is_rejected_and_leaves_nothing_behind() {
    if !require(
        "a_tampered_archive_is_rejected_and_leaves_nothing_behind",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let tarball = root.path().join("t.tar");
    run(
        root.path(),
        &["save", "-o", tarball.to_str().unwrap(), "toolbox"],
    );
    let bad = tamper(&tarball);
    let fresh = state_root();
    let out = ferry(fresh.path())
        .args(["load"])
        .write_stdin(bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rejected") && err.contains("sha256:"), "{err}");
    assert_eq!(run(fresh.path(), &["images", "-q"]), "");
    assert_eq!(
        fs::read_dir(fresh.path().join("images/layers"))
            .unwrap()
            .count(),
        0
    );
    no_temporaries_left(fresh.path());
}

#[test]
fn an_archive_naming_files_outside_itself_is_refused() {
    if !require(
        "an_archive_naming_files_outside_itself_is_refused",
        &[Need::Root],
    ) {
        return;
    }
    let root = state_root();
    let manifest = r#"[{"Config":"../../../../etc/hostname","RepoTags":["evil:latest"],"Layers":["/etc/passwd"]}]"#;
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    builder
        .append_data(&mut header, "manifest.json", manifest.as_bytes())
        .unwrap();
    let out = ferry(root.path())
        .args(["load"])
        .write_stdin(builder.into_inner().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("outside the archive"),
        "{out:?}"
    );
    assert_eq!(run(root.path(), &["images", "-q"]), "");
}

#[test]
fn import_makes_a_one_layer_image_from_a_rootfs_tarball() {
    if !require(
        "import_makes_a_one_layer_image_from_a_rootfs_tarball",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    run(root.path(), &["toolbox", "install"]);
    let layer_dir = PathBuf::from(
        inspect(root.path(), "toolbox")["GraphDriver"]["Data"]["UpperDir"]
            .as_str()
            .unwrap(),
    );
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.append_dir_all(".", &layer_dir).unwrap();
    let out = ferry(root.path())
        .args(["import", "-", "imported:v1"])
        .write_stdin(builder.into_inner().unwrap())
        .output()
        .unwrap();
    let id = ok(out);
    let image = inspect(root.path(), "imported:v1");
    assert_eq!(image["Id"].as_str().unwrap(), id.trim());
    assert_eq!(image["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    let out = run(
        root.path(),
        &[
            "run",
            "--rm",
            "imported:v1",
            "/bin/sh",
            "-c",
            "echo imported",
        ],
    );
    assert_eq!(out, "imported\n");
}
