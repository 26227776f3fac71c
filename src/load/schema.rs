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
                "by": {"type": "string", "description": "The cluster label whose value is a cluster's ring."},
                "order": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/labelValue"}, "description": "The rings, first to last."},
                "revision": {"$ref": "#/definitions/revision"},
                "promoted": {"$ref": "#/definitions/labelValue", "description": "The last ring that has the revision (default: the first). `fleetc promote` sets it."},
                "downgrade": {"type": "boolean", "description": "The revision is older than what the rings run, on purpose."},
                "gate": {
                    "type": "object",
                    "description": "What `fleetc promote --from LIVE` waits for: every pair of the rings promoted so far DEPLOYED at `revision`, healthy, since a sync that finished `soak` ago.",
                    "properties": {
                        "soak": {"type": "string", "pattern": "^([0-9]+[smhd])+$|^[0-9]+$", "description": "How long the promoted rings must run the revision healthy: 90s, 30m, 2h, 1d, 1h30m."},
                        "max_unhealthy": {"type": "integer", "minimum": 0, "description": "How many of their pairs may be unhealthy (Missing, Suspended, Unknown, not installed, no export) and the gate still met (default 0). A Degraded pair or a failed sync always halts."}
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
                    "schedule": {"type": "string", "description": "When it opens: a cron expression (minute hour day-of-month month day-of-week), e.g. \"0 22 * * *\"."},
                    "duration": {"type": "string", "description": "How long it stays open: a Go duration, e.g. 1h, 90m, 1h30m."},
                    "timeZone": {"type": "string", "description": "The IANA time zone of the schedule (default UTC), e.g. Australia/Sydney."},
                    "manualSync": {"type": "boolean", "description": "Manual syncs may run while it blocks automated ones."},
                    "applications": {"$ref": "#/definitions/strings"},
                    "namespaces": {"$ref": "#/definitions/strings"},
                    "clusters": {"$ref": "#/definitions/strings"}
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
                    "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
                    "path": {"type": "string"},
                    "from": {"type": "string"},
                    "value": {}
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
                        "matchLabels": {"$ref": "#/definitions/labels"},
                        "matchExpressions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "key": {"type": "string"},
                                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                                    "values": {"type": "array", "items": {"$ref": "#/definitions/labelValue"}}
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
        "strings": {"type": "array", "items": {"type": "string"}}
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
        "ignoreMissingValueFiles": {"type": "boolean", "description": "Argo CD skips value files that do not exist (a Helm chart's setting)."},
        "kustomize": {
            "type": "object",
            "description": "Kustomize settings, as Argo CD's Application names them (spec.source.kustomize): layered like values (maps merge, lists replace). A Kustomize app's setting.",
            "properties": {
                "namePrefix": {"type": "string"},
                "nameSuffix": {"type": "string"},
                "images": {"$ref": "#/definitions/strings", "description": "name=newName:tag, name:tag or name@digest, as `kustomize edit set image` takes them."},
                "commonLabels": {"$ref": "#/definitions/labels"},
                "commonAnnotations": {"type": "object", "additionalProperties": {"$ref": "#/definitions/labelValue"}},
                "namespace": {"$ref": "#/definitions/name"},
                "replicas": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
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
                            "patch": {"type": "string"},
                            "path": {"type": "string"},
                            "target": {
                                "type": "object",
                                "properties": {
                                    "group": {"type": "string"}, "version": {"type": "string"}, "kind": {"type": "string"},
                                    "name": {"type": "string"}, "namespace": {"type": "string"},
                                    "labelSelector": {"type": "string"}, "annotationSelector": {"type": "string"}
                                },
                                "additionalProperties": false
                            },
                            "options": {"type": "object", "additionalProperties": {"type": "boolean"}}
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
                "recurse": {"type": "boolean"},
                "include": {"type": "string"},
                "exclude": {"type": "string"}
            },
            "additionalProperties": false
        }
    })
}

/// The settings of each source type, which apps, policies and clusters
/// may all write (each reaches the apps of its type).
fn tool_props(props: &mut Value) {
    let Some(m) = props.as_object_mut() else {
        return;
    };
    for (k, def) in [
        ("value_files", "valueFiles"),
        ("ignore_missing_value_files", "ignoreMissingValueFiles"),
        ("kustomize", "kustomize"),
        ("directory", "directory"),
    ] {
        m.insert(k.into(), json!({"$ref": format!("#/definitions/{def}")}));
    }
}

fn kind_prop(kind: &str) -> Value {
    json!({"const": kind, "description": format!("Optional when the file is under the folder for {kind} documents.")})
}

