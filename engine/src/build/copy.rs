//! COPY and ADD as one new layer: first a *plan* (which paths the layer will hold, with what
//! owner and mode, from which files), then the tarball written from it.
//!
//! The plan exists apart from the tarball for the build cache: its [`content_key`](Plan::content_key)
//! hashes every path, mode, owner and file *content* — so an unchanged COPY hits the cache even
//! if file times changed, and any edit misses it.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::context::Matched;
use super::paths;
use crate::image::view::LayeredView;

/// What a path in the new layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file with the bytes of this host file.
    File(PathBuf),
    /// A symbolic link to this target.
    Symlink(PathBuf),
    /// ADD of a local tar archive: its entries, unpacked below this path.
    Archive(PathBuf),
    /// A device node or FIFO (`COPY --from` an image whose layer holds one), with its device
    /// number: copied as a node, as Docker does, never read — the bytes behind an image's block
    /// device node would be the host's disk.
    Node(tar::EntryType, u64),
}

/// One path of the new layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the image root.
    pub path: String,
    /// What it is.
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Modification time (seconds).
    pub mtime: u64,
}

/// What one COPY or ADD asks for.
pub struct Request<'a> {
    /// `COPY` or `ADD` (for messages).
    pub instruction: &'static str,
    /// The matched sources.
    pub sources: Vec<Matched>,
    /// The destination as written (after expansion).
    pub dest: &'a str,
    /// The stage's WORKDIR, for relative destinations.
    pub workdir: &'a str,
    /// `--chown`, resolved.
    pub owner: Option<(u32, u32)>,
    /// `--chmod`, parsed.
    pub chmod: Option<u32>,
    /// ADD: unpack local tar archives.
    pub extract_archives: bool,
    /// The image so far, to tell existing directories from new ones.
    pub image: &'a LayeredView,
}

/// The paths of the new layer, parents first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The entries, in tarball order.
    pub entries: Vec<Entry>,
}

// ANCHOR: plan
/// Decides where every source goes, following Docker's rules: a directory source copies its
/// contents; several sources need a destination ending in `/`; a destination ending in `/` (or
/// naming an existing directory) receives files under their own names.
pub fn plan(request: Request) -> Result<Plan, String> {
    let names_dir = names_a_directory(request.dest);
    if request.sources.len() > 1 && !names_dir {
        return Err(format!(
            "When using {} with more than one source file, the destination must be a directory and end with a /",
            request.instruction
        ));
    }
    let base = paths::in_image(request.workdir, request.dest);
    let existing_dir = request
        .image
        .lookup(Path::new(&base))
        .is_some_and(|f| f.meta.is_dir());
    let into_dir = names_dir || existing_dir || request.sources.iter().any(|m| m.is_dir);
    let (uid, gid) = request.owner.unwrap_or((0, 0));
    let mut entries = Vec::new();
    for matched in &request.sources {
        for (inside, file) in &matched.files {
            let target = match (matched.is_dir, into_dir) {
                (true, _) => join(&base, inside),
                (false, true) => join(&base, &matched.name),
                (false, false) => base.clone(),
            };
            let kind = if file.meta.is_dir() {
                Kind::Dir
            } else if file.meta.file_type().is_symlink() {
                Kind::Symlink(
                    std::fs::read_link(&file.host)
                        .map_err(|e| format!("read link {}: {e}", file.host.display()))?,
                )
            } else if !file.meta.is_file() {
                match node_type(&file.meta) {
                    Some(kind) => Kind::Node(kind, file.meta.rdev()),
                    None => continue, // a socket: nothing to copy
                }
            } else if request.extract_archives && is_tar_archive(&file.host) {
                Kind::Archive(file.host.clone())
            } else {
                Kind::File(file.host.clone())
            };
            let target = if matches!(kind, Kind::Archive(_)) {
                base.clone()
            } else {
                target
            };
            let mode = request
                .chmod
                .unwrap_or(file.meta.permissions().mode() & 0o7777);
            entries.push(Entry {
                path: target,
                kind,
                mode,
                uid,
                gid,
                mtime: file.meta.mtime().max(0) as u64,
            });
        }
    }
    let mut with_parents = parent_dirs(&entries, &base, into_dir, request.image);
    with_parents.extend(entries);
    Ok(Plan {
        entries: with_parents,
    })
}
// ANCHOR_END: plan

/// The tar type of a device node or FIFO.
fn node_type(meta: &std::fs::Metadata) -> Option<tar::EntryType> {
    let kind = meta.file_type();
    if kind.is_char_device() {
        Some(tar::EntryType::Char)
    } else if kind.is_block_device() {
        Some(tar::EntryType::Block)
    } else if kind.is_fifo() {
        Some(tar::EntryType::Fifo)
    } else {
        None
    }
}

