//! rtnetlink, by hand: the kernel's interface for reading links, addresses and routes.
//!
//! A dump request is one message: a 16-byte `nlmsghdr` followed by a family header
//! (`ifinfomsg`, `ifaddrmsg` or `rtmsg`). The kernel answers with many messages of the same
//! shape, each family header followed by `rtattr` type-length-value attributes, and ends with
//! `NLMSG_DONE`. Everything is in the host's byte order and padded to 4 bytes.
//!
//! Parsing works on byte slices, so it is tested with buffers built in the tests.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `struct nlmsghdr`: len u32, type u16, flags u16, seq u32, pid u32.
const NLMSG_HDRLEN: usize = 16;
/// `struct ifinfomsg`: family u8, pad u8, type u16, index i32, flags u32, change u32.
const IFINFOMSG_LEN: usize = 16;
/// `struct ifaddrmsg`: family u8, prefixlen u8, flags u8, scope u8, index u32.
const IFADDRMSG_LEN: usize = 8;
/// `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), flags u32.
const RTMSG_LEN: usize = 12;
/// `struct rtattr`: len u16, type u16, then the value.
const RTATTR_HDRLEN: usize = 4;

/// Message types (from <linux/netlink.h> and <linux/rtnetlink.h>).
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// Ask for links (answered with RTM_NEWLINK messages).
pub const RTM_GETLINK: u16 = 18;
/// Ask for addresses (answered with RTM_NEWADDR messages).
pub const RTM_GETADDR: u16 = 22;
/// Ask for routes (answered with RTM_NEWROUTE messages).
pub const RTM_GETROUTE: u16 = 26;

/// Request flags: a request, asking for every object (a dump).
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;

/// Link attributes (IFLA_*, <linux/if_link.h>).
const IFLA_ADDRESS: u16 = 1;
const IFLA_BROADCAST: u16 = 2;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_QDISC: u16 = 6;
const IFLA_MASTER: u16 = 10;
const IFLA_TXQLEN: u16 = 13;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINK_NETNSID: u16 = 37;

/// Address attributes (IFA_*, <linux/if_addr.h>).
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_LABEL: u16 = 3;
const IFA_BROADCAST: u16 = 4;
const IFA_FLAGS: u16 = 8;

/// Route attributes (RTA_*, <linux/rtnetlink.h>).
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_TABLE: u16 = 15;

/// The top two bits of an attribute type are flags (nested, network byte order), not the type.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// Why talking to or understanding the kernel failed.
#[derive(Debug)]
pub enum NetlinkError {
    /// A socket call failed.
    Io(&'static str, io::Error),
    /// The kernel answered with an error message carrying this errno.
    Kernel(i32),
    /// A message or attribute is shorter than its header says.
    Truncated(&'static str),
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetlinkError::Io(what, err) => {
                write!(f, "netlink {what}: {}", crate::sys::describe(err))
            }
            NetlinkError::Kernel(errno) => {
                write!(
                    f,
                    "netlink: {}",
                    crate::sys::describe(&io::Error::from_raw_os_error(*errno))
                )
            }
            NetlinkError::Truncated(what) => write!(f, "netlink: truncated {what}"),
        }
    }
}

impl std::error::Error for NetlinkError {}

type Result<T> = std::result::Result<T, NetlinkError>;

/// One netlink message: its type and the bytes after the 16-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub kind: u16,
    pub payload: &'a [u8],
}

/// A network interface (RTM_NEWLINK).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// IFF_* flags.
    pub flags: u32,
    /// ARPHRD_* hardware type.
    pub hw_type: u16,
    pub mtu: Option<u32>,
    pub qdisc: Option<String>,
    pub operstate: Option<u8>,
    pub txqlen: Option<u32>,
    pub address: Option<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
    /// The peer/parent interface index (IFLA_LINK): a veth's other end.
    pub link: Option<u32>,
    /// Set when `link` lives in another network namespace.
    pub link_netnsid: Option<i32>,
    /// The bridge this interface is attached to.
    pub master: Option<u32>,
}

