//! Docker's seccomp profile format, and resolving a profile for one container.
//!
//! A Docker profile (`--security-opt seccomp=PROFILE.json`, or the default one embedded in
//! dockerd) is *conditional*: a rule may apply only when the container holds some capabilities
//! (`includes.caps`), only on some architectures (`includes.arches`), only from a kernel version
//! on (`includes.minKernel`), or only when the container lacks a capability (`excludes.caps`).
//! Docker resolves those conditions when it creates the container and hands runc a flat list
//! (the `.linux.seccomp` of the OCI `config.json`). [`Profile::resolve`] does the same: its result
//! has no conditions left, and is what [`compile`](super::compile()) turns into BPF.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A seccomp profile in Docker's JSON format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// What happens to a system call no rule names.
    pub default_action: Action,
    /// The errno of an `SCMP_ACT_ERRNO` default action (EPERM when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// The architectures the filter accepts (`SCMP_ARCH_X86_64`, …). ferry compiles for the
    /// machine's own architecture only; the list is kept so a resolved profile reads like Docker's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// Per main architecture, the ones it can also run (x86_64 runs x86 and x32 binaries); a
    /// resolved profile turns the machine's entry into `architectures`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<ArchMap>,
    /// The rules, in the profile's order.
    #[serde(default)]
    pub syscalls: Vec<Syscall>,
}

/// One `archMap` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMap {
    /// A main architecture, e.g. `SCMP_ARCH_X86_64`.
    pub architecture: String,
    /// Architectures it also runs, e.g. `SCMP_ARCH_X86`.
    #[serde(default)]
    pub sub_architectures: Vec<String>,
}

/// One rule: these system calls, when these arguments match, get this action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Syscall {
    /// System call names; a name the architecture does not have is skipped (as libseccomp does).
    #[serde(default)]
    pub names: Vec<String>,
    /// The action when the rule matches.
    pub action: Action,
    /// The errno of an `SCMP_ACT_ERRNO` action (EPERM when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    /// Conditions on the arguments, all of which must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Arg>,
    /// The rule applies only if all of these hold.
    #[serde(default, skip_serializing_if = "Selector::is_empty")]
    pub includes: Selector,
    /// The rule does not apply if any of these holds.
    #[serde(default, skip_serializing_if = "Selector::is_empty")]
    pub excludes: Selector,
    /// Free text, as in Docker's own profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The single name of profiles written before `names` existed.
    #[serde(default, skip_serializing)]
    name: Option<String>,
}

/// A condition on one argument of a system call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    /// Which argument, 0 to 5.
    pub index: u32,
    /// The value compared with (for `SCMP_CMP_MASKED_EQ`: the mask).
    pub value: u64,
    /// For `SCMP_CMP_MASKED_EQ` only: what the masked argument must equal.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_two: u64,
    /// The comparison.
    pub op: Op,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// When a rule applies: capabilities (all of them, for `includes`; any, for `excludes`),
/// architectures (Docker's names: `amd64`, `arm64`, `s390x`, …) and a minimum kernel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    /// Capability names such as `CAP_SYS_ADMIN`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<String>,
    /// Architecture names as Go spells them (`amd64`, `x32`, `arm64`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<String>,
    /// `MAJOR.MINOR`: the rule needs at least this kernel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
}

impl Selector {
    fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// What the kernel does with a system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Action {
    /// Run it.
    Allow,
    /// Fail it with an errno (`errnoRet`, EPERM by default): the program sees an ordinary error.
    Errno,
    /// Kill the calling thread (`SCMP_ACT_KILL`, `SCMP_ACT_KILL_THREAD`).
    KillThread,
    /// Kill the whole process.
    KillProcess,
    /// Send SIGSYS to the caller.
    Trap,
    /// Run it and log it to the audit log.
    Log,
}

