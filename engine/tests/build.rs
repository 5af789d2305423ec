//! `ferry build` through the real binary: multi-stage builds, the cache, a failing RUN, the
//! settings instructions, ADD and `--chown`, `.dockerignore`, and the bad inputs the issue names.
//!
//! RUN steps start real containers, so these tests need root, namespaces and OverlayFS; they use
//! `--network none` so that they do not depend on bridge networking.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use ferry::image::{ImageStore, Reference};
use ferry_testkit::{require, state_root, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay];

fn ferry(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
    cmd.arg("--root")
        .arg(root)
        .env("FERRY_CONFIG", root.join("config"))
        .env_remove("FERRY_ROOT");
    cmd
}

/// A build context holding `files` (path, content).
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn build(root: &Path, context: &Path, flags: &[&str]) -> Output {
    ferry(root)
        .arg("build")
        .args(["--network", "none"])
        .args(flags)
        .arg(context)
        .output()
        .expect("ferry runs")
}

fn run(root: &Path, image: &str, command: &[&str]) -> String {
    let out = ferry(root)
        .args(["run", "--rm", "--network", "none", image])
        .args(command)
        .output()
        .expect("ferry runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const MULTI_STAGE: &str = r#"# the seeds' multi-stage pattern, on the toolbox image
ARG BASE=toolbox
FROM ${BASE} AS builder
ARG GREETING=hi
WORKDIR /work
COPY src/ ./
RUN mkdir -p /out && cat msg.txt > /out/app && echo "$GREETING" >> /out/app && echo junk > /out/junk

FROM toolbox
WORKDIR /srv/app
COPY --from=builder /out/app ./app
CMD ["cat", "/srv/app/app"]
"#;

#[test]
fn a_multi_stage_build_copies_only_what_the_final_stage_asks_for() {
    if !require(
        "a_multi_stage_build_copies_only_what_the_final_stage_asks_for",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let ctx = context(&[
        ("Dockerfile", MULTI_STAGE),
        ("src/msg.txt", "from the context\n"),
    ]);
    let out = build(
        root.path(),
        ctx.path(),
        &["-t", "app:v1", "--build-arg", "GREETING=hello"],
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Step 1/9 : FROM toolbox AS builder"),
        "{stdout}"
    );
    assert!(stdout.contains(" ---> Running in "), "{stdout}");
    assert!(stdout.contains("Successfully tagged app:v1"), "{stdout}");
    assert_eq!(run(root.path(), "app:v1", &[]), "from the context\nhello\n");
    assert_eq!(run(root.path(), "app:v1", &["ls", "/srv/app"]), "app\n");
    let junk = ferry(root.path())
        .args(["run", "--rm", "--network", "none", "app:v1", "ls", "/out"])
        .output()
        .unwrap();
    assert!(
        !junk.status.success(),
        "the builder's other files are not in the final image"
    );
}

#[test]
fn an_unchanged_rebuild_runs_nothing_and_a_changed_file_rebuilds_from_its_copy() {
    if !require(
        "an_unchanged_rebuild_runs_nothing_and_a_changed_file_rebuilds_from_its_copy",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let ctx = context(&[("Dockerfile", MULTI_STAGE), ("src/msg.txt", "v1\n")]);
    let first = text(&build(root.path(), ctx.path(), &["-t", "app:v1"]).stdout);
    let second = text(&build(root.path(), ctx.path(), &["-t", "app:v1"]).stdout);
    assert_eq!(second.matches(" ---> Using cache").count(), 3, "{second}");
    assert!(
        !second.contains("Running in"),
        "no RUN on an unchanged rebuild: {second}"
    );
    let built = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("Successfully built"))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(built(&first), built(&second), "the same image");

    let quiet = text(&build(root.path(), ctx.path(), &["-q", "-t", "app:v1"]).stdout);
    assert!(
        quiet.starts_with("sha256:") && quiet.lines().count() == 1,
        "-q prints only the image id: {quiet}"
    );
    std::fs::write(ctx.path().join("src/msg.txt"), "v2\n").unwrap();
    let third = text(&build(root.path(), ctx.path(), &["-t", "app:v1"]).stdout);
    assert!(
        third.contains("Running in"),
        "the RUN after the changed COPY runs again: {third}"
    );
    assert_eq!(run(root.path(), "app:v1", &[]), "v2\nhi\n");
    let fourth = text(&build(root.path(), ctx.path(), &["-t", "app:v1", "--no-cache"]).stdout);
    assert!(
        !fourth.contains("Using cache") && fourth.contains("Running in"),
        "{fourth}"
    );
}

#[test]
fn a_failing_run_shows_its_output_and_exit_code_and_leaves_no_container() {
    if !require(
        "a_failing_run_shows_its_output_and_exit_code_and_leaves_no_container",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let ctx = context(&[(
        "Dockerfile",
        "FROM toolbox\nRUN echo about to fail && exit 3\n",
    )]);
    let out = build(root.path(), ctx.path(), &["-t", "broken"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("about to fail"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains(
            "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3"
        ),
        "{}",
        text(&out.stderr)
    );
    let containers = std::fs::read_dir(root.path().join("containers"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(containers, 0, "the RUN container was removed");
    let store = ImageStore::open(&ferry::container::StateRoot::open(root.path()).unwrap()).unwrap();
    assert!(store.resolve(&Reference::parse("broken").unwrap()).is_err());
}

#[test]
fn settings_instructions_end_up_in_the_image_config() {
    if !require("settings_instructions_end_up_in_the_image_config", NEEDS) {
        return;
    }
    let root = state_root();
    let dockerfile = "FROM toolbox\nMAINTAINER Yongxin Li <inspur_lyx@hotmail.com>\nLABEL maintainer=\"mritd <mritd@linux.com>\"\nARG TZ='Asia/Shanghai'\nENV TZ ${TZ}\nENV JAVA_OPTS \"-Xmx4096m -XX:MetaspaceSize=256m\"\nWORKDIR /opt\nWORKDIR eladmin\nEXPOSE 80 443 11211/udp\nVOLUME /data\nUSER nobody\nCMD [\"ignored-by-the-entrypoint-rule\"]\nENTRYPOINT [\"/bin/echo\", \"entry:\"]\nCMD [\"default-arg\"]\n";
    let ctx = context(&[("Dockerfile", dockerfile)]);
    let out = build(root.path(), ctx.path(), &["-t", "settings:v1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = ImageStore::open(&ferry::container::StateRoot::open(root.path()).unwrap()).unwrap();
    let image = store
        .resolve(&Reference::parse("settings:v1").unwrap())
        .unwrap();
    let config = image.config.config().clone().unwrap();
    let env = config.env().clone().unwrap();
    assert!(env.contains(&"TZ=Asia/Shanghai".to_string()), "{env:?}");
    assert!(
        env.contains(&"JAVA_OPTS=-Xmx4096m -XX:MetaspaceSize=256m".to_string()),
        "{env:?}"
    );
    assert_eq!(config.working_dir().as_deref(), Some("/opt/eladmin"));
    let mut ports = config.exposed_ports().clone().unwrap();
    ports.sort();
    assert_eq!(
        ports,
        ["11211/udp", "443/tcp", "80/tcp"],
        "stored as a JSON object: the order is not kept"
    );
    assert_eq!(config.volumes().clone().unwrap(), ["/data"]);
    assert_eq!(config.user().as_deref(), Some("nobody"));
    assert_eq!(
        config.labels().clone().unwrap()["maintainer"],
        "mritd <mritd@linux.com>"
    );
    assert_eq!(
        image.config.author().as_deref(),
        Some("Yongxin Li <inspur_lyx@hotmail.com>")
    );
    assert_eq!(
        config.entrypoint().clone().unwrap(),
        ["/bin/echo", "entry:"]
    );
    assert_eq!(config.cmd().clone().unwrap(), ["default-arg"]);
    assert_eq!(run(root.path(), "settings:v1", &[]), "entry: default-arg\n");
}

#[test]
fn add_unpacks_a_local_tarball_and_copy_honours_chown_and_dockerignore() {
    if !require(
        "add_unpacks_a_local_tarball_and_copy_honours_chown_and_dockerignore",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let ctx = context(&[
        (
            "Dockerfile",
            "FROM toolbox\nADD site.tar /srv/\nCOPY --chown=nobody:nobody . /ctx/\n",
        ),
        ("app.py", "print('hi')\n"),
        ("secret.key", "do not ship\n"),
        (".dockerignore", "secret.key\nDockerfile\n"),
    ]);
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, "www/index.html", &b"<h1>\n"[..])
        .unwrap();
    std::fs::write(ctx.path().join("site.tar"), tar.into_inner().unwrap()).unwrap();
    let out = build(root.path(), ctx.path(), &["-t", "files:v1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        run(root.path(), "files:v1", &["cat", "/srv/www/index.html"]),
        "<h1>\n"
    );
    let listing = run(root.path(), "files:v1", &["ls", "/ctx"]);
    assert!(
        listing.contains("app.py")
            && !listing.contains("secret.key")
            && !listing.contains("Dockerfile"),
        "{listing}"
    );
    let stat = run(root.path(), "files:v1", &["stat", "/ctx/app.py"]);
    assert!(
        stat.contains("Uid: (65534/") && stat.contains("Gid: (65534/"),
        "--chown=nobody:nobody: {stat}"
    );
}

#[test]
fn target_stops_at_the_named_stage() {
    if !require("target_stops_at_the_named_stage", NEEDS) {
        return;
    }
    let root = state_root();
    let ctx = context(&[("Dockerfile", MULTI_STAGE), ("src/msg.txt", "x\n")]);
    let out = build(
        root.path(),
        ctx.path(),
        &["--target", "builder", "-t", "builder:v1"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Step 5/5"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        run(root.path(), "builder:v1", &["cat", "/out/junk"]),
        "junk\n"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    if !require("bad_inputs_are_clear_errors", NEEDS) {
        return;
    }
    let root = state_root();
    let cases = [
        (
            "FROM toolbox\nFROB x\n",
            "Dockerfile: line 2, column 1: unknown instruction \"FROB\"",
        ),
        (
            "FROM toolbox\nENV A=1 B\n",
            "line 2, column 9: expected NAME=VALUE",
        ),
        (
            "FROM toolbox\nCOPY ../etc/passwd /x\n",
            "COPY failed: forbidden path outside the build context: ../etc/passwd",
        ),
        (
            "FROM toolbox\nCOPY nothing.txt /x\n",
            "COPY failed: file not found in build context or excluded by .dockerignore",
        ),
        ("FROM toolbox\nCOPY --from=nowhere /x /x\n", "nowhere"),
        (
            "FROM scratch\nRUN true\n",
            "RUN needs a base image with a shell",
        ),
    ];
    for (dockerfile, expected) in cases {
        let ctx = context(&[("Dockerfile", dockerfile)]);
        let out = build(root.path(), ctx.path(), &[]);
        assert_eq!(out.status.code(), Some(1), "{dockerfile}");
        assert!(
            text(&out.stderr).contains(expected),
            "{dockerfile}: {}",
            text(&out.stderr)
        );
    }
    let out = build(
        root.path(),
        context(&[("Dockerfile", MULTI_STAGE)]).path(),
        &["--target", "nope"],
    );
    assert!(
        text(&out.stderr).contains("failed to reach build target nope in Dockerfile"),
        "{}",
        text(&out.stderr)
    );
}
