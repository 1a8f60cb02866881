#!/usr/bin/env python3
"""Writes src/sandbox/proto_schema.cpp: the field numbers, names and wire
types of the Kubernetes protobuf messages that kubectl's imperative commands
send (and every message they contain), for the sandbox's protobuf decoder.

The facts come from the `generated.proto` and `types.go` files of
kubernetes/api and kubernetes/apimachinery at one tag (v0.31.9 = Kubernetes
1.31): field numbers and types from the .proto files, whether a Go field is a
pointer (so a zero value that was sent means something) from types.go.

  scripts/gen-proto-schema.py API_GIT_DIR APIMACHINERY_GIT_DIR [TAG] > src/sandbox/proto_schema.cpp

(the git directories of clones; the search tool's `fetch` of
github:kubernetes/api and github:kubernetes/apimachinery gives them).
"""
import re
import subprocess
import sys

API, MACH = sys.argv[1], sys.argv[2]
TAG = sys.argv[3] if len(sys.argv) > 3 else "v0.31.9"

# (apiVersion, kind) -> Go package dir in kubernetes/api: the objects
# kubectl create/run/expose/autoscale and kubectl auth send as protobuf.
ROOTS = [
    ("v1", "ConfigMap", "core/v1"), ("v1", "Secret", "core/v1"), ("v1", "Namespace", "core/v1"),
    ("v1", "ServiceAccount", "core/v1"), ("v1", "Service", "core/v1"), ("v1", "Pod", "core/v1"),
    ("v1", "ResourceQuota", "core/v1"), ("v1", "LimitRange", "core/v1"),
    ("v1", "PersistentVolumeClaim", "core/v1"), ("v1", "Endpoints", "core/v1"),
    ("v1", "Event", "core/v1"), ("v1", "ReplicationController", "core/v1"),
    ("apps/v1", "Deployment", "apps/v1"), ("apps/v1", "StatefulSet", "apps/v1"),
    ("apps/v1", "DaemonSet", "apps/v1"), ("apps/v1", "ReplicaSet", "apps/v1"),
    ("batch/v1", "Job", "batch/v1"), ("batch/v1", "CronJob", "batch/v1"),
    ("rbac.authorization.k8s.io/v1", "Role", "rbac/v1"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rbac/v1"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "rbac/v1"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "rbac/v1"),
    ("policy/v1", "PodDisruptionBudget", "policy/v1"),
    ("scheduling.k8s.io/v1", "PriorityClass", "scheduling/v1"),
    ("networking.k8s.io/v1", "Ingress", "networking/v1"),
    ("networking.k8s.io/v1", "IngressClass", "networking/v1"),
    ("networking.k8s.io/v1", "NetworkPolicy", "networking/v1"),
    ("autoscaling/v1", "HorizontalPodAutoscaler", "autoscaling/v1"),
    ("autoscaling/v1", "Scale", "autoscaling/v1"),
    ("autoscaling/v2", "HorizontalPodAutoscaler", "autoscaling/v2"),
    ("authentication.k8s.io/v1", "TokenRequest", "authentication/v1"),
    ("authentication.k8s.io/v1", "TokenReview", "authentication/v1"),
    ("authentication.k8s.io/v1", "SelfSubjectReview", "authentication/v1"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview", "authorization/v1"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview", "authorization/v1"),
    ("authorization.k8s.io/v1", "SubjectAccessReview", "authorization/v1"),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview", "authorization/v1"),
    ("coordination.k8s.io/v1", "Lease", "coordination/v1"),
    ("v1", "DeleteOptions", "MACH:pkg/apis/meta/v1"),
]

# Messages with a JSON form of their own (decoded by hand, not expanded).
SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "kTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "kMicroTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "kDuration",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "kRawJson",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "kRawJson",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "kIntOrString",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "kQuantity",
}
SCALARS = {"string": "kString", "bytes": "kBytes", "bool": "kBool", "int32": "kInt32",
           "int64": "kInt64", "uint32": "kUint32", "uint64": "kUint64", "double": "kDouble",
           "float": "kFloat"}


def git_show(repo, path):
    return subprocess.run(["git", "--git-dir", repo, "show", f"{TAG}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def git_ls(repo):
    return subprocess.run(["git", "--git-dir", repo, "ls-tree", "-r", "--name-only", TAG],
                          check=True, capture_output=True, text=True).stdout.split()


messages = {}  # full name -> [(number, name, label, type_full)]
pointers = {}  # full name -> set of field numbers that are Go pointers
FIELD = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)")
MAP = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)")


def resolve(pkg, t):
    if t in SCALARS:
        return t
    if t.startswith("."):
        return t[1:]
    return pkg + "." + t


