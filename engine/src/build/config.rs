//! The image a build step produces: the previous image, maybe one more layer, and the runtime
//! settings (ENV, CMD, ENTRYPOINT, WORKDIR, USER, EXPOSE, VOLUME, LABEL) as they stand.

use std::collections::HashMap;

use oci_spec::image::{
    Arch, Config, Descriptor, HistoryBuilder, ImageConfiguration, ImageConfigurationBuilder, Os,
    RootFsBuilder,
};

use super::dockerfile::Command;
use crate::image::{time, Image, ImageStore};
use crate::{Error, Result};

/// The runtime settings a Dockerfile changes, and the author (MAINTAINER).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// The image config's `config` part (its `Env` is filled from the build's scope).
    pub runtime: Config,
    /// MAINTAINER.
    pub author: Option<String>,
}

impl Settings {
    /// The settings of `base` (empty for `scratch`).
    pub fn of(base: Option<&Image>) -> Self {
        match base {
            Some(image) => Settings {
                runtime: image.config.config().clone().unwrap_or_default(),
                author: image.config.author().clone(),
            },
            None => Settings::default(),
        }
    }

    /// The working directory, `/` when unset.
    pub fn workdir(&self) -> String {
        self.runtime
            .working_dir()
            .clone()
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "/".to_string())
    }

    // ANCHOR: cmd_entrypoint
    /// CMD: the default command (or, with an ENTRYPOINT, its default arguments).
    pub fn set_cmd(&mut self, command: &Command) {
        self.runtime.set_cmd(Some(argv(command)));
    }

    /// ENTRYPOINT. As in Docker, it clears a CMD inherited from the base image (a CMD given
    /// earlier in this stage stays): the base's CMD was meant for the base's entrypoint.
    pub fn set_entrypoint(&mut self, command: &Command, cmd_set_in_stage: bool) {
        self.runtime.set_entrypoint(Some(argv(command)));
        if !cmd_set_in_stage {
            self.runtime.set_cmd(None);
        }
    }
    // ANCHOR_END: cmd_entrypoint

    /// EXPOSE: `80` means `80/tcp`.
    pub fn expose(&mut self, ports: &[String]) {
        let mut exposed = self.runtime.exposed_ports().clone().unwrap_or_default();
        for port in ports {
            let port = if port.contains('/') {
                port.to_ascii_lowercase()
            } else {
                format!("{port}/tcp")
            };
            if !exposed.contains(&port) {
                exposed.push(port);
            }
        }
        self.runtime.set_exposed_ports(Some(exposed));
    }

    /// VOLUME.
    pub fn add_volumes(&mut self, paths: &[String]) {
        let mut volumes = self.runtime.volumes().clone().unwrap_or_default();
        volumes.extend(
            paths
                .iter()
                .filter(|p| !volumes.contains(p))
                .cloned()
                .collect::<Vec<_>>(),
        );
        self.runtime.set_volumes(Some(volumes));
    }

    /// LABEL.
    pub fn add_labels(&mut self, pairs: &[(String, String)]) {
        let mut labels: HashMap<String, String> = self.runtime.labels().clone().unwrap_or_default();
        labels.extend(pairs.iter().cloned());
        self.runtime.set_labels(Some(labels));
    }
}

/// The argv a RUN, CMD or ENTRYPOINT command stands for.
pub fn argv(command: &Command) -> Vec<String> {
    command.argv()
}

// ANCHOR: derive
/// Stores a new image: `base` (none for `scratch`) plus `layer` (none for a settings-only
/// step), with `settings` and `env`, and `created_by` in its history.
pub fn derive(
    store: &ImageStore,
    base: Option<&Image>,
    layer: Option<Descriptor>,
    settings: &Settings,
    env: Vec<String>,
    created_by: &str,
) -> Result<Image> {
    let bad = |e: oci_spec::OciSpecError| Error::Corrupt(format!("cannot build image config: {e}"));
    let mut config = match base {
        Some(image) => image.config.clone(),
        None => scratch_config().map_err(bad)?,
    };
    let created = time::rfc3339(time::now());
    let mut runtime = settings.runtime.clone();
    runtime.set_env((!env.is_empty()).then_some(env));
    config.set_config(Some(runtime));
    config.set_author(settings.author.clone());
    config.set_created(Some(created.clone()));
    let mut layers = base
        .map(|b| b.manifest.layers().clone())
        .unwrap_or_default();
    if let Some(layer) = &layer {
        config
            .rootfs_mut()
            .diff_ids_mut()
            .push(layer.digest().to_string());
    }
    let entry = HistoryBuilder::default()
        .created(created)
        .created_by(created_by)
        .empty_layer(layer.is_none())
        .build()
        .map_err(bad)?;
    config
        .history_mut()
        .get_or_insert_with(Vec::new)
        .push(entry);
    layers.extend(layer);
    store.put_image(&config, layers)
}
// ANCHOR_END: derive

fn scratch_config() -> std::result::Result<ImageConfiguration, oci_spec::OciSpecError> {
    ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(Vec::<String>::new())
                .build()?,
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entrypoint_clears_an_inherited_cmd_but_not_one_set_in_the_stage() {
        let mut settings = Settings::default();
        settings.runtime.set_cmd(Some(vec!["nginx".into()]));
        settings.set_entrypoint(&Command::Exec(vec!["/entry".into()]), false);
        assert_eq!(settings.runtime.cmd(), &None);
        settings.set_cmd(&Command::Exec(vec!["--help".into()]));
        settings.set_entrypoint(&Command::Shell("top -b".into()), true);
        assert_eq!(
            settings.runtime.entrypoint().clone().unwrap(),
            ["/bin/sh", "-c", "top -b"]
        );
        assert_eq!(settings.runtime.cmd().clone().unwrap(), ["--help"]);
    }

    #[test]
    fn exposed_ports_default_to_tcp_and_labels_accumulate() {
        let mut settings = Settings::default();
        settings.expose(&["80".into(), "443".into(), "11211/UDP".into(), "80".into()]);
        assert_eq!(
            settings.runtime.exposed_ports().clone().unwrap(),
            ["80/tcp", "443/tcp", "11211/udp"]
        );
        settings.add_labels(&[("maintainer".into(), "a".into())]);
        settings.add_labels(&[("version".into(), "1".into())]);
        assert_eq!(settings.runtime.labels().clone().unwrap().len(), 2);
        assert_eq!(settings.workdir(), "/");
    }

    #[test]
    fn a_scratch_image_with_settings_only_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(dir.path()).unwrap();
        let mut settings = Settings::default();
        settings.set_cmd(&Command::Exec(vec!["/app".into()]));
        let image = derive(
            &store,
            None,
            None,
            &settings,
            vec!["A=1".into()],
            "CMD [\"/app\"]",
        )
        .unwrap();
        assert_eq!(image.defaults().cmd, ["/app"]);
        assert_eq!(image.defaults().env, ["A=1"]);
        assert!(image.manifest.layers().is_empty());
    }
}
