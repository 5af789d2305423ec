//! The device allow-list on cgroup v2: an eBPF program made from the rules.
//!
//! cgroup v2 has no `devices.allow`. Instead a program of type `BPF_PROG_TYPE_CGROUP_DEVICE`,
//! attached to the container's cgroup, is run by the kernel each time a process of the cgroup
//! creates (`mknod`) or opens a device node. It gets the request in its context, a
//! `struct bpf_cgroup_dev_ctx` (`<linux/bpf.h>`):
//!
//! | offset | field | value |
//! |---|---|---|
//! | 0 | `access_type` | the access in the high 16 bits (`BPF_DEVCG_ACC_*`: mknod 1, read 2, write 4), the device type in the low 16 (`BPF_DEVCG_DEV_*`: block 1, char 2) |
//! | 4 | `major` | the device's major number |
//! | 8 | `minor` | the device's minor number |
//!
//! and returns 1 to allow, 0 to refuse (the process sees EPERM).
//!
//! A rule list means "a later rule overrides an earlier one" (as cgroup v1 applies them in
//! order), so the program tries the rules from the *last* to the first and returns the decision
//! of the first that matches; what no rule matches is refused. The instructions are emitted with
//! `rbpf`'s instruction builder; [`super::bpf`] hands them to the kernel.
//!
//! A difference to v1 remains, for lists ferry does not make: v1 merges allow rules for one
//! device (`c 1:3 r` then `c 1:3 w` allows opening it read-write); here one allow rule must cover
//! the whole access asked for.

use rbpf::insn_builder::{Arch, BpfCode, Cond, Instruction, IntoBytes, MemSize, Source};

use super::devices::{DeviceKind, DeviceRule};

/// Offsets of the fields of `struct bpf_cgroup_dev_ctx`.
const CTX_ACCESS_TYPE: i16 = 0;
const CTX_MAJOR: i16 = 4;
const CTX_MINOR: i16 = 8;

/// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`: the device type in `access_type`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

/// `BPF_DEVCG_ACC_MKNOD`, `_READ`, `_WRITE`: the access bits in `access_type >> 16`.
const ACC_MKNOD: i32 = 1;
const ACC_READ: i32 = 2;
const ACC_WRITE: i32 = 4;
const ACC_ALL: i32 = ACC_MKNOD | ACC_READ | ACC_WRITE;

/// The registers: r0 is the result, r1 the context on entry; the request is unpacked into r2–r5
/// once, and r6 is scratch for the access test.
const R0: u8 = 0;
const CTX: u8 = 1;
const TYPE: u8 = 2;
const ACCESS: u8 = 3;
const MAJOR: u8 = 4;
const MINOR: u8 = 5;
const SCRATCH: u8 = 6;

/// One eBPF instruction is 8 bytes.
pub const INSN_SIZE: usize = 8;

// ANCHOR: device_program
/// The program that enforces `rules`, as the kernel's instruction bytes.
///
/// The rules must be valid ([`DeviceRule::validate`]: the numbers fit a `dev_t`, so they fit the
/// instructions' 32-bit immediates).
pub fn device_program(rules: &[DeviceRule]) -> Vec<u8> {
    let mut code = BpfCode::new();
    unpack_request(&mut code);
    let mut decided = false;
    for rule in rules.iter().rev() {
        decided = match_rule(&mut code, rule);
        if decided {
            // The rule matches every request: anything after it could never run, and the
            // kernel's verifier refuses unreachable instructions.
            break;
        }
    }
    if !decided {
        verdict(&mut code, false);
    }
    (&code).into_bytes().to_vec()
}
// ANCHOR_END: device_program

/// Loads the request into registers: the device type, the access, the major and minor numbers.
fn unpack_request(code: &mut BpfCode) {
    let load = |code: &mut BpfCode, dst, offset| {
        code.load_x(MemSize::Word)
            .set_dst(dst)
            .set_src(CTX)
            .set_off(offset)
            .push();
    };
    load(code, TYPE, CTX_ACCESS_TYPE);
    code.bit_and(Source::Imm, Arch::X32)
        .set_dst(TYPE)
        .set_imm(0xffff)
        .push();
    load(code, ACCESS, CTX_ACCESS_TYPE);
    code.right_shift(Source::Imm, Arch::X32)
        .set_dst(ACCESS)
        .set_imm(16)
        .push();
    load(code, MAJOR, CTX_MAJOR);
    load(code, MINOR, CTX_MINOR);
}

