//! `ping`: one ICMP echo request over a raw socket, and the wait for its reply.
//!
//! A raw `IPPROTO_ICMP` socket (root only) sends an ICMP message; the kernel adds the IP header.
//! Reading it back returns whole IP packets, header included: an echo reply is type 0 and
//! carries our identifier and sequence number back.

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use nix::sys::socket::{
    recvfrom, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol,
    SockType, SockaddrIn,
};
use nix::sys::time::TimeVal;

use crate::{Error, Result};

const ECHO_REQUEST: u8 = 8;
const ECHO_REPLY: u8 = 0;

// ANCHOR: echo
/// An ICMP echo request: type 8, code 0, checksum, identifier, sequence, then the payload.
pub fn echo_request(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut packet = vec![ECHO_REQUEST, 0, 0, 0];
    packet.extend_from_slice(&id.to_be_bytes());
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(payload);
    let sum = checksum(&packet);
    packet[2..4].copy_from_slice(&sum.to_be_bytes());
    packet
}
// ANCHOR_END: echo

/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
/// words.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether `packet` (an IP packet as a raw socket returns it) is the echo reply to `id`/`seq`.
pub fn is_reply(packet: &[u8], id: u16, seq: u16) -> bool {
    let Some(&first) = packet.first() else {
        return false;
    };
    let icmp = &packet[usize::from(first & 0x0f) * 4..];
    icmp.len() >= 8
        && icmp[0] == ECHO_REPLY
        && icmp[4..6] == id.to_be_bytes()
        && icmp[6..8] == seq.to_be_bytes()
}

/// Sends one echo request to `to` and waits up to `timeout` for the reply; returns the round
/// trip time.
pub fn ping(to: Ipv4Addr, seq: u16, timeout: Duration) -> Result<Duration> {
    let sock = socket(
        AddressFamily::Inet,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::Icmp,
    )
    .map_err(Error::sys("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)"))?;
    setsockopt(&sock, sockopt::ReceiveTimeout, &TimeVal::new(0, 100_000))
        .map_err(Error::sys("set SO_RCVTIMEO"))?;
    let id = std::process::id() as u16;
    let start = Instant::now();
    sendto(
        sock.as_raw_fd(),
        &echo_request(id, seq, b"ferry chapter 4"),
        &SockaddrIn::from(std::net::SocketAddrV4::new(to, 0)),
        MsgFlags::empty(),
    )
    .map_err(Error::sys(format!("send an echo request to {to}")))?;
    let mut buf = [0u8; 1500];
    while start.elapsed() < timeout {
        match recvfrom::<SockaddrIn>(sock.as_raw_fd(), &mut buf) {
            Ok((n, _)) if is_reply(&buf[..n], id, seq) => return Ok(start.elapsed()),
            Ok(_) | Err(nix::Error::EAGAIN) | Err(nix::Error::EINTR) => continue,
            Err(e) => return Err(Error::sys(format!("receive from {to}"))(e)),
        }
    }
    Err(Error::NoReply(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_with_its_checksum_sums_to_zero() {
        let packet = echo_request(0x1234, 1, b"abc");
        assert_eq!(checksum(&packet), 0);
        assert_eq!(&packet[..2], &[8, 0]);
    }

    #[test]
    fn replies_are_matched_by_type_id_and_sequence_after_the_ip_header() {
        let mut reply = vec![0x45u8; 20]; // an IPv4 header of 5 words
        let mut icmp = echo_request(7, 9, b"x");
        icmp[0] = ECHO_REPLY;
        reply.extend_from_slice(&icmp);
        assert!(is_reply(&reply, 7, 9));
        assert!(!is_reply(&reply, 7, 10));
        assert!(!is_reply(&reply[..22], 7, 9));
    }
}
