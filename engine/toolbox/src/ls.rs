//! `ls [-la1] [FILE]...`: lists directories and files.
//!
//! One name per line when stdout is not a terminal (or with `-1`), columns when it is; `-l`
//! prints the busybox long format with user and group names from `/etc/passwd` and `/etc/group`.

use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::clock::{self, Civil};
use crate::error::{report, Result};
use crate::opts::Opts;
use crate::{sys, users};

/// Half a year: older (or future) files show the year instead of the time, like `ls`.
const RECENT_SECS: i64 = 182 * 24 * 3600;

/// How entries are printed.
struct Style {
    long: bool,
    all: bool,
    one_per_line: bool,
}

/// Lists each operand (default `.`): files first, then the contents of each directory.
pub fn main(args: &[String]) -> i32 {
    report("ls", ls(args))
}

fn ls(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "la1")?;
    let style = Style {
        long: opts.has('l'),
        all: opts.has('a'),
        one_per_line: opts.has('1') || !sys::isatty(libc::STDOUT_FILENO),
    };
    let operands = if opts.operands.is_empty() {
        vec![".".to_string()]
    } else {
        opts.operands
    };
    let mut status = 0;
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    for name in operands {
        match fs::metadata(&name).or_else(|_| fs::symlink_metadata(&name)) {
            Ok(meta) if meta.is_dir() => dirs.push(name),
            Ok(_) => files.push(name),
            Err(err) => {
                eprintln!("ls: {name}: {}", sys::describe(&err));
                status = 1;
            }
        }
    }
    files.sort();
    dirs.sort();
    let mut lister = Lister {
        style,
        names: NameCache::default(),
        out: io::stdout().lock(),
    };
    lister.print_entries(Path::new(""), &files, false);
    let headers = files.len() + dirs.len() > 1 || status != 0;
    for (i, dir) in dirs.iter().enumerate() {
        if i > 0 || !files.is_empty() {
            let _ = writeln!(lister.out);
        }
        if headers {
            let _ = writeln!(lister.out, "{dir}:");
        }
        if let Err(err) = lister.list_dir(dir) {
            eprintln!("ls: {dir}: {}", sys::describe(&err));
            status = 1;
        }
    }
    Ok(status)
}

/// Writes listings, remembering user and group names so each file is not a passwd lookup.
struct Lister<W: Write> {
    style: Style,
    names: NameCache,
    out: W,
}

