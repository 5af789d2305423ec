//! seccomp: a filter the kernel runs on every system call of a process, before the call.
//!
//! The filter is a program for the classic BPF machine (the one `tcpdump` compiles packet
//! filters for): one 32-bit accumulator `A`, instructions of 8 bytes, forward jumps only, so it
//! always ends. Its input is a `struct seccomp_data` describing the call:
//!
//! ```text
//! offset 0   int   nr                   the syscall number
//! offset 4   u32   arch                 AUDIT_ARCH_*: which ABI the call came through
//! offset 8   u64   instruction_pointer
//! offset 16  u64   args[6]              the arguments (values only: pointers are not followed)
//! ```
//!
//! and its result is a `SECCOMP_RET_*` action: allow the call, fail it with an errno without
//! running it, kill the process, notify a tracer... Once installed a filter cannot be removed,
//! is inherited by children and kept across `execve`.
//!
//! The engine takes Docker's profile (hundreds of rules) from a crate that compiles it; this
//! chapter assembles a small filter by hand to show what such a crate produces.

use nix::errno::Errno;

use crate::Error;

/// `AUDIT_ARCH_X86_64`: `EM_X86_64` (62) | `__AUDIT_ARCH_64BIT` | `__AUDIT_ARCH_LE`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// Set in `nr` for calls made through the x32 ABI, which shares `AUDIT_ARCH_X86_64`.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Where the fields sit in `struct seccomp_data`.
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;

// The instruction codes the filter uses (from <linux/filter.h>).
const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// An instruction without a jump: load, return.
fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// A conditional jump: compare `A` with `k`, then skip `jt` instructions if true, `jf` if false.
fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// A syscall the filter refuses: its name (for printing) and its x86_64 number.
#[derive(Debug, Clone, Copy)]
pub struct Syscall {
    /// The name, e.g. `mkdir`.
    pub name: &'static str,
    /// The number on x86_64, e.g. 83.
    pub nr: u32,
}

/// `mkdir(2)`, and `mkdirat(2)`, which does the same relative to a directory fd; a C library
/// may implement `mkdir()` with either, so a filter that means "no new directories" needs both.
pub const MKDIR: [Syscall; 2] = [
    Syscall {
        name: "mkdir",
        nr: libc::SYS_mkdir as u32,
    },
    Syscall {
        name: "mkdirat",
        nr: libc::SYS_mkdirat as u32,
    },
];

/// `mount(2)` (the new mount API's `fsopen`/`fsmount` are separate calls that Docker's profile
/// refuses as well).
pub const MOUNT: [Syscall; 1] = [Syscall {
    name: "mount",
    nr: libc::SYS_mount as u32,
}];

// ANCHOR: refuse
/// Assembles a filter that fails each of `syscalls` with EPERM and allows every other call
/// made through the x86_64 ABI; a call through another ABI kills the process.
pub fn refuse(syscalls: &[Syscall]) -> Vec<libc::sock_filter> {
    let n = syscalls.len();
    assert!(n < 200, "jump offsets are 8-bit");
    // Where the three returns will be, after the 4 instructions of the prologue and one JEQ per
    // syscall. A jump's offset counts from the instruction after it.
    let (allow, errno, kill) = (4 + n, 5 + n, 6 + n);
    let to = |from: usize, target: usize| (target - from - 1) as u8;

    let mut program = vec![
        // 0: A = seccomp_data.arch.
        stmt(LD_W_ABS, OFFSET_ARCH),
        // 1: a 32-bit (i386) call has other numbers: 83 would not be mkdir there. Kill.
        jump(JEQ_K, AUDIT_ARCH_X86_64, 0, to(1, kill)),
        // 2: A = seccomp_data.nr.
        stmt(LD_W_ABS, OFFSET_NR),
        // 3: x32 calls pass the arch check but carry X32_SYSCALL_BIT: 0x40000053 would slip
        //    past a JEQ for 83. Kill.
        jump(JGE_K, X32_SYSCALL_BIT, to(3, kill), 0),
    ];
    // 4..4+n: one comparison per refused syscall.
    for (i, syscall) in syscalls.iter().enumerate() {
        program.push(jump(JEQ_K, syscall.nr, to(4 + i, errno), 0));
    }
    program.push(stmt(RET_K, libc::SECCOMP_RET_ALLOW)); // allow: run the call
    program.push(stmt(
        RET_K,
        // errno: do not run the call; return -EPERM to the caller.
        libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA),
    ));
    program.push(stmt(RET_K, libc::SECCOMP_RET_KILL_PROCESS)); // kill
    debug_assert_eq!((program.len(), allow), (kill + 1, kill - 2));
    program
}
// ANCHOR_END: refuse

// ANCHOR: install
/// Installs `program` as a seccomp filter of the calling thread (and of every child and
/// program it starts from now on).
///
/// `no_new_privs` comes first: without CAP_SYS_ADMIN the kernel accepts a filter only from a
/// process that promised never to gain privileges through `execve` (setuid binaries, file
/// capabilities), or else it could confuse a setuid program by failing calls it relies on.
pub fn install(program: &[libc::sock_filter]) -> Result<(), Error> {
    // SAFETY: PR_SET_NO_NEW_PRIVS takes the value 1 and four zeroes.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    Errno::result(rc).map_err(Error::sys("prctl(PR_SET_NO_NEW_PRIVS)"))?;
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: fprog points at `program.len()` instructions that outlive the call; the kernel
    // copies and checks the program before it returns.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &fprog as *const libc::sock_fprog,
        )
    };
    Errno::result(rc)
        .map(drop)
        .map_err(Error::sys("seccomp(SECCOMP_SET_MODE_FILTER)"))
}
// ANCHOR_END: install

/// The program as text, one instruction a line, in the notation of the kernel's `bpf_dbg`:
/// `l1: jeq #0xc000003e, l2, l10`.
pub fn disassemble(program: &[libc::sock_filter]) -> Vec<String> {
    program
        .iter()
        .enumerate()
        .map(|(i, insn)| {
            let target = |offset: u8| i + 1 + usize::from(offset);
            let text = match insn.code {
                LD_W_ABS => format!("ld [{}]", insn.k),
                JEQ_K | JGE_K => format!(
                    "{} #{:#x}, l{}, l{}",
                    if insn.code == JEQ_K { "jeq" } else { "jge" },
                    insn.k,
                    target(insn.jt),
                    target(insn.jf)
                ),
                RET_K => format!("ret #{:#x}", insn.k),
                other => format!("code {other:#x} k {:#x}", insn.k),
            };
            format!("l{i}: {text}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_for_mkdir_reads_as_the_chapter_explains() {
        assert_eq!(
            disassemble(&refuse(&MKDIR)),
            [
                "l0: ld [4]",
                "l1: jeq #0xc000003e, l2, l8",
                "l2: ld [0]",
                "l3: jge #0x40000000, l8, l4",
                "l4: jeq #0x53, l7, l5",
                "l5: jeq #0x102, l7, l6",
                "l6: ret #0x7fff0000",
                "l7: ret #0x50001",
                "l8: ret #0x80000000",
            ]
        );
    }

    #[test]
    fn one_syscall_needs_one_comparison() {
        let program = refuse(&MOUNT);
        assert_eq!(program.len(), 8);
        assert_eq!(disassemble(&program)[4], "l4: jeq #0xa5, l6, l5");
    }
}
