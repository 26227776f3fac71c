//! Tenancy in the inventory: who may write what.
//!
//! `owners:` in `fleetc.yaml` maps each team to the files it owns (globs
//! over paths relative to the inventory root, the same globs a CODEOWNERS
//! file gives the team). Every other file is the platform's. From a team's
//! file, only that team's things may be defined: its apps, its own team
//! document (with the namespaces it claims), and policies scoped to it
//! (`namespace: <team>`), which select and give values to its apps only.
//! Clusters, unscoped policies and other teams' documents must come from the
//! platform's files. With CODEOWNERS requiring each team's review on its
//! files and the platform's on the rest, a team can change only its own
//! apps, and `check` (the pre-commit hook, the CI job) says so with the
//! file and line.

use std::collections::BTreeMap;
use std::path::Path;

use globset::GlobSet;

use crate::base::error::Seg;

use super::{App, Cluster, Policy, Team};
use crate::base::error::{Diagnostic, Site};
use crate::load::glob_set_indexed;

/// Each owning team's files.
#[derive(Clone, Debug)]
pub struct Owners {
    teams: Vec<TeamGlobs>,
}

/// One team's globs.
#[derive(Clone, Debug)]
struct TeamGlobs {
    team: String,
    set: GlobSet,
    /// Each glob of the set: its index in the team's list, and its text
    /// (to name one that matches no file).
    globs: Vec<(usize, String)>,
}

impl Owners {
    /// Reads `owners:`; bad globs are problems at their place.
    pub(super) fn new(
        raw: &BTreeMap<String, Vec<String>>,
        site: &Site,
        diags: &mut Vec<Diagnostic>,
    ) -> Owners {
        let mut teams = Vec::new();
        for (team, patterns) in raw {
            let help = "a path glob relative to the inventory, e.g. `apps/payments/**`";
            let (set, kept) = glob_set_indexed(patterns, &site.key(team), false, help, diags);
            let globs = kept.into_iter().map(|i| (i, patterns[i].clone())).collect();
            teams.push(TeamGlobs {
                team: team.clone(),
                set,
                globs,
            });
        }
        Owners { teams }
    }

    /// The team that owns `file` (`None`: the platform), or the two teams
    /// whose globs both take it.
    fn owner(&self, file: &Path) -> Result<Option<&str>, (&str, &str)> {
        let path = file.to_string_lossy().replace('\\', "/");
        let mut found: Option<&str> = None;
        for TeamGlobs { team, set, .. } in &self.teams {
            if set.is_match(&path) {
                if let Some(other) = found {
                    return Err((other, team));
                }
                found = Some(team);
            }
        }
        Ok(found)
    }

    fn is_empty(&self) -> bool {
        self.teams.is_empty()
    }
}

