//! Seccomp: which system calls a container may make.
//!
//! Namespaces decide what a container can *see*, capabilities what root inside it may *do*.
//! Seccomp ("secure computing") narrows the door itself: a small BPF program that the kernel runs
//! on every system call, before the call does anything. It sees the call's number and its six
//! arguments (never the memory they point to) and answers allow, fail with an errno, kill, trap or
//! log. Docker installs one for every container: of the ~350 system calls of x86_64 it allows the
//! ones ordinary programs use, opens some groups only to containers holding the matching
//! capability (`mount` needs CAP_SYS_ADMIN anyway), and refuses the rest — `kexec_load`,
//! `open_by_handle_at` (the "shocker" escape), `keyctl`, `userfaultfd` and friends — even to a
//! process that somehow holds the capability. It is a second wall behind capabilities, and it
//! shrinks the kernel code a container can reach, which is where kernel exploits live.
//!
//! The pieces:
//! - [`Profile`] — Docker's JSON format, and [`Profile::docker_default`], Docker's default profile
//!   (`default.json` beside this file), resolved per container by [`Profile::resolve`];
//! - [`compile`] — in the engine, before `clone`: the resolved rules become BPF programs, through
//!   the `seccompiler` crate (pure Rust: no libseccomp needed to build or run ferry);
//! - [`Filter::install`] — in the container's child: hand the programs to the kernel.
//!
//! Why the default action is ERRNO (EPERM) and not KILL: a refused call then looks like any
//! refused call. Programs probe for features (`clone3`, `io_uring_setup`, `statx`) and fall back
//! when they get an error; killing them would make a container fail where Docker's works.

mod profile;

use std::collections::BTreeMap;
use std::str::FromStr;

use nix::errno::Errno;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use syscalls::Sysno;

use crate::{Error, Result};

pub use profile::{Action, ArchMap, Arg, Op, Profile, Selector, Syscall};

/// A profile compiled for one container: BPF programs ready for [`Filter::install`].
///
/// It is built in the engine, before `clone`, so that the child — which must not allocate —
/// only has to hand the programs to the kernel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// In installation order.
    programs: Vec<BpfProgram>,
}

// `install` hands seccompiler's instructions to the kernel as `libc::sock_filter`s.
const _: () = assert!(
    std::mem::size_of::<seccompiler::sock_filter>() == std::mem::size_of::<libc::sock_filter>()
);

/// The architecture seccompiler compiles for: the machine's own. The kernel gives a call made
/// through another ABI (an i386 binary's `int 0x80`) another architecture number, and
/// seccompiler's programs kill such a call's process; Docker's profile also allows the
/// sub-architectures (x86, x32), which ferry does not.
fn target_arch() -> Result<TargetArch> {
    TargetArch::try_from(std::env::consts::ARCH).map_err(|_| {
        Error::InvalidArgument(format!(
            "seccomp filters cannot be compiled for {}",
            std::env::consts::ARCH
        ))
    })
}

/// The rules of one program: per system call number, the argument conditions under which it
/// matches (`None`: every call of it matches).
#[derive(Default)]
struct Matches(BTreeMap<i64, Option<Vec<SeccompRule>>>);

impl Matches {
    fn add(&mut self, nr: i64, when: &Option<SeccompRule>) {
        let entry = self.0.entry(nr).or_insert_with(|| Some(Vec::new()));
        match (entry.as_mut(), when) {
            (Some(rules), Some(rule)) => rules.push(rule.clone()),
            // No condition: the call matches whatever its arguments, which covers any rule.
            _ => *entry = None,
        }
    }

    fn names(&self, nr: i64) -> bool {
        self.0.contains_key(&nr)
    }

    /// seccompiler's form: an empty list of rules means "every call matches".
    fn into_rules(self) -> BTreeMap<i64, Vec<SeccompRule>> {
        self.0
            .into_iter()
            .map(|(nr, rules)| (nr, rules.unwrap_or_default()))
            .collect()
    }
}

/// What an action means for seccompiler, with the errno an ERRNO action returns (EPERM unless
/// the profile says otherwise, as in runc).
fn seccompiler_action(action: Action, errno: Option<u32>) -> SeccompAction {
    match action {
        Action::Allow => SeccompAction::Allow,
        Action::Errno => SeccompAction::Errno(errno.unwrap_or(libc::EPERM as u32)),
        Action::KillThread => SeccompAction::KillThread,
        Action::KillProcess => SeccompAction::KillProcess,
        Action::Trap => SeccompAction::Trap,
        Action::Log => SeccompAction::Log,
    }
}

