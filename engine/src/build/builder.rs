//! `ferry build`: a Dockerfile's stages, step by step, with the build cache.
//!
//! Each stage starts from its FROM image (pulled if missing, `scratch` for none, or an earlier
//! stage's result). Settings instructions (ENV, CMD, LABEL…) change the stage's [`Settings`];
//! RUN, COPY and ADD each make one new layer and a new image, unless the cache knows the step. At
//! the end of a stage its settings are stored in a last image of their own.

use std::collections::BTreeMap;
use std::io::Seek;
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;

use super::cache::{chain, Cache};
use super::config::{derive, Settings};
use super::context::{BuildContext, ImageOrigin, Matched, Origin};
use super::copy::{self, Plan};
use super::dockerfile::{
    self, Copy, Dockerfile, FromImage, Instruction, Located, ParseError, Rendered, Scope,
};
use super::error::{BuildError, Result};
use super::run_step::{self, RunStep};
use super::{chown, stages};
use crate::container::{ContainerId, StateRoot};
use crate::image::view::LayeredView;
use crate::image::{toolbox, Image, ImageStore, Reference};
use crate::registry::client::{self as registry_client, CredentialStore};

/// What `ferry build` was asked.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The build context directory.
    pub context: PathBuf,
    /// `-f`: the Dockerfile (default `<context>/Dockerfile`).
    pub dockerfile: Option<PathBuf>,
    /// `-t`: names for the result.
    pub tags: Vec<Reference>,
    /// `--build-arg NAME=VALUE`.
    pub build_args: BTreeMap<String, String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--target`: the stage to stop at.
    pub target: Option<String>,
    /// `--network` for RUN containers.
    pub network: String,
    /// `-q`: print nothing but RUN commands' own output (and the image id, from the CLI).
    pub quiet: bool,
}

/// What a build made.
#[derive(Debug, Clone)]
pub struct Built {
    /// The resulting image.
    pub image: Image,
    /// How many RUN containers ran.
    pub containers_run: usize,
    /// How many steps came from the cache.
    pub cache_hits: usize,
}

// ANCHOR: build
/// Builds the image `options` describe, prints every step, and tags the result.
pub fn build(root: &StateRoot, options: &BuildOptions) -> Result<Built> {
    let path = options
        .dockerfile
        .clone()
        .unwrap_or_else(|| options.context.join("Dockerfile"));
    let text =
        std::fs::read_to_string(&path).map_err(BuildError::io("read the Dockerfile", &path))?;
    let file = dockerfile::parse(&text).map_err(|error| BuildError::Dockerfile {
        file: path.clone(),
        error,
    })?;
    let context = BuildContext::open(&options.context)
        .map_err(BuildError::io("open the build context", &options.context))?;
    let global =
        Scope::global(&file, &options.build_args).map_err(|error| BuildError::Dockerfile {
            file: path.clone(),
            error,
        })?;
    warn_unused_build_args(&file, &options.build_args);
    let target = stages::target_index(&file, options.target.as_deref())?;
    let needed = stages::needed(&file, target, &global)?;
    let total = needed
        .iter()
        .map(|i| 1 + file.stages[*i].instructions.len())
        .sum();
    let mut builder = Builder {
        root,
        store: ImageStore::open(root)?,
        options,
        cache: Cache::new(&root.path().join("build-cache"), !options.no_cache),
        file: &file,
        path: &path,
        context,
        global,
        built: vec![None; file.stages.len()],
        step: 0,
        total,
        containers_run: 0,
        cache_hits: 0,
    };
    for index in needed {
        let image = builder.stage(index)?;
        builder.built[index] = Some(image);
    }
    let image = builder.built[target]
        .clone()
        .ok_or_else(|| BuildError::Stage("the target stage was not built".into()))?;
    builder.say(&format!("Successfully built {}", image.short_id()));
    for tag in &options.tags {
        builder.store.tag(&image, tag)?;
        builder.say(&format!("Successfully tagged {}", tag.familiar()));
    }
    Ok(Built {
        image,
        containers_run: builder.containers_run,
        cache_hits: builder.cache_hits,
    })
}
// ANCHOR_END: build

fn warn_unused_build_args(file: &Dockerfile, build_args: &BTreeMap<String, String>) {
    let mut declared: Vec<&str> = file
        .global_args
        .iter()
        .flat_map(|l| l.node.iter().map(|d| d.name.as_str()))
        .collect();
    for stage in &file.stages {
        for instruction in &stage.instructions {
            if let Instruction::Arg(decls) = &instruction.node {
                declared.extend(decls.iter().map(|d| d.name.as_str()));
            }
        }
    }
    let unused: Vec<&str> = build_args
        .keys()
        .map(String::as_str)
        .filter(|k| !declared.contains(k))
        .collect();
    if !unused.is_empty() {
        eprintln!(
            "[Warning] One or more build-args [{}] were not consumed",
            unused.join(" ")
        );
    }
}

/// One build in progress.
struct Builder<'a> {
    root: &'a StateRoot,
    store: ImageStore,
    options: &'a BuildOptions,
    cache: Cache,
    file: &'a Dockerfile,
    path: &'a Path,
    context: BuildContext,
    global: Scope,
    /// The result of every stage built so far.
    built: Vec<Option<Image>>,
    step: usize,
    total: usize,
    containers_run: usize,
    cache_hits: usize,
}

/// A stage being built.
struct StageState {
    /// The last stored image (none while a `scratch` stage has no layer yet).
    image: Option<Image>,
    settings: Settings,
    scope: Scope,
    /// The cache key so far.
    key: String,
    /// CMD was set in this stage (ENTRYPOINT then keeps it).
    cmd_set: bool,
    /// Settings changed since `image` was stored.
    dirty: bool,
}

impl Builder<'_> {
    fn dockerfile_error(&self, error: ParseError) -> BuildError {
        BuildError::Dockerfile {
            file: self.path.to_path_buf(),
            error,
        }
    }

    /// Prints a line of build output (unless `-q`).
    fn say(&self, line: &str) {
        if !self.options.quiet {
            println!("{line}");
        }
    }

    fn announce(&mut self, text: &str) {
        self.step += 1;
        self.say(&format!("Step {}/{} : {text}", self.step, self.total));
    }

    fn stage(&mut self, index: usize) -> Result<Image> {
        let stage = &self.file.stages[index];
        let from = self
            .global
            .expand_from(&stage.from)
            .map_err(|e| self.dockerfile_error(e))?;
        self.announce(&from_text(&from));
        let base = self.base(&from.image, index)?;
        match &base {
            Some(image) => self.say(&format!(" ---> {}", image.short_id())),
            None => self.say(" ---> (scratch)"),
        }
        let base_env = base.as_ref().map(|i| i.defaults().env).unwrap_or_default();
        let origin = base
            .as_ref()
            .map_or("scratch".to_string(), |i| i.manifest_digest.to_string());
        let mut state = StageState {
            settings: Settings::of(base.as_ref()),
            scope: self.global.stage(&base_env),
            key: chain("", &format!("FROM {origin}")),
            image: base,
            cmd_set: false,
            dirty: false,
        };
        for instruction in &stage.instructions {
            self.instruction(index, &mut state, instruction)?;
        }
        self.finish(state)
    }

    /// The image a FROM names: `scratch` (none), an earlier stage, or a stored image — pulled
    /// from its registry when missing (`toolbox` is installed from the binary instead).
    fn base(&self, name: &str, index: usize) -> Result<Option<Image>> {
        if name == "scratch" {
            return Ok(None);
        }
        if let Some(stage) = stages::stage_index(self.file, name, index) {
            return Ok(self.built[stage].clone());
        }
        self.image(name).map(Some)
    }

    fn image(&self, name: &str) -> Result<Image> {
        let reference = Reference::parse(name)?;
        match self.store.resolve(&reference) {
            Ok(image) => Ok(image),
            Err(crate::Error::ImageNotFound(_))
                if reference == Reference::parse(toolbox::IMAGE_NAME)? =>
            {
                Ok(toolbox::ensure(&self.store)?)
            }
            Err(crate::Error::ImageNotFound(_)) => {
                let context =
                    registry_client::Context::open(self.root, CredentialStore::default_location())?;
                let runtime = registry_client::runtime()?;
                Ok(runtime
                    .block_on(registry_client::pull::pull(&context, &reference))?
                    .image)
            }
            Err(e) => Err(e.into()),
        }
    }

    // ANCHOR: instruction
    fn instruction(
        &mut self,
        index: usize,
        state: &mut StageState,
        located: &Located<Instruction>,
    ) -> Result<()> {
        self.announce(
            &Rendered {
                instruction: &located.node,
                escape: self.file.directives.escape,
            }
            .to_string(),
        );
        let expanded = state
            .scope
            .expand_instruction(&located.node)
            .map_err(|e| self.dockerfile_error(e))?;
        let described = format!("{expanded:?}");
        state.scope.apply(&expanded);
        match expanded {
            Instruction::Run(command) => {
                let step = RunStep {
                    argv: command.argv(),
                    env: state.scope.run_env(),
                    workdir: state.settings.workdir(),
                    user: state.settings.runtime.user().clone(),
                    network: self.options.network.clone(),
                    quiet: self.options.quiet,
                };
                let key = chain(&state.key, &format!("{described} {:?}", step.env));
                self.layer_step(state, key, &format!("/bin/sh -c #(nop) RUN {}", step.argv.join(" ")), |builder, image| {
                    let image = image.ok_or_else(|| BuildError::Stage("RUN needs a base image with a shell: this stage starts FROM scratch".into()))?;
                    builder.containers_run += 1;
                    run_step::run(builder.root, &builder.store, image, &step)
                })?;
            }
            Instruction::Copy(copy) => self.copy_step(index, state, &copy, "COPY", &described)?,
            Instruction::Add(copy) => self.copy_step(index, state, &copy, "ADD", &described)?,
            other => {
                self.settings(state, other);
                state.key = chain(&state.key, &format!("{described} {:?}", state.scope.args()));
                state.dirty = true;
            }
        }
        Ok(())
    }
    // ANCHOR_END: instruction

    /// The settings instructions.
    fn settings(&self, state: &mut StageState, instruction: Instruction<String>) {
        let settings = &mut state.settings;
        match instruction {
            Instruction::Cmd(command) => {
                settings.set_cmd(&command);
                state.cmd_set = true;
            }
            Instruction::Entrypoint(command) => settings.set_entrypoint(&command, state.cmd_set),
            Instruction::Workdir(dir) => {
                let dir = format!("/{}", super::paths::in_image(&settings.workdir(), &dir));
                settings.runtime.set_working_dir(Some(dir));
            }
            Instruction::User(user) => {
                settings.runtime.set_user(Some(user));
            }
            Instruction::Expose(ports) => settings.expose(&ports),
            Instruction::Volume(paths) => settings.add_volumes(&paths),
            Instruction::Label(pairs) => settings.add_labels(
                &pairs
                    .into_iter()
                    .map(|kv| (kv.key, kv.value))
                    .collect::<Vec<_>>(),
            ),
            Instruction::Maintainer(name) => {
                settings.author = Some(name);
            }
            Instruction::Env(_)
            | Instruction::Arg(_)
            | Instruction::Run(_)
            | Instruction::Copy(_)
            | Instruction::Add(_) => {}
        }
    }

    fn copy_step(
        &mut self,
        index: usize,
        state: &mut StageState,
        copy: &Copy<String>,
        instruction: &'static str,
        described: &str,
    ) -> Result<()> {
        let failed = |message: String| BuildError::Copy {
            instruction,
            message,
        };
        let current = self.view(state.image.as_ref())?;
        let sources = match &copy.from {
            None => self.matches(&self.context, &copy.sources).map_err(failed)?,
            Some(from) => {
                let image = match stages::stage_index(self.file, from, index) {
                    Some(stage) => self.built[stage]
                        .clone()
                        .ok_or_else(|| failed(format!("stage {from} was not built")))?,
                    None => self.image(from)?,
                };
                let origin = ImageOrigin::new(self.store.layers(&image)?);
                self.matches(&origin, &copy.sources).map_err(failed)?
            }
        };
        let owner = copy
            .chown
            .as_deref()
            .map(|spec| chown::resolve(spec, &current))
            .transpose()
            .map_err(failed)?;
        let chmod = copy.chmod.as_deref().map(|m| {
            u32::from_str_radix(m, 8)
                .map_err(|_| failed(format!("invalid --chmod {m:?}: expected octal")))
        });
        let workdir = state.settings.workdir();
        let request = copy::Request {
            instruction,
            sources,
            dest: &copy.dest,
            workdir: &workdir,
            owner,
            chmod: chmod.transpose()?,
            extract_archives: instruction == "ADD",
            image: &current,
        };
        let plan = copy::plan(request).map_err(failed)?;
        let key = chain(
            &state.key,
            &format!("{described} {}", plan.content_key().map_err(failed)?),
        );
        self.layer_step(
            state,
            key,
            &format!("/bin/sh -c #(nop) {instruction} {}", copy.dest),
            |builder, _| builder.copy_layer(&plan, instruction),
        )
    }

    fn matches(
        &self,
        origin: &dyn Origin,
        patterns: &[String],
    ) -> std::result::Result<Vec<Matched>, String> {
        let mut all = Vec::new();
        for pattern in patterns {
            if pattern.contains("://") {
                return Err(format!(
                    "{pattern}: ferry does not download URLs in ADD (use RUN wget)"
                ));
            }
            all.extend(origin.expand(pattern)?);
        }
        Ok(all)
    }

    fn view(&self, image: Option<&Image>) -> Result<LayeredView> {
        Ok(LayeredView::new(match image {
            Some(image) => self.store.layers(image)?,
            None => Vec::new(),
        }))
    }

    /// Writes the planned layer through an unlinked temporary file and stores it.
    fn copy_layer(&self, plan: &Plan, instruction: &'static str) -> Result<Descriptor> {
        let tmp = self
            .root
            .path()
            .join(format!(".build-layer-{}", ContainerId::random()?.short()));
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(BuildError::io("create", &tmp))?;
        let _ = std::fs::remove_file(&tmp);
        let mut file = plan.write_tar(file).map_err(|message| BuildError::Copy {
            instruction,
            message,
        })?;
        file.rewind().map_err(BuildError::io("rewind", &tmp))?;
        Ok(self.store.add_layer(file)?)
    }

    // ANCHOR: layer_step
    /// A step that makes a layer: reused from the cache when `key` is known, otherwise made by
    /// `make` on the current image and stored with the stage's settings.
    fn layer_step(
        &mut self,
        state: &mut StageState,
        key: String,
        created_by: &str,
        make: impl FnOnce(&mut Self, Option<&Image>) -> Result<Descriptor>,
    ) -> Result<()> {
        let image = match self.cache.lookup(&self.store, &key) {
            Some(image) => {
                self.say(" ---> Using cache");
                self.cache_hits += 1;
                image
            }
            None => {
                let layer = make(self, state.image.as_ref())?;
                let image = derive(
                    &self.store,
                    state.image.as_ref(),
                    Some(layer),
                    &state.settings,
                    state.scope.env(),
                    created_by,
                )?;
                self.cache
                    .record(&key, &image)
                    .map_err(BuildError::io("record the build cache", self.root.path()))?;
                image
            }
        };
        self.say(&format!(" ---> {}", image.short_id()));
        state.key = key;
        state.image = Some(image);
        state.dirty = false;
        Ok(())
    }
    // ANCHOR_END: layer_step

    /// The stage's result: its last image, with the settings stored if they changed since.
    fn finish(&mut self, state: StageState) -> Result<Image> {
        if let (Some(image), false) = (&state.image, state.dirty) {
            return Ok(image.clone());
        }
        let key = chain(&state.key, "commit settings");
        if let Some(image) = self.cache.lookup(&self.store, &key) {
            return Ok(image);
        }
        let image = derive(
            &self.store,
            state.image.as_ref(),
            None,
            &state.settings,
            state.scope.env(),
            "ferry build: settings",
        )?;
        self.cache
            .record(&key, &image)
            .map_err(BuildError::io("record the build cache", self.root.path()))?;
        Ok(image)
    }
}

fn from_text(from: &FromImage<String>) -> String {
    match &from.alias {
        Some(alias) => format!("FROM {} AS {alias}", from.image),
        None => format!("FROM {}", from.image),
    }
}
