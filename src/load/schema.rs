//! JSON Schemas of the inventory documents, for editors.
//!
//! yaml-language-server (VS Code, Neovim, JetBrains) validates and completes
//! a YAML file against a JSON Schema named by a `# yaml-language-server:
//! $schema=...` comment or by the editor's settings. These schemas mirror
//! the loader's structs (`load::raw`); a test checks that every field
//! the loader accepts is in the schema and no other.

use serde_json::{json, Value};

/// What `fleetc schema` can print.
pub(crate) const KINDS: &[&str] = &[
    "inventory",
    "cluster",
    "app",
    "namespace",
    "policy",
    "settings",
];

const DNS_LABEL: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

fn defs() -> Value {
    let mut v = json!({
        "name": {
            "type": "string", "pattern": DNS_LABEL, "maxLength": 63,
            "description": "A Kubernetes name (DNS-1123 label): lower case letters, digits and '-', at most 63 characters."
        },
        "labelValue": {
            "type": ["string", "boolean", "number"],
            "description": "A label value; booleans and numbers become strings (true → \"true\")."
        },
        "labels": {
            "type": "object",
            "additionalProperties": {"$ref": "#/definitions/labelValue"},
            "description": "Labels that selectors match, validated as Kubernetes labels."
        },
        "revision": {
            "type": "string", "minLength": 1,
            "description": "A targetRevision: a chart version with `chart`, else a tag, branch or commit. Quote versions such as \"2.15\", which YAML reads as numbers."
        },
        "rollout": {
            "type": "object",
            "description": "A new revision rolled out ring by ring: clusters in rings up to `promoted` get it; later rings keep what the layers beneath give. Clusters with no ring go with the last ring.",
            "properties": {
                "by": {"type": "string", "description": "The cluster label whose value is a cluster's ring, e.g. `ring`. A cluster without it, or with a value not in `order`, goes with the last ring."},
                "order": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/labelValue"}, "description": "The rings, first to last: values of the `by` label, each listed once."},
                "revision": {"$ref": "#/definitions/revision", "description": "The revision the rings up to `promoted` get (a chart version with `chart`, else a tag, branch or commit)."},
                "promoted": {"$ref": "#/definitions/labelValue", "description": "The last ring that has the revision; `fleetc promote` and `fleetc rollback` set it. Default: the first ring of `order`."},
                "downgrade": {"type": "boolean", "description": "The revision is older than what the rings run, on purpose: without it, an older `revision` (compared as versions) is an error. Default: `false`."},
                "gate": {
                    "type": "object",
                    "description": "What `fleetc promote --from LIVE` waits for: every pair of the rings promoted so far DEPLOYED at `revision`, healthy, since a sync that finished `soak` ago.",
                    "properties": {
                        "soak": {"type": "string", "pattern": "^([0-9]+[smhd])+$|^[0-9]+$", "description": "How long the promoted rings must run the revision healthy: 90s, 30m, 2h, 1d, 1h30m (a plain number is seconds)."},
                        "max_unhealthy": {"type": "integer", "minimum": 0, "description": "How many of their pairs may be unhealthy (Missing, Suspended, Unknown, not installed, no export) and the gate still met. A Degraded pair or a failed sync always halts. Default: `0`."}
                    },
                    "required": ["soak"],
                    "additionalProperties": false
                },
                "forced": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Promotions made past the gate, ring → reason: written by `fleetc promote --force --reason`, and carried into the deployment log."
                }
            },
            "required": ["by", "order", "revision"],
            "additionalProperties": false
        },
        "maintenance": {
            "type": "array",
            "description": "Maintenance windows, rendered into the AppProjects' syncWindows as Argo CD writes them. A window that lists no applications, namespaces or clusters covers every Application it is rendered for.",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": ["allow", "deny"], "description": "allow: syncs run only while an allow window is open; deny: no sync runs while it is open (deny wins)."},
                    "schedule": {"type": "string", "description": "When it opens: a cron expression (minute hour day-of-month month day-of-week), e.g. \"0 22 * * *\". No `@daily`-style names, and it must fire on some date."},
                    "duration": {"type": "string", "description": "How long it stays open: a Go duration, e.g. 1h, 90m, 1h30m."},
                    "timeZone": {"type": "string", "description": "The IANA time zone of the schedule, e.g. Australia/Sydney; an unknown zone is an error. Default: `UTC`."},
                    "manualSync": {"type": "boolean", "description": "Manual syncs may run while it blocks automated ones. Default: `false`."},
                    "applications": {"$ref": "#/definitions/strings", "description": "Argo CD globs of the Application names the window covers. In hub mode a cluster's window may not list any."},
                    "namespaces": {"$ref": "#/definitions/strings", "description": "Argo CD globs of the destination namespaces whose Applications the window covers. In hub mode a cluster's window may not list any."},
                    "clusters": {"$ref": "#/definitions/strings", "description": "Argo CD globs of the destination clusters (by name or server URL) whose Applications the window covers; in per-cluster mode every destination is `https://kubernetes.default.svc`."}
                },
                "required": ["kind", "schedule", "duration"],
                "additionalProperties": false
            }
        },
        "patches": {
            "type": "array",
            "description": "RFC 6902 JSON Patch operations on the rendered Application, applied after values in precedence order. /metadata/name, /metadata/namespace, /kind, /apiVersion, /spec/project and fleetc's labels and annotations are refused.",
            "items": {
                "type": "object",
                "properties": {
                    "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"], "description": "The operation: `add`, `remove`, `replace`, `move`, `copy` or `test` (a failed `test` stops the compile)."},
                    "path": {"type": "string", "description": "A JSON Pointer to where in the Application the operation acts, e.g. `/spec/ignoreDifferences`."},
                    "from": {"type": "string", "description": "For `move` and `copy`: a JSON Pointer to where the value is taken from."},
                    "value": {"description": "For `add`, `replace` and `test`: the value to write, or to compare with."}
                },
                "required": ["op", "path"]
            }
        },
        "values": {
            "type": ["object", "null"],
            "description": "Helm values: a mapping, merged like several `helm -f` files. Strings may use ${ cluster.name }-style references."
        },
        "selector": {
            "description": "A label selector: a map of labels, a LabelSelector with matchLabels/matchExpressions, or a kubectl -l string such as \"region in (east,west),!canary\". {} or \"\" selects everything.",
            "anyOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "properties": {
                        "matchLabels": {"$ref": "#/definitions/labels", "description": "Labels that must all be set to these values."},
                        "matchExpressions": {
                            "type": "array",
                            "description": "Requirements on labels, all of which must hold.",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string", "description": "The label key the requirement tests."},
                                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"], "description": "`In`: the label has one of `values`; `NotIn`: it is absent or has none of them; `Exists`: it is set; `DoesNotExist`: it is absent."},
                                    "values": {"type": "array", "items": {"$ref": "#/definitions/labelValue"}, "description": "The values for `In` and `NotIn` (at least one); none for `Exists` and `DoesNotExist`."}
                                },
                                "required": ["key", "operator"],
                                "additionalProperties": false
                            }
                        }
                    },
                    "additionalProperties": false,
                    "minProperties": 1
                },
                {"type": "object", "additionalProperties": {"$ref": "#/definitions/labelValue"}}
            ]
        },
        "strings": {"type": "array", "items": {"type": "string"}, "description": "A list of strings."}
    });
    if let Some(m) = v.as_object_mut() {
        m.extend(tool_defs().as_object().cloned().unwrap_or_default());
    }
    v
}