impl TryFrom<String> for Action {
    type Error = String;
    fn try_from(name: String) -> std::result::Result<Self, String> {
        Ok(match name.as_str() {
            "SCMP_ACT_ALLOW" => Action::Allow,
            "SCMP_ACT_ERRNO" => Action::Errno,
            "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => Action::KillThread,
            "SCMP_ACT_KILL_PROCESS" => Action::KillProcess,
            "SCMP_ACT_TRAP" => Action::Trap,
            "SCMP_ACT_LOG" => Action::Log,
            "SCMP_ACT_TRACE" | "SCMP_ACT_NOTIFY" => {
                return Err(format!(
                "seccomp action {name} is not supported by ferry (it needs a tracer or a listener)"
            ))
            }
            _ => return Err(format!("unknown seccomp action {name:?}")),
        })
    }
}

impl From<Action> for String {
    fn from(action: Action) -> String {
        match action {
            Action::Allow => "SCMP_ACT_ALLOW",
            Action::Errno => "SCMP_ACT_ERRNO",
            Action::KillThread => "SCMP_ACT_KILL_THREAD",
            Action::KillProcess => "SCMP_ACT_KILL_PROCESS",
            Action::Trap => "SCMP_ACT_TRAP",
            Action::Log => "SCMP_ACT_LOG",
        }
        .into()
    }
}

/// How an argument is compared with a rule's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Op {
    /// `arg == value`
    Eq,
    /// `arg != value`
    Ne,
    /// `arg < value`
    Lt,
    /// `arg <= value`
    Le,
    /// `arg > value`
    Gt,
    /// `arg >= value`
    Ge,
    /// `(arg & value) == valueTwo`: `value` is the mask (libseccomp's definition).
    MaskedEq,
}

impl TryFrom<String> for Op {
    type Error = String;
    fn try_from(name: String) -> std::result::Result<Self, String> {
        Ok(match name.as_str() {
            "SCMP_CMP_EQ" => Op::Eq,
            "SCMP_CMP_NE" => Op::Ne,
            "SCMP_CMP_LT" => Op::Lt,
            "SCMP_CMP_LE" => Op::Le,
            "SCMP_CMP_GT" => Op::Gt,
            "SCMP_CMP_GE" => Op::Ge,
            "SCMP_CMP_MASKED_EQ" => Op::MaskedEq,
            _ => return Err(format!("unknown seccomp comparison {name:?}")),
        })
    }
}

impl From<Op> for String {
    fn from(op: Op) -> String {
        match op {
            Op::Eq => "SCMP_CMP_EQ",
            Op::Ne => "SCMP_CMP_NE",
            Op::Lt => "SCMP_CMP_LT",
            Op::Le => "SCMP_CMP_LE",
            Op::Gt => "SCMP_CMP_GT",
            Op::Ge => "SCMP_CMP_GE",
            Op::MaskedEq => "SCMP_CMP_MASKED_EQ",
        }
        .into()
    }
}

/// An architecture as the three vocabularies involved name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Arch {
    /// Go's name, used by `includes.arches` (`amd64`).
    pub(super) docker: &'static str,
    /// libseccomp's name, used by `architectures` and `archMap` (`SCMP_ARCH_X86_64`).
    pub(super) scmp: &'static str,
}

pub(super) const X86_64: Arch = Arch {
    docker: "amd64",
    scmp: "SCMP_ARCH_X86_64",
};

impl Arch {
    /// The architecture ferry runs on.
    pub(super) fn native() -> Arch {
        #[cfg(target_arch = "aarch64")]
        return Arch {
            docker: "arm64",
            scmp: "SCMP_ARCH_AARCH64",
        };
        #[cfg(target_arch = "riscv64")]
        return Arch {
            docker: "riscv64",
            scmp: "SCMP_ARCH_RISCV64",
        };
        #[cfg(not(any(target_arch = "aarch64", target_arch = "riscv64")))]
        X86_64
    }
}

/// A kernel version, `(major, minor)`.
type Kernel = (u32, u32);

