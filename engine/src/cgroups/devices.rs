//! Which device nodes a container may create and open: the device allow-list, enforced by the
//! cgroup.
//!
//! Root in a container can `mknod` any device node (CAP_MKNOD is one of Docker's default
//! capabilities): `mknod /tmp/disk b 7 0` makes a node for the host's `loop0`, and whatever that
//! loop device is bound to becomes readable. Unix file permissions do not help, the node is root's
//! own. What stops it is the cgroup: the kernel asks the container's cgroup before a device node
//! is created or opened, and refuses (EPERM) what its rules do not allow. cgroup v1 keeps the
//! rules in the `devices` controller (`devices.allow`, `devices.deny`, written in the format of
//! [`DeviceRule`]'s `Display`); cgroup v2 has no such files and runs an eBPF program instead
//! ([`super::device_program`]).
//!
//! Rules are applied in order, a later rule overriding an earlier one for the devices both
//! cover; a list starts by denying everything, so what is not allowed afterwards is refused.

use std::fmt;

use super::error::InvalidLimit;

/// The largest major number the kernel's `dev_t` holds (12 bits).
pub const MAX_MAJOR: u32 = (1 << 12) - 1;

/// The largest minor number the kernel's `dev_t` holds (20 bits).
pub const MAX_MINOR: u32 = (1 << 20) - 1;

/// The kind of device node a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// Every device, character and block (`a`).
    All,
    /// Character devices (`c`): terminals, `/dev/null`, `/dev/fuse`, ...
    Char,
    /// Block devices (`b`): disks, partitions, loop devices.
    Block,
}

impl DeviceKind {
    /// The letter of the cgroup v1 file format.
    pub fn letter(self) -> char {
        match self {
            DeviceKind::All => 'a',
            DeviceKind::Char => 'c',
            DeviceKind::Block => 'b',
        }
    }
}

// ANCHOR: device_rule
/// One line of a device allow-list: allow or deny some `access` to some devices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceRule {
    /// Allow (`devices.allow`) or deny (`devices.deny`).
    pub allow: bool,
    /// Which kind of node.
    pub kind: DeviceKind,
    /// The major number; `None` is any (`*`).
    pub major: Option<u32>,
    /// The minor number; `None` is any (`*`).
    pub minor: Option<u32>,
    /// Some of `r` (open for reading), `w` (open for writing), `m` (create the node with `mknod`).
    pub access: String,
}
// ANCHOR_END: device_rule

impl DeviceRule {
    /// An allow rule for one character device, every access: `c MAJOR:MINOR rwm`.
    fn char_device(major: u32, minor: u32) -> DeviceRule {
        DeviceRule::allow(DeviceKind::Char, Some(major), Some(minor), "rwm")
    }

    /// An allow rule.
    pub fn allow(
        kind: DeviceKind,
        major: Option<u32>,
        minor: Option<u32>,
        access: &str,
    ) -> DeviceRule {
        DeviceRule {
            allow: true,
            kind,
            major,
            minor,
            access: access.to_string(),
        }
    }

    /// The same rule, denying instead of allowing.
    pub fn denied(self) -> DeviceRule {
        DeviceRule {
            allow: false,
            ..self
        }
    }

