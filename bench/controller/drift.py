#!/usr/bin/env python3
"""Drift-repair latency of `gantry controller`: edits managed ConfigMaps one at
a time (a merge patch of data.value) and waits, on a watch of its own, for the
object to hold the original value again. Latency = from the edit's response
to the repaired object arriving in the watch. Prints median and p99."""
import base64, http.client, json, ssl, statistics, sys, tempfile, threading, time
import yaml

kubeconfig, edits = sys.argv[1], int(sys.argv[2])
kc = yaml.safe_load(open(kubeconfig))
cluster = kc["clusters"][0]["cluster"]
user = kc["users"][0]["user"]
host, port = cluster["server"].removeprefix("https://").split(":")
ca = tempfile.NamedTemporaryFile(delete=False)
ca.write(base64.b64decode(cluster["certificate-authority-data"]))
ca.close()
ctx = ssl.create_default_context(cafile=ca.name)
ctx.check_hostname = False
headers = {"Authorization": "Bearer " + user["token"]}
ns = "ns-t0"

def conn():
    return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)

c = conn()
c.request("GET", f"/api/v1/namespaces/{ns}/configmaps", headers=headers)
listing = json.loads(c.getresponse().read())
names = [i["metadata"]["name"] for i in listing["items"] if i["metadata"]["name"].startswith("config-")]
rv = listing["metadata"]["resourceVersion"]

restored = {}  # name -> (edit value, event): set when the edit was seen, then "original" again
lock = threading.Lock()
def watch():
    w = conn()
    w.request("GET", f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion={rv}&allowWatchBookmarks=true", headers=headers)
    r = w.getresponse()
    buf = b""
    while True:
        chunk = r.read1(65536)
        if not chunk:
            print("drift.py: the watch ended", file=sys.stderr)
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev.get("type") == "ERROR":
                print(f"drift.py: watch error {ev}", file=sys.stderr)
            obj = ev.get("object", {})
            name = obj.get("metadata", {}).get("name")
            value = obj.get("data", {}).get("value")
            with lock:
                w = restored.get(name)
                if not w:
                    continue
                if value == w["edit"]:
                    w["seen_edit"] = True
                elif value == "original" and w["seen_edit"]:
                    w["event"].set()
threading.Thread(target=watch, daemon=True).start()
time.sleep(0.5)

latencies = []
p = conn()  # one connection for every edit, as a client would keep
for i in range(edits):
    name = names[i % len(names)]
    done = threading.Event()
    with lock:
        restored[name] = {"edit": f"edited-{i}", "seen_edit": False, "event": done}
    p.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/{name}",
              body=json.dumps({"data": {"value": f"edited-{i}"}}),
              headers={**headers, "Content-Type": "application/merge-patch+json"})
    resp = p.getresponse()
    resp.read()
    t0 = time.monotonic()
    if resp.status != 200:
        sys.exit(f"edit failed: {resp.status}")
    if not done.wait(30):
        sys.exit(f"{name} was not repaired within 30 s")
    latencies.append(time.monotonic() - t0)
    with lock:
        restored.pop(name, None)
    time.sleep(0.05)

latencies.sort()
p99 = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
print(f"drift repair over {edits} edits: median {statistics.median(latencies)*1000:.0f} ms, "
      f"p99 {p99*1000:.0f} ms, max {latencies[-1]*1000:.0f} ms (bars: median <= 1000 ms, p99 <= 2000 ms)")
