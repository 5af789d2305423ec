//! The applets that change the file tree: `mkdir`, `rm`, `touch`, `cp`, `mv`, `ln`, `chmod`.

use std::fs;
use std::io;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{io_context, report, AppletError, Result};
use crate::opts::Opts;
use crate::sys;

/// Runs `each` on every operand, printing failures as `applet: message`; 1 if any failed.
fn each_operand(
    applet: &str,
    operands: &[String],
    mut each: impl FnMut(&str) -> Result<()>,
) -> i32 {
    let mut status = 0;
    for operand in operands {
        if let Err(err) = each(operand) {
            eprintln!("{applet}: {err}");
            status = 1;
        }
    }
    status
}

fn need_operands(opts: &Opts, usage: &str) -> Result<()> {
    if opts.operands.is_empty() {
        Err(AppletError::Usage(usage.into()))
    } else {
        Ok(())
    }
}

/// `mkdir [-p] DIR...`: creates directories; `-p` creates parents and accepts existing ones.
pub fn mkdir_main(args: &[String]) -> i32 {
    report("mkdir", mkdir(args))
}

fn mkdir(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "p")?;
    need_operands(&opts, "mkdir [-p] DIR...")?;
    Ok(each_operand("mkdir", &opts.operands, |dir| {
        let made = if opts.has('p') {
            fs::create_dir_all(dir)
        } else {
            fs::create_dir(dir)
        };
        made.map_err(io_context(format!("can't create directory '{dir}'")))
    }))
}

/// `rm [-rf] FILE...`: removes files; `-r` removes directories with their contents, `-f`
/// ignores missing files.
pub fn rm_main(args: &[String]) -> i32 {
    report("rm", rm(args))
}

fn rm(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "rRf")?;
    let recursive = opts.has('r') || opts.has('R');
    if !opts.has('f') {
        need_operands(&opts, "rm [-rf] FILE...")?;
    }
    Ok(each_operand("rm", &opts.operands, |name| {
        let context = format!("can't remove '{name}'");
        let meta = match fs::symlink_metadata(name) {
            Err(err) if opts.has('f') && err.kind() == io::ErrorKind::NotFound => return Ok(()),
            other => other.map_err(io_context(context.clone()))?,
        };
        if !meta.is_dir() {
            return fs::remove_file(name).map_err(io_context(context));
        }
        if !recursive {
            let err = io::Error::from_raw_os_error(libc::EISDIR);
            return Err(io_context(context)(err));
        }
        fs::remove_dir_all(name).map_err(io_context(context))
    }))
}

/// `touch FILE...`: creates empty files or sets the times of existing ones to now.
pub fn touch_main(args: &[String]) -> i32 {
    report("touch", touch(args))
}

fn touch(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "c")?;
    need_operands(&opts, "touch FILE...")?;
    Ok(each_operand("touch", &opts.operands, |name| {
        let context = || io_context(format!("can't touch '{name}'"));
        let path = sys::cpath(Path::new(name)).map_err(context())?;
        // SAFETY: `path` is NUL-terminated; a null `times` means "now" for both stamps.
        let rc = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), std::ptr::null(), 0) };
        match sys::check(rc) {
            Err(err) if err.kind() == io::ErrorKind::NotFound && !opts.has('c') => {
                fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(name)
                    .map_err(context())?;
                Ok(())
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other.map(drop).map_err(context()),
        }
    }))
}

/// Where a source named on the command line lands: inside `dest` when it is a directory.
fn destination(source: &str, dest: &Path) -> PathBuf {
    if dest.is_dir() {
        let base = Path::new(source.trim_end_matches('/'));
        dest.join(base.file_name().unwrap_or(base.as_os_str()))
    } else {
        dest.to_path_buf()
    }
}

/// Splits `SOURCE... DEST`, checking that several sources go into a directory.
fn sources_and_dest<'a>(operands: &'a [String], usage: &str) -> Result<(&'a [String], &'a Path)> {
    let Some((dest, sources)) = operands.split_last().filter(|(_, s)| !s.is_empty()) else {
        return Err(AppletError::Usage(usage.into()));
    };
    let dest = Path::new(dest);
    if sources.len() > 1 && !dest.is_dir() {
        return Err(AppletError::Msg(format!(
            "'{}' is not a directory",
            dest.display()
        )));
    }
    Ok((sources, dest))
}

/// `cp [-r] SOURCE... DEST`: copies files; `-r` copies directories (symlinks stay symlinks).
pub fn cp_main(args: &[String]) -> i32 {
    report("cp", cp(args))
}