/// The definitions of each source type's settings.
fn tool_defs() -> Value {
    json!({
        "valueFiles": {
            "type": "array", "items": {"type": "string"},
            "description": "Helm value files: paths relative to the chart's folder (or to the repo root with a leading /; to the values repo's root with `values_repo`). ${ cluster.name }-style references allowed. A Helm chart's setting; a list from a higher layer replaces a lower one's."
        },
        "ignoreMissingValueFiles": {"type": "boolean", "description": "Argo CD skips value files that do not exist (a Helm chart's setting). Default: `false`."},
        "kustomize": {
            "type": "object",
            "description": "Kustomize settings, as Argo CD's Application names them (spec.source.kustomize): layered like values (maps merge, lists replace). A Kustomize app's setting.",
            "properties": {
                "namePrefix": {"type": "string", "description": "A prefix added to the names of the app's resources: lower case letters, digits, `-` and `.`, e.g. `east-`."},
                "nameSuffix": {"type": "string", "description": "A suffix added to the names of the app's resources: lower case letters, digits, `-` and `.`."},
                "images": {"$ref": "#/definitions/strings", "description": "name=newName:tag, name:tag or name@digest, as `kustomize edit set image` takes them."},
                "commonLabels": {"$ref": "#/definitions/labels", "description": "Labels added to every resource of the app and, as with `kustomize edit add label`, to selectors too: a Deployment's selector cannot change, so label a running workload through `commonAnnotations` instead."},
                "commonAnnotations": {"type": "object", "additionalProperties": {"$ref": "#/definitions/labelValue"}, "description": "Annotations added to every resource of the app."},
                "namespace": {"$ref": "#/definitions/name", "description": "The namespace kustomize puts the app's resources in: one of its team's namespaces."},
                "replicas": {
                    "type": "array",
                    "description": "Replica counts of the app's workloads, by workload name. Layers merge them by workload: a higher layer's count for one workload leaves the others.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "description": "The workload (a Deployment, StatefulSet or ReplicaSet of the app), as its manifest names it."},
                            "count": {"type": "integer", "minimum": 0, "description": "The workload's replica count."}
                        },
                        "required": ["name", "count"],
                        "additionalProperties": false
                    }
                },
                "patches": {
                    "type": "array",
                    "description": "Strategic-merge or JSON 6902 patches (inline `patch`, or a file at `path`) on the resources `target` selects.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "patch": {"type": "string", "description": "The patch itself, as YAML text: a strategic-merge patch (a partial manifest) or a JSON 6902 patch (a list of operations). Give `patch` or `path`, not both."},
                            "path": {"type": "string", "description": "A file holding the patch, relative to the app's folder in its repo, e.g. `patches/replicas.yaml`. Give `patch` or `path`, not both."},
                            "target": {
                                "type": "object",
                                "description": "The resources the patch applies to: those that match every field given.",
                                "properties": {
                                    "group": {"type": "string", "description": "The API group of the resources, e.g. `apps`."},
                                    "version": {"type": "string", "description": "The API version of the resources, e.g. `v1`."},
                                    "kind": {"type": "string", "description": "The kind of the resources, e.g. `Deployment`."},
                                    "name": {"type": "string", "description": "The name of the resources."},
                                    "namespace": {"type": "string", "description": "The namespace of the resources."},
                                    "labelSelector": {"type": "string", "description": "A label selector the resources match, e.g. `app=web`."},
                                    "annotationSelector": {"type": "string", "description": "An annotation selector the resources match, written like a label selector."}
                                },
                                "additionalProperties": false
                            },
                            "options": {"type": "object", "additionalProperties": {"type": "boolean"}, "description": "kustomize's patch options, e.g. `allowNameChange: true` or `allowKindChange: true`."}
                        },
                        "additionalProperties": false
                    }
                },
                "components": {"$ref": "#/definitions/strings", "description": "Kustomize components, relative to the app's folder."}
            },
            "additionalProperties": false
        },
        "directory": {
            "type": "object",
            "description": "A folder of plain manifests, as Argo CD's spec.source.directory: `recurse` into subfolders; `include` / `exclude` globs of file names ({a.yaml,b.yaml} sets). A directory app's setting.",
            "properties": {
                "recurse": {"type": "boolean", "description": "Argo CD applies the manifests in subfolders too. Default: `false`."},
                "include": {"type": "string", "description": "A glob of the files to apply, e.g. `*.yaml` or `{a.yaml,b.yaml}`. Default: every manifest in the folder."},
                "exclude": {"type": "string", "description": "A glob of the files not to apply, e.g. `*-test.yaml`. Default: none."}
            },
            "additionalProperties": false
        }
    })
}

