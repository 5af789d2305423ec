//! Where COPY and ADD take files from: the build context (a directory, minus what
//! `.dockerignore` excludes) or an image — an earlier stage's, for `COPY --from`.
//!
//! A source pattern is cleaned first and refused if it climbs out of its root (`../secret`);
//! patterns with wildcards are matched against every path under the root (see
//! [`glob`](super::glob)). A matched directory stands for its contents.

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use super::dockerignore::DockerIgnore;
use super::glob;
use super::paths;
use crate::image::view::LayeredView;

/// A file to copy: where its bytes are on this machine, and its metadata (not following links).
#[derive(Debug)]
pub struct SourceFile {
    /// The host path (in the context, or in an image's layer directory).
    pub host: PathBuf,
    /// Its metadata.
    pub meta: Metadata,
}

/// One match of a source pattern.
#[derive(Debug)]
pub struct Matched {
    /// Its last path component (a file copied into a directory keeps this name).
    pub name: String,
    /// Whether it is a directory (whose contents are copied).
    pub is_dir: bool,
    /// Itself (path `""`) for a file; for a directory everything below it, with paths relative
    /// to it, parents before children.
    pub files: Vec<(String, SourceFile)>,
}

/// Something COPY can take files from.
pub trait Origin {
    /// The matches of a source pattern, or why there are none.
    fn expand(&self, pattern: &str) -> Result<Vec<Matched>, String>;
}

/// The build context: a directory and its `.dockerignore`.
#[derive(Debug, Clone)]
pub struct BuildContext {
    dir: PathBuf,
    ignore: DockerIgnore,
}

impl BuildContext {
    /// The context at `dir` (which must be a directory), with its `.dockerignore` if any.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let dir = fs::canonicalize(dir)?;
        if !dir.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                dir.display()
            )));
        }
        let ignore = DockerIgnore::load(&dir)?;
        Ok(Self { dir, ignore })
    }

    /// The context directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every path under `relative` (`""` for the root) that `.dockerignore` lets through, sorted,
    /// parents before children.
    fn walk(
        &self,
        relative: &str,
        out: &mut Vec<(String, SourceFile)>,
        base: &str,
    ) -> Result<(), String> {
        let dir = self.dir.join(relative);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(|e| format!("read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in names {
            let path = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            let host = self.dir.join(&path);
            let meta = host
                .symlink_metadata()
                .map_err(|e| format!("stat {}: {e}", host.display()))?;
            let ignored = self.ignore.is_ignored(&path);
            if meta.is_dir() && (!ignored || self.ignore.may_include_below(&path)) {
                let inside = relative_to(&path, base);
                if !ignored {
                    out.push((inside, SourceFile { host, meta }));
                }
                self.walk(&path, out, base)?;
            } else if !ignored {
                out.push((relative_to(&path, base), SourceFile { host, meta }));
            }
        }
        Ok(())
    }

    fn matched(&self, relative: &str, pattern: &str) -> Result<Matched, String> {
        let not_found = || {
            format!("file not found in build context or excluded by .dockerignore: stat {pattern}: file does not exist")
        };
        if !relative.is_empty() && self.ignore.is_ignored(relative) {
            return Err(not_found());
        }
        let host = self.dir.join(relative);
        if !relative.is_empty() {
            self.check_inside(&host, pattern)?;
        }
        let meta = host.symlink_metadata().map_err(|_| not_found())?;
        let name = relative.rsplit('/').next().unwrap_or_default().to_string();
        if meta.is_dir() {
            let mut files = Vec::new();
            self.walk(relative, &mut files, relative)?;
            Ok(Matched {
                name,
                is_dir: true,
                files,
            })
        } else {
            Ok(Matched {
                name,
                is_dir: false,
                files: vec![(String::new(), SourceFile { host, meta })],
            })
        }
    }

    /// Refuses a path whose directories lead out of the context through a symlink.
    fn check_inside(&self, host: &Path, pattern: &str) -> Result<(), String> {
        let parent = host.parent().unwrap_or(&self.dir);
        match fs::canonicalize(parent) {
            Ok(real) if !real.starts_with(&self.dir) => Err(format!(
                "forbidden path outside the build context: {pattern}"
            )),
            _ => Ok(()),
        }
    }
}

impl Origin for BuildContext {
    fn expand(&self, pattern: &str) -> Result<Vec<Matched>, String> {
        let cleaned = paths::clean(pattern)
            .ok_or_else(|| format!("forbidden path outside the build context: {pattern}"))?;
        if !glob::has_wildcards(&cleaned) {
            return Ok(vec![self.matched(&cleaned, pattern)?]);
        }
        let mut all = Vec::new();
        self.walk("", &mut all, "")?;
        let hits: Vec<String> = all
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| glob::matches(&cleaned, p))
            .collect();
        if hits.is_empty() {
            return Err(format!(
                "no source files were specified: nothing in the build context matches {pattern}"
            ));
        }
        hits.iter().map(|hit| self.matched(hit, pattern)).collect()
    }
}

/// An image's files, as its layers show them merged (for `COPY --from`).
#[derive(Debug, Clone)]
pub struct ImageOrigin {
    view: LayeredView,
}

impl ImageOrigin {
    /// The files of the layer directories `layers`, uppermost first.
    pub fn new(layers: Vec<PathBuf>) -> Self {
        Self {
            view: LayeredView::new(layers),
        }
    }

