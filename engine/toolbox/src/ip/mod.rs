//! `ip [-4|-6] addr|link|route [show [dev] [DEV]]`: shows the network as the kernel sees it.
//!
//! Everything is read with rtnetlink dumps (see [`netlink`]) — the same interface iproute2
//! uses — and printed in iproute2's layout by [`format`]. Only showing is supported: ferry sets
//! the network up from outside the container.

mod format;
mod netlink;

use std::io::{self, Write};

use crate::error::{report, AppletError, Result};
use netlink::{NetlinkError, Socket, RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE};

impl From<NetlinkError> for AppletError {
    fn from(err: NetlinkError) -> AppletError {
        AppletError::Msg(err.to_string())
    }
}

/// What to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Address,
    Link,
    Route,
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
struct Command {
    object: Object,
    /// AF_UNSPEC, AF_INET (`-4`) or AF_INET6 (`-6`).
    family: u8,
    device: Option<String>,
}

const USAGE: &str = "ip [-4|-6] { addr | link | route } [show [dev] [DEV]]";

/// Parses the command line and prints what was asked for.
pub fn main(args: &[String]) -> i32 {
    report("ip", parse(args).and_then(|command| run(&command)))
}

/// iproute2 accepts any prefix of a keyword: `ip a`, `ip addr`, `ip ro`.
fn abbreviates(word: &str, keyword: &str) -> bool {
    !word.is_empty() && keyword.starts_with(word)
}

fn parse(args: &[String]) -> Result<Command> {
    let usage = || AppletError::Usage(USAGE.into());
    let mut family = libc::AF_UNSPEC as u8;
    let mut words = args.iter().map(String::as_str).peekable();
    while let Some(option) = words.next_if(|w| w.starts_with('-')) {
        family = match option {
            "-4" => libc::AF_INET as u8,
            "-6" => libc::AF_INET6 as u8,
            _ => return Err(usage()),
        };
    }
    let object = match words.next().ok_or_else(usage)? {
        w if abbreviates(w, "address") => Object::Address,
        w if abbreviates(w, "link") => Object::Link,
        w if abbreviates(w, "route") => Object::Route,
        other => {
            return Err(AppletError::Msg(format!(
                "Object \"{other}\" is unknown, try \"ip help\"."
            )))
        }
    };
    match words.next() {
        None => {}
        Some(w) if abbreviates(w, "show") || abbreviates(w, "list") || w == "ls" => {}
        Some(other) => {
            return Err(AppletError::Msg(format!(
                "Command \"{other}\" is unknown, try \"ip help\"."
            )))
        }
    }
    let mut device = words.next().map(str::to_string);
    if device.as_deref() == Some("dev") {
        device = Some(words.next().ok_or_else(usage)?.to_string());
    }
    if words.next().is_some() {
        return Err(usage());
    }
    Ok(Command {
        object,
        family,
        device,
    })
}

fn run(command: &Command) -> Result<i32> {
    let mut socket = Socket::open()?;
    let mut links = socket
        .dump(RTM_GETLINK, libc::AF_UNSPEC as u8)?
        .iter()
        .map(|payload| netlink::parse_link(payload))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    links.sort_by_key(|l| l.index);
    let names: format::Names = links.iter().map(|l| (l.index, l.name.clone())).collect();
    if let Some(device) = &command.device {
        if !links.iter().any(|l| &l.name == device) {
            return Err(AppletError::Msg(format!(
                "Device \"{device}\" does not exist."
            )));
        }
        links.retain(|l| &l.name == device);
    }
    let mut out = String::new();
    match command.object {
        Object::Link => {
            for link in &links {
                out.push_str(&format::link(link, &names));
                out.push('\n');
            }
        }
        Object::Address => {
            let addresses = socket
                .dump(RTM_GETADDR, command.family)?
                .iter()
                .map(|payload| netlink::parse_address(payload))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            for link in &links {
                out.push_str(&format::link(link, &names));
                out.push('\n');
                for addr in addresses.iter().filter(|a| a.index == link.index) {
                    out.push_str(&format::address(addr));
                    out.push('\n');
                }
            }
        }
        Object::Route => {
            let family = if command.family == libc::AF_UNSPEC as u8 {
                libc::AF_INET as u8
            } else {
                command.family
            };
            for payload in socket.dump(RTM_GETROUTE, family)? {
                let route = netlink::parse_route(&payload)?;
                let on_device = command.device.is_none()
                    || route
                        .oif
                        .is_some_and(|oif| links.iter().any(|l| l.index == oif));
                if route.table == format::RT_TABLE_MAIN && route.family == family && on_device {
                    out.push_str(&format::route(&route, &names));
                    out.push('\n');
                }
            }
        }
    }
    io::stdout()
        .write_all(out.as_bytes())
        .map_err(|_| AppletError::Msg("write error".into()))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command> {
        parse(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn objects_accept_iproute2_abbreviations() {
        assert_eq!(parse_words(&["a"]).unwrap().object, Object::Address);
        assert_eq!(
            parse_words(&["addr", "show"]).unwrap().object,
            Object::Address
        );
        assert_eq!(parse_words(&["link"]).unwrap().object, Object::Link);
        assert_eq!(parse_words(&["r"]).unwrap().object, Object::Route);
        assert!(parse_words(&["bogus"]).is_err());
        assert!(parse_words(&[]).is_err());
    }

    #[test]
    fn device_with_or_without_dev_keyword_and_family_options() {
        let c = parse_words(&["-4", "addr", "show", "dev", "eth0"]).unwrap();
        assert_eq!(
            c,
            Command {
                object: Object::Address,
                family: libc::AF_INET as u8,
                device: Some("eth0".into())
            }
        );
        assert_eq!(
            parse_words(&["a", "show", "lo"]).unwrap().device.as_deref(),
            Some("lo")
        );
        assert!(parse_words(&["addr", "add", "10.0.0.1/24"]).is_err());
    }
}