    /// Reads a rule in the cgroup v1 file format, as Docker's `--device-cgroup-rule` takes it:
    /// `TYPE MAJOR:MINOR ACCESS` (`c 1:3 rwm`, `b 8:* r`, `a *:* rwm`), or `a` alone for every
    /// device. The result allows; [`DeviceRule::denied`] turns it into a deny rule.
    pub fn parse(text: &str) -> Result<DeviceRule, InvalidLimit> {
        let invalid = || InvalidLimit::DeviceRule(text.to_string());
        let fields: Vec<&str> = text.split_whitespace().collect();
        let rule = match fields.as_slice() {
            ["a"] => DeviceRule::allow(DeviceKind::All, None, None, "rwm"),
            [kind, numbers, access] => {
                let kind = match *kind {
                    "a" => DeviceKind::All,
                    "c" => DeviceKind::Char,
                    "b" => DeviceKind::Block,
                    _ => return Err(invalid()),
                };
                let (major, minor) = numbers.split_once(':').ok_or_else(invalid)?;
                let number = |n: &str| match n {
                    "*" => Ok(None),
                    n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        n.parse().map(Some).map_err(|_| invalid())
                    }
                    _ => Err(invalid()),
                };
                DeviceRule::allow(kind, number(major)?, number(minor)?, access)
            }
            _ => return Err(invalid()),
        };
        rule.validate()?;
        Ok(rule)
    }

    /// Refuses what the kernel would refuse or read differently: an access that is not a
    /// non-empty set of `r`, `w`, `m`; numbers a `dev_t` cannot hold; an `a` rule about fewer than
    /// all devices and accesses (cgroup v1 ignores anything after `a`, so it would mean more than
    /// it says).
    pub fn validate(&self) -> Result<(), InvalidLimit> {
        let access_ok = !self.access.is_empty()
            && self.access.len() <= 3
            && self.access.chars().all(|c| "rwm".contains(c))
            && self
                .access
                .chars()
                .enumerate()
                .all(|(i, c)| !self.access[..i].contains(c));
        let numbers_ok =
            self.major.is_none_or(|m| m <= MAX_MAJOR) && self.minor.is_none_or(|m| m <= MAX_MINOR);
        let all_ok = self.kind != DeviceKind::All
            || (self.major.is_none() && self.minor.is_none() && self.access.len() == 3);
        if access_ok && numbers_ok && all_ok {
            Ok(())
        } else {
            Err(InvalidLimit::DeviceRule(self.to_string()))
        }
    }

    /// Whether the rule covers every device and every access (`a *:* rwm`).
    pub fn is_everything(&self) -> bool {
        self.kind == DeviceKind::All
            && self.major.is_none()
            && self.minor.is_none()
            && ["r", "w", "m"].iter().all(|a| self.access.contains(a))
    }
}

impl fmt::Display for DeviceRule {
    /// The cgroup v1 format, one rule as written to `devices.allow` or `devices.deny`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = |n: Option<u32>| n.map_or("*".to_string(), |n| n.to_string());
        write!(
            f,
            "{} {}:{} {}",
            self.kind.letter(),
            number(self.major),
            number(self.minor),
            self.access
        )
    }
}

// ANCHOR: default_rules
/// The devices a Docker container may use, as the kernel ends up enforcing them.
///
/// Two programs contribute, and the list keeps their order:
///
/// 1. dockerd writes its default list into the OCI spec (`.linux.resources.devices`, see
///    `shared/peers/docker-oci/default.json`): deny everything, then allow `/dev/zero` (c 1:5),
///    `/dev/null` (1:3), `/dev/urandom` (1:9), `/dev/random` (1:8), `/dev/tty` (5:0) and
///    `/dev/console` (5:1), and deny `/dev/fuse` (c 10:229) by name (after the deny-all this
///    changes nothing: it records that FUSE is not for default containers).
/// 2. runc appends its own list to every container's (`AllowedDevices` in its `specconv`), after
///    the spec's rules so a spec cannot take them away: `mknod` of *any* character or block
///    device (`c *:* m`, `b *:* m`: images unpack and programs create device nodes, harmless as
///    long as they cannot be opened), `/dev/full` (1:7), `/dev/pts/*` (136:*, the terminals of
///    the container's own devpts) and `/dev/ptmx` (5:2, where new terminals come from). Its other
///    entries (1:3, 1:5, 1:8, 1:9, 5:0) repeat Docker's and are left out here.
///
/// So creating a loop device node works, opening it fails with EPERM, and the nodes ferry's
/// runtime makes in `/dev` (null, zero, full, random, urandom, tty, pts/ptmx) all open.
pub fn default_rules() -> Vec<DeviceRule> {
    let any = |kind| DeviceRule::allow(kind, None, None, "m");
    vec![
        // dockerd's default list
        DeviceRule::allow(DeviceKind::All, None, None, "rwm").denied(),
        DeviceRule::char_device(1, 5),
        DeviceRule::char_device(1, 3),
        DeviceRule::char_device(1, 9),
        DeviceRule::char_device(1, 8),
        DeviceRule::char_device(5, 0),
        DeviceRule::char_device(5, 1),
        DeviceRule::char_device(10, 229).denied(),
        // what runc adds for every container
        any(DeviceKind::Char),
        any(DeviceKind::Block),
        DeviceRule::char_device(1, 7),
        DeviceRule::allow(DeviceKind::Char, Some(136), None, "rwm"),
        DeviceRule::char_device(5, 2),
    ]
}
// ANCHOR_END: default_rules

