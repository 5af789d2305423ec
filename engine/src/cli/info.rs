//! `ferry info`: the report of [`crate::system`], printed as `docker info` prints its server
//! section, or through a `--format` template over Docker's field names.

use super::container::say;
use super::sizes::binary_size;
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

#[cfg(test)]
mod tests {
    use super::*;

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