impl<W: Write> Lister<W> {
    fn list_dir(&mut self, dir: &str) -> io::Result<()> {
        let mut names: Vec<String> = fs::read_dir(dir)?
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| self.style.all || !name.starts_with('.'))
            .collect();
        if self.style.all {
            names.extend([".".to_string(), "..".to_string()]);
        }
        names.sort();
        self.print_entries(Path::new(dir), &names, true);
        Ok(())
    }

    /// Prints `names` (relative to `dir`); `total` adds the block count line of `ls -l DIR`.
    fn print_entries(&mut self, dir: &Path, names: &[String], total: bool) {
        if !self.style.long {
            let _ = self
                .out
                .write_all(layout(names, self.style.one_per_line).as_bytes());
            return;
        }
        let metas: Vec<(&String, Option<Metadata>)> = names
            .iter()
            .map(|name| (name, fs::symlink_metadata(dir.join(name)).ok()))
            .collect();
        if total {
            let blocks: u64 = metas
                .iter()
                .flat_map(|(_, m)| m.as_ref())
                .map(|m| m.blocks() / 2)
                .sum();
            let _ = writeln!(self.out, "total {blocks}");
        }
        for (name, meta) in metas {
            let Some(meta) = meta else { continue };
            let line = self.long_line(&dir.join(name), name, &meta);
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// `drwxr-xr-x    2 root     root          4096 Nov 23 08:54 name`.
    fn long_line(&mut self, path: &Path, name: &str, meta: &Metadata) -> String {
        let size = if meta.file_type().is_char_device() || meta.file_type().is_block_device() {
            let (major, minor) = device_numbers(meta.rdev());
            format!("{major:>4}, {minor:>3}")
        } else {
            meta.size().to_string()
        };
        let mut line = format!(
            "{} {:>4} {:<8} {:<8} {:>9} {} {name}",
            mode_string(meta.mode()),
            meta.nlink(),
            self.names.user(meta.uid()),
            self.names.group(meta.gid()),
            size,
            short_time(meta.mtime(), clock::now()),
        );
        if meta.file_type().is_symlink() {
            if let Ok(target) = fs::read_link(path) {
                line.push_str(&format!(" -> {}", target.display()));
            }
        }
        line
    }
}

/// Memoized uid/gid to name lookups.
#[derive(Default)]
struct NameCache {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl NameCache {
    fn user(&mut self, uid: u32) -> String {
        self.users
            .entry(uid)
            .or_insert_with(|| users::user_label(uid))
            .clone()
    }

    fn group(&mut self, gid: u32) -> String {
        self.groups
            .entry(gid)
            .or_insert_with(|| users::group_label(gid))
            .clone()
    }
}

/// Names one per line, or in columns filling the terminal width.
fn layout(names: &[String], one_per_line: bool) -> String {
    if names.is_empty() {
        return String::new();
    }
    if one_per_line {
        return names.iter().map(|n| format!("{n}\n")).collect();
    }
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 2;
    let columns = (terminal_width() / width).max(1);
    let rows = names.len().div_ceil(columns);
    let mut out = String::new();
    for row in 0..rows {
        let mut line = String::new();
        for name in names.iter().skip(row).step_by(rows) {
            line.push_str(&format!("{name:<width$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn terminal_width() -> usize {
    // SAFETY: `winsize` is plain data and TIOCGWINSZ fills it in.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes a `winsize` to the pointer we pass.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    if rc == 0 && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}

/// The ten-character mode column: file type, then rwx for user, group and others.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & libc::S_IFMT {
        libc::S_IFDIR => 'd',
        libc::S_IFLNK => 'l',
        libc::S_IFCHR => 'c',
        libc::S_IFBLK => 'b',
        libc::S_IFIFO => 'p',
        libc::S_IFSOCK => 's',
        _ => '-',
    };
    let bit = |mask: u32, c: char| if mode & mask != 0 { c } else { '-' };
    // The execute slot also shows setuid/setgid/sticky: lowercase with x, uppercase without.
    let special = |exec: u32, flag: u32, on: char| match (mode & exec != 0, mode & flag != 0) {
        (x, true) => {
            if x {
                on
            } else {
                on.to_ascii_uppercase()
            }
        }
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        kind,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(0o100, 0o4000, 's'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(0o010, 0o2000, 's'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(0o001, 0o1000, 't'),
    ]
    .iter()
    .collect()
}

/// Major and minor numbers of a device id (the glibc encoding).
pub fn device_numbers(rdev: u64) -> (u64, u64) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0xfff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0xff);
    (major, minor)
}

/// `Nov 23 08:54` for recent times, `Nov 23  2023` for old or future ones.
fn short_time(mtime: i64, now: i64) -> String {
    let c = Civil::from_unix(mtime);
    if mtime > now || now - mtime > RECENT_SECS {
        format!("{} {:>2}  {}", c.month_name(), c.day, c.year)
    } else {
        format!(
            "{} {:>2} {:02}:{:02}",
            c.month_name(),
            c.day,
            c.hour,
            c.minute
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_string_shows_type_permissions_and_special_bits() {
        assert_eq!(mode_string(libc::S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(libc::S_IFREG | 0o644), "-rw-r--r--");
        assert_eq!(mode_string(libc::S_IFREG | 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(libc::S_IFDIR | 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(libc::S_IFREG | 0o2644), "-rw-r-Sr--");
        assert_eq!(mode_string(libc::S_IFLNK | 0o777), "lrwxrwxrwx");
    }

    #[test]
    fn short_time_shows_clock_for_recent_files_and_year_for_old_ones() {
        let now = 1_732_352_040; // 2024-11-23 08:54:00
        assert_eq!(short_time(now - 60, now), "Nov 23 08:53");
        assert_eq!(short_time(now - 400 * 86_400, now), "Oct 20  2023");
    }

    #[test]
    fn device_numbers_decode_dev_null() {
        // makedev(1, 3)
        assert_eq!(device_numbers((1 << 8) | 3), (1, 3));
    }

    #[test]
    fn layout_one_per_line_or_columns() {
        let names: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(layout(&names, true), "a\nb\n");
        assert_eq!(layout(&names, false), "a  b\n");
    }
}
