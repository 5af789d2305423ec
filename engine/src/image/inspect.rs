//! `ferry inspect IMAGE`: an image as `docker inspect` shows it — `Id` (the config digest),
//! `RepoTags`, `Created`, `Config` with Docker's field names, `RootFS` — so `--format` templates
//! written for Docker (`{{.Id}}`, `{{json .Config.Cmd}}`) work unchanged.
//!
//! An image's config is stored in the OCI format; Docker's inspect object is mostly the same data
//! under other names (and `null` where the image says nothing), which this module maps.

use std::collections::BTreeMap;

use oci_spec::image::{Config, ImageConfiguration};
use serde::Serialize;

use super::driver::Driver;
use super::{Image, ImageStore, Reference};
use crate::Result;

/// Docker's `{}`: the value type of `ExposedPorts` and `Volumes`, which are sets.
pub type Set = BTreeMap<String, BTreeMap<String, String>>;

/// `docker inspect`'s image object (the fields ferry has), in Docker's order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageJson {
    /// `sha256:` and the digest of the config: the image id.
    pub id: String,
    /// Its names, as people write them (`bb:latest`).
    pub repo_tags: Vec<String>,
    /// `name@sha256:…` of its manifest, one per repository it is named in.
    pub repo_digests: Vec<String>,
    /// The comment of its last history entry.
    pub comment: String,
    /// When it was made (RFC 3339), as its config says.
    pub created: String,
    /// Its author, as its config says.
    pub author: String,
    /// The defaults its containers get (`null` when the image sets none).
    pub config: Option<ConfigJson>,
    /// The CPU architecture it is built for (`amd64`).
    pub architecture: String,
    /// The architecture variant, when there is one (`v8`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    /// The operating system it is built for (`linux`).
    pub os: String,
    /// Bytes in its unpacked layers.
    pub size: u64,
    /// The same as `Size` (Docker 20.10 reports both).
    pub virtual_size: u64,
    /// Where its layers are unpacked.
    pub graph_driver: GraphDriverJson,
    /// Its layers' diff ids, bottom first.
    #[serde(rename = "RootFS")]
    pub root_fs: RootFsJson,
}

/// `Config`: Docker's container config, the part an image sets.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigJson {
    /// `USER`.
    pub user: String,
    /// `EXPOSE`: `{"80/tcp": {}}` (left out when none, as Docker does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<Set>,
    /// `ENV`.
    pub env: Option<Vec<String>>,
    /// `CMD`.
    pub cmd: Option<Vec<String>>,
    /// `VOLUME`: `{"/data": {}}`.
    pub volumes: Option<Set>,
    /// `WORKDIR`.
    pub working_dir: String,
    /// `ENTRYPOINT`.
    pub entrypoint: Option<Vec<String>>,
    /// `LABEL`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `STOPSIGNAL` (left out when none, as Docker does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// `GraphDriver` (images' and containers'): where the layers are, as `inspect` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GraphDriverJson {
    /// `UpperDir`: the top layer's directory; `LowerDir`: the others, `:`-separated, top first
    /// (a container's `MergedDir` and `WorkDir` too).
    pub data: BTreeMap<String, String>,
    /// Docker's name for the driver the layers are made for (`overlay2`).
    pub name: String,
}

/// `RootFS`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootFsJson {
    /// Always `layers`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The diff ids, bottom first.
    pub layers: Vec<String>,
}

/// The `docker inspect` object of a stored image.
pub fn inspect(store: &ImageStore, image: &Image) -> Result<ImageJson> {
    let config = &image.config;
    let size = store.size(image)?;
    Ok(ImageJson {
        id: image.id.to_string(),
        repo_tags: image.tags.iter().map(Reference::familiar).collect(),
        repo_digests: repo_digests(image),
        comment: last_comment(config),
        created: config.created().clone().unwrap_or_default(),
        author: config.author().clone().unwrap_or_default(),
        config: config.config().as_ref().map(docker_config),
        architecture: config.architecture().to_string(),
        variant: config.variant().clone().unwrap_or_default(),
        os: config.os().to_string(),
        size,
        virtual_size: size,
        graph_driver: graph_driver(store, image)?,
        root_fs: RootFsJson {
            kind: config.rootfs().typ().clone(),
            layers: config.rootfs().diff_ids().clone(),
        },
    })
}