/// A test the request must pass for a rule to match; failing it skips to the next rule.
enum Test {
    /// `register != value`: not this rule.
    Differs(u8, i32),
    /// The access asked for has a bit outside `allowed` (for an allow rule).
    AccessBeyond(i32),
    /// The access asked for has no bit of `denied` (for a deny rule).
    AccessOutside(i32),
}

impl Test {
    fn len(&self) -> usize {
        match self {
            Test::Differs(..) => 1,
            Test::AccessBeyond(_) | Test::AccessOutside(_) => 3,
        }
    }

    /// Emits the test, jumping `skip` instructions ahead (past the rule) when it fails.
    fn emit(&self, code: &mut BpfCode, skip: usize) {
        // Within a rule of a few instructions: always fits.
        let offset_after = |len: usize| (skip - len) as i16;
        match *self {
            Test::Differs(register, value) => {
                code.jump_conditional(Cond::NotEquals, Source::Imm)
                    .set_dst(register)
                    .set_imm(value)
                    .set_off(offset_after(1))
                    .push();
            }
            Test::AccessBeyond(mask) | Test::AccessOutside(mask) => {
                let (bits, skip_when) = match *self {
                    Test::AccessBeyond(_) => (ACC_ALL & !mask, Cond::NotEquals),
                    _ => (mask, Cond::Equals),
                };
                code.mov(Source::Reg, Arch::X32)
                    .set_dst(SCRATCH)
                    .set_src(ACCESS)
                    .push();
                code.bit_and(Source::Imm, Arch::X32)
                    .set_dst(SCRATCH)
                    .set_imm(bits)
                    .push();
                code.jump_conditional(skip_when, Source::Imm)
                    .set_dst(SCRATCH)
                    .set_imm(0)
                    .set_off(offset_after(3))
                    .push();
            }
        }
    }
}

/// Emits one rule: its tests, then its decision. Returns whether it has no test, i.e. decides
/// every request that reaches it.
fn match_rule(code: &mut BpfCode, rule: &DeviceRule) -> bool {
    let tests = tests_of(rule);
    let verdict_len = 2;
    let mut remaining: usize = tests.iter().map(Test::len).sum::<usize>() + verdict_len;
    for test in &tests {
        test.emit(code, remaining);
        remaining -= test.len();
    }
    verdict(code, rule.allow);
    tests.is_empty()
}

/// The tests a request must pass to be decided by `rule`.
fn tests_of(rule: &DeviceRule) -> Vec<Test> {
    let mut tests = Vec::new();
    match rule.kind {
        DeviceKind::All => {}
        DeviceKind::Char => tests.push(Test::Differs(TYPE, DEV_CHAR)),
        DeviceKind::Block => tests.push(Test::Differs(TYPE, DEV_BLOCK)),
    }
    let access = access_bits(&rule.access);
    if access != ACC_ALL {
        // An allow rule decides requests it covers entirely; a deny rule any request it touches.
        tests.push(if rule.allow {
            Test::AccessBeyond(access)
        } else {
            Test::AccessOutside(access)
        });
    }
    if let Some(major) = rule.major {
        tests.push(Test::Differs(MAJOR, number(major)));
    }
    if let Some(minor) = rule.minor {
        tests.push(Test::Differs(MINOR, number(minor)));
    }
    tests
}

/// `r0 = allow; exit`.
fn verdict(code: &mut BpfCode, allow: bool) {
    code.mov(Source::Imm, Arch::X32)
        .set_dst(R0)
        .set_imm(i32::from(allow))
        .push();
    code.exit().push();
}

/// The `BPF_DEVCG_ACC_*` bits of an access string such as `rwm`.
fn access_bits(access: &str) -> i32 {
    access.chars().fold(0, |bits, c| {
        bits | match c {
            'm' => ACC_MKNOD,
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            _ => 0,
        }
    })
}

