//! `ecs-emulator`: serve a local Alibaba Cloud ECS endpoint.
//!
//! Prints `listening on http://HOST:PORT` (`https://` with `--tls`) as the first stdout line (flushed,
//! so a parent process can read the port of `--listen 127.0.0.1:0`); logs
//! go to stderr (`RUST_LOG` filters them, default `info`). Stops on Ctrl-C
//! or SIGTERM.
//!
//! `ecs-emulator timeline --journal FILE` writes a saved journal (the body of
//! `GET /_emulator/journal`) as the timeline page to stdout, without serving.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use terraform_provider_ecs::emulator::tls::TlsSetting;
use terraform_provider_ecs::emulator::{self, config, Config};

/// A local, faithful Alibaba Cloud ECS endpoint for demos, tests and CI.
#[derive(Parser)]
#[command(name = "ecs-emulator", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Serve,
}

#[derive(Subcommand)]
enum Command {
    /// Write a saved journal as the timeline page (self-contained HTML) to
    /// stdout: `ecs-emulator timeline --journal journal.json > timeline.html`.
    Timeline {
        /// The journal: a file holding the body of GET /_emulator/journal.
        #[arg(long)]
        journal: PathBuf,
        /// The page's title.
        #[arg(long, default_value = "ecs-emulator timeline")]
        title: String,
        /// The emulator's --cooldown, to shade cooldown windows when the
        /// journal does not say it (journals carry it in "settings").
        #[arg(long, value_parser = humantime::parse_duration)]
        cooldown: Option<Duration>,
    },
}

/// Serving (no subcommand).
#[derive(Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Access key id clients must sign with.
    #[arg(long, env = "ECS_EMULATOR_ACCESS_KEY_ID", default_value = config::DEFAULT_ACCESS_KEY_ID)]
    access_key_id: String,
    /// Access key secret clients must sign with.
    #[arg(
        long,
        env = "ECS_EMULATOR_ACCESS_KEY_SECRET",
        default_value = config::DEFAULT_ACCESS_KEY_SECRET,
        hide_default_value = true,
        hide_env_values = true
    )]
    access_key_secret: String,
    /// Region served; zones are REGION-h, REGION-i, REGION-j.
    #[arg(long, default_value = config::DEFAULT_REGION)]
    region: String,
    /// State file: loaded at start, rewritten before every acknowledged change.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Seed file (JSON instances, or {"Account":{…},"Instances":[…]}), used
    /// when the state file does not exist yet.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// After a successful modification, further modifications of that
    /// instance are refused for this long.
    #[arg(long, default_value = "300s", value_parser = humantime::parse_duration)]
    cooldown: Duration,
    /// Time spent in Pending, Starting and Stopping.
    #[arg(long, default_value = "3s", value_parser = humantime::parse_duration)]
    transition: Duration,
    /// Make transition times differ: by instance family (built-in factors,
    /// see --transition-factor) and from one transition to the next, within
    /// ± this fraction (e.g. 0.3). 0: every transition takes --transition.
    #[arg(long, default_value_t = 0.0)]
    transition_spread: f64,
    /// A family's transition factor, FAMILY=FACTOR (e.g. ecs.r6=1.4);
    /// repeatable; replaces the built-in one.
    #[arg(long, value_parser = parse_factor)]
    transition_factor: Vec<(String, f64)>,
    /// Seed of the spread's random draws, for reproducible runs.
    #[arg(long)]
    transition_seed: Option<u64>,
    /// Probability that a mutating call answers 500 InternalError, unchanged.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Probability that a mutating call is applied and then left unanswered.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Requests per second allowed per action; the excess gets Throttling.
    #[arg(long)]
    throttle_qps: Option<f64>,
    /// Delay added to every API request.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    latency: Duration,
    /// Count InternetMaxBandwidthOut and In in one call as two modifications.
    #[arg(long)]
    strict_bandwidth: bool,
    /// Model a legacy account that may still create classic-network
    /// instances (RunInstances without VSwitchId); new accounts cannot.
    #[arg(long)]
    classic_network: bool,
    /// StoppedMode of a StopInstance that names none (VPC pay-as-you-go):
    /// KeepCharging, or StopCharging like an account in economical mode.
    #[arg(long, default_value = "KeepCharging", value_parser = ["KeepCharging", "StopCharging"])]
    default_stopped_mode: String,
    /// Report InternetMaxBandwidthIn = -1 for VPC instances whose inbound
    /// bandwidth was never set, as real ECS does (default: 200).
    #[arg(long)]
    vpc_bandwidth_in_unset: bool,
    /// Show a paid subscription type change in DescribeInstances as soon as
    /// it is ordered (default: only from the restart that puts it in effect).
    #[arg(long)]
    subscription_type_shown_early: bool,
    /// Run the gateway's clock this far ahead of the clients' (beyond 15
    /// minutes, every signed request is refused as InvalidTimeStamp.Expired).
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    clock_skew: Duration,
    /// Serve HTTPS. Without --tls-cert, generate a CA and a server
    /// certificate (localhost, 127.0.0.1, ::1 and each --tls-name) at start
    /// and write the CA's PEM to --tls-ca-out.
    #[arg(long)]
    tls: bool,
    /// Where --tls writes the generated CA certificate (PEM); point clients
    /// at it with SSL_CERT_FILE.
    #[arg(long, default_value = "ecs-emulator-ca.pem")]
    tls_ca_out: PathBuf,
    /// Extra DNS name or IP address for the generated server certificate.
    #[arg(long)]
    tls_name: Vec<String>,
    /// Serve this PEM certificate chain instead of generating one (implies --tls).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Lifetime of every credential STS, the metadata service and the
    /// credentials URI issue (default: the DurationSeconds asked, or 1 h);
    /// scale it down (e.g. 20s) to exercise renewal. Expired ones are refused
    /// with InvalidSecurityToken.Expired.
    #[arg(long, value_parser = humantime::parse_duration)]
    credential_lifetime: Option<Duration>,
    /// A role ARN AssumeRole and AssumeRoleWithOIDC may assume (repeatable;
    /// default acs:ram::1000000000000000:role/terraform).
    #[arg(long = "role")]
    roles: Vec<String>,
    /// An OIDC provider ARN AssumeRoleWithOIDC accepts (repeatable; default
    /// acs:ram::1000000000000000:oidc-provider/ci).
    #[arg(long = "oidc-provider")]
    oidc_providers: Vec<String>,
    /// The RAM role the metadata service serves (none: it answers 404).
    #[arg(long)]
    ecs_role: Option<String>,
    /// A RAM policy document (JSON): API actions it does not allow are
    /// refused with 403 Forbidden.RAM.
    #[arg(long)]
    ram_policy: Option<PathBuf>,
}