/// An OCI image config's `config` under Docker's names.
fn docker_config(config: &Config) -> ConfigJson {
    let set = |items: &Option<Vec<String>>| -> Option<Set> {
        items
            .as_ref()
            .map(|items| items.iter().map(|i| (i.clone(), BTreeMap::new())).collect())
    };
    ConfigJson {
        user: config.user().clone().unwrap_or_default(),
        exposed_ports: set(config.exposed_ports()).filter(|ports| !ports.is_empty()),
        env: config.env().clone(),
        cmd: config.cmd().clone(),
        volumes: set(config.volumes()),
        working_dir: config.working_dir().clone().unwrap_or_default(),
        entrypoint: config.entrypoint().clone(),
        labels: config
            .labels()
            .as_ref()
            .map(|labels| labels.clone().into_iter().collect()),
        stop_signal: config.stop_signal().clone(),
    }
}

fn repo_digests(image: &Image) -> Vec<String> {
    image
        .tags
        .iter()
        .map(|t| format!("{}@{}", t.repository(), image.manifest_digest))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn last_comment(config: &ImageConfiguration) -> String {
    config
        .history()
        .as_ref()
        .and_then(|h| h.last())
        .and_then(|entry| entry.comment().clone())
        .unwrap_or_default()
}

fn graph_driver(store: &ImageStore, image: &Image) -> Result<GraphDriverJson> {
    let layers = store.layers(image)?;
    let mut data = BTreeMap::new();
    if let Some((upper, lower)) = layers.split_first() {
        data.insert("UpperDir".to_string(), upper.display().to_string());
        if !lower.is_empty() {
            let lower: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
            data.insert("LowerDir".to_string(), lower.join(":"));
        }
    }
    Ok(GraphDriverJson {
        data,
        name: Driver::Overlay.docker_name().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use oci_spec::image::{ConfigBuilder, ImageConfigurationBuilder, RootFsBuilder};

    use super::*;

    fn layer(content: &str) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_path("file").unwrap();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, content.as_bytes()).unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn an_image_is_shown_with_dockers_names_and_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(&dir.path().join("images")).unwrap();
        let layers = vec![
            store.add_layer(&layer("bottom")[..]).unwrap(),
            store.add_layer(&layer("top")[..]).unwrap(),
        ];
        let diff_ids: Vec<String> = layers.iter().map(|l| l.digest().to_string()).collect();
        let config = ImageConfigurationBuilder::default()
            .created("2024-05-01T12:00:00Z")
            .config(
                ConfigBuilder::default()
                    .cmd(vec!["cat".to_string(), "/app/hello.txt".to_string()])
                    .exposed_ports(vec!["80/tcp".to_string()])
                    .build()
                    .unwrap(),
            )
            .rootfs(
                RootFsBuilder::default()
                    .typ("layers")
                    .diff_ids(diff_ids.clone())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let image = store.put_image(&config, layers).unwrap();
        store
            .tag(&image, &Reference::parse("app:v1").unwrap())
            .unwrap();
        let image = store.find("app:v1").unwrap();
        let json = serde_json::to_value(inspect(&store, &image).unwrap()).unwrap();
        let id = json["Id"].as_str().unwrap();
        assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
        assert_eq!(id, image.id.to_string(), "the id is the config's digest");
        assert_eq!(json["RepoTags"], serde_json::json!(["app:v1"]));
        assert_eq!(json["Created"], "2024-05-01T12:00:00Z");
        assert_eq!(
            json["Config"]["Cmd"],
            serde_json::json!(["cat", "/app/hello.txt"])
        );
        assert_eq!(
            json["Config"]["ExposedPorts"],
            serde_json::json!({"80/tcp": {}})
        );
        assert_eq!(json["Config"]["Entrypoint"], serde_json::Value::Null);
        assert_eq!(json["RootFS"]["Type"], "layers");
        assert_eq!(json["RootFS"]["Layers"], serde_json::json!(diff_ids));
        assert_eq!(json["Size"], 9, "\"bottom\" and \"top\"");
        assert_eq!(json["GraphDriver"]["Name"], "overlay2");
        let upper = json["GraphDriver"]["Data"]["UpperDir"].as_str().unwrap();
        assert_eq!(
            std::fs::read_to_string(format!("{upper}/file")).unwrap(),
            "top"
        );
        let text = serde_json::to_string(&inspect(&store, &image).unwrap()).unwrap();
        assert!(
            text.starts_with(r#"{"Id":"sha256:"#),
            "Docker's order: {text}"
        );
    }
}
