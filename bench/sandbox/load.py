#!/usr/bin/env python3
"""Load benchmark for `gantry sandbox`: create N ConfigMaps over HTTPS with C
concurrent keep-alive connections, then list them (one response, and paged
with limit=500 as kubectl does), and report create throughput, list latency
and the server's resident memory (VmRSS now, VmHWM peak) from /proc.

usage: load.py GANTRY_BINARY [N] [CONCURRENCY]   (PERSIST=1: run with --data)
"""
import base64, http.client, json, os, re, ssl, subprocess, sys, tempfile, threading, time

gantry = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
C = int(sys.argv[3]) if len(sys.argv) > 3 else 8

work = tempfile.mkdtemp()
kc = os.path.join(work, "kubeconfig")
t0 = time.time()
args = [gantry, "sandbox", "--listen", "127.0.0.1:0", "--kubeconfig-out", kc]
persist = os.environ.get("PERSIST") == "1"
if persist:  # --data: the state is written to disk while the benchmark runs
    args += ["--data", os.path.join(work, "data")]
proc = subprocess.Popen(args,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = None
while True:
    line = proc.stdout.readline()
    if not line:
        sys.exit("sandbox exited")
    m = re.search(r"serving the Kubernetes API on https://([\d.]+):(\d+)", line)
    if m:
        host, port = m.group(1), int(m.group(2))
    if line.startswith("kubeconfig:"):
        break
kcs = open(kc).read()
token = re.search(r"token: (\S+)", kcs).group(1)
ca = base64.b64decode(re.search(r"certificate-authority-data: (\S+)", kcs).group(1)).decode()
ctx = ssl.create_default_context(cadata=ca)
startup = time.time() - t0


def conn():
    return http.client.HTTPSConnection(host, port, context=ctx, timeout=60)


def request(c, method, path, body=None, ctype="application/json"):
    headers = {"Authorization": "Bearer " + token, "Content-Type": ctype}
    for attempt in range(3):
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
            c.close()
            c.connect()
    raise RuntimeError("request failed")


def rss():
    st = open(f"/proc/{proc.pid}/status").read()
    get = lambda k: int(re.search(rf"{k}:\s+(\d+) kB", st).group(1)) / 1024
    return get("VmRSS"), get("VmHWM")


path = "/api/v1/namespaces/default/configmaps"
errors = []


def worker(i0):
    c = conn()
    for i in range(i0, N, C):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"cm-{i:05d}", "labels": {"bench": "load", "shard": str(i % 10)}},
                           "data": {"index": str(i), "payload": "x" * 200}})
        status, data = request(c, "POST", path + "?fieldManager=bench", body)
        if status != 201:
            errors.append((status, data[:200]))
    c.close()


t0 = time.time()
threads = [threading.Thread(target=worker, args=(k,)) for k in range(C)]
for t in threads:
    t.start()
for t in threads:
    t.join()
create_s = time.time() - t0
if errors:
    sys.exit(f"{len(errors)} creates failed, first: {errors[0]}")
rss_after_create = rss()

c = conn()
lat = []
for _ in range(5):
    t0 = time.time()
    status, data = request(c, "GET", path)
    lat.append(time.time() - t0)
    assert status == 200
    items = json.loads(data)["items"]
    assert len(items) == N, len(items)
full_list_ms = min(lat) * 1000
list_bytes = len(data)

t0 = time.time()
cont, total, pages = "", 0, 0
while True:
    status, data = request(c, "GET", path + "?limit=500" + (f"&continue={cont}" if cont else ""))
    doc = json.loads(data)
    total += len(doc["items"])
    pages += 1
    cont = doc["metadata"].get("continue", "")
    if not cont:
        break
paged_ms = (time.time() - t0) * 1000
assert total == N, total

t0 = time.time()
status, data = request(c, "GET", path + "?labelSelector=shard%3D3")
sel_ms = (time.time() - t0) * 1000
assert len(json.loads(data)["items"]) == N // 10

t0 = time.time()
status, data = request(c, "GET", path, ctype="application/json")
c.close()
rss_now, rss_peak = rss()

kubectl_ms = None
try:
    env = dict(os.environ, KUBECACHEDIR=os.path.join(work, "cache"))
    t0 = time.time()
    out = subprocess.run(["kubectl", "--kubeconfig", kc, "get", "configmaps", "-o", "name"], env=env,
                         capture_output=True, text=True, check=True).stdout
    kubectl_ms = (time.time() - t0) * 1000
    assert out.count("\n") >= N
except (FileNotFoundError, subprocess.CalledProcessError):
    pass

proc.terminate()
proc.wait(timeout=20)

print(f"objects:                 {N} ConfigMaps (~330 B JSON bodies), {C} concurrent connections"
      + (", with --data" if persist else ""))
print(f"startup to kubeconfig:   {startup * 1000:.0f} ms")
print(f"create:                  {create_s:.2f} s total, {N / create_s:.0f} objects/s")
print(f"list all (1 response):   {full_list_ms:.0f} ms best of 5, {list_bytes / 1e6:.1f} MB")
print(f"list paged (limit=500):  {paged_ms:.0f} ms for {pages} pages")
print(f"list by label (1/10):    {sel_ms:.0f} ms")
if kubectl_ms is not None:
    print(f"kubectl get cm -o name:  {kubectl_ms:.0f} ms")
print(f"server RSS:              {rss_after_create[0]:.0f} MB after creates, {rss_now:.0f} MB after lists, peak {rss_peak:.0f} MB")
ok = rss_peak < 200
print("memory bar (< 200 MB):   " + ("met" if ok else "NOT met"))
sys.exit(0 if ok else 1)
