//! Chapter 3, `overlay`: the seeds' OverlayFS exercise, step by step.
//!
//! Usage, as root: `overlay [DIR]`. It works in DIR (kept afterwards, so you can look at `upper`
//! with `ls -l`) or in a temporary directory (removed at the end). The overlay is mounted in the
//! demo's own mount namespace, so it is gone when the demo exits.

use std::fs;
use std::path::Path;

use ch03_overlayfs::inspect::{describe, names};
use ch03_overlayfs::mount::{private_mount_namespace, Overlay};
use ch03_overlayfs::{exit_with, work_dir, write, Error, Result};

fn main() {
    let (dir, keep) = match work_dir(std::env::args_os().nth(1), "overlay-demo") {
        Ok(dir) => dir,
        Err(e) => exit_with("overlay", Err(e)),
    };
    let result = run(&dir);
    if !keep {
        let _ = fs::remove_dir_all(&dir);
    }
    exit_with("overlay", result);
}

fn run(dir: &Path) -> Result<()> {
    let overlay = Overlay {
        lower: vec![dir.join("lower")],
        upper: dir.join("upper"),
        work: dir.join("work"),
        merged: dir.join("merged"),
    };
    let (lower, upper, merged) = (&overlay.lower[0], &overlay.upper, &overlay.merged);

    step("1. make lower and upper, with a file in each and one in both");
    // ANCHOR: files
    write(&lower.join("in_lower.txt"), "from lower\n")?;
    write(&upper.join("in_upper.txt"), "from upper\n")?;
    write(&lower.join("in_both.txt"), "from lower\n")?;
    write(&upper.join("in_both.txt"), "from upper\n")?;
    write(&lower.join("dir/a.txt"), "a\n")?;
    write(&lower.join("dir/b.txt"), "b\n")?;
    // ANCHOR_END: files
    list("lower", lower);
    list("upper", upper);

    step(&format!(
        "2. mount -t overlay overlay -o {} {}",
        overlay.options(),
        merged.display()
    ));
    private_mount_namespace()?;
    overlay.mount()?;
    list("merged", merged);
    show("merged/in_both.txt", &merged.join("in_both.txt"));
    show("merged/in_lower.txt", &merged.join("in_lower.txt"));

    step("3. change merged/in_lower.txt: the file is copied up first");
    append(&merged.join("in_lower.txt"), "changed\n")?;
    show("upper/in_lower.txt", &upper.join("in_lower.txt"));
    show("lower/in_lower.txt", &lower.join("in_lower.txt"));

    step("4. delete merged/in_both.txt, merged/in_lower.txt and merged/in_upper.txt");
    // ANCHOR: delete
    for name in ["in_both.txt", "in_lower.txt", "in_upper.txt"] {
        let path = merged.join(name);
        fs::remove_file(&path).map_err(Error::io("delete", &path))?;
    }
    // ANCHOR_END: delete
    list("merged", merged);
    for name in ["in_both.txt", "in_lower.txt", "in_upper.txt"] {
        show(&format!("upper/{name}"), &upper.join(name));
    }
    for name in ["in_both.txt", "in_lower.txt"] {
        show(&format!("lower/{name}"), &lower.join(name));
    }

    step("5. replace merged/dir: delete it, make it again, add a file");
    // ANCHOR: opaque
    let replaced = merged.join("dir");
    fs::remove_dir_all(&replaced).map_err(Error::io("delete", &replaced))?;
    fs::create_dir(&replaced).map_err(Error::io("create directory", &replaced))?;
    write(&replaced.join("new.txt"), "new\n")?;
    // ANCHOR_END: opaque
    list("merged/dir", &replaced);
    show("upper/dir", &upper.join("dir"));
    list("lower/dir", &lower.join("dir"));

    step("6. umount merged: lower is as it was, upper holds every change");
    overlay.unmount()?;
    list("lower", lower);
    list("upper", upper);
    Ok(())
}

fn step(title: &str) {
    println!("== {title}");
}

fn list(label: &str, dir: &Path) {
    println!("ls {label}: {}", names(dir).join(" "));
}

fn show(label: &str, path: &Path) {
    println!("{label}: {}", describe(path));
}

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(Error::io("open", path))?;
    file.write_all(text.as_bytes())
        .map_err(Error::io("write", path))
}
