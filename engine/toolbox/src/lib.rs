//! toolbox: the multi-call binary inside ferry's default image.
//!
//! ferry cannot pull images from the internet, so it ships one tiny, statically linked binary,
//! installs it as `/bin/toolbox` and links every applet name in [`APPLETS`] to it — the busybox
//! trick. The binary looks at the name it was started as (`argv[0]`) to decide what to be.
//!
//! The crate depends on nothing but `std` and `libc`, so ferry can import [`APPLETS`] cheaply and
//! the binary works as PID 1 in an empty root filesystem: no shared libraries, no NSS, no `/etc`
//! beyond the `passwd`, `group` and `hostname` files ferry writes.

mod clock;
mod error;
mod opts;
mod sys;

mod cat;
mod cond;
mod date;
mod devices;
mod echo;
mod env;
mod fileops;
mod grep;
mod headtail;
mod host;
mod http;
mod httpd;
mod ip;
mod kill;
mod ls;
mod mount;
mod nc;
mod net;
mod ps;
mod sh;
mod simple;
mod sleep;
mod stat;
mod stress;
mod users;
mod wc;
mod wget;

/// Every applet name, in the order `toolbox --list` prints them.
///
/// ferry creates a `/bin/<name>` symlink to `/bin/toolbox` for each entry, so this list and the
/// dispatch table in [`run_applet`] must agree (a unit test checks that).
pub const APPLETS: &[&str] = &[
    "[",
    "alloc",
    "cat",
    "chmod",
    "cp",
    "date",
    "echo",
    "env",
    "false",
    "fork",
    "grep",
    "head",
    "hostname",
    "httpd",
    "id",
    "ip",
    "kill",
    "ln",
    "ls",
    "mkdir",
    "mknod",
    "mount",
    "mv",
    "nc",
    "openhandle",
    "ps",
    "pwd",
    "rm",
    "seq",
    "sh",
    "sleep",
    "spin",
    "stat",
    "tail",
    "test",
    "touch",
    "true",
    "uname",
    "wc",
    "wget",
    "whoami",
    "yes",
];

/// The entry point every applet shares: arguments after the applet name, returns the exit status.
type Applet = fn(&[String]) -> i32;

/// Finds the function behind an applet name.
fn lookup(name: &str) -> Option<Applet> {
    let applet: Applet = match name {
        "[" => cond::bracket_main,
        "alloc" => stress::alloc_main,
        "cat" => cat::main,
        "chmod" => fileops::chmod_main,
        "cp" => fileops::cp_main,
        "date" => date::main,
        "echo" => echo::main,
        "env" => env::main,
        "false" => simple::false_main,
        "fork" => stress::fork_main,
        "grep" => grep::main,
        "head" => headtail::head_main,
        "hostname" => host::hostname_main,
        "httpd" => httpd::main,
        "id" => users::id_main,
        "ip" => ip::main,
        "kill" => kill::main,
        "ln" => fileops::ln_main,
        "ls" => ls::main,
        "mkdir" => fileops::mkdir_main,
        "mknod" => devices::mknod_main,
        "mount" => mount::main,
        "mv" => fileops::mv_main,
        "nc" => nc::main,
        "openhandle" => devices::openhandle_main,
        "ps" => ps::main,
        "pwd" => simple::pwd_main,
        "rm" => fileops::rm_main,
        "seq" => simple::seq_main,
        "sh" => sh::main,
        "sleep" => sleep::main,
        "spin" => stress::spin_main,
        "stat" => stat::main,
        "tail" => headtail::tail_main,
        "test" => cond::test_main,
        "touch" => fileops::touch_main,
        "true" => simple::true_main,
        "uname" => host::uname_main,
        "wc" => wc::main,
        "wget" => wget::main,
        "whoami" => users::whoami_main,
        "yes" => simple::yes_main,
        _ => return None,
    };
    Some(applet)
}

/// Runs applet `name` with `args` (not including the applet name) and returns its exit status,
/// or `None` when there is no such applet.
pub fn run_applet(name: &str, args: &[String]) -> Option<i32> {
    lookup(name).map(|applet| applet(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_applet_has_an_implementation() {
        for name in APPLETS {
            assert!(
                lookup(name).is_some(),
                "{name} is listed but not dispatched"
            );
        }
    }

    #[test]
    fn applet_list_is_sorted_and_unique_so_list_output_is_stable() {
        let mut sorted = APPLETS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, APPLETS);
    }

    #[test]
    fn unknown_names_are_not_applets() {
        assert!(lookup("toolbox").is_none());
        assert!(lookup("bash").is_none());
    }
}