/// Parses `6.1`, `6.1.0-18-amd64` or `4.8` into `(major, minor)`.
fn parse_kernel(release: &str) -> Option<Kernel> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The running kernel's version, if `uname` says.
fn running_kernel() -> Option<Kernel> {
    let uts = nix::sys::utsname::uname().ok()?;
    parse_kernel(uts.release().to_str()?)
}

/// Spells a capability as Docker's profiles do: `sys_admin` and `CAP_SYS_ADMIN` are the same.
fn cap_name(cap: &str) -> String {
    let upper = cap.to_ascii_uppercase();
    if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

fn invalid(problem: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("invalid seccomp profile: {problem}"))
}

impl Profile {
    /// Docker's default profile, as dockerd 20.10 applies it: everything not listed fails with
    /// EPERM; the list is what ordinary programs need, plus groups that open up only with the
    /// capability that makes them safe (`mount` with CAP_SYS_ADMIN, `reboot` with CAP_SYS_BOOT…).
    pub fn docker_default() -> Profile {
        Profile::from_json(include_str!("default.json"))
            .expect("the embedded default seccomp profile is valid")
    }

    /// Reads a profile in Docker's format. Errors are one line naming the problem.
    pub fn from_json(json: &str) -> Result<Profile> {
        let mut profile: Profile = serde_json::from_str(json).map_err(invalid)?;
        if !profile.architectures.is_empty() && !profile.arch_map.is_empty() {
            return Err(invalid(
                "'architectures' and 'archMap' cannot both be given: use one of them",
            ));
        }
        if let Some(errno) = profile.default_errno_ret {
            check_errno(profile.default_action, errno)?;
        }
        for (i, rule) in profile.syscalls.iter_mut().enumerate() {
            if let Some(name) = rule.name.take() {
                rule.names.push(name);
            }
            let at = |problem: String| invalid(format!("syscalls[{i}]: {problem}"));
            if rule.names.is_empty() {
                return Err(at("the rule names no system call".into()));
            }
            if let Some(errno) = rule.errno_ret {
                check_errno(rule.action, errno).map_err(|e| at(e.to_string()))?;
            }
            if let Some(arg) = rule.args.iter().find(|a| a.index > 5) {
                return Err(at(format!(
                    "argument index {} is out of range (0 to 5)",
                    arg.index
                )));
            }
            if let Some(v) = &rule.includes.min_kernel {
                if parse_kernel(v).is_none() {
                    return Err(at(format!("minKernel {v:?} is not MAJOR.MINOR")));
                }
            }
        }
        Ok(profile)
    }

    /// The rules that apply to a container holding `caps` (names such as `CAP_SYS_ADMIN`) on this
    /// machine, with their conditions gone: what Docker writes into the OCI spec for runc.
    pub fn resolve(&self, caps: &[String]) -> Profile {
        self.resolve_for(caps, Arch::native(), running_kernel())
    }

    pub(super) fn resolve_for(
        &self,
        caps: &[String],
        arch: Arch,
        kernel: Option<Kernel>,
    ) -> Profile {
        let caps: Vec<String> = caps.iter().map(|c| cap_name(c)).collect();
        let has = |c: &String| caps.contains(&cap_name(c));
        let on_arch = |arches: &[String]| arches.iter().any(|a| a == arch.docker);
        let applies = |rule: &Syscall| {
            let inc = &rule.includes;
            let exc = &rule.excludes;
            let kernel_ok = match (&inc.min_kernel, kernel) {
                (None, _) => true,
                (Some(min), Some(running)) => parse_kernel(min).is_some_and(|min| running >= min),
                (Some(_), None) => false,
            };
            inc.caps.iter().all(has)
                && (inc.arches.is_empty() || on_arch(&inc.arches))
                && kernel_ok
                && !exc.caps.iter().any(has)
                && !on_arch(&exc.arches)
        };
        let architectures = match self.arch_map.iter().find(|m| m.architecture == arch.scmp) {
            Some(m) => std::iter::once(&m.architecture)
                .chain(&m.sub_architectures)
                .cloned()
                .collect(),
            None if self.arch_map.is_empty() => self.architectures.clone(),
            None => Vec::new(),
        };
        Profile {
            default_action: self.default_action,
            default_errno_ret: self.default_errno_ret,
            architectures,
            arch_map: Vec::new(),
            syscalls: self
                .syscalls
                .iter()
                .filter(|rule| applies(rule))
                .map(|rule| Syscall {
                    includes: Selector::default(),
                    excludes: Selector::default(),
                    comment: None,
                    ..rule.clone()
                })
                .collect(),
        }
    }
}