/// Every device, every access: the list of `--privileged`, where the container may use the host's
/// disks as the host's root can.
pub fn allow_all() -> Vec<DeviceRule> {
    vec![DeviceRule::allow(DeviceKind::All, None, None, "rwm")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_print_in_the_v1_file_format() {
        assert_eq!(DeviceRule::char_device(1, 3).to_string(), "c 1:3 rwm");
        assert_eq!(allow_all()[0].to_string(), "a *:* rwm");
        let pts = DeviceRule::allow(DeviceKind::Char, Some(136), None, "rwm");
        assert_eq!(pts.to_string(), "c 136:* rwm");
        let block = DeviceRule::allow(DeviceKind::Block, None, None, "m");
        assert_eq!(block.to_string(), "b *:* m");
    }

    #[test]
    fn parse_reads_what_display_writes() {
        for rule in default_rules().into_iter().chain(allow_all()) {
            let parsed = DeviceRule::parse(&rule.to_string()).unwrap();
            let parsed = if rule.allow { parsed } else { parsed.denied() };
            assert_eq!(parsed, rule);
        }
        assert_eq!(DeviceRule::parse("a").unwrap(), allow_all()[0]);
        assert_eq!(
            DeviceRule::parse(" b 8:16   r ").unwrap(),
            DeviceRule::allow(DeviceKind::Block, Some(8), Some(16), "r")
        );
    }

    #[test]
    fn malformed_rules_are_refused_with_dockers_message() {
        for text in [
            "",
            "c",
            "x 1:3 rwm",
            "c 1:3",
            "c 1-3 rwm",
            "c 1: rwm",
            "c :3 rwm",
            "c -1:3 rwm",
            "c 1:3 rwx",
            "c 1:3 rr",
            "c 1:3 rwmr",
            "c 4096:0 r",
            "c 1:1048576 r",
            "c 99999999999:1 r",
            "a 1:3 rwm",
            "a *:* r",
            "c 1:3 rwm extra",
        ] {
            let err = DeviceRule::parse(text).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("invalid device cgroup format '"),
                "{text:?}: {err}"
            );
        }
        assert!(DeviceRule::parse("c 4095:1048575 mwr").is_ok());
    }

    #[test]
    fn defaults_deny_everything_first_then_allow_dockers_and_runcs_devices() {
        let rules = default_rules();
        assert!(rules[0].is_everything() && !rules[0].allow, "{}", rules[0]);
        assert!(rules.iter().skip(1).all(|r| !r.is_everything()));
        let listed: Vec<String> = rules
            .iter()
            .map(|r| format!("{} {r}", if r.allow { "allow" } else { "deny" }))
            .collect();
        assert_eq!(
            listed,
            [
                "deny a *:* rwm",
                "allow c 1:5 rwm",
                "allow c 1:3 rwm",
                "allow c 1:9 rwm",
                "allow c 1:8 rwm",
                "allow c 5:0 rwm",
                "allow c 5:1 rwm",
                "deny c 10:229 rwm",
                "allow c *:* m",
                "allow b *:* m",
                "allow c 1:7 rwm",
                "allow c 136:* rwm",
                "allow c 5:2 rwm",
            ]
        );
        assert!(rules.iter().all(|r| r.validate().is_ok()));
    }

    #[test]
    fn privileged_allows_everything() {
        assert_eq!(allow_all().len(), 1);
        assert!(allow_all()[0].allow && allow_all()[0].is_everything());
    }
}
