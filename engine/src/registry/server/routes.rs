//! Which endpoint of the distribution API a request path names.
//!
//! Repository names contain slashes (`eladmin/eladmin-web`), so the API's paths cannot be matched
//! component by component. But the last component — a tag, a digest, an upload id — never has
//! one: so ferry splits it off, looks at what the path ends with (`/manifests`, `/blobs`,
//! `/blobs/uploads`, `/tags` + `list`), and takes everything before that as the name.

use crate::registry::api::valid_repository_name;

/// An endpoint, with the parts of the path it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`: "do you speak v2, and am I allowed in?"
    Base,
    /// `/v2/_catalog`: every repository.
    Catalog,
    /// `/v2/<name>/tags/list`.
    Tags {
        /// The repository.
        name: String,
    },
    /// `/v2/<name>/manifests/<reference>` (a tag or a digest).
    Manifest {
        /// The repository.
        name: String,
        /// A tag or a digest.
        reference: String,
    },
    /// `/v2/<name>/blobs/<digest>`.
    Blob {
        /// The repository.
        name: String,
        /// The blob's digest, as given.
        digest: String,
    },
    /// `/v2/<name>/blobs/uploads/`: start an upload (or mount, or upload in one go).
    StartUpload {
        /// The repository.
        name: String,
    },
    /// `/v2/<name>/blobs/uploads/<uuid>`: an upload in progress.
    Upload {
        /// The repository.
        name: String,
        /// The upload's id.
        uuid: String,
    },
}

/// Why a path names no endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// Not an API path at all.
    NotFound,
    /// An API path with an invalid repository name.
    InvalidName(String),
}

impl Route {
    /// Parses a request path (without the query string).
    pub fn parse(path: &str) -> Result<Route, RouteError> {
        let rest = path.strip_prefix("/v2").ok_or(RouteError::NotFound)?;
        match rest {
            "" | "/" => return Ok(Route::Base),
            "/_catalog" => return Ok(Route::Catalog),
            _ => {}
        }
        let rest = rest.strip_prefix('/').ok_or(RouteError::NotFound)?;
        // The last component is a reference, digest or upload id, none of which has a slash.
        let (prefix, last) = rest.rsplit_once('/').ok_or(RouteError::NotFound)?;
        if last == "list" {
            if let Some(name) = prefix.strip_suffix("/tags") {
                return Ok(Route::Tags {
                    name: checked(name)?,
                });
            }
        }
        if let Some(name) = prefix.strip_suffix("/manifests") {
            return Ok(Route::Manifest {
                name: checked(name)?,
                reference: last.to_string(),
            });
        }
        if let Some(name) = prefix.strip_suffix("/blobs/uploads") {
            let name = checked(name)?;
            return Ok(match last {
                "" => Route::StartUpload { name },
                uuid => Route::Upload {
                    name,
                    uuid: uuid.to_string(),
                },
            });
        }
        if let Some(name) = prefix.strip_suffix("/blobs") {
            let name = checked(name)?;
            return Ok(match last {
                "uploads" => Route::StartUpload { name },
                digest => Route::Blob {
                    name,
                    digest: digest.to_string(),
                },
            });
        }
        Err(RouteError::NotFound)
    }
}

fn checked(name: &str) -> Result<String, RouteError> {
    if valid_repository_name(name) {
        Ok(name.to_string())
    } else {
        Err(RouteError::InvalidName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> String {
        n.to_string()
    }

    #[test]
    fn every_endpoint_is_recognised_with_slashes_in_names() {
        assert_eq!(Route::parse("/v2/"), Ok(Route::Base));
        assert_eq!(Route::parse("/v2"), Ok(Route::Base));
        assert_eq!(Route::parse("/v2/_catalog"), Ok(Route::Catalog));
        assert_eq!(
            Route::parse("/v2/eladmin/eladmin-web/tags/list"),
            Ok(Route::Tags {
                name: name("eladmin/eladmin-web")
            })
        );
        assert_eq!(
            Route::parse("/v2/nginx/manifests/alpine"),
            Ok(Route::Manifest {
                name: name("nginx"),
                reference: "alpine".into()
            })
        );
        assert_eq!(
            Route::parse("/v2/a/b/blobs/sha256:abc"),
            Ok(Route::Blob {
                name: name("a/b"),
                digest: "sha256:abc".into()
            })
        );
        assert_eq!(
            Route::parse("/v2/a/blobs/uploads/"),
            Ok(Route::StartUpload { name: name("a") })
        );
        assert_eq!(
            Route::parse("/v2/a/blobs/uploads/1-2"),
            Ok(Route::Upload {
                name: name("a"),
                uuid: "1-2".into()
            })
        );
    }

    #[test]
    fn a_repository_may_be_named_like_an_endpoint_word() {
        assert_eq!(
            Route::parse("/v2/x/blobs/manifests/v1"),
            Ok(Route::Manifest {
                name: name("x/blobs"),
                reference: "v1".into()
            })
        );
        assert_eq!(
            Route::parse("/v2/x/manifests/blobs/sha256:1"),
            Ok(Route::Blob {
                name: name("x/manifests"),
                digest: "sha256:1".into()
            })
        );
    }

    #[test]
    fn bad_names_and_other_paths_are_refused() {
        assert_eq!(
            Route::parse("/v2/../etc/blobs/x"),
            Err(RouteError::InvalidName("../etc".into()))
        );
        assert_eq!(
            Route::parse("/v2/UP/tags/list"),
            Err(RouteError::InvalidName("UP".into()))
        );
        assert_eq!(Route::parse("/v1/x"), Err(RouteError::NotFound));
        assert_eq!(Route::parse("/v2/just-a-name"), Err(RouteError::NotFound));
        assert_eq!(Route::parse("/v2x/"), Err(RouteError::NotFound));
    }
}
