//! `ferry inspect` on every kind of object, driven through the real binary: a name is looked up as
//! a container first, then as an image, then as a volume (Docker's order); `--type`,
//! `container inspect` and `image inspect` fix the kind; `--format` works on all of them.
//!
//! Every test has its own state root (see `lifecycle_common`) and checks it may run first.

mod lifecycle_common;

use lifecycle_common::{can_run, stderr, stdout, Root};

fn is_image_id(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn inspect_shows_an_image_with_dockers_fields_and_its_sha256_id() {
    if !can_run("inspect_shows_an_image_with_dockers_fields_and_its_sha256_id") {
        return;
    }
    let root = Root::new();
    root.ok(&["toolbox", "install"]);
    let text = root.ok(&["inspect", "toolbox"]);
    assert!(
        text.starts_with("[\n    {\n        \"Id\": \"sha256:"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let image = &json[0];
    assert!(is_image_id(image["Id"].as_str().unwrap()), "{image}");
    assert_eq!(image["RepoTags"], serde_json::json!(["toolbox:latest"]));
    assert!(image["Created"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(image["Config"]["Env"].is_array(), "{image}");
    assert_eq!(image["Os"], "linux");
    assert_eq!(image["RootFS"]["Type"], "layers");
    assert_eq!(image["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    assert!(image["Size"].as_u64().is_some_and(|s| s > 0));

    let id = root.inspect("toolbox", "{{.Id}}");
    assert_eq!(id, image["Id"].as_str().unwrap());
    assert_eq!(root.inspect(&id[7..19], "{{.Id}}"), id, "an id prefix");
    assert_eq!(
        root.ok(&["image", "inspect", "toolbox"]),
        text,
        "`image inspect` prints the same object"
    );
    assert_eq!(
        root.ok(&["image", "inspect", "-f", "{{json .RepoTags}}", "toolbox"]),
        "[\"toolbox:latest\"]\n"
    );
}

#[test]
fn a_container_is_found_before_an_image_of_the_same_name_and_names_the_image_by_id() {
    if !can_run("a_container_is_found_before_an_image_of_the_same_name_and_names_the_image_by_id") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "toolbox"], &["sleep", "100"]);
    let image_id = root.ok(&["image", "inspect", "-f", "{{.Id}}", "toolbox"]);
    assert_eq!(
        root.inspect("toolbox", "{{.Name}} {{.Image}} {{.Config.Image}}"),
        format!("/toolbox {} toolbox", image_id.trim()),
        "the container comes first; its Image is the image's id, Config.Image its name"
    );
    assert_eq!(
        root.ok(&["inspect", "--type", "image", "-f", "{{.Id}}", "toolbox"]),
        image_id
    );
    assert_eq!(
        root.ok(&["container", "inspect", "-f", "{{.Name}}", "toolbox"]),
        "/toolbox\n"
    );
}

#[test]
fn an_unknown_object_prints_an_empty_array_and_exits_1_naming_what_was_looked_for() {
    if !can_run("an_unknown_object_prints_an_empty_array_and_exits_1_naming_what_was_looked_for") {
        return;
    }
    let root = Root::new();
    root.ok(&["toolbox", "install"]);
    let missing = root.run(&["inspect", "nosuch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stdout(&missing), "[]\n");
    assert_eq!(stderr(&missing), "Error: No such object: nosuch\n");

    let partly = root.run(&["inspect", "-f", "{{.RepoTags}}", "toolbox", "nosuch"]);
    assert_eq!(partly.status.code(), Some(1));
    assert_eq!(
        stdout(&partly),
        "[toolbox:latest]\n",
        "what was found is printed"
    );

    let not_a_container = root.run(&["container", "inspect", "toolbox"]);
    assert_eq!(not_a_container.status.code(), Some(1));
    assert!(stderr(&not_a_container).contains("Error: No such container: toolbox"));
    let not_an_image = root.run(&["image", "inspect", "nosuch"]);
    assert!(stderr(&not_an_image).contains("Error: No such image: nosuch"));
    let bad_type = root.run(&["inspect", "--type", "bogus", "toolbox"]);
    assert_eq!(bad_type.status.code(), Some(1));
    assert!(stderr(&bad_type).contains("\"bogus\" is not a valid value for --type"));
}