/// An interface address (RTM_NEWADDR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    /// IFA_F_* flags (the 32-bit IFA_FLAGS attribute when present).
    pub flags: u32,
    pub index: u32,
    /// The interface's own address (IFA_LOCAL, or IFA_ADDRESS when there is no local).
    pub local: Option<IpAddr>,
    /// The peer on point-to-point links (IFA_ADDRESS when it differs from local).
    pub peer: Option<IpAddr>,
    pub broadcast: Option<IpAddr>,
    pub label: Option<String>,
}

/// A route (RTM_NEWROUTE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    /// RTN_* route type (unicast, local, broadcast, ...).
    pub kind: u8,
    pub dst: Option<IpAddr>,
    pub gateway: Option<IpAddr>,
    pub prefsrc: Option<IpAddr>,
    pub oif: Option<u32>,
    pub priority: Option<u32>,
    /// RTNH_F_* next-hop flags (`onlink`, `linkdown`).
    pub flags: u32,
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

/// Builds a dump request for `kind` (RTM_GET*) and address `family` (AF_UNSPEC for all).
pub fn dump_request(kind: u16, family: u8, seq: u32) -> Vec<u8> {
    let body_len = match kind {
        RTM_GETLINK => IFINFOMSG_LEN,
        RTM_GETADDR => IFADDRMSG_LEN,
        _ => RTMSG_LEN,
    };
    let len = NLMSG_HDRLEN + body_len;
    let mut msg = Vec::with_capacity(len);
    msg.extend_from_slice(&(len as u32).to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    msg.extend_from_slice(&seq.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes()); // pid 0: the kernel fills in ours
    msg.push(family); // every family header starts with the address family
    msg.resize(len, 0);
    msg
}

/// Splits a buffer received from the socket into messages.
pub fn split_messages(buf: &[u8]) -> Result<Vec<Message<'_>>> {
    let mut messages = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDRLEN <= buf.len() {
        let len = u32_at(buf, at).ok_or(NetlinkError::Truncated("message header"))? as usize;
        let kind = u16_at(buf, at + 4).ok_or(NetlinkError::Truncated("message header"))?;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return Err(NetlinkError::Truncated("message"));
        }
        messages.push(Message {
            kind,
            payload: &buf[at + NLMSG_HDRLEN..at + len],
        });
        at += align4(len);
    }
    Ok(messages)
}

/// Splits the attribute area after a family header into (type, value) pairs.
pub fn attributes(buf: &[u8]) -> Result<Vec<(u16, &[u8])>> {
    let mut attrs = Vec::new();
    let mut at = 0;
    while at + RTATTR_HDRLEN <= buf.len() {
        let len = u16_at(buf, at).ok_or(NetlinkError::Truncated("attribute"))? as usize;
        let kind = u16_at(buf, at + 2).ok_or(NetlinkError::Truncated("attribute"))? & NLA_TYPE_MASK;
        if len < RTATTR_HDRLEN || at + len > buf.len() {
            return Err(NetlinkError::Truncated("attribute"));
        }
        attrs.push((kind, &buf[at + RTATTR_HDRLEN..at + len]));
        at += align4(len);
    }
    Ok(attrs)
}

fn as_u32(value: &[u8]) -> Option<u32> {
    u32_at(value, 0)
}

/// A NUL-terminated string attribute.
fn as_string(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

/// An address attribute: 4 bytes are IPv4, 16 are IPv6.
fn as_ip(value: &[u8]) -> Option<IpAddr> {
    match value.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(value).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(value).ok()?,
        ))),
        _ => None,
    }
}

fn header<'a>(payload: &'a [u8], len: usize, what: &'static str) -> Result<(&'a [u8], &'a [u8])> {
    if payload.len() < len {
        return Err(NetlinkError::Truncated(what));
    }
    Ok(payload.split_at(len))
}