/// `errnoRet` only means something for `SCMP_ACT_ERRNO`, and the kernel keeps 16 bits of it.
fn check_errno(action: Action, errno: u32) -> Result<()> {
    if action != Action::Errno {
        return Err(invalid(format!(
            "errnoRet {errno} is given for {}, but only SCMP_ACT_ERRNO returns an errno",
            String::from(action)
        )));
    }
    if errno > 4095 {
        return Err(invalid(format!(
            "errnoRet {errno} is not an errno (1 to 4095)"
        )));
    }
    Ok(())
}

/// Docker's 14 default capabilities (`.process.capabilities.bounding` of the captured spec).
#[cfg(test)]
pub(super) const DOCKER_DEFAULT_CAPS: [&str; 14] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn docker_default_caps() -> Vec<String> {
        DOCKER_DEFAULT_CAPS.map(String::from).to_vec()
    }

    /// The OCI spec real dockerd generated on this kind of machine (see its README), if present.
    fn docker_spec() -> Option<serde_json::Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/peers/docker-oci/default.json");
        let text = std::fs::read_to_string(&path).ok()?;
        Some(serde_json::from_str(&text).expect("the captured Docker spec is JSON"))
    }

    fn error_of(json: &str) -> String {
        Profile::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn default_profile_resolves_to_what_docker_gave_runc() {
        let Some(spec) = docker_spec() else {
            eprintln!(
                "SKIPPED default_profile_resolves_to_what_docker_gave_runc: \
                 ../shared/peers/docker-oci/default.json is not beside the workspace"
            );
            return;
        };
        let resolved =
            Profile::docker_default().resolve_for(&docker_default_caps(), X86_64, Some((6, 1)));
        let ours = serde_json::to_value(&resolved).unwrap();
        let docker = &spec["linux"]["seccomp"];
        assert_eq!(ours["defaultAction"], docker["defaultAction"]);
        assert_eq!(ours["architectures"], docker["architectures"]);
        let (ours, docker) = (
            ours["syscalls"].as_array().unwrap(),
            docker["syscalls"].as_array().unwrap(),
        );
        assert_eq!(docker[0]["names"].as_array().unwrap().len(), 346);
        for (i, (a, b)) in ours.iter().zip(docker).enumerate() {
            assert_eq!(a, b, "rule {i} differs from Docker's");
        }
        assert_eq!(ours.len(), docker.len(), "number of rules");
    }

    #[test]
    fn sys_admin_opens_mount_and_lifts_the_clone_restriction() {
        let mut caps = docker_default_caps();
        caps.push("sys_admin".into());
        let resolved = Profile::docker_default().resolve_for(&caps, X86_64, Some((6, 1)));
        let allowed = |name: &str| {
            resolved.syscalls.iter().any(|r| {
                r.action == Action::Allow && r.args.is_empty() && r.names.iter().any(|n| n == name)
            })
        };
        for name in [
            "mount",
            "umount2",
            "unshare",
            "setns",
            "clone",
            "clone3",
            "sethostname",
        ] {
            assert!(allowed(name), "{name} allowed with CAP_SYS_ADMIN");
        }
        let rules_for = |name: &str| {
            resolved
                .syscalls
                .iter()
                .filter(|r| r.names.iter().any(|n| n == name))
                .count()
        };
        assert_eq!(rules_for("clone3"), 1, "the ENOSYS rule for clone3 is gone");
        assert_eq!(rules_for("clone"), 1, "the masked clone rule is gone");
        assert_eq!(rules_for("reboot"), 0, "reboot needs CAP_SYS_BOOT");
    }

    #[test]
    fn arches_and_kernels_select_rules() {
        let default = Profile::docker_default();
        let arm64 = Arch {
            docker: "arm64",
            scmp: "SCMP_ARCH_AARCH64",
        };
        let on_arm = default.resolve_for(&[], arm64, Some((6, 1)));
        assert_eq!(on_arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
        let names = |p: &Profile| -> Vec<String> {
            p.syscalls.iter().flat_map(|r| r.names.clone()).collect()
        };
        assert!(names(&on_arm).contains(&"set_tls".to_string()));
        assert!(!names(&on_arm).contains(&"arch_prctl".to_string()));
        let old = default.resolve_for(&[], X86_64, Some((4, 4)));
        let ptrace_rules = old
            .syscalls
            .iter()
            .filter(|r| r.names == ["ptrace"])
            .count();
        assert_eq!(ptrace_rules, 0, "ptrace needs 4.8 without CAP_SYS_PTRACE");
    }

    #[test]
    fn masked_eq_keeps_docker_meaning() {
        let default = Profile::docker_default();
        let clone = default
            .syscalls
            .iter()
            .find(|r| r.names == ["clone"] && !r.args.is_empty())
            .unwrap();
        assert_eq!(
            clone.args,
            [Arg {
                index: 0,
                value: 0x7E02_0000, // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
                value_two: 0,
                op: Op::MaskedEq,
            }]
        );
    }

    #[test]
    fn unknown_action_is_one_clear_line() {
        let e = error_of(r#"{"defaultAction": "SCMP_ACT_MAYBE", "syscalls": []}"#);
        assert!(
            e.starts_with("invalid seccomp profile: unknown seccomp action \"SCMP_ACT_MAYBE\""),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn actions_ferry_cannot_carry_out_are_refused() {
        let e = error_of(
            r#"{"defaultAction": "SCMP_ACT_ERRNO",
                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}"#,
        );
        assert!(
            e.contains("SCMP_ACT_NOTIFY is not supported by ferry"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn bad_op_is_one_clear_line() {
        let e = error_of(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"],
                "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_ABOUT"}]}]}"#,
        );
        assert!(
            e.contains("unknown seccomp comparison \"SCMP_CMP_ABOUT\""),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn bad_json_is_one_clear_line() {
        let e = error_of(r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [}"#);
        assert!(e.starts_with("invalid seccomp profile: "), "{e}");
        assert!(e.contains("line 1"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn rules_are_checked() {
        let rule = |r: &str| {
            error_of(&format!(
                r#"{{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{r}]}}"#
            ))
        };
        assert!(rule(r#"{"action": "SCMP_ACT_ALLOW"}"#)
            .contains("syscalls[0]: the rule names no system call"));
        assert!(rule(r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}"#)
            .contains("argument index 6 is out of range"));
        assert!(
            rule(r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}"#)
                .contains("only SCMP_ACT_ERRNO returns an errno")
        );
        assert!(rule(
            r#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "soon"}}"#
        )
        .contains("minKernel \"soon\""));
    }

    #[test]
    fn legacy_name_is_accepted() {
        let p = Profile::from_json(
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "reboot", "action": "SCMP_ACT_ERRNO"}]}"#,
        )
        .unwrap();
        assert_eq!(p.syscalls[0].names, ["reboot"]);
    }

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_kernel("6.1.0-18-amd64"), Some((6, 1)));
        assert_eq!(parse_kernel("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel("6"), None);
    }
}
