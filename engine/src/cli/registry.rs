//! Registry commands: `ferry registry serve`, `pull`, `push`, `login`, `logout`.
//!
//! Registry and client errors are reported here, at the CLI edge, as one line on stderr and exit
//! code 1, as Docker's `pull`, `push`, `login` and `logout` do (its 125 is for `run` and `create`);
//! `registry serve`, which Docker's CLI does not have, exits 125 when the server fails.

use std::fmt::Display;
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::container::StateRoot;
use crate::error::EXIT_ENGINE_ERROR;

/// The exit code of Docker's CLI when a command other than `run`/`create` fails: a refused login,
/// a missing image, a registry that says 401 or 404.
const EXIT_CLIENT_ERROR: i32 = 1;
use crate::image::Reference;
use crate::registry::client::progress::Progress;
use crate::registry::client::{self, registry_name, Context, CredentialStore, Credentials};
use crate::registry::server::{self, ServerConfig, DEFAULT_MAX_MANIFEST_BYTES};
use crate::Result;

/// The registry commands, at the top level as in Docker.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    /// Run a registry (`ferry registry serve`).
    Registry {
        #[command(subcommand)]
        action: RegistryAction,
    },
    /// Download an image from a registry.
    Pull(TransferArgs),
    /// Upload an image to a registry.
    Push(TransferArgs),
    /// Log in to a registry (credentials are kept in $FERRY_CONFIG/config.json).
    Login(LoginArgs),
    /// Log out from a registry.
    Logout(LogoutArgs),
}

/// `ferry registry …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum RegistryAction {
    /// Serve an OCI distribution-spec registry (like `registry:2`) until interrupted; it stores
    /// its blobs, repositories and uploads in the directory given by the global `--root`.
    Serve(ServeArgs),
}

/// `ferry registry serve` flags.
#[derive(Debug, clap::Args)]
pub(super) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5000")]
    addr: SocketAddr,
    /// An htpasswd file with bcrypt hashes (`htpasswd -Bbn user pass`): require basic auth.
    #[arg(long)]
    htpasswd: Option<PathBuf>,
    /// The largest manifest accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_MANIFEST_BYTES)]
    max_manifest_bytes: usize,
    /// Do not log requests.
    #[arg(long, short)]
    quiet: bool,
}

/// `ferry pull` and `ferry push`.
#[derive(Debug, clap::Args)]
pub(super) struct TransferArgs {
    /// The image, `[REGISTRY/]NAME[:TAG|@DIGEST]`.
    reference: String,
    /// Print only the image name at the end.
    #[arg(long, short)]
    quiet: bool,
}

/// `ferry login`.
#[derive(Debug, clap::Args)]
pub(super) struct LoginArgs {
    /// The registry (`host:port`); Docker Hub when omitted.
    server: Option<String>,
    /// User name (asked for on stdin when omitted).
    #[arg(long, short)]
    username: Option<String>,
    /// Password (insecure on a shared machine: prefer --password-stdin).
    #[arg(long, short)]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

/// `ferry logout`.
#[derive(Debug, clap::Args)]
pub(super) struct LogoutArgs {
    /// The registry; Docker Hub when omitted.
    server: Option<String>,
}

/// Runs a registry command.
pub(super) fn execute(root: &StateRoot, command: Command) -> Result<i32> {
    let (outcome, failure_code) = match command {
        Command::Registry {
            action: RegistryAction::Serve(args),
        } => (serve(root.path().to_path_buf(), args), EXIT_ENGINE_ERROR),
        Command::Pull(args) => (pull(root, args), EXIT_CLIENT_ERROR),
        Command::Push(args) => (push(root, args), EXIT_CLIENT_ERROR),
        Command::Login(args) => (login(root, args), EXIT_CLIENT_ERROR),
        Command::Logout(args) => (logout(args), EXIT_CLIENT_ERROR),
    };
    Ok(outcome.unwrap_or_else(|e| fail(e, failure_code)))
}

type Outcome = std::result::Result<i32, String>;

fn serve(storage: PathBuf, args: ServeArgs) -> Outcome {
    let config = ServerConfig {
        addr: args.addr,
        root: storage,
        htpasswd: args.htpasswd,
        max_manifest_bytes: args.max_manifest_bytes,
        log: !args.quiet,
    };
    server::run(&config).map_err(|e| e.to_string())?;
    Ok(0)
}

fn context(root: &StateRoot, quiet: bool) -> std::result::Result<Context, String> {
    let mut context =
        Context::open(root, CredentialStore::default_location()).map_err(|e| e.to_string())?;
    if quiet {
        context.progress = Progress::hidden();
    }
    Ok(context)
}

fn pull(root: &StateRoot, args: TransferArgs) -> Outcome {
    let reference = Reference::parse(&args.reference).map_err(|e| e.to_string())?;
    let context = context(root, args.quiet)?;
    let runtime = client::runtime().map_err(|e| e.to_string())?;
    runtime
        .block_on(client::pull::pull(&context, &reference))
        .map_err(|e| e.to_string())?;
    println!("{}", reference.familiar());
    Ok(0)
}

fn push(root: &StateRoot, args: TransferArgs) -> Outcome {
    let reference = Reference::parse(&args.reference).map_err(|e| e.to_string())?;
    let context = context(root, args.quiet)?;
    let runtime = client::runtime().map_err(|e| e.to_string())?;
    let pushed = runtime
        .block_on(client::push::push(&context, &reference))
        .map_err(|e| e.to_string())?;
    if args.quiet {
        println!("{}", pushed.digest);
    }
    Ok(0)
}

fn login(root: &StateRoot, args: LoginArgs) -> Outcome {
    let registry = registry_name(args.server.as_deref());
    let mut stdin = std::io::stdin().lock();
    let username = match args.username {
        Some(user) => user,
        None => prompt(&mut stdin, "Username: ")?,
    };
    let password = match (args.password, args.password_stdin) {
        (Some(_), true) => {
            return Err("--password and --password-stdin are mutually exclusive".into())
        }
        (Some(password), false) => password,
        (None, true) => read_line(&mut stdin)?,
        (None, false) => prompt(&mut stdin, "Password: ")?,
    };
    if username.is_empty() || password.is_empty() {
        return Err("login needs a username and a password".into());
    }
    let context = context(root, true)?;
    let runtime = client::runtime().map_err(|e| e.to_string())?;
    runtime
        .block_on(client::login(
            &context,
            &registry,
            Credentials { username, password },
        ))
        .map_err(|e| format!("login failed: {e}"))?;
    println!("Login Succeeded");
    Ok(0)
}

fn logout(args: LogoutArgs) -> Outcome {
    let registry = registry_name(args.server.as_deref());
    let removed = CredentialStore::default_location().erase(&registry)?;
    if removed {
        println!("Removing login credentials for {registry}");
    } else {
        println!("Not logged in to {registry}");
    }
    Ok(0)
}

fn prompt(stdin: &mut impl BufRead, label: &str) -> std::result::Result<String, String> {
    eprint!("{label}");
    read_line(stdin)
}

fn read_line(stdin: &mut impl BufRead) -> std::result::Result<String, String> {
    let mut line = String::new();
    stdin
        .read_line(&mut line)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Reports an error at the CLI edge and returns the exit code for it.
fn fail(error: impl Display, code: i32) -> i32 {
    eprintln!("ferry: {error}");
    code
}