/// Decodes an RTM_NEWLINK payload.
pub fn parse_link(payload: &[u8]) -> Result<Link> {
    let (head, attrs) = header(payload, IFINFOMSG_LEN, "ifinfomsg")?;
    let truncated = || NetlinkError::Truncated("ifinfomsg");
    let mut link = Link {
        hw_type: u16_at(head, 2).ok_or_else(truncated)?,
        index: u32_at(head, 4).ok_or_else(truncated)?,
        flags: u32_at(head, 8).ok_or_else(truncated)?,
        ..Link::default()
    };
    for (kind, value) in attributes(attrs)? {
        match kind {
            IFLA_IFNAME => link.name = as_string(value),
            IFLA_MTU => link.mtu = as_u32(value),
            IFLA_QDISC => link.qdisc = Some(as_string(value)),
            IFLA_OPERSTATE => link.operstate = value.first().copied(),
            IFLA_TXQLEN => link.txqlen = as_u32(value),
            IFLA_ADDRESS => link.address = Some(value.to_vec()),
            IFLA_BROADCAST => link.broadcast = Some(value.to_vec()),
            IFLA_LINK => link.link = as_u32(value),
            IFLA_LINK_NETNSID => link.link_netnsid = as_u32(value).map(|v| v as i32),
            IFLA_MASTER => link.master = as_u32(value),
            _ => {}
        }
    }
    Ok(link)
}

/// Decodes an RTM_NEWADDR payload.
pub fn parse_address(payload: &[u8]) -> Result<Address> {
    let (head, attrs) = header(payload, IFADDRMSG_LEN, "ifaddrmsg")?;
    let mut addr = Address {
        family: head[0],
        prefix_len: head[1],
        flags: u32::from(head[2]),
        scope: head[3],
        index: u32_at(head, 4).ok_or(NetlinkError::Truncated("ifaddrmsg"))?,
        ..Address::default()
    };
    let mut address = None;
    for (kind, value) in attributes(attrs)? {
        match kind {
            IFA_ADDRESS => address = as_ip(value),
            IFA_LOCAL => addr.local = as_ip(value),
            IFA_BROADCAST => addr.broadcast = as_ip(value),
            IFA_LABEL => addr.label = Some(as_string(value)),
            IFA_FLAGS => addr.flags = as_u32(value).unwrap_or(addr.flags),
            _ => {}
        }
    }
    // IPv4 sends both LOCAL (ours) and ADDRESS (the peer, usually the same); IPv6 only ADDRESS.
    match addr.local {
        None => addr.local = address,
        Some(local) if address.is_some_and(|a| a != local) => addr.peer = address,
        Some(_) => {}
    }
    Ok(addr)
}

/// Decodes an RTM_NEWROUTE payload.
pub fn parse_route(payload: &[u8]) -> Result<Route> {
    let (head, attrs) = header(payload, RTMSG_LEN, "rtmsg")?;
    let mut route = Route {
        family: head[0],
        dst_len: head[1],
        table: u32::from(head[4]),
        protocol: head[5],
        scope: head[6],
        kind: head[7],
        flags: u32_at(head, 8).ok_or(NetlinkError::Truncated("rtmsg"))?,
        ..Route::default()
    };
    for (kind, value) in attributes(attrs)? {
        match kind {
            RTA_DST => route.dst = as_ip(value),
            RTA_GATEWAY => route.gateway = as_ip(value),
            RTA_PREFSRC => route.prefsrc = as_ip(value),
            RTA_OIF => route.oif = as_u32(value),
            RTA_PRIORITY => route.priority = as_u32(value),
            // The 8-bit table field cannot hold ids above 255; the attribute always can.
            RTA_TABLE => route.table = as_u32(value).unwrap_or(route.table),
            _ => {}
        }
    }
    Ok(route)
}

/// An open NETLINK_ROUTE socket.
pub struct Socket {
    fd: OwnedFd,
    seq: u32,
}

