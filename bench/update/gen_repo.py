#!/usr/bin/env python3
"""Writes a synthetic GitOps repository for the tag-bump benchmark.

FILES YAML files (default 10,000) spread over services/svc-NNNN/ folders like
the course's kluctl project (examples/course/kluctl/services/*): per service a
config/staging.yaml carrying the course's marker

    version: 1.0.0 # STAGING_IMAGE_TAG

(MARKED of them, default 1,000), plus templated manifests (Jinja, not YAML
until rendered, as in the course), plain Kubernetes manifests, kustomizations
and Helm values that carry no marker. Every marked line is written the way the
course's sed line handles correctly, so both tools must produce the same bytes.
"""
import os
import sys

out = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
marked = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
per_service = 10
services = (files + per_service - 1) // per_service
if marked > services:
    sys.exit("MARKED must not exceed FILES / %d" % per_service)


def write(rel, text):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


STAGING = """api:
  version: 1.0.0 # STAGING_IMAGE_TAG
  replicas: 2
  resources:
    requests: {{cpu: 100m, memory: 128Mi}}
    limits:
      memory: 256Mi
  env:
    LOG_LEVEL: debug
    FEATURE_{n}: "on"
  ingress:
    host: svc-{n}.staging.example.com
    annotations:
      cert-manager.io/cluster-issuer: letsencrypt-staging
"""

PRODUCTION = """api:
  version: 0.9.{n_mod}
  replicas: 4
  env:
    LOG_LEVEL: info
  ingress:
    host: svc-{n}.example.com
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{n}
  namespace: {{{{ args.namespace }}}}
  labels:
    app.kubernetes.io/name: svc-{n}
spec:
  replicas: {{{{ api.replicas }}}}
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{n}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: svc-{n}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/svc-{n}:{{{{ api.version }}}}
          ports:
            - containerPort: 8080
{{% if api.env is defined %}}
          env:
{{% for k, v in api.env.items() %}}
            - name: {{{{ k }}}}
              value: "{{{{ v }}}}"
{{% endfor %}}
{{% endif %}}
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: svc-{n}
  labels:
    app.kubernetes.io/name: svc-{n}
spec:
  selector:
    app.kubernetes.io/name: svc-{n}
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: svc-{n}-config
data:
  settings.json: |
    {{"service": "svc-{n}", "cache": true, "ttl": 300}}
  mode: "production"
"""

KUSTOMIZATION = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
commonLabels:
  team: team-{team}
"""

VALUES = """replicaCount: 1
image:
  repository: ghcr.io/acme/svc-{n}-worker
  pullPolicy: IfNotPresent
  tag: ""
serviceAccount:
  create: true
podAnnotations: {{}}
resources: {{}}
nodeSelector: {{}}
tolerations: []
"""

DEPLOYMENT_YAML = """deployments:
  - path: manifests
  - path: worker
vars:
  - file: config/{{{{ args.environment }}}}.yaml
"""

HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: svc-{n}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: svc-{n}
  minReplicas: 2
  maxReplicas: 10
"""

PDB = """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: svc-{n}
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: svc-{n}
"""

written = 0
for s in range(services):
    n = "%04d" % s
    base = "services/svc-%s/" % n
    staging = STAGING if s < marked else STAGING.replace(" # STAGING_IMAGE_TAG", "")
    batch = [
        ("config/staging.yaml", staging),
        ("config/production.yaml", PRODUCTION),
        ("manifests/deployment.yaml", DEPLOYMENT),
        ("manifests/service.yaml", SERVICE),
        ("manifests/configmap.yaml", CONFIGMAP),
        ("manifests/kustomization.yaml", KUSTOMIZATION),
        ("manifests/hpa.yaml", HPA),
        ("manifests/pdb.yml", PDB),
        ("worker/values.yaml", VALUES),
        ("deployment.yaml", DEPLOYMENT_YAML),
    ]
    for rel, text in batch:
        if written == files:
            break
        write(base + rel, text.format(n=n, n_mod=s % 10, team=s % 17))
        written += 1
# Files that are not YAML (scanned by neither tool).
write("README.md", "# synthetic repository: %d YAML files, %d with markers\n" % (written, marked))
print("%d YAML files, %d with # STAGING_IMAGE_TAG" % (written, marked))
