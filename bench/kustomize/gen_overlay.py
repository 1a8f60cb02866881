#!/usr/bin/env python3
"""Writes a synthetic three-layer kustomize overlay: base <- staging <- production.

base:        APPS apps x (Deployment, Service, ServiceAccount, ConfigMap, HPA)
             (APPS=400: 2,000 resources), a configMapGenerator and a
             secretGenerator entry per app, a namePrefix.
staging:     namespace, namePrefix, labels (with selectors), images, a strategic merge
             patch on the canary Deployments and a JSON 6902 patch on the canary
             Services (targets by label selector, 1 app in 10), generator merges.
production:  nameSuffix, commonAnnotations, labels with templates, replicas,
             per-app strategic merge patches, a new generator.
The build directory is OUT/production.
"""
import os
import sys

out = sys.argv[1]
apps = int(sys.argv[2]) if len(sys.argv) > 2 else 400


def write(rel, text):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


APP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
  labels:
    app: app{i}
    tier: {tier}
    track: {track}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app{i}
  template:
    metadata:
      labels:
        app: app{i}
    spec:
      serviceAccountName: app{i}
      containers:
      - name: main
        image: registry.example.com/team/app{i}:1.0.{i}
        ports:
        - containerPort: 8080
          name: http
        envFrom:
        - configMapRef:
            name: app{i}-env
        env:
        - name: SECRET
          valueFrom:
            secretKeyRef:
              name: app{i}-secret
              key: token
        volumeMounts:
        - name: config
          mountPath: /etc/app
      - name: proxy
        image: envoyproxy/envoy:v1.28.0
      volumes:
      - name: config
        configMap:
          name: app{i}-config
---
apiVersion: v1
kind: Service
metadata:
  name: app{i}
  labels:
    app: app{i}
    track: {track}
spec:
  selector:
    app: app{i}
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app{i}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app{i}-config
data:
  app.yaml: |
    name: app{i}
    replicas: 1
    features: [a, b, c]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: app{i}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: app{i}
  minReplicas: 1
  maxReplicas: 4
"""

# ---- base
res = []
gens = []
sgens = []
for i in range(apps):
    write(f"base/apps/app{i}.yaml", APP.format(i=i, tier="backend" if i % 2 else "frontend",
                                               track="canary" if i % 10 == 1 else "stable"))
    res.append(f"- apps/app{i}.yaml")
    gens.append(f"- name: app{i}-env\n  literals:\n  - APP=app{i}\n  - LOG_LEVEL=info\n  - INDEX=\"{i}\"")
    sgens.append(f"- name: app{i}-secret\n  literals:\n  - token=secret-{i}")
write("base/kustomization.yaml",
      "namePrefix: shop-\nresources:\n" + "\n".join(res) + "\n" +
      "configMapGenerator:\n" + "\n".join(gens) + "\n" +
      "secretGenerator:\n" + "\n".join(sgens) + "\n")

# ---- staging
merges = "\n".join(f"- name: app{i}-env\n  behavior: merge\n  literals:\n  - ENV=staging"
                   for i in range(0, apps, 4))
write("staging/kustomization.yaml", f"""namespace: staging
namePrefix: stg-
labels:
- pairs:
    env: staging
  includeSelectors: true
resources:
- ../base
images:
- name: envoyproxy/envoy
  newTag: v1.29.1
- name: registry.example.com/team/app1
  newName: mirror.example.com/app1
patches:
- target:
    kind: Deployment
    labelSelector: tier=backend,track=canary
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: main
            resources:
              limits:
                memory: 256Mi
            env:
            - name: STAGE
              value: staging
          - name: proxy
            args: ["--log-level", "info"]
- target:
    version: v1
    kind: Service
    labelSelector: track=canary
  patch: |-
    - op: add
      path: /metadata/annotations
      value:
        lb: internal
    - op: replace
      path: /spec/ports/0/port
      value: 8080
configMapGenerator:
{merges}
""")

# ---- production
smps = []
for i in range(0, apps, 10):
    write(f"production/patches/app{i}.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app{i}
spec:
  template:
    spec:
      containers:
      - name: main
        resources:
          requests:
            cpu: 500m
      - name: sidecar
        image: busybox:1.36
""")
    smps.append(f"- path: patches/app{i}.yaml")
reps = "\n".join(f"- name: stg-shop-app{i}\n  count: 3" for i in range(0, apps, 20))
write("production/kustomization.yaml", f"""nameSuffix: -prod
commonAnnotations:
  owner: platform
labels:
- pairs:
    release: stable
  includeTemplates: true
resources:
- ../staging
replicas:
{reps}
patches:
{chr(10).join(smps)}
configMapGenerator:
- name: prod-flags
  literals:
  - beta=false
secretGenerator:
- name: app0-secret
  behavior: replace
  literals:
  - token=production
""")