/// Whose settings of each source type a document writes: the app's own,
/// a policy's for the apps it places, or a cluster's for the apps on it.
#[derive(Clone, Copy)]
enum ToolScope {
    App,
    Policy,
    Cluster,
}

/// The settings of each source type, which apps, policies and clusters
/// may all write (each reaches the apps of its type).
fn tool_props(props: &mut Value, scope: ToolScope) {
    let Some(m) = props.as_object_mut() else {
        return;
    };
    for (k, def) in [
        ("value_files", "valueFiles"),
        ("ignore_missing_value_files", "ignoreMissingValueFiles"),
        ("kustomize", "kustomize"),
        ("directory", "directory"),
    ] {
        m.insert(
            k.into(),
            json!({"$ref": format!("#/definitions/{def}"), "description": tool_description(k, scope)}),
        );
    }
}

/// What the source setting `key` does where `scope` writes it.
fn tool_description(key: &str, scope: ToolScope) -> &'static str {
    use ToolScope::*;
    match (key, scope) {
        ("value_files", App) => "The app's Helm value files: paths relative to the chart's folder (to the repo root with a leading `/`, to the values repo's root with `values_repo`), `${ }` references allowed. Setting it makes the app a Helm chart; a placing policy's or the cluster's list replaces it.",
        ("value_files", Policy) => "Helm value files for the Helm charts the policy places, written as an app writes them. The list replaces the app's and those of policies of lower `priority`; the cluster's replaces it.",
        ("value_files", Cluster) => "Helm value files for every Helm chart placed on the cluster, written as an app writes them. The list replaces the app's and the policies'.",
        ("ignore_missing_value_files", App) => "Argo CD skips value files that do not exist (Helm's `ignoreMissingValueFiles`). Setting it makes the app a Helm chart. Default: `false`.",
        ("ignore_missing_value_files", Policy) => "Argo CD skips value files that do not exist, for the Helm charts the policy places. Default: what lower layers give, else `false`.",
        ("ignore_missing_value_files", Cluster) => "Argo CD skips value files that do not exist, for every Helm chart placed on the cluster. Default: what lower layers give, else `false`.",
        ("kustomize", App) => "The app's Kustomize settings, with Argo CD's field names; setting them makes the app a Kustomize app. Placing policies, the cluster and `kustomizeOverrides` layer over them (maps merge, lists replace).",
        ("kustomize", Policy) => "Kustomize settings for the Kustomize apps the policy places, layered over the app's by ascending `priority` (maps merge, lists replace).",
        ("kustomize", Cluster) => "Kustomize settings for every Kustomize app placed on the cluster, layered over the app's and the policies' (maps merge, lists replace); the app's `kustomizeOverrides` layer over them.",
        ("directory", App) => "The app's settings as a folder of plain manifests (`recurse`, `include`, `exclude`); setting them makes the app a directory app. Placing policies and the cluster layer over them.",
        ("directory", Policy) => "Plain-manifest settings for the directory apps the policy places, layered over the app's by ascending `priority`.",
        ("directory", Cluster) => "Plain-manifest settings for every directory app placed on the cluster, layered over the app's and the policies'.",
        _ => "",
    }
}

