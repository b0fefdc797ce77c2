//! `schemabus check | plan | apply | pull`: contracts as code (docs/CONTRACTS-AS-CODE.md).
//! The I/O around the pure `project` module: files, git, the service.
//!
//! Exit codes: 0 clean (or applied), 1 the project is invalid or incompatible (or apply
//! failed), 2 the command could not run (usage, unreadable baseline, unreachable service).

mod client;
mod git;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::json;

use crate::project::check::{Checked, Modes, check};
use crate::project::plan::{Plan, PlanOptions, plan};
use crate::project::problem::Severity;
use crate::project::resolve::Existing;
use crate::project::{Problem, Project, load};
use client::Service;

/// Output of `check` and `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::`) and the text report.
    Github,
}

/// `schemabus check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Project directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Baseline: `git:REF` (the project at another commit) or the URL of a running service.
    #[arg(long)]
    pub against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// API key for `--against URL`.
    #[arg(long, env = "SCHEMABUS_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

/// The service `plan`, `apply` and `pull` talk to.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// Base URL of the service (`http://127.0.0.1:8080`).
    #[arg(long)]
    pub url: String,
    /// API key.
    #[arg(long, env = "SCHEMABUS_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

impl ServiceArgs {
    fn connect(&self) -> Result<Service, String> {
        Service::new(&self.url, self.key.clone())
    }
}

/// `schemabus plan` and `schemabus apply`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Project directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Also delete what the service holds and the project does not declare.
    #[arg(long)]
    pub prune: bool,
    /// Send rules with webhook credentials again (after rotating a secret).
    #[arg(long)]
    pub resend_secrets: bool,
    /// Output format (`plan`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// `schemabus pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// Directory to write the project into (created when missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Overwrite an existing schemabus.yaml.
    #[arg(long)]
    pub force: bool,
}

const CANNOT_RUN: u8 = 2;

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(CANNOT_RUN)
}

/// Reads files of a project directory; refuses symbolic links that leave it.
fn dir_reader(dir: &Path) -> impl Fn(&str) -> Result<Option<String>, String> + '_ {
    move |relative: &str| {
        let path = dir.join(relative);
        // A symbolic link may not lead out of the project: its target would be uploaded.
        if let (Ok(real), Ok(root)) = (path.canonicalize(), dir.canonicalize())
            && !real.starts_with(&root)
        {
            return Err(format!(
                "{} leads outside the project directory ({})",
                path.display(),
                real.display()
            ));
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }
}

/// Loads a project, printing the problems that stop it from loading.
fn load_dir(dir: &Path) -> Result<(Project, Vec<Problem>), Vec<Problem>> {
    load(&dir_reader(dir))
}

fn print_problems(problems: &[Problem], format: Format) {
    for p in problems {
        if format == Format::Github {
            println!("{}", p.github());
        }
        println!("{}", p.text());
    }
}

fn errors(problems: &[Problem]) -> usize {
    problems.iter().filter(|p| p.severity == Severity::Error).count()
}

/// `schemabus check`.
pub fn check_command(args: &CheckArgs) -> ExitCode {
    if !args.dir.is_dir() {
        return fail(&format!("{} is not a directory", args.dir.display()));
    }
    let (project, mut problems) = match load_dir(&args.dir) {
        Ok(loaded) => loaded,
        Err(problems) => return report_check(&args.format, &problems, &Checked::default(), None),
    };
    let baseline: Option<(Existing, Modes, String)> = match args.against.as_deref() {
        None => None,
        Some(spec) => match spec.strip_prefix("git:") {
            Some(reference) => match git::baseline(&args.dir, reference) {
                Ok(b) => Some((b, Modes::new(), format!("git:{reference}"))),
                Err(e) => return fail(&e),
            },
            None => {
                let service = match Service::new(spec, args.key.clone()) {
                    Ok(s) => s,
                    Err(e) => return fail(&e),
                };
                match service.snapshot() {
                    Ok(remote) => Some((remote.existing(), remote.modes(), spec.to_owned())),
                    Err(e) => return fail(&e),
                }
            }
        },
    };
    let checked = check(&project, baseline.as_ref().map(|(e, m, _)| (e, m)));
    problems.extend(checked.problems.iter().cloned());
    report_check(&args.format, &problems, &checked, baseline.as_ref().map(|b| b.2.as_str()))
}