/// A device number as an immediate: valid rules hold at most 20 bits.
fn number(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::devices::{allow_all, default_rules};

    /// The program as text, one instruction a line, as `rbpf`'s disassembler prints it.
    fn listing(program: &[u8]) -> Vec<String> {
        rbpf::disassembler::to_insn_vec(program)
            .into_iter()
            .map(|insn| insn.desc)
            .collect()
    }

    /// What the program answers to one request, run in `rbpf`'s interpreter.
    fn decide(program: &[u8], kind: i32, access: &str, major: u32, minor: u32) -> bool {
        let mut ctx = Vec::new();
        let access_type = ((access_bits(access) as u32) << 16) | kind as u32;
        for field in [access_type, major, minor] {
            ctx.extend_from_slice(&field.to_le_bytes());
        }
        let vm = rbpf::EbpfVmRaw::new(Some(program)).unwrap();
        match vm.execute_program(&mut ctx).unwrap() {
            0 => false,
            1 => true,
            other => panic!("returned {other}"),
        }
    }

    #[test]
    fn a_small_list_becomes_a_prologue_one_block_per_rule_and_no_fallback() {
        let rules = [
            DeviceRule::parse("a").unwrap().denied(),
            DeviceRule::parse("c 1:3 rwm").unwrap(),
            DeviceRule::parse("b *:* m").unwrap(),
        ];
        let program = device_program(&rules);
        assert_eq!(program.len() % INSN_SIZE, 0);
        assert_eq!(
            listing(&program),
            [
                // the request, unpacked
                "ldxw r2, [r1+0x0]",
                "and32 r2, 0xffff",
                "ldxw r3, [r1+0x0]",
                "rsh32 r3, 0x10",
                "ldxw r4, [r1+0x4]",
                "ldxw r5, [r1+0x8]",
                // b *:* m (the last rule is tried first)
                "jne r2, 0x1, +0x5",
                "mov32 r6, r3",
                "and32 r6, 0x6",
                "jne r6, 0x0, +0x2",
                "mov32 r0, 0x1",
                "exit",
                // c 1:3 rwm
                "jne r2, 0x2, +0x4",
                "jne r4, 0x1, +0x3",
                "jne r5, 0x3, +0x2",
                "mov32 r0, 0x1",
                "exit",
                // a *:* rwm, denied: matches everything, so it is the end
                "mov32 r0, 0x0",
                "exit",
            ]
        );
    }

    #[test]
    fn a_list_without_a_catch_all_ends_in_refusal() {
        let program = device_program(&[DeviceRule::parse("c 1:3 rwm").unwrap()]);
        let text = listing(&program);
        assert_eq!(text.len(), 6 + 5 + 2);
        assert_eq!(text[text.len() - 2..], ["mov32 r0, 0x0", "exit"]);
        assert!(!decide(&program, DEV_CHAR, "r", 1, 5));
    }

    #[test]
    fn privileged_is_the_prologue_and_allow() {
        let program = device_program(&allow_all());
        assert_eq!(listing(&program)[6..], ["mov32 r0, 0x1", "exit"]);
        assert!(decide(&program, DEV_BLOCK, "rw", 7, 0));
    }

    #[test]
    fn docker_defaults_allow_the_standard_devices_and_mknod_but_no_disk() {
        let program = device_program(&default_rules());
        let instructions = program.len() / INSN_SIZE;
        assert!(instructions < 100, "{instructions} instructions");
        // /dev/null, zero, full, random, urandom, tty, console, ptmx, a terminal of devpts
        for (major, minor) in [
            (1, 3),
            (1, 5),
            (1, 7),
            (1, 8),
            (1, 9),
            (5, 0),
            (5, 1),
            (5, 2),
        ] {
            assert!(
                decide(&program, DEV_CHAR, "rw", major, minor),
                "c {major}:{minor}"
            );
        }
        assert!(decide(&program, DEV_CHAR, "rw", 136, 4), "/dev/pts/4");
        // mknod of anything, opening none of it
        assert!(decide(&program, DEV_BLOCK, "m", 7, 0), "mknod loop0");
        assert!(!decide(&program, DEV_BLOCK, "r", 7, 0), "read loop0");
        assert!(!decide(&program, DEV_BLOCK, "w", 8, 0), "write sda");
        assert!(!decide(&program, DEV_CHAR, "r", 1, 1), "/dev/mem");
        assert!(!decide(&program, DEV_CHAR, "rw", 10, 229), "/dev/fuse");
        assert!(
            decide(&program, DEV_CHAR, "m", 10, 229),
            "runc's mknod rule comes after Docker's fuse denial"
        );
        assert!(
            !decide(&program, DEV_CHAR, "rm", 1, 1),
            "an access the mknod rule covers only in part"
        );
    }

    #[test]
    fn a_later_deny_overrides_an_earlier_allow_for_the_access_it_names() {
        let rules = [
            DeviceRule::parse("a").unwrap().denied(),
            DeviceRule::parse("c 1:3 rwm").unwrap(),
            DeviceRule::parse("c 1:3 w").unwrap().denied(),
        ];
        let program = device_program(&rules);
        assert!(decide(&program, DEV_CHAR, "r", 1, 3));
        assert!(!decide(&program, DEV_CHAR, "w", 1, 3));
        assert!(!decide(&program, DEV_CHAR, "rw", 1, 3));
        assert!(!decide(&program, DEV_BLOCK, "r", 1, 3), "the type counts");
    }
}
