//! Teams (Namespace documents): each an AppProject and the Kubernetes
//! namespaces its apps may use. A namespace belongs to one team, and no team
//! may claim a system namespace or a name fleetc keeps for itself.

use std::collections::HashMap;

use super::fields::dns_label;
use super::{Settings, Team, OWN_PREFIX};
use crate::base::error::{Diagnostic, Seg, Site};
use crate::load::raw::RawNamespace;
use crate::load::Located;

pub(super) fn check(
    teams_raw: &[Located<RawNamespace>],
    settings: &Settings,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Team> {
    let mut teams = Vec::with_capacity(teams_raw.len());
    let mut owners: HashMap<String, (&str, &Site)> = HashMap::new();
    for Located { site, raw } in teams_raw {
        dns_label(&raw.name, "namespace name", &site.key("name"), diags);
        if raw.name.starts_with(OWN_PREFIX) {
            diags.push(
                Diagnostic::at(
                    site.key("name"),
                    format!("team `{}`: names starting with `{OWN_PREFIX}` are fleetc's own (its platform AppProjects are `{OWN_PREFIX}<cluster>`)", raw.name),
                )
                .help("choose another name"),
            );
        }
        let mut namespaces = vec![raw.name.clone()];
        let claims = std::iter::once((site.key("name"), &raw.name)).chain(
            raw.namespaces
                .iter()
                .enumerate()
                .map(|(i, ns)| (site.key("namespaces").at(Seg::Index(i)), ns)),
        );
        for (at, ns) in claims {
            if at.path.first() == Some(&Seg::key("namespaces")) {
                dns_label(ns, "namespace", &at, diags);
                if namespaces.contains(ns) {
                    continue;
                }
                namespaces.push(ns.clone());
            }
            if settings.reserved_namespaces.contains(ns) {
                diags.push(
                    Diagnostic::at(
                        at,
                        format!("team `{}` claims namespace `{ns}`, which is reserved: no team's apps may deploy there", raw.name),
                    )
                    .help(format!(
                        "reserved: {} (Kubernetes' own, Argo CD's, and `reserved_namespaces` in fleetc.yaml)",
                        settings.reserved_namespaces.join(", ")
                    )),
                );
                continue;
            }
            match owners.get(ns.as_str()) {
                Some((other, other_site)) if *other != raw.name.as_str() => diags.push(
                    Diagnostic::at(
                        at,
                        format!(
                            "team `{}` claims namespace `{ns}`, which belongs to team `{other}`",
                            raw.name
                        ),
                    )
                    .help(format!(
                        "a namespace belongs to one team; team `{other}` is in {}",
                        other_site.file.display()
                    )),
                ),
                Some(_) => {}
                None => {
                    owners.insert(ns.clone(), (raw.name.as_str(), site));
                }
            }
        }
        teams.push(Team {
            name: raw.name.clone(),
            description: raw.description.clone(),
            contributors: raw.groups.contributor.clone(),
            readers: raw.groups.reader.clone(),
            source_repos: raw.source_repos.clone(),
            namespaces,
            maintenance: super::maintenance::windows(&raw.maintenance, site, diags),
            site: site.clone(),
        });
    }
    teams
}