fn report_check(format: &Format, problems: &[Problem], checked: &Checked, against: Option<&str>) -> ExitCode {
    let failed = errors(problems);
    if *format == Format::Json {
        let body = json!({
            "ok": failed == 0,
            "against": against,
            "problems": problems,
            "changes": checked.changes,
        });
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
    } else {
        print_problems(problems, *format);
        for c in &checked.changes {
            match c.from_version {
                None => println!(
                    "+ {}/{} ({}): new schema, version {}",
                    c.registry, c.schema, c.file, c.to_version
                ),
                Some(from) => {
                    println!(
                        "~ {}/{} ({}): version {from} -> {}",
                        c.registry, c.schema, c.file, c.to_version
                    );
                    for line in &c.changes {
                        let verdict = match (line.backward_compatible, line.forward_compatible) {
                            (true, true) => "compatible both ways",
                            (true, false) => "backward compatible only",
                            (false, true) => "forward compatible only",
                            (false, false) => "incompatible both ways",
                        };
                        println!("    {}:{}: {} ({verdict})", c.file, line.line, line.message);
                    }
                }
            }
        }
        let warnings = problems.len() - failed;
        let base = against.map(|a| format!(" against {a}")).unwrap_or_default();
        println!(
            "{} schema(s) checked{base}: {failed} error(s), {warnings} warning(s), {} changed",
            checked.resolved.order.len(),
            checked.changes.len()
        );
    }
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn planned(args: &PlanArgs) -> Result<(Service, Plan), ExitCode> {
    if !args.dir.is_dir() {
        return Err(fail(&format!("{} is not a directory", args.dir.display())));
    }
    let (project, load_problems) = match load_dir(&args.dir) {
        Ok(loaded) => loaded,
        Err(problems) => {
            print_problems(&problems, Format::Text);
            return Err(ExitCode::FAILURE);
        }
    };
    let service = args.service.connect().map_err(|e| fail(&e))?;
    let remote = service.snapshot().map_err(|e| fail(&e))?;
    let options = PlanOptions { prune: args.prune, resend_secrets: args.resend_secrets };
    let mut plan = plan(&project, &remote, options);
    plan.problems.splice(0..0, load_problems);
    Ok((service, plan))
}

/// `schemabus plan`.
pub fn plan_command(args: &PlanArgs) -> ExitCode {
    let (_, plan) = match planned(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if args.format == Format::Json {
        let body = json!({"ok": !plan.blocked(), "actions": plan.actions, "problems": plan.problems});
        println!("{}", serde_json::to_string_pretty(&body).unwrap_or_default());
    } else {
        print_problems(&plan.problems, args.format);
        for a in &plan.actions {
            println!("{}", a.line());
        }
        if plan.actions.is_empty() {
            println!("No changes: the service matches the project.");
        } else {
            println!("{} change(s) to apply.", plan.actions.len());
        }
    }
    if plan.blocked() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// `schemabus apply`.
pub fn apply_command(args: &PlanArgs) -> ExitCode {
    let (service, plan) = match planned(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    print_problems(&plan.problems, Format::Text);
    if plan.blocked() {
        println!("Nothing applied: fix the errors above first.");
        return ExitCode::FAILURE;
    }
    // Every credential must be at hand before the first write, so a missing one cannot
    // leave the service half-way.
    let mut missing: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.secrets)
        .filter_map(|a| a.body.as_ref())
        .flat_map(crate::project::secrets::uses)
        .filter_map(|u| match u {
            crate::project::secrets::SecretUse::Env { name, .. } if std::env::var(&name).is_err() => {
                Some(name)
            }
            _ => None,
        })
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        eprintln!(
            "error: set the environment variable(s) {} for the webhook credentials. Nothing applied.",
            missing.join(", ")
        );
        return ExitCode::FAILURE;
    }
    for (i, a) in plan.actions.iter().enumerate() {
        if let Err(e) = service.run(a) {
            eprintln!(
                "error: {} failed: {e}\nStopped after {i} of {} change(s); what ran stays applied, run `schemabus plan` to see the rest.",
                a.line().trim_start_matches(['+', '~', '-', ' ']),
                plan.actions.len()
            );
            return ExitCode::FAILURE;
        }
        println!("{}", a.line());
    }
    if plan.actions.is_empty() {
        println!("No changes: the service matches the project.");
    } else {
        println!("Applied {} change(s).", plan.actions.len());
    }
    ExitCode::SUCCESS
}

/// `schemabus pull`.
pub fn pull_command(args: &PullArgs) -> ExitCode {
    let project_file = args.dir.join(crate::project::PROJECT_FILE);
    if project_file.exists() && !args.force {
        return fail(&format!("{} exists; pass --force to overwrite it", project_file.display()));
    }
    let service = match args.service.connect() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let remote = match service.snapshot() {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let pulled = crate::project::pull::pull(&remote);
    for (relative, text) in &pulled.files {
        let path = args.dir.join(relative);
        if let Some(parent) = path.parent()
            && let Err(e) = std::fs::create_dir_all(parent)
        {
            return fail(&format!("cannot create {}: {e}", parent.display()));
        }
        if let Err(e) = std::fs::write(&path, text) {
            return fail(&format!("cannot write {}: {e}", path.display()));
        }
        println!("{}", path.display());
    }
    if !pulled.secrets.is_empty() {
        println!("Webhook credentials are environment references; set these where apply runs:");
        for name in &pulled.secrets {
            println!("  {name}");
        }
    }
    ExitCode::SUCCESS
}
