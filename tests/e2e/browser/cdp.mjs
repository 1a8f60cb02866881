// A minimal Chrome DevTools Protocol driver for the dashboard's browser test,
// with no npm dependencies: Node's own WebSocket (node --experimental-websocket
// on Node 20; built in from Node 22), fetch and zlib. It attaches to the
// first page of a Chromium started with --remote-debugging-port, so the page
// (and its event stream) lives on between commands:
//   node cdp.mjs PORT open URL               navigate the page
//   node cdp.mjs PORT wait EXPR [MS]         poll EXPR until truthy (exit 1 on timeout,
//                                            printing the page's text)
//   node cdp.mjs PORT eval EXPR              print EXPR's value as JSON
//   node cdp.mjs PORT screenshot FILE.png [WIDTH]
//                                            save a PNG (at a phone's WIDTH in CSS
//                                            pixels when given; prints the page's
//                                            scrollWidth and its tables' sideways
//                                            overflow then) and check it is not blank:
//                                            prints "colours=N dominant=F" and exits 1
//                                            when fewer than 16 colours or one colour
//                                            covers more than 99% of the pixels
import { writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const [port, cmd, arg, arg2] = process.argv.slice(2);

async function connect() {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = list.find((t) => t.type === 'page');
  if (!page) throw new Error('no page target');
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = () => fail(new Error('ws error')); });
  let id = 0;
  const pending = new Map();
  const listeners = [];
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id && pending.has(msg.id)) {
      const { ok, fail } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) fail(new Error(JSON.stringify(msg.error))); else ok(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  };
  const send = (method, params = {}) => new Promise((ok, fail) => {
    const n = ++id;
    pending.set(n, { ok, fail });
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  return { ws, send, listeners };
}

async function evaluate(c, expr) {
  const r = await c.send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true });
  if (r.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(r.exceptionDetails.exception || r.exceptionDetails)}`);
  return r.result.value;
}

// PNG (8-bit RGB/RGBA, non-interlaced, as Chromium writes) -> distinct colours.
function pngStats(buf) {
  const w = buf.readUInt32BE(16), h = buf.readUInt32BE(20), depth = buf[24], type = buf[25];
  if (depth !== 8 || (type !== 2 && type !== 6)) throw new Error(`unexpected PNG format ${depth}/${type}`);
  const bpp = type === 6 ? 4 : 3;
  const idat = [];
  for (let p = 8; p < buf.length;) {
    const len = buf.readUInt32BE(p), kind = buf.toString('ascii', p + 4, p + 8);
    if (kind === 'IDAT') idat.push(buf.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = w * bpp, out = Buffer.alloc(stride * h);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp] : 0, b = y ? out[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? out[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a; else if (f === 2) v += b; else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      out[y * stride + x] = v & 255;
    }
  }
  const counts = new Map();
  for (let i = 0; i < out.length; i += bpp) {
    const k = (out[i] << 16) | (out[i + 1] << 8) | out[i + 2];
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  return { colours: counts.size, dominant: Math.max(...counts.values()) / (w * h) };
}

const c = await connect();
try {
  if (cmd === 'open') {
    await c.send('Page.enable');
    // A new document fires load; a change of the address after '#' only
    // navigates within the document.
    const loaded = new Promise((ok) => c.listeners.push((m) => {
      if (m.method === 'Page.loadEventFired' || m.method === 'Page.navigatedWithinDocument') ok();
    }));
    await c.send('Page.navigate', { url: arg });
    await loaded;
  } else if (cmd === 'wait') {
    const until = Date.now() + Number(arg2 || 15000);
    let v;
    for (;;) {
      try { v = await evaluate(c, arg); } catch (e) { v = undefined; }
      if (v) break;
      if (Date.now() > until) {
        console.error(`timed out waiting for: ${arg}\n--- page text ---\n${await evaluate(c, 'document.body.innerText')}`);
        process.exitCode = 1;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (v) console.log(JSON.stringify(v));
  } else if (cmd === 'eval') {
    console.log(JSON.stringify(await evaluate(c, arg)));
  } else if (cmd === 'screenshot') {
    if (arg2) {
      await c.send('Emulation.setDeviceMetricsOverride',
        { width: Number(arg2), height: 800, deviceScaleFactor: 1, mobile: true });
      await new Promise((r) => setTimeout(r, 300));
      console.log(`scrollWidth=${await evaluate(c, 'document.documentElement.scrollWidth')}`);
      // How far the widest table scrolls sideways inside its wrapper.
      console.log(`tableOverflow=${await evaluate(c, "Math.max(0, ...[...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth))")}`);
    }
    const r = await c.send('Page.captureScreenshot', { format: 'png' });
    const png = Buffer.from(r.data, 'base64');
    writeFileSync(arg, png);
    const s = pngStats(png);
    console.log(`colours=${s.colours} dominant=${s.dominant.toFixed(3)}`);
    if (s.colours < 16 || s.dominant > 0.99) process.exitCode = 1;
  } else {
    console.error(`unknown command ${cmd}`);
    process.exitCode = 2;
  }
} finally {
  c.ws.close();
}
