//! Running `iptables`, turning on forwarding, and reading the connection-tracking table.

use std::process::Command;

use crate::{Error, Result};

/// Runs `iptables -w ARGS` (waiting for the xtables lock) and returns its standard output.
pub fn iptables(args: &[String]) -> Result<String> {
    let shown = args.join(" ");
    let output = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .map_err(|e| Error::Iptables {
            args: shown.clone(),
            message: cannot_run(&e),
        })?;
    if !output.status.success() {
        return Err(Error::Iptables {
            args: shown,
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Why `iptables` could not be started; a missing program names the package that brings it.
fn cannot_run(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "iptables is not installed: `apt-get install iptables` (Debian's package)".to_string()
        }
        _ => format!("cannot run iptables: {e}"),
    }
}

/// `sysctl -w net.ipv4.ip_forward=1`: without it the host drops packets between interfaces.
pub fn enable_ip_forward() -> Result<()> {
    let path = "/proc/sys/net/ipv4/ip_forward";
    std::fs::write(path, "1").map_err(|e| ch04_bridge::Error::io("write", path)(e).into())
}

/// The entries of this namespace's connection-tracking table for TCP destination port `port`
/// (what `conntrack -L -p tcp --dport PORT` prints): each holds the original tuple, then the
/// tuple the reply travels with — the translation NAT made.
pub fn conntrack(port: u16) -> Result<Vec<String>> {
    let path = "/proc/thread-self/net/nf_conntrack";
    let table = std::fs::read_to_string(path).map_err(ch04_bridge::Error::io("read", path))?;
    let wanted = format!("dport={port} ");
    Ok(table
        .lines()
        .filter(|l| l.contains(" tcp ") && l.contains(&wanted))
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_iptables_names_the_package_to_install() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(
            cannot_run(&missing),
            "iptables is not installed: `apt-get install iptables` (Debian's package)"
        );
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(cannot_run(&denied).starts_with("cannot run iptables: "));
    }
}