// ANCHOR: masked_eq
/// One argument condition. Docker's (and libseccomp's) `SCMP_CMP_MASKED_EQ` means
/// `(arg & value) == valueTwo`; seccompiler's `MaskedEq(mask)` compares `arg & mask` with the
/// condition's value. So Docker's `value` is the mask and `valueTwo` the expected result: for
/// `clone`, mask 0x7E020000 (every CLONE_NEW* flag) and 0 — "no new namespace".
fn condition(arg: &Arg) -> Result<SeccompCondition> {
    let (op, value) = match arg.op {
        Op::Eq => (SeccompCmpOp::Eq, arg.value),
        Op::Ne => (SeccompCmpOp::Ne, arg.value),
        Op::Lt => (SeccompCmpOp::Lt, arg.value),
        Op::Le => (SeccompCmpOp::Le, arg.value),
        Op::Gt => (SeccompCmpOp::Gt, arg.value),
        Op::Ge => (SeccompCmpOp::Ge, arg.value),
        Op::MaskedEq => (SeccompCmpOp::MaskedEq(arg.value), arg.value_two),
    };
    // Arguments are compared on all 64 bits, as libseccomp does on a 64-bit architecture.
    SeccompCondition::new(arg.index as u8, SeccompCmpArgLen::Qword, op, value)
        .map_err(|e| Error::InvalidArgument(format!("invalid seccomp profile: {e}")))
}
// ANCHOR_END: masked_eq

// ANCHOR: compile
/// Compiles `profile` for a container holding `caps` (names such as `CAP_SYS_ADMIN`).
///
/// seccompiler builds programs with a single "match" action each, while a profile mixes actions
/// (Docker's default allows ~350 calls and answers `clone3` with ENOSYS). So the profile becomes
/// a *stack* of programs, each of which the kernel runs on every call:
///
/// - one program per action other than the default and ALLOW, in the profile's order: it answers
///   that action for the calls its rules match and ALLOW for everything else (the clone3 program:
///   ENOSYS for clone3, ALLOW otherwise);
/// - the *base* program: ALLOW for every call that any rule matches — whatever the rule's action
///   — and the profile's default action (EPERM) for all others. (None when the default is ALLOW.)
///
/// The kernel combines the answers of a stack by taking the most restrictive action (KILL before
/// TRAP before ERRNO before LOG before ALLOW); between two answers of the same action, the data
/// (the errno) of the program installed last wins. Because the base program allows every call a
/// rule names, a rule's action never ties with the default: clone3 gets ALLOW from the base and
/// ENOSYS from its own program, so ENOSYS — in whichever order they are installed. Ties remain
/// only between rules that give one call two different errnos; then the action that first
/// appears later in the profile wins, its program being installed later.
///
/// The base program is installed after the per-action ones, because it may refuse `seccomp(2)`
/// itself (a profile need not allow it) and nothing could be installed after it. A per-action
/// program that names `seccomp` goes last for the same reason.
///
/// Names the architecture does not have (`chown32`, `_llseek` on x86_64) are skipped, as
/// libseccomp skips them: Docker's profile lists the calls of every architecture at once.
pub fn compile(profile: &Profile, caps: &[String]) -> Result<Filter> {
    let resolved = profile.resolve(caps);
    let default = seccompiler_action(resolved.default_action, resolved.default_errno_ret);
    let mut base = Matches::default();
    let mut per_action: Vec<(SeccompAction, Matches)> = Vec::new();
    for rule in &resolved.syscalls {
        let action = seccompiler_action(rule.action, rule.errno_ret);
        if action == default {
            continue; // the default already does it
        }
        let conditions = rule
            .args
            .iter()
            .map(condition)
            .collect::<Result<Vec<_>>>()?;
        let when = match conditions.is_empty() {
            true => None,
            false => Some(SeccompRule::new(conditions).expect("conditions are not empty")),
        };
        let numbers = rule.names.iter().filter_map(|n| Sysno::from_str(n).ok());
        for nr in numbers.map(|sysno| sysno.id() as i64) {
            if default != SeccompAction::Allow {
                base.add(nr, &when);
            }
            if action != SeccompAction::Allow {
                match per_action.iter_mut().find(|(a, _)| *a == action) {
                    Some((_, matches)) => matches.add(nr, &when),
                    None => {
                        let mut matches = Matches::default();
                        matches.add(nr, &when);
                        per_action.push((action.clone(), matches));
                    }
                }
            }
        }
    }

    let seccomp = Sysno::seccomp.id() as i64;
    let (last, first): (Vec<_>, Vec<_>) = per_action
        .into_iter()
        .partition(|(_, matches)| matches.names(seccomp));
    if last.len() > 1 {
        return Err(Error::InvalidArgument(
            "invalid seccomp profile: seccomp(2) itself is given more than one action".into(),
        ));
    }
    let arch = target_arch()?;
    let program = |matches: Matches, mismatch: SeccompAction, on_match: SeccompAction| {
        SeccompFilter::new(matches.into_rules(), mismatch, on_match, arch)
            .and_then(BpfProgram::try_from)
            .map_err(|e| Error::InvalidArgument(format!("compile the seccomp profile: {e}")))
    };
    let mut programs = Vec::new();
    for (action, matches) in first {
        programs.push(program(matches, SeccompAction::Allow, action)?);
    }
    if default != SeccompAction::Allow {
        programs.push(program(base, default, SeccompAction::Allow)?);
    }
    for (action, matches) in last {
        programs.push(program(matches, SeccompAction::Allow, action)?);
    }
    Ok(Filter { programs })
}
// ANCHOR_END: compile