def parse_proto(text):
    pkg = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
    cur = None
    for line in text.splitlines():
        s = line.split("//")[0]
        m = re.match(r"^message\s+(\w+)\s*{", s)
        if m:
            cur = pkg + "." + m.group(1)
            messages[cur] = []
            continue
        if s.startswith("}"):
            cur = None
            continue
        if cur is None:
            continue
        m = MAP.match(s)
        if m:
            messages[cur].append((int(m.group(4)), m.group(3), "map", resolve(pkg, m.group(2))))
            continue
        m = FIELD.match(s)
        if m:
            messages[cur].append((int(m.group(4)), m.group(3), m.group(1), resolve(pkg, m.group(2))))


STRUCT = re.compile(r"^type\s+(\w+)\s+struct\s*{")
TAGNUM = re.compile(r'protobuf:"[a-z0-9]+,(\d+),')


def parse_types(text, pkg):
    cur = None
    for line in text.splitlines():
        m = STRUCT.match(line)
        if m:
            cur = pkg + "." + m.group(1)
            pointers.setdefault(cur, set())
            continue
        if line.startswith("}"):
            cur = None
            continue
        if cur is None:
            continue
        parts = line.split()
        t = TAGNUM.search(line)
        if t and len(parts) >= 2 and parts[1].startswith("*"):
            pointers[cur].add(int(t.group(1)))


for path in git_ls(API):
    if path.endswith("generated.proto"):
        parse_proto(git_show(API, path))
    if path.endswith(".go") and not path.endswith("_test.go") and "/" in path:
        d = path.rsplit("/", 1)[0]
        if path.rsplit("/", 1)[1].startswith("types"):
            parse_types(git_show(API, path), "k8s.io.api." + d.replace("/", "."))
for path in git_ls(MACH):
    if path.endswith("generated.proto"):
        parse_proto(git_show(MACH, path))
    if path.startswith("pkg/apis/meta/v1/types") and path.endswith(".go"):
        parse_types(git_show(MACH, path), "k8s.io.apimachinery.pkg.apis.meta.v1")


def root_message(pkgdir, kind):
    if pkgdir.startswith("MACH:"):
        return "k8s.io.apimachinery." + pkgdir[5:].replace("/", ".") + "." + kind
    return "k8s.io.api." + pkgdir.replace("/", ".") + "." + kind


order, index = [], {}


def visit(name):
    if name in index or name in SPECIAL:
        return
    if name not in messages:
        sys.exit(f"unknown message {name}")
    index[name] = len(order)
    order.append(name)
    for _, _, _, t in messages[name]:
        if t not in SCALARS:
            visit(t)


roots = []
for api_version, kind, pkgdir in ROOTS:
    name = root_message(pkgdir, kind)
    visit(name)
    roots.append((api_version, kind, name))

out = []
w = out.append
w("// Generated by scripts/gen-proto-schema.py from kubernetes/api and")
w(f"// kubernetes/apimachinery {TAG}: the field numbers, JSON names and types of")
w("// the protobuf messages the sandbox decodes. Do not edit; run the script.")
w("// clang-format off")
w('#include "sandbox/proto_schema.h"')
w("")
w("namespace gantry::sandbox::proto {")
w("")
w("namespace {")
w("")
w("using K = FieldKind;")
w("constexpr uint8_t R = kRepeated, M = kMap, P = kPointer;")
w("")
w("const Field kFields[] = {")
first = {}
n = 0
for name in order:
    first[name] = n
    for num, fname, label, t in sorted(messages[name]):
        if t in SCALARS:
            kind, msg = SCALARS[t], -1
        elif t in SPECIAL:
            kind, msg = SPECIAL[t], -1
        else:
            kind, msg = "kMessage", index[t]
        flags = []
        if label == "repeated":
            flags.append("R")
        if label == "map":
            flags.append("M")
        if num in pointers.get(name, set()):
            flags.append("P")
        f = "|".join(flags) if flags else "0"
        w(f'    {{{num}, "{fname}", K::{kind}, {msg}, {f}}},')
        n += 1
w("};")
w("")
w("const Message kMessages[] = {")
for name in order:
    w(f'    {{"{name}", {first[name]}, {len(messages[name])}}},')
w("};")
w("")
w("const Root kRoots[] = {")
for api_version, kind, name in roots:
    w(f'    {{"{api_version}", "{kind}", {index[name]}}},')
w("};")
w("")
w("}  // namespace")
w("")
w("const Field* fields() { return kFields; }")
w("const Message* messages() { return kMessages; }")
w(f"size_t message_count() {{ return {len(order)}; }}")
w("const Root* roots() { return kRoots; }")
w(f"size_t root_count() {{ return {len(roots)}; }}")
w("")
w("}  // namespace gantry::sandbox::proto")
print("\n".join(out))