    fn matched(&self, relative: &str, pattern: &str) -> Result<Matched, String> {
        let found = self
            .view
            .lookup(Path::new(relative))
            .ok_or_else(|| format!("{pattern}: no such file or directory in the source image"))?;
        let name = relative.rsplit('/').next().unwrap_or_default().to_string();
        if !found.meta.is_dir() {
            return Ok(Matched {
                name,
                is_dir: false,
                files: vec![(
                    String::new(),
                    SourceFile {
                        host: found.path,
                        meta: found.meta,
                    },
                )],
            });
        }
        let mut files = Vec::new();
        self.walk(relative, "", &mut files);
        Ok(Matched {
            name,
            is_dir: true,
            files,
        })
    }

    fn walk(&self, relative: &str, inside: &str, out: &mut Vec<(String, SourceFile)>) {
        for (name, found) in self.view.list(Path::new(relative)) {
            let name = name.to_string_lossy().into_owned();
            let child_inside = if inside.is_empty() {
                name.clone()
            } else {
                format!("{inside}/{name}")
            };
            let child = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            let is_dir = found.meta.is_dir();
            out.push((
                child_inside.clone(),
                SourceFile {
                    host: found.path,
                    meta: found.meta,
                },
            ));
            if is_dir {
                self.walk(&child, &child_inside, out);
            }
        }
    }
}

impl Origin for ImageOrigin {
    fn expand(&self, pattern: &str) -> Result<Vec<Matched>, String> {
        let cleaned = paths::clean(pattern).unwrap_or_default();
        let (parent, last) = cleaned.rsplit_once('/').unwrap_or(("", cleaned.as_str()));
        if !glob::has_wildcards(last) {
            return Ok(vec![self.matched(&cleaned, pattern)?]);
        }
        let names: Vec<String> = self
            .view
            .list(Path::new(parent))
            .into_keys()
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let hits: Vec<String> = names
            .into_iter()
            .filter(|n| glob::matches(last, n))
            .collect();
        if hits.is_empty() {
            return Err(format!(
                "no source files were specified: nothing in the source image matches {pattern}"
            ));
        }
        hits.iter()
            .map(|n| {
                self.matched(
                    &if parent.is_empty() {
                        n.clone()
                    } else {
                        format!("{parent}/{n}")
                    },
                    pattern,
                )
            })
            .collect()
    }
}

fn relative_to(path: &str, base: &str) -> String {
    if base.is_empty() {
        return path.to_string();
    }
    path.strip_prefix(base)
        .map(|p| p.trim_start_matches('/').to_string())
        .unwrap_or_else(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(files: &[(&str, &str)], ignore: &str) -> (tempfile::TempDir, BuildContext) {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        fs::write(dir.path().join(".dockerignore"), ignore).unwrap();
        let context = BuildContext::open(dir.path()).unwrap();
        (dir, context)
    }

    fn names(matched: &[Matched]) -> Vec<Vec<String>> {
        matched
            .iter()
            .map(|m| m.files.iter().map(|(p, _)| p.clone()).collect())
            .collect()
    }

    #[test]
    fn a_directory_stands_for_its_contents_minus_what_is_ignored() {
        let (_dir, context) = context(
            &[
                ("dist/index.html", "x"),
                ("dist/js/app.js", "y"),
                ("dist/app.js.map", "z"),
            ],
            "**/*.map\n",
        );
        let matched = context.expand("dist").unwrap();
        assert!(matched[0].is_dir);
        assert_eq!(names(&matched), [vec!["index.html", "js", "js/app.js"]]);
    }

    #[test]
    fn the_whole_context_is_dot_and_excludes_ignored_files() {
        let (_dir, context) = context(
            &[
                ("app.py", "x"),
                ("node_modules/a/b.js", "y"),
                ("secret.key", "k"),
            ],
            "node_modules\nsecret.key\n",
        );
        let all = context.expand(".").unwrap();
        assert_eq!(names(&all), [vec![".dockerignore", "app.py"]]);
        let err = context.expand("secret.key").unwrap_err();
        assert!(err.contains("excluded by .dockerignore"), "{err}");
    }

    #[test]
    fn globs_match_and_a_missing_match_is_an_error() {
        let (_dir, context) = context(&[("home.txt", "1"), ("homer.md", "2"), ("other", "3")], "");
        let matched = context.expand("hom*").unwrap();
        assert_eq!(
            matched.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            ["home.txt", "homer.md"]
        );
        assert!(context
            .expand("*.nothing")
            .unwrap_err()
            .contains("no source files were specified"));
    }

    #[test]
    fn paths_outside_the_context_are_refused() {
        let (dir, context) = context(&[("a", "x")], "");
        assert!(context
            .expand("../etc/passwd")
            .unwrap_err()
            .contains("forbidden path outside the build context"));
        std::os::unix::fs::symlink("/etc", dir.path().join("escape")).unwrap();
        assert!(context
            .expand("escape/passwd")
            .unwrap_err()
            .contains("forbidden path outside the build context"));
    }

    #[test]
    fn an_image_origin_reads_the_merged_layers() {
        let (upper, lower) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fs::create_dir_all(lower.path().join("out")).unwrap();
        fs::write(lower.path().join("out/app"), "old").unwrap();
        fs::create_dir_all(upper.path().join("out")).unwrap();
        fs::write(upper.path().join("out/app"), "new").unwrap();
        let origin = ImageOrigin::new(vec![upper.path().into(), lower.path().into()]);
        let matched = origin.expand("/out/app").unwrap();
        assert_eq!(
            fs::read_to_string(&matched[0].files[0].1.host).unwrap(),
            "new"
        );
        assert!(origin.expand("/missing").is_err());
        assert_eq!(origin.expand("/out/a*").unwrap().len(), 1);
    }
}