fn cluster() -> Value {
    let mut v = json!({
        "title": "fleetc Cluster",
        "type": "object",
        "properties": {
            "kind": kind_prop("Cluster"),
            "name": {"$ref": "#/definitions/name"},
            "description": {"type": "string"},
            "shortName": {"$ref": "#/definitions/name", "description": "Names the cluster's Applications (default: name)."},
            "environment": {"$ref": "#/definitions/labelValue"},
            "metadata": {"$ref": "#/definitions/labels"},
            "server": {"type": "string", "description": "The cluster's API server URL."},
            "lifecycle": {"enum": ["onboarding", "active", "draining"], "description": "onboarding: only policies with `onboarding: true` place apps on it; active (default); draining: its app Applications are removed (Argo CD prunes them), its root and namespaces stay until its file is removed."},
            "maintenance": {"$ref": "#/definitions/maintenance"},
            "values": {"$ref": "#/definitions/values"}
        },
        "required": ["name"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"]);
    v
}

fn app() -> Value {
    let mut v = json!({
        "title": "fleetc App",
        "type": "object",
        "properties": {
            "kind": kind_prop("App"),
            "name": {"$ref": "#/definitions/name"},
            "description": {"type": "string"},
            "repo_url": {"type": "string", "description": "A git repo, or a Helm repo with `chart`."},
            "repo_branch": {"type": "string", "description": "targetRevision (default HEAD); the chart version with `chart`."},
            "repo_path": {"type": "string", "description": "A folder in the git repo (or use `chart`)."},
            "chart": {"type": "string", "description": "A Helm chart in the Helm repo at repo_url (an oci:// registry too)."},
            "source_type": {"enum": ["helm", "kustomize", "directory"], "description": "What Argo CD builds the source with. Unset: helm when the app has a chart or Helm settings, kustomize with `kustomize:`, directory with `directory:`, else none: Argo CD detects it from the folder (Chart.yaml, kustomization.yaml, else plain manifests)."},
            "values_repo": {
                "type": "object",
                "description": "A git repo that holds the app's value_files: the Application becomes multi-source, the files read as $values/<file>.",
                "properties": {"url": {"type": "string"}, "revision": {"$ref": "#/definitions/revision"}},
                "required": ["url"],
                "additionalProperties": false
            },
            "metadata": {"$ref": "#/definitions/labels"},
            "namespace": {"$ref": "#/definitions/name", "description": "The app's team: a Namespace document."},
            "destination_namespace": {"$ref": "#/definitions/name"},
            "release_name": {"$ref": "#/definitions/name"},
            "values": {"$ref": "#/definitions/values"},
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
            "depends_on": {"type": "array", "items": {"$ref": "#/definitions/name"}},
            "sync": {
                "type": "object",
                "properties": {
                    "automated": {"type": "boolean"},
                    "prune": {"type": "boolean"},
                    "selfHeal": {"type": "boolean"},
                    "syncOptions": {"$ref": "#/definitions/strings"}
                },
                "additionalProperties": false
            },
            "cascade_delete": {"type": "boolean", "description": "Deleting its Applications deletes their live resources (default: fleetc.yaml's cascade_delete)."},
            "revisionOverrides": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/revision"},
                "description": "Per-cluster revisions, by cluster name (highest precedence)."
            },
            "rollout": {"$ref": "#/definitions/rollout"},
            "patches": {
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/patches"},
                "description": "JSON patches of the Application, by cluster name (applied last)."
            }
        },
        "required": ["name", "repo_url", "namespace"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"]);
    v
}

fn namespace() -> Value {
    json!({
        "title": "fleetc Namespace (a team)",
        "type": "object",
        "properties": {
            "kind": kind_prop("Namespace"),
            "name": {"$ref": "#/definitions/name"},
            "description": {"type": "string"},
            "groups": {
                "type": "object",
                "properties": {
                    "contributor": {"$ref": "#/definitions/strings"},
                    "reader": {"$ref": "#/definitions/strings"}
                },
                "additionalProperties": false
            },
            "source_repos": {"$ref": "#/definitions/strings"},
            "namespaces": {"type": "array", "items": {"$ref": "#/definitions/name"}},
            "maintenance": {"$ref": "#/definitions/maintenance"}
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
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
            "description": {"type": "string"},
            "app_selector": {"$ref": "#/definitions/selector"},
            "cluster_selector": {"$ref": "#/definitions/selector"},
            "clusters": {"type": "array", "items": {"$ref": "#/definitions/name"}},
            "namespace": {"$ref": "#/definitions/name", "description": "Scope: only apps of this team."},
            "onboarding": {"type": "boolean", "description": "Place its apps on clusters that are `lifecycle: onboarding` too (the platform's agents)."},
            "priority": {"type": "integer"},
            "values": {"$ref": "#/definitions/values"},
            "exclude": {"type": "boolean", "description": "Take the pairs it selects out of the matrix."},
            "revision": {"$ref": "#/definitions/revision", "description": "Pins the revision of the pairs it places (precedence as values)."},
            "rollout": {"$ref": "#/definitions/rollout"},
            "patches": {"$ref": "#/definitions/patches"},
            "replicas": {
                "type": "object",
                "description": "A replica total divided over the clusters the policy places each app on, by weight (largest remainder, ties by cluster name), written into the values at `path`.",
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "path": {"type": "string", "description": "The value that holds the count, dotted: replicaCount, server.replicas."},
                    "weights": {
                        "type": "object",
                        "description": "By cluster name ({bne01: 3}), or by label ({label: tier, weights: {large: 3, small: 1}, default: 1}); others weigh 1."
                    },
                    "min": {"type": "integer", "minimum": 0},
                    "max": {"type": "integer", "minimum": 0}
                },
                "required": ["total", "path"],
                "additionalProperties": false
            }
        },
        "required": ["name", "app_selector"],
        "additionalProperties": false
    });
    tool_props(&mut v["properties"]);
    v
}

fn settings() -> Value {
    json!({
        "title": "fleetc settings (fleetc.yaml)",
        "type": "object",
        "properties": {
            "argocd_namespace": {"$ref": "#/definitions/name"},
            "mode": {"enum": ["per-cluster", "hub"]},
            "deploy_repo": {
                "type": "object",
                "properties": {
                    "url": {"type": "string"},
                    "branch": {"type": "string"},
                    "path": {"type": "string"}
                },
                "required": ["url"],
                "additionalProperties": false
            },
            "application_name": {"type": "string"},
            "include": {"$ref": "#/definitions/strings"},
            "exclude": {"$ref": "#/definitions/strings"},
            "templates": {"type": "string"},
            "layout": {
                "type": "object",
                "properties": {
                    "application": {"type": "string"},
                    "project": {"type": "string"},
                    "hub_project": {"type": "string"},
                    "bootstrap": {"type": "string"},
                    "platform_project": {"type": "string"},
                    "platform_application": {"type": "string"},
                    "namespace": {"type": "string"},
                    "root": {"type": "string"}
                },
                "additionalProperties": false
            },
            "removal_guard": {
                "type": "object",
                "properties": {
                    "max_share": {"type": "number", "minimum": 0, "maximum": 1},
                    "min_count": {"type": "integer", "minimum": 0}
                },
                "additionalProperties": false
            },
            "reserved_namespaces": {"type": "array", "items": {"$ref": "#/definitions/name"}, "description": "Namespaces no team may claim, beyond kube-system, kube-public, kube-node-lease, default and the Argo CD namespace."},
            "cascade_delete": {"type": "boolean", "description": "Deleting an Application deletes its live resources (the resources finalizer); default true."},
            "application_health_check": {"type": "boolean", "description": "argocd-cm has the argoproj.io/Application health check from fleetc's README, so depends_on waits for health."},
            "owners": {"type": "object", "additionalProperties": {"$ref": "#/definitions/strings"}, "description": "Team → the files it owns (path globs, as in CODEOWNERS); every other file is the platform's."},
            "allow_literal_secrets": {"type": "array", "items": {"type": "string"}, "description": "Value paths (globs over a.b.c) that may hold a literal credential, e.g. a demo password (the `credential-key` rule in values)."},
            "allow_secrets": {"type": "array", "description": "A content rule allowed at one place: a value that looks like a credential and is none.", "items": {"type": "object", "additionalProperties": false, "required": ["rule", "file", "path"], "properties": {
                "rule": {"enum": ["private-key", "token", "authorization", "jwt", "url-credentials", "credential-in-text", "credential-key"], "description": "The rule the error names."},
                "file": {"type": "string", "description": "The inventory file, relative to its root (a glob)."},
                "path": {"type": "string", "description": "The path in the document, as the error prints it (a glob over a.b[0].c)."}
            }}},
            "limits": {
                "type": "object",
                "description": "Limits on the work an inventory may ask for (README, \"Limits\").",
                "properties": {
                    "file_bytes": {"type": "integer", "minimum": 1},
                    "documents": {"type": "integer", "minimum": 1},
                    "aliases": {"type": "integer", "minimum": 0},
                    "alias_bytes": {"type": "integer", "minimum": 0},
                    "fuel": {"type": "integer", "minimum": 1},
                    "value_bytes": {"type": "integer", "minimum": 1},
                    "manifest_bytes": {"type": "integer", "minimum": 1},
                    "applications": {"type": "integer", "minimum": 1},
                    "memory_bytes": {"type": "integer", "minimum": 1}
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
