//! `ferry info`: the report of [`crate::system`], printed as `docker info` prints its server
//! section, or through a `--format` template over Docker's field names.

use super::container::say;
use crate::container::template::Template;
use crate::container::StateRoot;
use crate::system::{self, Info};
use crate::{Error, Result};

/// `ferry info [-f FORMAT]`.
#[derive(Debug, clap::Args)]
pub(super) struct InfoArgs {
    /// Format the output using a Go template, e.g. '{{.Containers}}'.
    #[arg(short, long)]
    format: Option<String>,
}

/// Prints the report; `info` fails like Docker's other commands, with exit code 1.
pub(super) fn info(root: &StateRoot, args: InfoArgs) -> Result<i32> {
    match print_info(root, args.format.as_deref()) {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("ferry: {e}");
            Ok(1)
        }
    }
}

fn print_info(root: &StateRoot, format: Option<&str>) -> Result<()> {
    let info = system::info(root)?;
    match format {
        None => say!("{}", report(&info).trim_end()),
        Some(format) => {
            let value = serde_json::to_value(&info)
                .map_err(|e| Error::Corrupt(format!("cannot encode the report: {e}")))?;
            say!("{}", Template::parse(format)?.render(&value)?);
        }
    }
    Ok(())
}

/// The text of the report: Docker's labels and order, a state's count indented under the total.
fn report(info: &Info) -> String {
    let lines = [
        format!("Containers: {}", info.containers),
        format!(" Running: {}", info.containers_running),
        format!(" Paused: {}", info.containers_paused),
        format!(" Stopped: {}", info.containers_stopped),
        format!("Images: {}", info.images),
        format!("Server Version: {}", info.server_version),
        format!("Storage Driver: {}", info.driver),
        format!("Logging Driver: {}", info.logging_driver),
        format!("Cgroup Driver: {}", info.cgroup_driver),
        format!("Cgroup Version: {}", info.cgroup_version),
        format!("Kernel Version: {}", info.kernel_version),
        format!("Operating System: {}", info.operating_system),
        format!("OSType: {}", info.os_type),
        format!("Architecture: {}", info.architecture),
        format!("CPUs: {}", info.ncpu),
        format!("Total Memory: {}", binary_size(info.mem_total)),
        format!("Name: {}", info.name),
        format!("Docker Root Dir: {}", info.docker_root_dir.display()),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// A size as Docker's `units.BytesSize` prints it: binary units, four significant digits
/// (`7.771GiB`, `512B`).
fn binary_size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let whole_digits = format!("{}", value.trunc()).len();
    let decimals = 4usize.saturating_sub(whole_digits);
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_printed_like_dockers_bytes_size() {
        assert_eq!(binary_size(512), "512B");
        assert_eq!(binary_size(1024), "1KiB");
        assert_eq!(binary_size(1536), "1.5KiB");
        assert_eq!(binary_size(8_344_383_488), "7.771GiB");
        assert_eq!(
            binary_size(1023 * 1024 * 1024 + 1000 * 1024 * 1024),
            "1.976GiB"
        );
        assert_eq!(binary_size(10_485_235), "9.999MiB");
        assert_eq!(
            binary_size(10_485_759),
            "10MiB",
            "rounding carries into the next digit"
        );
    }

    #[test]
    fn the_report_has_dockers_labels_in_dockers_order() {
        let info = Info {
            containers: 3,
            containers_running: 1,
            containers_paused: 0,
            containers_stopped: 2,
            images: 5,
            server_version: "0.1.0".into(),
            driver: "overlay2".into(),
            logging_driver: "json-file".into(),
            cgroup_driver: "cgroupfs".into(),
            cgroup_version: "1".into(),
            kernel_version: "6.1.0-28-amd64".into(),
            operating_system: "Debian GNU/Linux 12 (bookworm)".into(),
            os_type: "linux".into(),
            architecture: "x86_64".into(),
            ncpu: 2,
            mem_total: 8_344_383_488,
            name: "host".into(),
            docker_root_dir: "/var/lib/ferry".into(),
        };
        let expected = "\
Containers: 3
 Running: 1
 Paused: 0
 Stopped: 2
Images: 5
Server Version: 0.1.0
Storage Driver: overlay2
Logging Driver: json-file
Cgroup Driver: cgroupfs
Cgroup Version: 1
Kernel Version: 6.1.0-28-amd64
Operating System: Debian GNU/Linux 12 (bookworm)
OSType: linux
Architecture: x86_64
CPUs: 2
Total Memory: 7.771GiB
Name: host
Docker Root Dir: /var/lib/ferry
";
        assert_eq!(report(&info), expected);
    }
}