fn cp(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "rRaf")?;
    let recursive = opts.has('r') || opts.has('R') || opts.has('a');
    let (sources, dest) = sources_and_dest(&opts.operands, "cp [-r] SOURCE... DEST")?;
    Ok(each_operand("cp", sources, |source| {
        let target = destination(source, dest);
        let meta = fs::metadata(source).map_err(io_context(format!("can't stat '{source}'")))?;
        if meta.is_dir() && !recursive {
            return Err(AppletError::Msg(format!("omitting directory '{source}'")));
        }
        if meta.is_dir() && is_inside(&target, Path::new(source)) {
            return Err(AppletError::Msg(format!(
                "can't copy '{source}' into itself"
            )));
        }
        copy_tree(Path::new(source), &target, &meta)
    }))
}

/// Whether `target` would be created inside directory `dir` (copying a tree into itself).
fn is_inside(target: &Path, dir: &Path) -> bool {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (fs::canonicalize(parent), fs::canonicalize(dir)) {
        (Ok(parent), Ok(dir)) => parent.starts_with(dir),
        _ => false,
    }
}

/// Copies `source` (whose metadata is `meta`) to `target`, recursing into directories.
fn copy_tree(source: &Path, target: &Path, meta: &fs::Metadata) -> Result<()> {
    let shown = source.display();
    if meta.is_dir() {
        match fs::create_dir(target) {
            Err(err) if err.kind() != io::ErrorKind::AlreadyExists => {
                return Err(io_context(format!(
                    "can't create directory '{}'",
                    target.display()
                ))(err));
            }
            _ => {}
        }
        for entry in fs::read_dir(source).map_err(io_context(format!("can't read '{shown}'")))? {
            let entry = entry.map_err(io_context(format!("can't read '{shown}'")))?;
            let child_meta = fs::symlink_metadata(entry.path()).map_err(io_context(format!(
                "can't stat '{}'",
                entry.path().display()
            )))?;
            copy_tree(&entry.path(), &target.join(entry.file_name()), &child_meta)?;
        }
        let mode = fs::Permissions::from_mode(meta.mode() & 0o7777);
        return fs::set_permissions(target, mode)
            .map_err(io_context(format!("can't chmod '{shown}'")));
    }
    if meta.file_type().is_symlink() {
        let link =
            fs::read_link(source).map_err(io_context(format!("can't read link '{shown}'")))?;
        return symlink(link, target)
            .map_err(io_context(format!("can't create '{}'", target.display())));
    }
    fs::copy(source, target)
        .map(drop)
        .map_err(io_context(format!(
            "can't copy '{shown}' to '{}'",
            target.display()
        )))
}

/// `mv SOURCE... DEST`: renames; across filesystems it copies and then removes the source.
pub fn mv_main(args: &[String]) -> i32 {
    report("mv", mv(args))
}

fn mv(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "f")?;
    let (sources, dest) = sources_and_dest(&opts.operands, "mv SOURCE... DEST")?;
    Ok(each_operand("mv", sources, |source| {
        let target = destination(source, dest);
        let context = format!("can't rename '{source}'");
        match fs::rename(source, &target) {
            Err(err) if err.raw_os_error() == Some(libc::EXDEV) => {
                let meta = fs::symlink_metadata(source).map_err(io_context(context.clone()))?;
                copy_tree(Path::new(source), &target, &meta)?;
                let removed = if meta.is_dir() {
                    fs::remove_dir_all(source)
                } else {
                    fs::remove_file(source)
                };
                removed.map_err(io_context(format!("can't remove '{source}'")))
            }
            other => other.map_err(io_context(context)),
        }
    }))
}

/// `ln [-sf] TARGET [LINK]`: makes a hard link, or a symbolic one with `-s`.
pub fn ln_main(args: &[String]) -> i32 {
    report("ln", ln(args))
}

fn ln(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "sfn")?;
    let (target, link) = match &opts.operands[..] {
        [target] => (target, destination(target, Path::new("."))),
        [target, link] => (target, destination(target, Path::new(link))),
        _ => return Err(AppletError::Usage("ln [-sf] TARGET [LINK]".into())),
    };
    if opts.has('f') && fs::symlink_metadata(&link).is_ok() {
        fs::remove_file(&link).map_err(io_context(format!("can't remove '{}'", link.display())))?;
    }
    let made = if opts.has('s') {
        symlink(target, &link)
    } else {
        fs::hard_link(target, &link)
    };
    made.map_err(io_context(format!(
        "can't create link '{}' to '{target}'",
        link.display()
    )))?;
    Ok(0)
}