fn kind_prop(kind: &str) -> Value {
    let folder = match kind {
        "Cluster" => "clusters",
        "App" => "apps",
        "Namespace" => "namespaces",
        _ => "policies",
    };
    json!({"const": kind, "description": format!("The document's kind, `{kind}`. Optional when the file is under `{folder}/`, the folder for {kind} documents.")})
}

fn cluster() -> Value {
    let mut v = json!({
        "title": "fleetc Cluster",
        "type": "object",
        "properties": {
            "kind": kind_prop("Cluster"),
            "name": {"$ref": "#/definitions/name", "description": "The cluster's name, unique in the inventory. Selectors see it as the label `name`; apps' per-cluster overrides are keyed by it; it names the cluster's folder and root Application (`fleetc-<name>`), and in hub mode the Argo CD cluster its Applications deploy to."},
            "description": {"type": "string", "description": "Free text about the cluster; templates can read it as `cluster.description` (the built-in ones do not use it)."},
            "shortName": {"$ref": "#/definitions/name", "description": "Names the cluster's Applications: the default `application_name` is `<app>-<shortName>`. Unique among clusters. Default: `name`."},
            "environment": {"$ref": "#/definitions/labelValue", "description": "The cluster's environment, e.g. `prod`: selectors see it as the label `environment` (unless `metadata` sets that label)."},
            "metadata": {"$ref": "#/definitions/labels", "description": "The cluster's labels, which cluster selectors match (together with `name` and `environment`); validated as Kubernetes labels."},
            "server": {"type": "string", "description": "The cluster's API server URL: informational, for templates (`cluster.server`). Applications deploy in-cluster (per-cluster mode) or to the cluster by name (hub mode)."},
            "lifecycle": {"enum": ["onboarding", "active", "draining"], "description": "onboarding: only policies with `onboarding: true` place apps on it; active: it gets what the policies place; draining: its app Applications are removed (Argo CD prunes them), its root and namespaces stay until its file is removed. Default: `active`."},
            "maintenance": {"$ref": "#/definitions/maintenance", "description": "The cluster's maintenance windows: rendered into the `syncWindows` of every team's AppProject on it (in hub mode, a window that lists nothing is scoped to this cluster)."},
            "values": {"$ref": "#/definitions/values", "description": "Helm values for every Helm chart placed on the cluster: above the app's and the placing policies' values, below the app's `valueOverrides`."}
        },
        "required": ["name"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"], ToolScope::Cluster);
    v
}

fn app() -> Value {
    let mut v = json!({
        "title": "fleetc App",
        "type": "object",
        "properties": {
            "kind": kind_prop("App"),
            "name": {"$ref": "#/definitions/name", "description": "The app's name, unique in the inventory. Selectors see it as the label `name`; it names the app's Applications and files, and is its Helm release name unless `release_name` is set."},
            "description": {"type": "string", "description": "Free text about the app; templates can read it as `app.description` (the built-in ones do not use it)."},
            "repo_url": {"type": "string", "description": "A git repo, or a Helm repo with `chart` (an `oci://` registry too). The team's `source_repos` must admit it."},
            "repo_branch": {"type": "string", "description": "The targetRevision its Applications deploy unless a pin or rollout says otherwise: a tag, branch or commit, or the chart version with `chart`. Default: `HEAD`."},
            "repo_path": {"type": "string", "description": "A folder in the git repo that holds the app's source. An app has `repo_path` or `chart`, not both."},
            "chart": {"type": "string", "description": "A Helm chart in the Helm repo at repo_url (an oci:// registry too). An app has `chart` or `repo_path`, not both; a chart is a Helm app."},
            "source_type": {"enum": ["helm", "kustomize", "directory"], "description": "What Argo CD builds the source with. Unset: helm when the app has a chart or Helm settings, kustomize with `kustomize:`, directory with `directory:`, else none: Argo CD detects it from the folder (Chart.yaml, kustomization.yaml, else plain manifests)."},
            "values_repo": {
                "type": "object",
                "description": "A git repo that holds the app's value_files: the Application becomes multi-source, the files read as $values/<file>.",
                "properties": {
                    "url": {"type": "string", "description": "The git repo that holds the value files (not an OCI registry); the team's `source_repos` must admit it."},
                    "revision": {"$ref": "#/definitions/revision", "description": "The branch, tag or commit the value files are read at. Default: `HEAD`."}
                },
                "required": ["url"],
                "additionalProperties": false
            },
            "metadata": {"$ref": "#/definitions/labels", "description": "The app's labels, which app selectors match (together with `name`); validated as Kubernetes labels."},
            "namespace": {"$ref": "#/definitions/name", "description": "The app's team: a Namespace document. Its Applications go into the team's AppProject."},
            "destination_namespace": {"$ref": "#/definitions/name", "description": "The Kubernetes namespace its Applications deploy into: one its team owns. Default: the team's namespace (`namespace`)."},
            "release_name": {"$ref": "#/definitions/name", "description": "The Helm release name; setting it makes the app a Helm chart. Default: the app's `name`."},
            "values": {"$ref": "#/definitions/values", "description": "The app's own Helm values (lowest precedence: the placing policies', the cluster's and `valueOverrides` layer over them). Setting them makes the app a Helm chart."},
            "valueOverrides": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/values"},
                "description": "Per-cluster values, by cluster name (highest precedence)."
            },
            "kustomizeOverrides": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/kustomize"},
                "description": "Per-cluster Kustomize settings, by cluster name (highest precedence)."
            },
            "depends_on": {"type": "array", "items": {"$ref": "#/definitions/name"}, "description": "Apps this one is synced after, on the same cluster: it goes in a later sync wave. Argo CD waits for their health only with `application_health_check` (fleetc.yaml). Default: `[]`."},
            "sync": {
                "type": "object",
                "description": "The sync policy of the app's Applications.",
                "properties": {
                    "automated": {"type": "boolean", "description": "Argo CD syncs the Applications by itself when git changes. Default: `true`."},
                    "prune": {"type": "boolean", "description": "Automated syncs delete live resources that have left the app's manifests. Default: `false`."},
                    "selfHeal": {"type": "boolean", "description": "Automated syncs also undo changes made in the cluster. Default: `true`."},
                    "syncOptions": {"$ref": "#/definitions/strings", "description": "Argo CD sync options, e.g. `ServerSideApply=true`; `CreateNamespace=true` is refused, as fleetc creates the team's namespaces. Default: `[]`."}
                },
                "additionalProperties": false
            },
            "cascade_delete": {"type": "boolean", "description": "Deleting its Applications deletes their live resources (the resources finalizer). Default: fleetc.yaml's `cascade_delete`."},
            "revisionOverrides": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/revision"},
                "description": "Per-cluster revisions, by cluster name (highest precedence)."
            },
            "rollout": {"$ref": "#/definitions/rollout", "description": "The app's own ring rollout of a new revision: above `repo_branch`, below the placing policies' pins and rollouts. `fleetc promote --app` moves it on."},
            "patches": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/patches"},
                "description": "JSON patches of the Application, by cluster name (applied last)."
            }
        },
        "required": ["name", "repo_url", "namespace"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"], ToolScope::App);
    v
}

fn namespace() -> Value {
    json!({
        "title": "fleetc Namespace (a team)",
        "type": "object",
        "properties": {
            "kind": kind_prop("Namespace"),
            "name": {"$ref": "#/definitions/name", "description": "The team's name, which apps name in `namespace`: its AppProject's name and its first Kubernetes namespace. Names starting with `fleetc-` are fleetc's own."},
            "description": {"type": "string", "description": "Free text about the team: its AppProjects' `spec.description`. Default: `Apps of team <name>`."},
            "groups": {
                "type": "object",
                "description": "The team's groups (as your identity provider names them), by role: in its AppProjects and in RoleBindings in its namespaces.",
                "properties": {
                    "contributor": {"$ref": "#/definitions/strings", "description": "Groups that may sync and manage the team's Applications, with Kubernetes `edit` in its namespaces. Default: `[]`."},
                    "reader": {"$ref": "#/definitions/strings", "description": "Groups that may read the team's Applications, with Kubernetes `view` in its namespaces. Default: `[]`."}
                },
                "additionalProperties": false
            },
            "source_repos": {"$ref": "#/definitions/strings", "description": "The repos the team's apps may use, as its AppProject's `sourceRepos` (Argo CD globs: `*` stops at `/`, `**` does not). Default: the repos its apps use."},
            "namespaces": {"type": "array", "items": {"$ref": "#/definitions/name"}, "description": "More Kubernetes namespaces the team's apps may deploy into, beside the one named after it. A namespace belongs to one team, and reserved ones cannot be claimed. Default: `[]`."},
            "maintenance": {"$ref": "#/definitions/maintenance", "description": "The team's maintenance windows: rendered into the `syncWindows` of its AppProject on every cluster."}
        },
        "required": ["name"],
        "additionalProperties": false
    })
}

fn policy() -> Value {
    let mut v = json!({
        "title": "fleetc TargetPolicy",
        "type": "object",
        "properties": {
            "kind": kind_prop("TargetPolicy"),
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$", "description": "The policy's name, unique in the inventory: letters, digits, `-`, `_` and `.`. It appears in annotations, commit messages and `fleetc explain`, and orders policies of one `priority`."},
            "description": {"type": "string", "description": "Free text about the policy, for people reading the inventory; it is not rendered."},
            "app_selector": {"$ref": "#/definitions/selector", "description": "Selects the apps the policy places, by their labels (`metadata` and `name`). `{}` selects every app."},
            "cluster_selector": {"$ref": "#/definitions/selector", "description": "Selects the clusters it places them on, by their labels (`metadata`, `name` and `environment`). Default: none, so only the clusters in `clusters` (one of the two is required)."},
            "clusters": {"type": "array", "items": {"$ref": "#/definitions/name"}, "description": "Clusters selected by name, as well as those `cluster_selector` selects. Default: `[]`."},
            "namespace": {"$ref": "#/definitions/name", "description": "Scope: only apps of this team."},
            "onboarding": {"type": "boolean", "description": "Place its apps on clusters that are `lifecycle: onboarding` too (the platform's agents). Default: `false`."},
            "priority": {"type": "integer", "description": "Orders the policies that place a pair: a higher priority's values, settings, revision and patches come later and win (ties by name); two of one priority that set one value or revision differently are an error. Default: `0`."},
            "values": {"$ref": "#/definitions/values", "description": "Helm values for the Helm charts it places: above the app's values, below the cluster's and `valueOverrides`."},
            "exclude": {"type": "boolean", "description": "Take the pairs it selects out of the matrix, whatever places them; such a policy may set nothing the pairs would get. Default: `false`."},
            "revision": {"$ref": "#/definitions/revision", "description": "Pins the revision of the pairs it places (precedence as values). Not with `rollout`."},
            "rollout": {"$ref": "#/definitions/rollout", "description": "Rolls a new revision out to the pairs it places, ring by ring; `fleetc promote` moves it on. Not with `revision`."},
            "patches": {"$ref": "#/definitions/patches", "description": "RFC 6902 operations on the Applications of the pairs it places, applied after values, by ascending `priority` then name."},
            "replicas": {
                "type": "object",
                "description": "A replica total divided over the clusters the policy places each app on, by weight (largest remainder, ties by cluster name), written into a Helm chart's values at `path`, or into a Kustomize app's `kustomize.replicas`.",
                "properties": {
                    "total": {"type": "integer", "minimum": 0, "description": "The replicas to divide among the clusters."},
                    "path": {"type": "string", "description": "The value that holds the count, dotted: replicaCount, server.replicas. For a Kustomize app, the name of the workload whose `kustomize.replicas` count it sets."},
                    "weights": {
                        "type": "object",
                        "description": "By cluster name ({bne01: 3}), or by label ({label: tier, weights: {large: 3, small: 1}, default: 1}); others weigh 1."
                    },
                    "min": {"type": "integer", "minimum": 0, "description": "The fewest replicas a cluster gets. Default: `0`."},
                    "max": {"type": "integer", "minimum": 0, "description": "The most replicas a cluster gets; not less than `min`. Default: no bound."}
                },
                "required": ["total", "path"],
                "additionalProperties": false
            }
        },
        "required": ["name", "app_selector"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"], ToolScope::Policy);
    v
}

fn settings() -> Value {
    json!({
        "title": "fleetc settings (fleetc.yaml)",
        "type": "object",
        "properties": {
            "argocd_namespace": {"$ref": "#/definitions/name", "description": "The namespace of Argo CD, where the rendered Applications and AppProjects live; no team may claim it. Default: `argocd`."},
            "mode": {"enum": ["per-cluster", "hub"], "description": "Where Argo CD runs: `per-cluster`, one in every cluster (Applications deploy in-cluster); `hub`, one for the fleet (destinations by cluster name, one AppProject per team). Default: `per-cluster`."},
            "deploy_repo": {
                "type": "object",
                "description": "The git repo Argo CD reads the rendered tree from. Without it, no root Applications (`bootstrap/`) and no platform AppProjects and Applications are rendered; apply each cluster's files yourself.",
                "properties": {
                    "url": {"type": "string", "description": "The deploy repo's URL as Argo CD clones it, e.g. `https://git.example.com/platform/fleet-deploy.git` or `git@host:org/repo.git`."},
                    "branch": {"type": "string", "description": "The branch the root and platform Applications track (their targetRevision); `compile --repo` commits to the branch `--branch` names. Default: `main`."},
                    "path": {"type": "string", "description": "The folder of the rendered tree inside the deploy repo: where `compile --repo` writes and what the root Applications sync. Default: `\"\"`, the repo's root."}
                },
                "required": ["url"],
                "additionalProperties": false
            },
            "application_name": {"type": "string", "description": "The name of an app's Application on a cluster: a minijinja template over `app`, `cluster` and `team`, giving a DNS-1123 name of at most 63 characters. Default: `{{ app.name }}-{{ cluster.shortName or cluster.name }}`."},
            "include": {"$ref": "#/definitions/strings", "description": "Globs of the files read as inventory documents, relative to the inventory root (`*` stops at `/`). Default: `[\"**/*.yaml\", \"**/*.yml\", \"**/*.json\"]`."},
            "exclude": {"$ref": "#/definitions/strings", "description": "Globs of files under the inventory root not to read, even if `include` takes them. Default: `[]`."},
            "templates": {"type": "string", "description": "The folder, relative to the inventory root, of your `*.j2` templates: each replaces the built-in template of the same name. Default: `templates` (used if it exists; a folder named here must exist)."},
            "layout": {
                "type": "object",
                "description": "The output paths of the rendered files: minijinja templates, relative to the output root. A cluster's apps, projects and platform files go under its `root` folder with nothing else, and its namespaces outside it.",
                "properties": {
                    "application": {"type": "string", "description": "The path of an app's Application on a cluster (variables `app`, `cluster`, `team`). Default: `clusters/{{ cluster.name }}/apps/{{ app.name }}.yaml`."},
                    "project": {"type": "string", "description": "The path of a team's AppProject on a cluster, in per-cluster mode (variables `team`, `cluster`). Default: `clusters/{{ cluster.name }}/projects/{{ team.name }}.yaml`."},
                    "hub_project": {"type": "string", "description": "The path of a team's one AppProject in hub mode (variable `team`), synced by the root Application `fleetc-projects`. Default: `projects/{{ team.name }}.yaml`."},
                    "bootstrap": {"type": "string", "description": "The path of a cluster's root Application, applied once by hand (variable `cluster`); rendered only with `deploy_repo`. Default: `bootstrap/{{ cluster.name }}.yaml`."},
                    "platform_project": {"type": "string", "description": "The path of a cluster's platform AppProject, `fleetc-<cluster>` (variable `cluster`); rendered only with `deploy_repo`. Default: `clusters/{{ cluster.name }}/platform/project.yaml`."},
                    "platform_application": {"type": "string", "description": "The path of a cluster's platform Application, which applies its team namespaces (variable `cluster`); rendered only with `deploy_repo`. Default: `clusters/{{ cluster.name }}/platform/namespaces.yaml`."},
                    "namespace": {"type": "string", "description": "The path of a team namespace on a cluster, with its RoleBindings (variables `cluster`, `team`, `namespace`); outside the cluster's `root`. Default: `namespaces/{{ cluster.name }}/{{ namespace }}.yaml`."},
                    "root": {"type": "string", "description": "The folder a cluster's root Application syncs and prunes (variable `cluster`): its apps, projects and platform files, and nothing else. Default: `clusters/{{ cluster.name }}`."}
                },
                "additionalProperties": false
            },
            "removal_guard": {
                "type": "object",
                "description": "Refuses a compile that would remove more than `max_share` of the Applications in the tree, and at least `min_count` of them, unless `--allow-removals` is given. Renamed (recreated) Applications count; a draining cluster's do not.",
                "properties": {
                    "max_share": {"type": "number", "minimum": 0, "maximum": 1, "description": "The largest share, from 0 to 1, of the Applications in the tree that one compile may remove. Default: `0.1`."},
                    "min_count": {"type": "integer", "minimum": 0, "description": "The fewest removals the guard refuses: fewer are always allowed, whatever their share. Default: `10`."}
                },
                "additionalProperties": false
            },
            "reserved_namespaces": {"type": "array", "items": {"$ref": "#/definitions/name"}, "description": "Namespaces no team may claim, beyond kube-system, kube-public, kube-node-lease, default and the Argo CD namespace. Default: `[]`."},
            "cascade_delete": {"type": "boolean", "description": "Deleting an Application deletes its live resources (the resources finalizer); an app's `cascade_delete` overrides it. Default: `true`."},
            "application_health_check": {"type": "boolean", "description": "argocd-cm has the argoproj.io/Application health check from fleetc's docs (What Argo CD gets: Dependencies), so depends_on waits for health. Default: `false`."},
            "argocd_version": {"type": "string", "pattern": "^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$", "description": "The Argo CD version the rendered manifests are for, as `3.5` (a patch number and a leading `v` are allowed). fleetc supports Argo CD 3.3 to 3.5; an older version is refused with the reason (it lacks a field fleetc needs), a newer one is rendered as for 3.5 with a note. Default: `3.5`."},
            "owners": {"type": "object", "additionalProperties": {"$ref": "#/definitions/strings"}, "description": "Team → the files it owns (path globs, as in CODEOWNERS); every other file is the platform's. Default: `{}`."},
            "allow_literal_secrets": {"type": "array", "items": {"type": "string"}, "description": "Value paths (globs over a.b.c) that may hold a literal credential, e.g. a demo password (the `credential-key` rule in values). Default: `[]`."},
            "allow_secrets": {"type": "array", "description": "A content rule allowed at one place: a value that looks like a credential and is none. Default: `[]`.", "items": {"type": "object", "additionalProperties": false, "required": ["rule", "file", "path"], "properties": {
                "rule": {"enum": ["private-key", "token", "authorization", "jwt", "url-credentials", "credential-in-text", "credential-key"], "description": "The rule the error names."},
                "file": {"type": "string", "description": "The inventory file, relative to its root (a glob)."},
                "path": {"type": "string", "description": "The path in the document, as the error prints it (a glob over a.b[0].c)."}
            }}},
            "limits": {
                "type": "object",
                "description": "Limits on the work an inventory may ask for (README, \"Limits\").",
                "properties": {
                    "file_bytes": {"type": "integer", "minimum": 1, "description": "The most bytes of one inventory file, template or fleetc.yaml, checked from its size before reading. Default: `8388608` (8 MiB)."},
                    "documents": {"type": "integer", "minimum": 1, "description": "The most YAML documents, or JSON array items, in one file. Default: `10000`."},
                    "aliases": {"type": "integer", "minimum": 0, "description": "The most YAML alias references (`*name`) in one file. Default: `1000`."},
                    "alias_bytes": {"type": "integer", "minimum": 0, "description": "The most bytes one file's aliases may expand to, all together. Default: `1048576` (1 MiB)."},
                    "fuel": {"type": "integer", "minimum": 1, "description": "The most steps of one template render or `${ }` expression. Default: `200000`."},
                    "value_bytes": {"type": "integer", "minimum": 1, "description": "The most bytes of one string value, as written and after `${ }` expansion. Default: `262144` (256 KiB)."},
                    "manifest_bytes": {"type": "integer", "minimum": 1, "description": "The most bytes of one rendered manifest (etcd refuses objects over 1.5 MB). Default: `1048576` (1 MiB)."},
                    "applications": {"type": "integer", "minimum": 1, "description": "The most Applications one compile may render. Default: `1000000`."},
                    "memory_bytes": {"type": "integer", "minimum": 1, "description": "The most bytes of memory fleetc may hold at once, never more than ¾ of the machine's memory; over it, fleetc stops with exit status 1 before writing anything. Default: `8589934592` (8 GiB)."}
                },
                "additionalProperties": false
            }
        },
        "additionalProperties": false
    })
}

/// The schema for `kind` (one of [`KINDS`]), as a draft-07 document.
pub(crate) fn schema(kind: &str) -> Option<Value> {
    let mut body = match kind {
        "cluster" => cluster(),
        "app" => app(),
        "namespace" => namespace(),
        "policy" => policy(),
        "settings" => settings(),
        "inventory" => json!({
            "title": "fleetc inventory document",
            "anyOf": [cluster(), app(), namespace(), policy()]
        }),
        _ => return None,
    };
    let obj = body.as_object_mut()?;
    obj.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    obj.insert("$id".into(), json!(format!("urn:fleetc:schema:{kind}")));
    obj.insert("definitions".into(), defs());
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::raw::*;

    /// The fields serde reports for an unknown field are the loader's fields.
    fn loader_fields<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let err = serde_json::from_value::<T>(json!({"zzz-not-a-field": 1}))
            .unwrap_err()
            .to_string();
        let mut fields: Vec<String> = err
            .split('`')
            .skip(3)
            .step_by(2)
            .map(str::to_string)
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn the_schema_lists_exactly_the_fields_the_loader_accepts() {
        let cases = [
            ("cluster", loader_fields::<RawCluster>()),
            ("app", loader_fields::<RawApp>()),
            ("namespace", loader_fields::<RawNamespace>()),
            ("policy", loader_fields::<RawPolicy>()),
            ("settings", loader_fields::<RawSettings>()),
        ];
        for (kind, fields) in cases {
            assert!(!fields.is_empty(), "{kind}");
            let s = schema(kind).unwrap();
            let mut props: Vec<String> = s["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            props.sort();
            assert_eq!(props, fields, "{kind}: schema properties vs loader fields");
        }
    }
}