/// Whether a destination is written as a directory: a trailing `/`, or `.`/`..` as the last
/// component (`COPY app.go .` puts `app.go` *into* the WORKDIR).
fn names_a_directory(dest: &str) -> bool {
    dest.ends_with('/') || matches!(dest.rsplit('/').next(), Some("." | ".."))
}

/// Directory entries for every parent of the planned paths that the plan does not list: copied
/// from the image when they exist there (so `/tmp` keeps mode 1777), new ones `0755 root`.
fn parent_dirs(entries: &[Entry], base: &str, into_dir: bool, image: &LayeredView) -> Vec<Entry> {
    let mut wanted: Vec<String> = Vec::new();
    let mut add = |path: String| {
        let listed = entries
            .iter()
            .any(|e| e.path == path && !matches!(e.kind, Kind::Archive(_)));
        if !path.is_empty() && !wanted.contains(&path) && !listed {
            wanted.push(path);
        }
    };
    for entry in entries {
        paths::parents(&entry.path).into_iter().for_each(&mut add);
    }
    if into_dir {
        paths::parents(base).into_iter().for_each(&mut add);
        add(base.to_string());
    }
    wanted.sort_by_key(|p| p.matches('/').count());
    wanted
        .into_iter()
        .map(|path| match image.lookup(Path::new(&path)) {
            Some(found) if found.meta.is_dir() => Entry {
                mode: found.meta.permissions().mode() & 0o7777,
                uid: found.meta.uid(),
                gid: found.meta.gid(),
                mtime: found.meta.mtime().max(0) as u64,
                path,
                kind: Kind::Dir,
            },
            _ => Entry {
                path,
                kind: Kind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        })
        .collect()
}

fn join(base: &str, name: &str) -> String {
    match (base.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}/{name}"),
    }
}

/// Whether a file is a tar archive, plain or gzip-compressed (`ustar` at byte 257 of the tar).
pub fn is_tar_archive(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 512];
    let read = |mut reader: Box<dyn Read>, head: &mut [u8; 512]| reader.read_exact(head).is_ok();
    let ok = match open_maybe_gzip(file) {
        Ok(reader) => read(reader, &mut head),
        Err(_) => false,
    };
    ok && &head[257..262] == b"ustar"
}