impl Socket {
    /// Opens a route netlink socket; no privileges are needed to read.
    pub fn open() -> Result<Socket> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if fd < 0 {
            return Err(NetlinkError::Io("socket", io::Error::last_os_error()));
        }
        // SAFETY: `fd` is a freshly opened descriptor that nothing else owns.
        Ok(Socket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            seq: 1,
        })
    }

    /// Sends a dump request and collects the payload of every answer until NLMSG_DONE.
    pub fn dump(&mut self, kind: u16, family: u8) -> Result<Vec<Vec<u8>>> {
        self.seq += 1;
        let request = dump_request(kind, family, self.seq);
        // SAFETY: `sockaddr_nl` is plain data; all zeros with the family set addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: the buffer and address are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                request.as_ptr().cast(),
                request.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(NetlinkError::Io("send", io::Error::last_os_error()));
        }
        let mut payloads = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n =
                unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(NetlinkError::Io("recv", err));
            }
            for message in split_messages(&buf[..n as usize])? {
                match message.kind {
                    NLMSG_DONE => return Ok(payloads),
                    NLMSG_ERROR => {
                        let errno = u32_at(message.payload, 0)
                            .ok_or(NetlinkError::Truncated("error"))?
                            as i32;
                        if errno != 0 {
                            return Err(NetlinkError::Kernel(-errno));
                        }
                    }
                    _ => payloads.push(message.payload.to_vec()),
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Appends one attribute, padded like the kernel does.
    pub(crate) fn attr(buf: &mut Vec<u8>, kind: u16, value: &[u8]) {
        buf.extend_from_slice(&((RTATTR_HDRLEN + value.len()) as u16).to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(value);
        buf.resize(align4(buf.len()), 0);
    }

    /// Wraps a payload in an nlmsghdr.
    pub(crate) fn message(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut buf = Vec::new();
        buf.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&[0; 10]);
        buf.extend_from_slice(payload);
        buf.resize(align4(buf.len()), 0);
        buf
    }

    /// An RTM_NEWLINK payload for a veth `eth0` whose peer is index 7 in another namespace.
    pub(crate) fn veth_payload() -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&[0, 0]); // family, pad
        p.extend_from_slice(&1u16.to_ne_bytes()); // ARPHRD_ETHER
        p.extend_from_slice(&2u32.to_ne_bytes()); // index
        p.extend_from_slice(&0x11043u32.to_ne_bytes()); // UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
        p.extend_from_slice(&0u32.to_ne_bytes()); // change
        attr(&mut p, IFLA_IFNAME, b"eth0\0");
        attr(&mut p, IFLA_MTU, &1500u32.to_ne_bytes());
        attr(&mut p, IFLA_QDISC, b"noqueue\0");
        attr(&mut p, IFLA_OPERSTATE, &[6]);
        attr(&mut p, IFLA_ADDRESS, &[0x02, 0x42, 0xac, 0x11, 0x00, 0x02]);
        attr(&mut p, IFLA_BROADCAST, &[0xff; 6]);
        attr(&mut p, IFLA_LINK, &7u32.to_ne_bytes());
        attr(&mut p, IFLA_LINK_NETNSID, &0u32.to_ne_bytes());
        p
    }

    /// An RTM_NEWADDR payload for 10.0.0.2/24 on index 2.
    pub(crate) fn ipv4_address_payload() -> Vec<u8> {
        let mut p = vec![libc::AF_INET as u8, 24, 0x80, 0]; // family, prefix, PERMANENT, global
        p.extend_from_slice(&2u32.to_ne_bytes());
        attr(&mut p, IFA_ADDRESS, &[10, 0, 0, 2]);
        attr(&mut p, IFA_LOCAL, &[10, 0, 0, 2]);
        attr(&mut p, IFA_BROADCAST, &[10, 0, 0, 255]);
        attr(&mut p, IFA_LABEL, b"eth0\0");
        p
    }

    /// An RTM_NEWROUTE payload: default via 10.0.0.1 out of index 2, main table.
    pub(crate) fn default_route_payload() -> Vec<u8> {
        let mut p = vec![libc::AF_INET as u8, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
        attr(&mut p, RTA_TABLE, &254u32.to_ne_bytes());
        attr(&mut p, RTA_GATEWAY, &[10, 0, 0, 1]);
        attr(&mut p, RTA_OIF, &2u32.to_ne_bytes());
        p
    }

    #[test]
    fn dump_request_is_header_plus_zeroed_family_header() {
        let req = dump_request(RTM_GETADDR, libc::AF_INET as u8, 9);
        assert_eq!(req.len(), NLMSG_HDRLEN + IFADDRMSG_LEN);
        assert_eq!(u32_at(&req, 0), Some(24));
        assert_eq!(u16_at(&req, 4), Some(RTM_GETADDR));
        assert_eq!(u16_at(&req, 6), Some(NLM_F_REQUEST | NLM_F_DUMP));
        assert_eq!(u32_at(&req, 8), Some(9));
        assert_eq!(req[16], libc::AF_INET as u8);
    }

    #[test]
    fn messages_are_split_on_aligned_lengths() {
        let mut buf = message(16, &[1, 2, 3]); // 19 bytes, padded to 20
        buf.extend(message(NLMSG_DONE, &[0; 4]));
        let messages = split_messages(&buf).unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0],
            Message {
                kind: 16,
                payload: &[1, 2, 3]
            }
        );
        assert_eq!(messages[1].kind, NLMSG_DONE);
    }

    #[test]
    fn truncated_messages_and_attributes_are_errors() {
        let mut buf = message(16, &[0; 8]);
        buf.truncate(20);
        assert!(matches!(
            split_messages(&buf),
            Err(NetlinkError::Truncated(_))
        ));
        // An attribute claiming 32 bytes in an 8-byte buffer.
        let attr_buf = [32u16.to_ne_bytes(), 3u16.to_ne_bytes()].concat();
        assert!(matches!(
            attributes(&[attr_buf, vec![0; 4]].concat()),
            Err(NetlinkError::Truncated(_))
        ));
    }

    #[test]
    fn attribute_types_drop_the_nested_flag() {
        let mut buf = Vec::new();
        attr(&mut buf, 0x8000 | 3, b"x\0");
        assert_eq!(attributes(&buf).unwrap(), [(3, &b"x\0"[..])]);
    }

    #[test]
    fn link_payload_decodes_name_flags_mtu_and_veth_peer() {
        let link = parse_link(&veth_payload()).unwrap();
        assert_eq!(link.index, 2);
        assert_eq!(link.name, "eth0");
        assert_eq!(link.flags, 0x11043);
        assert_eq!(link.mtu, Some(1500));
        assert_eq!(link.qdisc.as_deref(), Some("noqueue"));
        assert_eq!(link.operstate, Some(6));
        assert_eq!(link.link, Some(7));
        assert_eq!(link.link_netnsid, Some(0));
        assert_eq!(
            link.address.as_deref(),
            Some(&[0x02, 0x42, 0xac, 0x11, 0x00, 0x02][..])
        );
    }

    #[test]
    fn address_payload_decodes_local_broadcast_and_label() {
        let addr = parse_address(&ipv4_address_payload()).unwrap();
        assert_eq!(addr.local, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(addr.peer, None);
        assert_eq!(addr.broadcast, Some("10.0.0.255".parse().unwrap()));
        assert_eq!((addr.prefix_len, addr.index, addr.scope), (24, 2, 0));
        assert_eq!(addr.label.as_deref(), Some("eth0"));
    }

    #[test]
    fn ipv6_address_uses_ifa_address_as_local() {
        let mut p = vec![libc::AF_INET6 as u8, 128, 0x80, 254];
        p.extend_from_slice(&1u32.to_ne_bytes());
        attr(&mut p, IFA_ADDRESS, &Ipv6Addr::LOCALHOST.octets());
        let addr = parse_address(&p).unwrap();
        assert_eq!(addr.local, Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(addr.peer, None);
    }

    #[test]
    fn route_payload_decodes_gateway_device_and_table() {
        let route = parse_route(&default_route_payload()).unwrap();
        assert_eq!(route.dst, None);
        assert_eq!(route.dst_len, 0);
        assert_eq!(route.gateway, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(route.oif, Some(2));
        assert_eq!(route.table, 254);
    }

    #[test]
    fn short_family_headers_are_errors() {
        assert!(parse_link(&[0; 8]).is_err());
        assert!(parse_address(&[0; 4]).is_err());
        assert!(parse_route(&[0; 6]).is_err());
    }
}