/// Checks that each document comes from a file its team (or the platform)
/// owns.
pub(super) fn check(
    owners: &Owners,
    owners_site: &Site,
    teams: &[Team],
    clusters: &[Cluster],
    apps: &[App],
    policies: &[Policy],
    diags: &mut Vec<Diagnostic>,
) {
    if owners.is_empty() {
        return;
    }
    let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
    let mut unknown = Vec::new();
    for TeamGlobs { team, .. } in &owners.teams {
        if !names.contains(&team.as_str()) {
            unknown.push(team.as_str());
            diags.push(
                Diagnostic::at(
                    owners_site.key(team),
                    format!("`owners` names team `{team}`, which is not in the inventory"),
                )
                .help(
                    crate::base::suggest::hint(team, &names)
                        .unwrap_or_else(|| "use the name of a Namespace document".to_string()),
                ),
            );
        }
    }
    let sites = (teams.iter().map(|t| &t.site))
        .chain(clusters.iter().map(|c| &c.site))
        .chain(apps.iter().map(|a| &a.site))
        .chain(policies.iter().map(|p| &p.site));
    unmatched(owners, owners_site, &unknown, sites, diags);
    // A file of a team `owners` misnames is left alone: that is one error.
    let mut owner_of = |site: &Site| -> Option<String> {
        match owners.owner(&site.file) {
            Ok(Some(o)) if unknown.contains(&o) => None,
            Ok(o) => o.map(str::to_string),
            Err((a, b)) => {
                diags.push(
                    Diagnostic::at(site.clone(), format!("this file is owned by both team `{a}` and team `{b}` (their `owners` globs both take it)"))
                        .help("give each file one owner in `owners:` of fleetc.yaml"),
                );
                None
            }
        }
    };
    let mut refusals = Vec::new();
    for t in teams {
        if let Some(owner) = owner_of(&t.site) {
            if owner != t.name {
                refusals.push(refuse(
                    &t.site.key("name"),
                    &owner,
                    format!("defines team `{}`", t.name),
                ));
            }
        }
    }
    for c in clusters {
        if let Some(owner) = owner_of(&c.site) {
            refusals.push(refuse(
                &c.site.key("name"),
                &owner,
                format!("defines cluster `{}`; clusters are the platform's", c.name),
            ));
        }
    }
    for a in apps {
        if let Some(owner) = owner_of(&a.site) {
            let team = teams.get(a.team).map(|t| t.name.as_str()).unwrap_or("");
            if owner != team {
                refusals.push(refuse(
                    &a.site.key("namespace"),
                    &owner,
                    format!("defines app `{}` of team `{team}`", a.name),
                ));
            }
        }
    }
    for p in policies {
        if let Some(owner) = owner_of(&p.site) {
            match p.team.and_then(|t| teams.get(t)) {
                Some(t) if t.name == owner => {}
                Some(t) => refusals.push(refuse(&p.site.key("namespace"), &owner, format!("holds policy `{}`, scoped to team `{}`", p.name, t.name))),
                None => refusals.push(refuse(&p.site.key("name"), &owner, format!("holds policy `{}`, which is not scoped to a team and may place any team's apps", p.name))),
            }
        }
    }
    diags.extend(refusals);
}

/// A glob of `owners` that takes no document's file: most often a typo or a
/// path written from the repository's root rather than the inventory's,
/// and the team's files would silently stay the platform's.
/// (A team `owners` misnames has had its error: its globs are not looked at.)
fn unmatched<'a>(
    owners: &Owners,
    owners_site: &Site,
    unknown: &[&str],
    documents: impl Iterator<Item = &'a Site>,
    diags: &mut Vec<Diagnostic>,
) {
    let files: std::collections::BTreeSet<String> = documents
        .map(|site| site.file.to_string_lossy().replace('\\', "/"))
        .collect();
    let example = files
        .iter()
        .next()
        .map(String::as_str)
        .unwrap_or("apps/web.yaml");
    for TeamGlobs { team, set, globs } in &owners.teams {
        if unknown.contains(&team.as_str()) {
            continue;
        }
        let mut matched = vec![false; globs.len()];
        for f in &files {
            for g in set.matches(f) {
                matched[g] = true;
            }
        }
        for ((i, glob), _) in globs.iter().zip(&matched).filter(|(_, m)| !**m) {
            diags.push(
                Diagnostic::at(
                    owners_site.key(team).at(Seg::Index(*i)),
                    format!(
                        "the `owners` glob `{}` of team `{team}` matches no file of the inventory that holds a document",
                        glob
                    ),
                )
                .help(format!("globs are paths relative to the inventory root, e.g. `{example}`; fix the glob or remove it")),
            );
        }
    }
}

fn refuse(site: &Site, owner: &str, what: String) -> Diagnostic {
    Diagnostic::at(
        site.clone(),
        format!("this file belongs to team `{owner}` (`owners` in fleetc.yaml) but {what}"),
    )
    .help(format!(
        "a team's files may define only its own apps, its own team document, and policies with `namespace: {owner}`; move the rest to a file of the platform's"
    ))
}