/// A reader of the file's bytes, gunzipped when it starts with gzip's magic number.
fn open_maybe_gzip(file: File) -> std::io::Result<Box<dyn Read>> {
    let mut reader = BufReader::new(file);
    let magic = std::io::BufRead::fill_buf(&mut reader)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

impl Plan {
    // ANCHOR: content_key
    /// A digest of what the layer will hold: paths, kinds, modes, owners and file contents.
    pub fn content_key(&self) -> Result<String, String> {
        let mut hasher = Sha256::new();
        for entry in &self.entries {
            let content = match &entry.kind {
                Kind::Dir => "dir".to_string(),
                Kind::Symlink(target) => format!("link {}", target.display()),
                Kind::File(host) | Kind::Archive(host) => file_digest(host)?,
                Kind::Node(kind, rdev) => format!("node {kind:?} {rdev}"),
            };
            hasher.update(format!(
                "{} {:o} {}:{} {content}\n",
                entry.path, entry.mode, entry.uid, entry.gid
            ));
        }
        Ok(hex::encode(hasher.finalize()))
    }
    // ANCHOR_END: content_key

    /// Writes the layer tarball.
    pub fn write_tar<W: Write>(&self, sink: W) -> Result<W, String> {
        let mut tar = tar::Builder::new(sink);
        for entry in &self.entries {
            append(&mut tar, entry)?;
        }
        tar.into_inner()
            .map_err(|e| format!("finish the layer: {e}"))
    }
}

fn file_digest(path: &Path) -> Result<String, String> {
    let mut file = File::open(path).map_err(|e| format!("open {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("read {}: {e}", path.display()))?;
    Ok(hex::encode(hasher.finalize()))
}

fn header(entry: &Entry, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(entry.mode);
    header.set_uid(entry.uid.into());
    header.set_gid(entry.gid.into());
    header.set_mtime(entry.mtime);
    header.set_size(size);
    header
}

fn append<W: Write>(tar: &mut tar::Builder<W>, entry: &Entry) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("add {} to the layer: {e}", entry.path);
    match &entry.kind {
        Kind::Dir => tar
            .append_data(
                &mut header(entry, tar::EntryType::Directory, 0),
                format!("{}/", entry.path),
                std::io::empty(),
            )
            .map_err(failed),
        Kind::File(host) => {
            let file = File::open(host).map_err(|e| format!("open {}: {e}", host.display()))?;
            let size = file.metadata().map_err(failed)?.len();
            tar.append_data(
                &mut header(entry, tar::EntryType::Regular, size),
                &entry.path,
                file,
            )
            .map_err(failed)
        }
        Kind::Symlink(target) => tar
            .append_link(
                &mut header(entry, tar::EntryType::Symlink, 0),
                &entry.path,
                target,
            )
            .map_err(failed),
        Kind::Archive(host) => append_archive(tar, &entry.path, host),
        Kind::Node(kind, rdev) => {
            let mut header = header(entry, *kind, 0);
            header
                .set_device_major(nix::sys::stat::major(*rdev) as u32)
                .and_then(|()| header.set_device_minor(nix::sys::stat::minor(*rdev) as u32))
                .map_err(failed)?;
            tar.append_data(&mut header, &entry.path, std::io::empty())
                .map_err(failed)
        }
    }
}

// ANCHOR: add_archive
/// ADD's local tar: every entry of the archive, moved below `dest` (entries that would climb out
/// with `..` are refused).
fn append_archive<W: Write>(
    tar: &mut tar::Builder<W>,
    dest: &str,
    archive: &Path,
) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("unpack {}: {e}", archive.display());
    let file = File::open(archive).map_err(failed)?;
    let mut source = tar::Archive::new(open_maybe_gzip(file).map_err(failed)?);
    for entry in source.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        let name = entry.path().map_err(failed)?.to_string_lossy().into_owned();
        let inside = paths::clean(&name)
            .ok_or_else(|| format!("refusing archive entry {name}: it leads outside {dest}"))?;
        if inside.is_empty() {
            continue;
        }
        let path = join(dest, &inside);
        let mut header = entry.header().clone();
        match header.entry_type() {
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(failed)?
                    .unwrap_or_default()
                    .into_owned();
                tar.append_link(&mut header, &path, target)
                    .map_err(failed)?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(failed)?
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let target = paths::clean(&target)
                    .ok_or_else(|| format!("refusing hard link {name} -> {target}"))?;
                tar.append_link(&mut header, &path, join(dest, &target))
                    .map_err(failed)?;
            }
            _ => tar
                .append_data(&mut header, &path, &mut entry)
                .map_err(failed)?,
        }
    }
    Ok(())
}
// ANCHOR_END: add_archive

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::build::context::{BuildContext, Origin};

    struct Fixture {
        _dir: tempfile::TempDir,
        context: BuildContext,
        image_dir: PathBuf,
    }

    fn fixture(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let context_dir = dir.path().join("context");
        fs::create_dir_all(&context_dir).unwrap();
        for (path, content) in files {
            let path = context_dir.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        let image_dir = dir.path().join("image");
        fs::create_dir_all(image_dir.join("usr/share/nginx")).unwrap();
        fs::create_dir_all(image_dir.join("tmp")).unwrap();
        fs::set_permissions(image_dir.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
        let context = BuildContext::open(&context_dir).unwrap();
        Fixture {
            _dir: dir,
            context,
            image_dir,
        }
    }

    fn plan_of(f: &Fixture, sources: &[&str], dest: &str, workdir: &str) -> Result<Plan, String> {
        let view = LayeredView::new(vec![f.image_dir.clone()]);
        let sources = sources
            .iter()
            .map(|s| f.context.expand(s))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        plan(Request {
            instruction: "COPY",
            sources,
            dest,
            workdir,
            owner: None,
            chmod: None,
            extract_archives: true,
            image: &view,
        })
    }

    fn paths_of(plan: &Plan) -> Vec<&str> {
        plan.entries.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn copy_from_an_image_copies_a_device_node_as_a_node_and_never_reads_it() {
        if !ferry_testkit::require(
            "copy_from_an_image_copies_a_device_node_as_a_node_and_never_reads_it",
            &[ferry_testkit::Need::Root],
        ) {
            return;
        }
        // An image's layer can hold any device node (e.g. the host's disk, 8:0); read as a file,
        // COPY --from would put the device's bytes into the new layer. /dev/null stands in for it.
        let f = fixture(&[]);
        nix::sys::stat::mknod(
            &f.image_dir.join("disk"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o600),
            nix::sys::stat::makedev(1, 3),
        )
        .unwrap();
        let origin = crate::build::context::ImageOrigin::new(vec![f.image_dir.clone()]);
        let view = LayeredView::new(vec![f.image_dir.clone()]);
        let plan = plan(Request {
            instruction: "COPY",
            sources: origin.expand("/disk").unwrap(),
            dest: "/copied",
            workdir: "/",
            owner: None,
            chmod: None,
            extract_archives: false,
            image: &view,
        })
        .unwrap();
        plan.content_key().unwrap();
        let tar = plan.write_tar(Vec::new()).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let entry = archive.entries().unwrap().last().unwrap().unwrap();
        let header = entry.header();
        assert_eq!(entry.path().unwrap(), Path::new("copied"));
        assert_eq!(header.entry_type(), tar::EntryType::Char);
        assert_eq!(
            (
                header.device_major().unwrap(),
                header.device_minor().unwrap()
            ),
            (Some(1), Some(3))
        );
    }

    #[test]
    fn a_file_to_a_plain_destination_is_renamed_and_parents_are_created() {
        let f = fixture(&[("target/myapp.jar", "jar")]);
        let plan = plan_of(&f, &["target/myapp.jar"], "myapp.jar", "/opt/app").unwrap();
        assert_eq!(paths_of(&plan), ["opt", "opt/app", "opt/app/myapp.jar"]);
    }

    #[test]
    fn a_dot_destination_is_the_workdir_itself() {
        let f = fixture(&[("app.go", "package main")]);
        let plan = plan_of(&f, &["app.go"], ".", "/go/src/app").unwrap();
        assert_eq!(paths_of(&plan).last(), Some(&"go/src/app/app.go"));
        let plan = plan_of(&f, &["app.go"], "sub/.", "/w").unwrap();
        assert_eq!(paths_of(&plan).last(), Some(&"w/sub/app.go"));
    }

    #[test]
    fn a_directory_copies_its_contents_into_the_destination() {
        let f = fixture(&[("dist/index.html", "<h1>"), ("dist/js/app.js", "js")]);
        let plan = plan_of(&f, &["dist"], "/usr/share/nginx/html", "/").unwrap();
        assert_eq!(
            paths_of(&plan),
            [
                "usr",
                "usr/share",
                "usr/share/nginx",
                "usr/share/nginx/html",
                "usr/share/nginx/html/index.html",
                "usr/share/nginx/html/js",
                "usr/share/nginx/html/js/app.js"
            ]
        );
    }

    #[test]
    fn existing_parents_keep_their_mode() {
        let f = fixture(&[("x", "1")]);
        let plan = plan_of(&f, &["x"], "/tmp/", "/").unwrap();
        let tmp = plan.entries.iter().find(|e| e.path == "tmp").unwrap();
        assert_eq!(tmp.mode, 0o1777);
        assert_eq!(paths_of(&plan), ["tmp", "tmp/x"]);
    }

    #[test]
    fn several_sources_need_a_directory_destination() {
        let f = fixture(&[("home.txt", "1"), ("homer.md", "2")]);
        let err = plan_of(&f, &["hom*"], "/mydir", "/").unwrap_err();
        assert!(
            err.contains("must be a directory and end with a /"),
            "{err}"
        );
        let plan = plan_of(&f, &["hom*"], "/mydir/", "/").unwrap();
        assert_eq!(
            paths_of(&plan),
            ["mydir", "mydir/home.txt", "mydir/homer.md"]
        );
    }

    #[test]
    fn the_content_key_changes_with_content_but_not_with_time() {
        let f = fixture(&[("a", "one")]);
        let key = || {
            plan_of(&f, &["a"], "/a", "/")
                .unwrap()
                .content_key()
                .unwrap()
        };
        let first = key();
        let path = f.context.dir().join("a");
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(key(), first, "touching a file keeps the cache");
        fs::write(&path, "two").unwrap();
        assert_ne!(key(), first, "editing it misses the cache");
    }

    #[test]
    fn add_unpacks_a_local_tarball_below_the_destination() {
        let f = fixture(&[]);
        let archive = f.context.dir().join("site.tar.gz");
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_cksum();
        tar.append_data(&mut h, "www/index.html", &b"hi"[..])
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        fs::write(&archive, gz.finish().unwrap()).unwrap();
        assert!(is_tar_archive(&archive));
        let plan = plan_of(&f, &["site.tar.gz"], "/srv/", "/").unwrap();
        let bytes = plan.write_tar(Vec::new()).unwrap();
        let mut read = tar::Archive::new(&bytes[..]);
        let names: Vec<String> = read
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["srv/", "srv/www/index.html"]);
    }

    #[test]
    fn the_tarball_holds_owners_and_modes_from_the_plan() {
        let f = fixture(&[("run.sh", "#!/bin/sh")]);
        let view = LayeredView::new(vec![f.image_dir.clone()]);
        let sources = f.context.expand("run.sh").unwrap();
        let request = Request {
            instruction: "COPY",
            sources,
            dest: "/app/",
            workdir: "/",
            owner: Some((1000, 1001)),
            chmod: Some(0o755),
            extract_archives: false,
            image: &view,
        };
        let bytes = plan(request).unwrap().write_tar(Vec::new()).unwrap();
        let mut read = tar::Archive::new(&bytes[..]);
        let file = read
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.path().unwrap().ends_with("run.sh"))
            .unwrap();
        let h = file.header();
        assert_eq!(
            (h.uid().unwrap(), h.gid().unwrap(), h.mode().unwrap()),
            (1000, 1001, 0o755)
        );
    }
}