/// `chmod MODE FILE...`: MODE is octal (`755`) or symbolic (`u+x`, `go-w`, `a=r,u+w`).
pub fn chmod_main(args: &[String]) -> i32 {
    report("chmod", chmod(args))
}

fn chmod(args: &[String]) -> Result<i32> {
    let Some((spec, files)) = args.split_first().filter(|(_, f)| !f.is_empty()) else {
        return Err(AppletError::Usage("chmod MODE FILE...".into()));
    };
    Ok(each_operand("chmod", files, |name| {
        let meta = fs::metadata(name).map_err(io_context(format!("can't stat '{name}'")))?;
        let mode = parse_mode(spec, meta.mode() & 0o7777, meta.is_dir())
            .ok_or_else(|| AppletError::Msg(format!("invalid mode '{spec}'")))?;
        fs::set_permissions(name, fs::Permissions::from_mode(mode))
            .map_err(io_context(format!("can't change mode of '{name}'")))
    }))
}

/// Applies a chmod mode string to `current`; `None` when the string is not a valid mode.
fn parse_mode(spec: &str, current: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return u32::from_str_radix(spec, 8).ok().filter(|m| *m <= 0o7777);
    }
    let mut mode = current;
    for clause in spec.split(',') {
        mode = apply_clause(clause, mode, is_dir)?;
    }
    Some(mode)
}

/// One symbolic clause: `[ugoa]*` then one or more `[+-=][rwxXst]*`.
fn apply_clause(clause: &str, mut mode: u32, is_dir: bool) -> Option<u32> {
    let ops_at = clause.find(['+', '-', '='])?;
    let (who, mut rest) = clause.split_at(ops_at);
    let mut scope = 0;
    for c in who.chars() {
        scope |= match c {
            'u' => 0o4700,
            'g' => 0o2070,
            'o' => 0o1007,
            'a' => 0o7777,
            _ => return None,
        };
    }
    if scope == 0 {
        scope = 0o7777;
    }
    while let Some(op) = rest.chars().next() {
        let end = rest[1..]
            .find(['+', '-', '='])
            .map_or(rest.len(), |i| i + 1);
        let mut bits = 0;
        for c in rest[1..end].chars() {
            bits |= match c {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                'X' if is_dir || mode & 0o111 != 0 => 0o111,
                'X' => 0,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        let bits = bits & scope;
        mode = match op {
            '+' => mode | bits,
            '-' => mode & !bits,
            _ => (mode & !(scope & 0o777)) | bits,
        };
        rest = &rest[end..];
    }
    Some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_modes_replace_the_mode() {
        assert_eq!(parse_mode("755", 0o644, false), Some(0o755));
        assert_eq!(parse_mode("4755", 0, false), Some(0o4755));
        assert_eq!(parse_mode("99", 0, false), None);
    }

    #[test]
    fn symbolic_modes_add_remove_and_set() {
        assert_eq!(parse_mode("+x", 0o644, false), Some(0o755));
        assert_eq!(parse_mode("u+x", 0o644, false), Some(0o744));
        assert_eq!(parse_mode("go-w", 0o666, false), Some(0o644));
        assert_eq!(parse_mode("a=r,u+w", 0o777, false), Some(0o644));
        assert_eq!(parse_mode("u=rwx,g=rx,o=", 0, false), Some(0o750));
        assert_eq!(parse_mode("o+t", 0o777, true), Some(0o1777));
    }

    #[test]
    fn capital_x_only_for_directories_or_already_executable() {
        assert_eq!(parse_mode("a+X", 0o644, false), Some(0o644));
        assert_eq!(parse_mode("a+X", 0o644, true), Some(0o755));
    }

    #[test]
    fn nonsense_modes_are_rejected() {
        assert_eq!(parse_mode("z+x", 0, false), None);
        assert_eq!(parse_mode("u+q", 0, false), None);
        assert_eq!(parse_mode("", 0, false), None);
    }

    #[test]
    fn destination_goes_inside_directories() {
        let dir = std::env::temp_dir();
        assert_eq!(destination("a/b.txt", &dir), dir.join("b.txt"));
        assert_eq!(
            destination("a", Path::new("/nonexistent/x")),
            Path::new("/nonexistent/x")
        );
    }
}