impl Filter {
    /// How many BPF programs the stack holds.
    pub fn len(&self) -> usize {
        self.programs.len()
    }

    /// Whether there is nothing to install (a profile that allows everything).
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    // ANCHOR: install
    /// Installs the programs on the calling thread, first to last. Meant for the container's
    /// child, after its mounts and `pivot_root` and *before* it drops its capabilities and
    /// `exec`s; it does not allocate.
    ///
    /// It calls `seccomp(SECCOMP_SET_MODE_FILTER)` itself instead of seccompiler's
    /// `apply_filter`, because that one first sets `no_new_privs`, and Docker does not: in a
    /// default Docker container `NoNewPrivs` is 0, so `su`, `ping` or `sudo` — setuid programs —
    /// still gain their privileges (`--security-opt no-new-privileges` is how one asks for it).
    /// Without `no_new_privs` the kernel only accepts a filter from a process holding
    /// CAP_SYS_ADMIN (so that an unprivileged process cannot fool a setuid program by filtering
    /// its calls) — hence *before* capabilities are dropped. Everything the child does after this
    /// (`capset`, `setresuid`, `execve`…) must be allowed by the profile; Docker's allows them.
    ///
    /// A filter stays for the life of the process and is inherited by every child and across
    /// `execve`: nothing in the container can remove it.
    pub fn install(&self) -> nix::Result<()> {
        for program in &self.programs {
            let prog = libc::sock_fprog {
                // At most BPF_MAXINSNS (4096) instructions: seccompiler checks it.
                len: program.len() as libc::c_ushort,
                filter: program.as_ptr() as *mut libc::sock_filter,
            };
            // SAFETY: `prog` points to `len` instructions laid out as `struct sock_filter` (same
            // size, checked above), which live until the call returns; the kernel copies them.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &prog as *const libc::sock_fprog,
                )
            };
            Errno::result(rc)?;
        }
        Ok(())
    }
    // ANCHOR_END: install
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, OwnedFd};

    use ferry_testkit::Need;
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, pipe, ForkResult};

    use super::profile::DOCKER_DEFAULT_CAPS;
    use super::*;

    fn default_caps() -> Vec<String> {
        DOCKER_DEFAULT_CAPS.map(String::from).to_vec()
    }

    fn with_sys_admin() -> Vec<String> {
        let mut caps = default_caps();
        caps.push("CAP_SYS_ADMIN".into());
        caps
    }

    #[test]
    fn default_profile_is_a_stack_of_two_programs() {
        let filter = compile(&Profile::docker_default(), &default_caps()).unwrap();
        assert_eq!(filter.len(), 2, "clone3's ENOSYS program, then the base");
        // The base program (the larger one) is installed last.
        assert!(
            filter.programs[1].len() > 1000,
            "{}",
            filter.programs[1].len()
        );
        assert!(
            filter.programs[0].len() < 20,
            "{}",
            filter.programs[0].len()
        );
        let admin = compile(&Profile::docker_default(), &with_sys_admin()).unwrap();
        assert_eq!(
            admin.len(),
            1,
            "with CAP_SYS_ADMIN clone3 is allowed: no ENOSYS program"
        );
    }

    #[test]
    fn allow_all_compiles_to_nothing() {
        let p = Profile::from_json(r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#).unwrap();
        assert!(compile(&p, &[]).unwrap().is_empty());
    }

    #[test]
    fn masked_eq_maps_value_to_the_mask() {
        let arg = Arg {
            index: 0,
            value: 0x7E02_0000,
            value_two: 0,
            op: Op::MaskedEq,
        };
        let expected = SeccompCondition::new(
            0,
            SeccompCmpArgLen::Qword,
            SeccompCmpOp::MaskedEq(0x7E02_0000),
            0,
        )
        .unwrap();
        assert_eq!(condition(&arg).unwrap(), expected);
    }

    #[test]
    fn two_actions_for_seccomp_itself_are_refused() {
        let p = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                {"names": ["seccomp"], "action": "SCMP_ACT_LOG"},
                {"names": ["seccomp"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22}]}"#,
        )
        .unwrap();
        let e = compile(&p, &[]).unwrap_err().to_string();
        assert!(
            e.contains("seccomp(2) itself is given more than one action"),
            "{e}"
        );
    }

    /// The results a forked child reports: one `i64` per check, in order.
    struct Report(OwnedFd);

    impl Report {
        /// Writes one value; nothing here allocates (we are a forked child of a threaded test).
        fn put(&self, value: i64) {
            let bytes = value.to_ne_bytes();
            // SAFETY: writes 8 bytes from a local array to a pipe we own.
            unsafe { libc::write(self.0.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        }

        /// A raw syscall's outcome: its return value, or minus its errno.
        fn put_rc(&self, rc: i64) {
            self.put(if rc == -1 {
                -(Errno::last_raw() as i64)
            } else {
                rc
            });
        }
    }

    /// Forks a child that runs `before`, installs `filter` and runs `checks`; returns what the
    /// child reported, and how it ended.
    fn in_child(
        filter: &Filter,
        before: impl FnOnce(),
        checks: impl FnOnce(&Report),
    ) -> (Vec<i64>, WaitStatus) {
        let (read, write) = pipe().unwrap();
        // SAFETY: the child only makes system calls on memory prepared before the fork.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => {
                drop(read);
                let report = Report(write);
                before();
                if let Err(e) = filter.install() {
                    report.put(-1000 - e as i64);
                    unsafe { libc::_exit(1) };
                }
                checks(&report);
                unsafe { libc::_exit(0) };
            }
            ForkResult::Parent { child } => {
                drop(write);
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut std::fs::File::from(read), &mut bytes).unwrap();
                let status = waitpid(child, None).unwrap();
                let values = bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_ne_bytes(c.try_into().unwrap()))
                    .collect();
                (values, status)
            }
        }
    }

    /// Reads `/proc/self/status` into a stack buffer and returns the number after `field`.
    fn status_field(field: &[u8]) -> i64 {
        let mut buf = [0u8; 8192];
        // SAFETY: a NUL-terminated path; reads into a local buffer.
        let n = unsafe {
            let fd = libc::open(c"/proc/self/status".as_ptr(), libc::O_RDONLY);
            let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
            libc::close(fd);
            n
        };
        let text = &buf[..n.max(0) as usize];
        let Some(at) = text.windows(field.len()).position(|w| w == field) else {
            return -1;
        };
        text[at + field.len()..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .fold(0, |n, b| n * 10 + (b - b'0') as i64)
    }

    /// In the child, before the filter: a mount namespace of its own with private mounts, so
    /// that a mount the filter failed to stop could not reach the host.
    fn private_mounts() {
        // SAFETY: plain system calls with constant arguments.
        unsafe {
            libc::unshare(libc::CLONE_NEWNS);
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            );
        }
    }

    const ADDR_NO_RANDOMIZE: libc::c_ulong = 0x0040000;

    #[test]
    fn default_filter_confines_a_root_process() {
        if !ferry_testkit::require("default_filter_confines_a_root_process", &[Need::Root]) {
            return;
        }
        let filter = compile(&Profile::docker_default(), &default_caps()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        let (got, status) = in_child(&filter, private_mounts, |r| unsafe {
            r.put(status_field(b"Seccomp:"));
            r.put(status_field(b"NoNewPrivs:"));
            r.put_rc(libc::unshare(libc::CLONE_NEWNS) as i64);
            r.put_rc(libc::mount(
                c"none".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null(),
            ) as i64);
            r.put_rc(libc::syscall(
                libc::SYS_clone3,
                std::ptr::null::<u8>(),
                0usize,
            ));
            r.put_rc(libc::personality(0xffff_ffff) as i64);
            r.put_rc(libc::personality(ADDR_NO_RANDOMIZE) as i64);
            // clone asking for a new UTS namespace: refused by the masked rule. Should it succeed,
            // the new process leaves at once.
            let rc = libc::syscall(
                libc::SYS_clone,
                libc::CLONE_NEWUTS | libc::SIGCHLD,
                0,
                0,
                0,
                0,
            );
            if rc == 0 {
                libc::_exit(0);
            }
            r.put_rc(rc);
            // An ordinary fork (glibc's clone with no namespace flag) and its exit status.
            match libc::fork() {
                0 => libc::_exit(7),
                -1 => r.put_rc(-1),
                pid => {
                    let mut st = 0;
                    libc::waitpid(pid, &mut st, 0);
                    r.put(libc::WEXITSTATUS(st) as i64);
                }
            }
            r.put((libc::getpid() > 0) as i64);
        });
        assert_eq!(
            status,
            WaitStatus::Exited(status.pid().unwrap(), 0),
            "{got:?}"
        );
        let eperm = -(libc::EPERM as i64);
        let expected = [
            ("Seccomp: 2 (filter mode)", 2),
            ("NoNewPrivs: 0", 0),
            ("unshare(CLONE_NEWNS) refused", eperm),
            ("mount tmpfs refused", eperm),
            ("clone3 answers ENOSYS, not EPERM", -(libc::ENOSYS as i64)),
            ("personality(0xffffffff) queries", 0),
            ("personality(ADDR_NO_RANDOMIZE) refused", eperm),
            ("clone(CLONE_NEWUTS) refused", eperm),
            ("fork works, child exits 7", 7),
            ("getpid works", 1),
        ];
        assert_eq!(got.len(), expected.len(), "child reported {got:?}");
        for ((what, want), got) in expected.iter().zip(&got) {
            if *what == "personality(0xffffffff) queries" {
                assert!(*got >= 0, "{what}: got {got}");
            } else {
                assert_eq!(got, want, "{what}");
            }
        }
    }

    #[test]
    fn sys_admin_lifts_the_namespace_rules() {
        if !ferry_testkit::require("sys_admin_lifts_the_namespace_rules", &[Need::Root]) {
            return;
        }
        let filter = compile(&Profile::docker_default(), &with_sys_admin()).unwrap();
        let (got, status) = in_child(&filter, private_mounts, |r| unsafe {
            r.put(status_field(b"Seccomp:"));
            r.put_rc(libc::unshare(libc::CLONE_NEWUTS) as i64);
            // Allowed now: the kernel itself refuses the missing argument structure.
            r.put_rc(libc::syscall(
                libc::SYS_clone3,
                std::ptr::null::<u8>(),
                0usize,
            ));
        });
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "{status:?} {got:?}"
        );
        assert_eq!(
            got,
            [2, 0, -(libc::EINVAL as i64)],
            "Seccomp, unshare(NEWUTS), clone3"
        );
    }

    #[test]
    fn kill_process_action_kills() {
        if !ferry_testkit::require("kill_process_action_kills", &[Need::Root]) {
            return;
        }
        let profile = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}]}"#,
        )
        .unwrap();
        let filter = compile(&profile, &[]).unwrap();
        let no_core_dump = || {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: sets a limit of this (child) process from a local struct.
            unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
        };
        let (got, status) = in_child(&filter, no_core_dump, |r| unsafe {
            r.put(1);
            libc::getppid();
            r.put(2);
        });
        assert_eq!(got, [1], "nothing reported after getppid");
        assert!(
            matches!(status, WaitStatus::Signaled(_, nix::sys::signal::SIGSYS, _)),
            "{status:?}"
        );
    }

    #[test]
    fn a_profile_that_refuses_seccomp_itself_still_installs() {
        if !ferry_testkit::require(
            "a_profile_that_refuses_seccomp_itself_still_installs",
            &[Need::Root],
        ) {
            return;
        }
        // Neither seccomp nor getppid is allowed; getpid gets its own errno.
        let profile = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["write", "exit_group", "exit"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}"#,
        )
        .unwrap();
        let filter = compile(&profile, &[]).unwrap();
        assert_eq!(filter.len(), 2);
        let (got, status) = in_child(
            &filter,
            || {},
            |r| unsafe {
                r.put_rc(libc::syscall(libc::SYS_getpid));
                r.put_rc(libc::syscall(libc::SYS_getppid));
            },
        );
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "{status:?} {got:?}"
        );
        assert_eq!(got, [-(libc::ENOSYS as i64), -(libc::EPERM as i64)]);
    }
}
