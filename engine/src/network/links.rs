//! `--link NAME[:ALIAS]`: Docker's legacy way for one container to reach another by name.
//!
//! On the default bridge network containers do not resolve each other's names. A link fixes that
//! for one pair: the new container's /etc/hosts gets a line for the linked container, under the
//! alias (and its short id and name), written when the new container starts — so the linked one
//! must be running then. Nothing else changes: a link opens no port and adds no firewall rule.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::endpoint::settings;
use crate::container::{store, Container, ContainerId, StateRoot, Status};
use crate::{Error, Result};

/// One `--link`, resolved when the container is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Link {
    /// The linked container's full id (a later rename does not break the link).
    pub container: String,
    /// The name the new container reaches it by.
    pub alias: String,
}

/// Splits a `--link` value into the container and the alias (the container's name when none is
/// given), as Docker reads `NAME[:ALIAS]`.
pub fn parse_link(text: &str) -> Result<(&str, &str)> {
    let (name, alias) = match text.split_once(':') {
        Some((name, alias)) => (name, alias),
        None => (text, text),
    };
    let name = name.strip_prefix('/').unwrap_or(name);
    let alias = alias.strip_prefix('/').unwrap_or(alias);
    if name.is_empty() || alias.is_empty() || alias.contains(['/', ':', ' ']) {
        return Err(Error::InvalidArgument(format!(
            "invalid link format {text:?}: expected NAME[:ALIAS]"
        )));
    }
    Ok((name, alias))
}

// ANCHOR: resolve
/// Checks every `--link` when a container is created, on network mode `mode` (already
/// normalised): links need a bridge network, and every linked container must exist.
pub fn resolve_links(root: &StateRoot, values: &[String], mode: &str) -> Result<Vec<Link>> {
    if !values.is_empty() && (mode == "host" || mode == "none" || mode.starts_with("container:")) {
        return Err(Error::InvalidArgument(format!(
            "conflicting options: --link and --network {mode}"
        )));
    }
    values
        .iter()
        .map(|value| {
            let (name, alias) = parse_link(value)?;
            let target = store::find(root, name).map_err(|_| {
                Error::InvalidArgument(format!(
                    "could not get container for {name}: No such container: {name}"
                ))
            })?;
            Ok(Link {
                container: target.id().to_string(),
                alias: alias.to_string(),
            })
        })
        .collect()
}
// ANCHOR_END: resolve

// ANCHOR: hosts
/// The /etc/hosts lines a starting container gets for its links: the linked container's address
/// on `network`, named by the alias, its short id and its name (Docker writes the same three).
/// A linked container that is not running, or not on that network, refuses the start.
pub fn link_hosts(
    root: &StateRoot,
    links: &[Link],
    network: &str,
    linker: &str,
) -> Result<Vec<(Ipv4Addr, String)>> {
    links
        .iter()
        .map(|link| {
            let id = ContainerId::parse(&link.container)?;
            let target = Container::load(&root.container_dir(&id))
                .map_err(|_| Error::NoSuchContainer(link.container.clone()))?;
            let refused = |why: &str| {
                Error::InvalidArgument(format!(
                    "cannot link to {why}: /{} AS /{linker}/{}",
                    target.name(),
                    link.alias
                ))
            };
            if target.status() != Status::Running {
                return Err(refused("a non running container"));
            }
            let address = settings(&root.container_dir(&id))?
                .networks
                .iter()
                .find(|a| a.network == network)
                .map(|a| a.ip_address)
                .ok_or_else(|| refused(&format!("a container not on network {network}")))?;
            let names = format!("{} {} {}", link.alias, id.short(), target.name());
            Ok((address, names))
        })
        .collect()
}
// ANCHOR_END: hosts

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_a_container_and_an_optional_alias() {
        assert_eq!(parse_link("db:database").unwrap(), ("db", "database"));
        assert_eq!(parse_link("db").unwrap(), ("db", "db"));
        assert_eq!(parse_link("/db:/database").unwrap(), ("db", "database"));
    }

    #[test]
    fn a_link_without_a_name_or_with_a_bad_alias_is_refused() {
        for bad in ["", ":alias", "db:", "db:a b", "db:a:b"] {
            let err = parse_link(bad).unwrap_err().to_string();
            assert!(err.contains("invalid link format"), "{bad:?}: {err}");
        }
    }
}
