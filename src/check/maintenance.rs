//! Clusters' and teams' `maintenance:` windows, checked as Argo CD checks
//! an AppProject's sync windows: the kind, the cron schedule, the
//! duration and the time zone.

use super::Window;
use crate::base::error::{Diagnostic, Seg, Site};
use crate::load::raw::RawWindow;
use crate::rules::syncwindow::{self, Kind};

/// The windows of one document's `maintenance:` (at `site`).
pub(super) fn windows(raw: &[RawWindow], site: &Site, diags: &mut Vec<Diagnostic>) -> Vec<Window> {
    let mut out = Vec::new();
    for (i, w) in raw.iter().enumerate() {
        let at = site.key("maintenance").at(Seg::Index(i));
        let kind = match w.kind.as_str() {
            "allow" => Kind::Allow,
            "deny" => Kind::Deny,
            other => {
                diags.push(
                    Diagnostic::at(
                        at.key("kind"),
                        format!(
                            "maintenance window {}: kind `{other}` is neither `allow` nor `deny`",
                            i + 1
                        ),
                    )
                    .help("`allow`: syncs run only while it is open; `deny`: no sync runs while it is open"),
                );
                continue;
            }
        };
        // Argo CD refuses a window that names no application, namespace
        // or cluster; fleetc's covers what it is rendered for.
        let unscoped =
            w.applications.is_empty() && w.namespaces.is_empty() && w.clusters.is_empty();
        let rule = syncwindow::Window {
            kind,
            schedule: w.schedule.clone(),
            duration: w.duration.clone(),
            time_zone: w.time_zone.clone(),
            manual_sync: w.manual_sync,
            applications: if unscoped {
                vec!["*".to_string()]
            } else {
                w.applications.clone()
            },
            namespaces: w.namespaces.clone(),
            clusters: w.clusters.clone(),
        };
        let n = i + 1;
        match syncwindow::compile(&rule) {
            // Argo CD evaluates an unknown time zone as UTC, with a line in
            // its log: a typo would shift the window by hours, unseen.
            Ok(rule) if rule.warning().is_some() => {
                let p = rule.warning().map(|p| (p.field, p.help.clone()));
                let (field, help) = p.unwrap_or_default();
                let tz = w.time_zone.as_deref().unwrap_or_default();
                let names = syncwindow::time_zone_names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                diags.push(
                    Diagnostic::at(
                        at.key(field),
                        format!("maintenance window {n}: unknown time zone `{tz}` (Argo CD would read the schedule in UTC)"),
                    )
                    .help(crate::base::suggest::hint(tz, &names).unwrap_or(help)),
                );
            }
            // robfig's `Next` finds no start within five years and Argo CD
            // reads that as a window open for ever: a deny would stop
            // every sync, for good.
            Ok(rule) if rule.never_fires() => diags.push(
                Diagnostic::at(
                    at.key("schedule"),
                    format!(
                        "maintenance window {n}: schedule `{}` never fires (no such date), and Argo CD holds such a window open for ever",
                        w.schedule
                    ),
                )
                .help("fix the day and month (`0 0 30 2 *` is 30 February)"),
            ),
            Ok(rule) => out.push(Window {
                rule,
                unscoped,
                site: at.clone(),
            }),
            Err(p) => diags.push(
                Diagnostic::at(
                    at.key(p.field),
                    format!("maintenance window {n}: {}", p.message),
                )
                .help(p.help),
            ),
        }
    }
    out
}

/// In hub mode a team's one AppProject spans its clusters, and Argo CD
/// matches a window by its `applications`, `namespaces` *or* `clusters`
/// (types.go, `matchingWindows`): a cluster's window that names
/// applications or namespaces would apply on every cluster of the project,
/// and no `clusters:` added to it could narrow that. It may name none
/// (it is rendered with `clusters: [NAME]`) or only clusters.
pub(super) fn hub_scopes(
    clusters: &[super::Cluster],
    settings: &super::Settings,
    diags: &mut Vec<Diagnostic>,
) {
    if settings.mode != super::Mode::Hub {
        return;
    }
    for c in clusters {
        for (i, w) in c.maintenance.iter().enumerate() {
            let r = w.rule.window();
            if w.unscoped || (r.applications.is_empty() && r.namespaces.is_empty()) {
                continue;
            }
            diags.push(
                Diagnostic::at(
                    w.site.clone(),
                    format!(
                        "maintenance window {} of cluster `{}` names applications or namespaces, which in hub mode would hold on every cluster of the teams' AppProjects",
                        i + 1,
                        c.name
                    ),
                )
                .help("leave `applications` and `namespaces` out (the window then covers this cluster's Applications), or declare the window on the team (`maintenance:` in its namespaces/ file)"),
            );
        }
    }
}