impl TryFrom<Serve> for Config {
    type Error = String;

    fn try_from(c: Serve) -> Result<Self, String> {
        let defaults = emulator::identity::IdentityConfig::default();
        let identity = emulator::identity::IdentityConfig {
            credential_lifetime: c.credential_lifetime,
            roles: if c.roles.is_empty() {
                defaults.roles
            } else {
                c.roles.clone()
            },
            oidc_providers: if c.oidc_providers.is_empty() {
                defaults.oidc_providers
            } else {
                c.oidc_providers.clone()
            },
            ecs_role: c.ecs_role.clone(),
            ram_policy: c
                .ram_policy
                .as_deref()
                .map(emulator::identity::RamPolicy::load)
                .transpose()?,
        };
        let tls = match (c.tls_cert, c.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSetting::Files { cert, key }),
            _ if c.tls => Some(TlsSetting::Generate {
                ca_out: c.tls_ca_out,
                names: c.tls_name,
            }),
            _ => None,
        };
        Ok(Config {
            listen: c.listen,
            access_key_id: c.access_key_id,
            access_key_secret: c.access_key_secret,
            region: c.region,
            state: c.state,
            seed: c.seed,
            cooldown: c.cooldown,
            transition: c.transition,
            transition_spread: c.transition_spread,
            transition_factors: c.transition_factor.into_iter().collect(),
            transition_seed: c.transition_seed,
            fail_rate: c.fail_rate,
            drop_rate: c.drop_rate,
            throttle_qps: c.throttle_qps,
            latency: c.latency,
            strict_bandwidth: c.strict_bandwidth,
            classic_network: c.classic_network,
            default_stopped_mode: c.default_stopped_mode,
            vpc_bandwidth_in_unset: c.vpc_bandwidth_in_unset,
            subscription_type_shown_early: c.subscription_type_shown_early,
            clock_skew: c.clock_skew,
            tls,
            identity,
        })
    }
}

/// `ecs.r6=1.4` → (`ecs.r6`, 1.4).
fn parse_factor(s: &str) -> Result<(String, f64), String> {
    let (family, f) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FAMILY=FACTOR (e.g. ecs.r6=1.4), got {s:?}"))?;
    let f: f64 = f
        .parse()
        .map_err(|_| format!("{f:?} is not a number (in {s:?})"))?;
    Ok((family.to_string(), f))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `ecs-emulator timeline`: the page to stdout, or one line naming the
/// problem on stderr.
fn write_timeline(
    path: &std::path::Path,
    title: &str,
    cooldown: Option<Duration>,
) -> std::process::ExitCode {
    let page = std::fs::read(path)
        .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("{} is not JSON: {e}", path.display()))
        })
        .and_then(|v| {
            emulator::timeline::Timeline::from_journal(&v)
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .map(|mut tl| {
            if cooldown.is_some() {
                tl.cooldown = cooldown;
            }
            emulator::timeline::render(&tl, title)
        });
    match page {
        Ok(html) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(html.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ecs-emulator timeline: cannot write the page: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("ecs-emulator timeline: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    if let Some(Command::Timeline {
        journal,
        title,
        cooldown,
    }) = cli.command
    {
        return write_timeline(&journal, &title, cooldown);
    }
    let config: Config = match cli.serve.try_into() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ecs-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(?config, "starting");
    let handle = match emulator::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("ecs-emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", handle.url());
    let _ = out.flush();
    drop(out);
    shutdown_signal().await;
    tracing::info!("shutting down");
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}
