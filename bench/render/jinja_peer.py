#!/usr/bin/env python3
"""The same render done with Python's Jinja2 + PyYAML (what a user would script instead).

Reads the synthetic project written by gen_project.py, renders every manifest
with the same context gantry uses (vars file + item vars + args + target), parses
each result with PyYAML (the C loader when available), adds the common labels
and the discriminator, and dumps one YAML stream to stdout.
"""
import hashlib
import json
import os
import re
import sys

import jinja2
import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

root = sys.argv[1]


def slugify(s):
    return re.sub(r"[^a-z0-9]+", "-", str(s).lower()).strip("-")


env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
env.filters["slugify"] = slugify
env.filters["sha256"] = lambda s: hashlib.sha256(str(s).encode()).hexdigest()
env.filters["to_json"] = lambda v: json.dumps(v, separators=(",", ":"))

args = {"env": "staging", "factor": 2}
target = {"name": "bench", "args": args}
base = {"args": args, "target": target}
with open(os.path.join(root, "vars.yaml")) as f:
    base.update(yaml.load(f, Loader=Loader))
with open(os.path.join(root, "deployment.yaml")) as f:
    dep = yaml.load(env.from_string(f.read()).render(base), Loader=Loader)

docs = []
for item in dep["deployments"]:
    ctx = dict(base)
    for v in item.get("vars", []):
        ctx.update(v["values"])
    d = os.path.join(root, item["path"])
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name)) as f:
            text = env.from_string(f.read()).render(ctx)
        for obj in yaml.load_all(text, Loader=Loader):
            if obj is None:
                continue
            labels = obj["metadata"].setdefault("labels", {})
            labels["bench"] = "true"
            labels["gantry.dev/discriminator"] = "bench-bench"
            docs.append(obj)
sys.stdout.write(yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, default_flow_style=False))
