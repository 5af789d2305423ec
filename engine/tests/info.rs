//! `ferry info`, driven through the real binary: it counts the state root's containers by state
//! and its images, and describes the host as the kernel reports it.
//!
//! The test has its own state root (see `lifecycle_common`) and checks it may run first.

mod lifecycle_common;

use lifecycle_common::{can_run, Root};

/// The value of `Label: value` in the report (panics when the line is missing).
fn field<'a>(report: &'a str, label: &str) -> &'a str {
    report
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label:?} line in {report}"))
}

fn uname(flag: &str) -> String {
    let out = std::process::Command::new("uname")
        .arg(flag)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn info_counts_containers_by_state_and_images_and_reports_the_host() {
    if !can_run("info_counts_containers_by_state_and_images_and_reports_the_host") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "up"], &["sleep", "100"]);
    root.detach(&["--name", "frozen"], &["sleep", "100"]);
    root.ok(&["pause", "frozen"]);
    root.ok(&[
        "create",
        "--network",
        "none",
        "--name",
        "new",
        "toolbox",
        "true",
    ]);

    let report = root.ok(&["info"]);
    assert_eq!(field(&report, "Containers"), "3");
    assert_eq!(field(&report, " Running"), "1");
    assert_eq!(field(&report, " Paused"), "1");
    assert_eq!(field(&report, " Stopped"), "1");
    assert_eq!(field(&report, "Images"), "1");
    assert_eq!(field(&report, "Kernel Version"), uname("-r"));
    assert_eq!(field(&report, "Architecture"), uname("-m"));
    assert_eq!(field(&report, "Name"), uname("-n"));
    let nproc = std::process::Command::new("nproc").output().unwrap();
    assert_eq!(
        field(&report, "CPUs"),
        String::from_utf8_lossy(&nproc.stdout).trim()
    );
    let cgroup2 = nix::sys::statfs::statfs("/sys/fs/cgroup")
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC);
    assert_eq!(
        field(&report, "Cgroup Version"),
        if cgroup2 { "2" } else { "1" }
    );
    assert_eq!(field(&report, "Cgroup Driver"), "cgroupfs");
    assert_eq!(
        field(&report, "Storage Driver"),
        root.inspect("up", "{{.GraphDriver.Name}}"),
        "the driver containers get (overlay2, or vfs where OverlayFS cannot be used)"
    );
    assert_eq!(
        field(&report, "Docker Root Dir"),
        root.path().to_string_lossy()
    );
    let memory = field(&report, "Total Memory");
    assert!(memory.ends_with("iB") && memory.len() > 3, "{report}");

    assert_eq!(
        root.ok(&[
            "info",
            "-f",
            "{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.Images}} {{.OSType}}"
        ]),
        "3 1 1 1 linux\n"
    );
}
