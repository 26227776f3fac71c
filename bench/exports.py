#!/usr/bin/env python3
"""Argo CD exports of a rendered fleet, for the benchmark's `status` row.

    python3 bench/exports.py RENDERED_DIR EXPORTS_DIR

Reads every Application fleetc rendered into RENDERED_DIR (`compile --out`)
and writes, per cluster (its `fleetc.io/cluster` label), what `kubectl get
applications.argoproj.io -A -o json` prints for an Argo CD where each of them
is installed as rendered, Synced and Healthy, reconciled a minute ago: so
`fleetc status --exit-code` over them must say DEPLOYED for every pair.
Untimed preparation; needs PyYAML (with libyaml, for speed).
"""
import datetime
import json
import os
import sys

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def main(rendered, exports):
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    by_cluster = {}
    for top, _, files in os.walk(rendered):
        for f in files:
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(top, f), encoding="utf-8") as fh:
                for doc in yaml.load_all(fh, Loader=Loader):
                    if not isinstance(doc, dict) or doc.get("kind") != "Application":
                        continue
                    cluster = doc["metadata"].get("labels", {}).get("fleetc.io/cluster")
                    if cluster is None:
                        continue
                    doc["status"] = {
                        "sync": {
                            "status": "Synced",
                            "comparedTo": {
                                "source": doc["spec"]["source"],
                                "destination": doc["spec"]["destination"],
                            },
                            "revision": "0" * 40,
                        },
                        "health": {"status": "Healthy", "lastTransitionTime": stamp},
                        "reconciledAt": stamp,
                    }
                    by_cluster.setdefault(cluster, []).append(doc)
    os.makedirs(exports, exist_ok=True)
    for cluster, items in sorted(by_cluster.items()):
        items.sort(key=lambda d: d["metadata"]["name"])
        doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
        with open(os.path.join(exports, cluster + ".json"), "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=4, sort_keys=True)
    print(f"{sum(len(v) for v in by_cluster.values())} Applications on {len(by_cluster)} clusters")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
