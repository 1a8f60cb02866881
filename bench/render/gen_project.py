#!/usr/bin/env python3
"""Writes a synthetic deployment project: ITEMS items x MANIFESTS templated manifests."""
import os
import sys

out, items, manifests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ app.name }}-{{ idx }}
  namespace: {{ shared.namespace }}
  labels:
    app: {{ app.name | slugify }}
    tier: "{{ app.tier | upper }}"
spec:
  replicas: {{ app.replicas * args.factor }}
  selector:
    matchLabels:
      app: {{ app.name }}-{{ idx }}
  template:
    metadata:
      labels:
        app: {{ app.name }}-{{ idx }}
      annotations:
        checksum/config: "{{ (app.name ~ app.version) | sha256 }}"
    spec:
      containers:
        - name: main
          image: {{ shared.registry }}/{{ app.name }}:{{ app.version }}
          args:
{%- for a in app.args %}
            - "--{{ a.key }}={{ a.value }}"
{%- endfor %}
          env:
{%- for k, v in app.env.items() %}
            - name: {{ k | upper }}
              value: "{{ v }}"
{%- endfor %}
{%- if app.debug %}
            - name: DEBUG
              value: "true"
{%- endif %}
          resources:
            limits:
              memory: {{ app.memory | default("128Mi") }}
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{ app.name }}-{{ idx }}
  namespace: {{ shared.namespace }}
spec:
  selector:
    app: {{ app.name }}-{{ idx }}
  ports:
{%- for p in app.ports %}
    - name: port-{{ loop.index }}
      port: {{ p }}
      targetPort: {{ p + 1000 }}
{%- endfor %}
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ app.name }}-{{ idx }}-config
  namespace: {{ shared.namespace }}
data:
  settings.json: '{{ app.env | to_json }}'
  host: "{{ shared.host }}"
  item: "{{ idx }}"
{%- if args.env == "prod" %}
  mode: production
{%- else %}
  mode: {{ args.env | replace("-", "_") }}
{%- endif %}
"""

KINDS = [DEPLOYMENT, SERVICE, CONFIGMAP]

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, ".gantry.yaml"), "w") as f:
    f.write("targets:\n  - name: bench\n    args: {env: staging, factor: 2}\n"
            "args:\n  - name: env\n  - name: factor\n"
            "discriminator: bench-{{ target.name }}\n")
with open(os.path.join(out, "vars.yaml"), "w") as f:
    f.write("shared:\n  namespace: bench\n  registry: registry.example.com/team\n"
            "  host: bench.example.com\n")
with open(os.path.join(out, "deployment.yaml"), "w") as f:
    f.write("vars:\n  - file: vars.yaml\ndeployments:\n")
    for i in range(items):
        f.write(f"  - path: items/item-{i:03d}\n")
        f.write("    vars:\n      - values:\n          app:\n")
        f.write(f"            name: svc{i:03d}\n            tier: backend\n")
        f.write(f"            version: 1.{i}.0\n            replicas: {1 + i % 3}\n")
        f.write(f"            debug: {'true' if i % 2 else 'false'}\n")
        f.write("            args: [{key: log, value: info}, {key: port, value: 8080}]\n")
        f.write("            env: {region: eu, zone: a, team: core}\n")
        f.write("            ports: [80, 443]\n")
    f.write("commonLabels:\n  bench: \"true\"\n")
for i in range(items):
    d = os.path.join(out, "items", f"item-{i:03d}")
    os.makedirs(d, exist_ok=True)
    for m in range(manifests):
        text = KINDS[m % 3].replace("{{ idx }}", str(m))
        with open(os.path.join(d, f"m{m:02d}.yaml"), "w") as f:
            f.write(text)
