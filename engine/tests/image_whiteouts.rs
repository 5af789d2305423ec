//! Whiteouts, checked against a model: random stacks of layers (files, directories, `.wh.` deletions,
//! opaque directories) are written as tarballs, unpacked by ferry, and read back merged — by the
//! kernel's OverlayFS and by ferry's own copying driver. Both must equal what a plain in-memory
//! model of "apply each layer in turn" says.
//!
//! Needs root (whiteouts are device nodes, opaque directories a `trusted.` xattr) and OverlayFS.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use ferry::image::{unpack_safely, view};
use ferry_testkit::{require, Need};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use proptest::prelude::*;

/// What a layer says about one path.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    File(String),
    Dir,
    /// `.wh.<name>`: deleted.
    Whiteout,
    /// A directory with `.wh..wh..opq`: replaces the lower directory.
    Opaque,
}

/// The merged file tree: path -> file content, or `None` for a directory.
type Tree = BTreeMap<String, Option<String>>;

const PATHS: &[&str] = &["a", "b", "d", "d/x", "d/y", "d/e", "d/e/z", "f"];

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        "[a-z]{1,4}".prop_map(Entry::File),
        Just(Entry::Dir),
        Just(Entry::Whiteout),
        Just(Entry::Opaque),
    ]
}

/// A layer: entries for some paths, made consistent (nothing below a file or a whiteout).
fn layer() -> impl Strategy<Value = BTreeMap<String, Entry>> {
    proptest::collection::btree_map(
        proptest::sample::select(PATHS).prop_map(String::from),
        entry(),
        0..6,
    )
    .prop_map(|mut layer| {
        let blocking: Vec<String> = layer
            .iter()
            .filter(|(_, e)| matches!(e, Entry::File(_) | Entry::Whiteout))
            .map(|(p, _)| p.clone())
            .collect();
        layer.retain(|p, _| !blocking.iter().any(|b| p.starts_with(&format!("{b}/"))));
        layer
    })
}

fn ancestors(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

fn remove_tree(tree: &mut Tree, path: &str) {
    tree.retain(|p, _| p != path && !p.starts_with(&format!("{path}/")));
}

/// The model: how a layer changes the merged view, OverlayFS rules spelled out, path by path in
/// order (a directory comes before what is in it).
fn apply(tree: &mut Tree, layer: &BTreeMap<String, Entry>) {
    for (path, entry) in layer {
        for dir in ancestors(path) {
            if let Some(Some(_)) = tree.get(&dir) {
                remove_tree(tree, &dir); // a directory in the upper layer hides a lower file
            }
            tree.insert(dir, None);
        }
        match entry {
            Entry::Whiteout => remove_tree(tree, path),
            Entry::Opaque => {
                remove_tree(tree, path);
                tree.insert(path.clone(), None);
            }
            Entry::Dir => {
                if let Some(Some(_)) = tree.get(path) {
                    remove_tree(tree, path);
                }
                tree.insert(path.clone(), None);
            }
            Entry::File(content) => {
                remove_tree(tree, path);
                tree.insert(path.clone(), Some(content.clone()));
            }
        }
    }
}

/// The layer as a tarball, written the way image tools write it.
fn tarball(layer: &BTreeMap<String, Entry>) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: String, data: &[u8], dir: bool| {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        header.set_mode(if dir { 0o755 } else { 0o644 });
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(data.len() as u64);
        builder.append_data(&mut header, path, data).unwrap();
    };
    for (path, entry) in layer {
        let (parent, name) = match path.rsplit_once('/') {
            Some((parent, name)) => (format!("{parent}/"), name),
            None => (String::new(), path.as_str()),
        };
        match entry {
            Entry::File(content) => add(path.clone(), content.as_bytes(), false),
            Entry::Dir => add(path.clone(), b"", true),
            Entry::Whiteout => add(format!("{parent}.wh.{name}"), b"", false),
            Entry::Opaque => {
                add(path.clone(), b"", true);
                add(format!("{path}/.wh..wh..opq"), b"", false);
            }
        }
    }
    builder.into_inner().unwrap()
}

/// Reads a directory tree back into the model's form.
fn read_tree(dir: &Path) -> Tree {
    fn walk(dir: &Path, prefix: &str, out: &mut Tree) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // A whiteout in a directory only one layer has is listed by the kernel's readdir but
            // absent on lookup (there is nothing below it to hide): what lookup says counts.
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                out.insert(path.clone(), None);
                walk(&entry.path(), &path, out);
            } else {
                out.insert(path, Some(fs::read_to_string(entry.path()).unwrap()));
            }
        }
    }
    let mut tree = Tree::new();
    walk(dir, "", &mut tree);
    tree
}

/// Unmounts when dropped, so a failing assertion leaves no mount behind.
struct Mounted<'a>(&'a Path);

impl Drop for Mounted<'_> {
    fn drop(&mut self) {
        let _ = umount2(self.0, MntFlags::MNT_DETACH);
    }
}

/// Mounts an overlay of `lower` (top first), reads it, and unmounts it again.
fn read_overlay(scratch: &Path, lower: &[std::path::PathBuf]) -> Tree {
    let (upper, work, merged) = (
        scratch.join("upper"),
        scratch.join("work"),
        scratch.join("merged"),
    );
    for d in [&upper, &work, &merged] {
        fs::create_dir_all(d).unwrap();
    }
    let lowerdir: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lowerdir.join(":"),
        upper.display(),
        work.display()
    );
    mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .unwrap();
    let _mounted = Mounted(&merged);
    read_tree(&merged)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn overlay_and_the_copying_driver_agree_with_the_model(layers in proptest::collection::vec(layer(), 1..5)) {
        if !require("overlay_and_the_copying_driver_agree_with_the_model", &[Need::Root, Need::Overlay]) {
            return Ok(());
        }
        let dir = tempfile::tempdir().unwrap();
        let mut model = Tree::new();
        let mut dirs = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let layer_dir = dir.path().join(format!("layer{i}"));
            fs::create_dir(&layer_dir).unwrap();
            unpack_safely(&tarball(layer)[..], &layer_dir).unwrap();
            apply(&mut model, layer);
            dirs.insert(0, layer_dir);
        }
        let copy = dir.path().join("copy");
        fs::create_dir(&copy).unwrap();
        view::flatten(&view::LayeredView::new(dirs.clone()), &copy).unwrap();
        prop_assert_eq!(&read_tree(&copy), &model, "copying driver");
        prop_assert_eq!(&read_overlay(&dir.path().join("ovl"), &dirs), &model, "OverlayFS");
    }
}
