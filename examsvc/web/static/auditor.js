/* The auditor's page (审计日志): verifies the log in this browser with tlog-verify.js, trusting the server
 * for nothing but bytes.
 *
 * - The verifier key is pinned by the auditor (pasted once, kept in localStorage). The server's
 *   GET /audit/key is only compared with it: a different key raises the alarm, and it is never used.
 * - 验证: the checkpoint (GET /audit/checkpoint) is opened with the pinned key; every entry
 *   (GET /audit/entries) is re-hashed, its index and prev checked, the tree rebuilt and its root
 *   compared; the last checkpoint verified before (localStorage) must be extended, by a consistency
 *   proof (GET /audit/proofs/consistency). Any failure is an alarm; success becomes the new "last".
 * - Entries shown are the ones just verified, filtered here by sitting, actor, action and time; each
 *   row's inclusion proof (GET /audit/proofs/inclusion) is checked against the verified root.
 * - 导出: entries.jsonl, checkpoint and log.vkey as verified (the layout of `examsvc audit export`).
 */
const root = document.getElementById("audit");
const tv = await import(root.dataset.verifier);
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const PIN = "examsvc:audit:vkey";
const LAST = "examsvc:audit:last"; // {size, root (base64)} of the last checkpoint verified here
const PAGE = 50;
const CHUNK = 10000; // GET /audit/entries's largest range

const $ = (id) => document.getElementById(id);
let verified = null; // {checkpoint, note, lines: Uint8Array[], entries: object[]}
let shown = [];
let page = 0;

function read(key) {
  try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
}
function keep(key, value) { localStorage.setItem(key, JSON.stringify(value)); }

function say(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.className = "status" + (kind ? " " + kind : "");
}

function alarm(text) {
  const box = $("alarm");
  const item = document.createElement("p");
  item.textContent = "警报：" + text;
  box.append(item);
  box.hidden = false;
}

async function get(url, as) {
  const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
  if (!response.ok) {
    let message = `服务器拒绝了请求（${response.status}）`;
    try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return as === "bytes" ? new Uint8Array(await response.arrayBuffer()) : as === "json" ? response.json() : response.text();
}

// ---- the pinned key ----

async function showKey() {
  const pinned = read(PIN);
  $("pinned-key").textContent = pinned || "（尚未固定）";
  $("verify").disabled = !pinned;
  let served;
  try {
    served = (await get("/audit/key")).trim();
  } catch (e) {
    say("key-status", "无法读取服务器的验证密钥：" + e.message, "bad");
    return;
  }
  $("served-key").textContent = served;
  if (!pinned) say("key-status", "请把从独立渠道得到的验证密钥粘贴到下面并固定。", "");
  else if (served === pinned) say("key-status", "服务器提供的验证密钥与您固定的一致。", "good");
  else {
    say("key-status", "服务器提供的验证密钥与您固定的不同！", "bad");
    alarm("服务器提供的验证密钥与您固定的不同。日志只用您固定的密钥验证；请通过独立渠道核实密钥是否更换。");
  }
}

$("pin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("new-key").value.trim();
  try {
    await tv.parseVkey(text);
  } catch (e) {
    say("pin-status", "无法固定：" + e.message, "bad");
    return;
  }
  const old = read(PIN);
  if (old && old !== text && !window.confirm("您要用新密钥替换已固定的验证密钥吗？之前验证过的检查点将被清除。")) return;
  if (old !== text) localStorage.removeItem(LAST);
  keep(PIN, text);
  $("new-key").value = "";
  say("pin-status", "已固定验证密钥。", "good");
  await showKey();
});

// ---- verification ----

async function allEntries(size) {
  const lines = [];
  for (let start = 0; start < size; start += CHUNK) {
    const end = Math.min(size, start + CHUNK);
    lines.push(...tv.splitLines(await get(`/audit/entries?start=${start}&end=${end}`, "bytes")));
    say("progress", `已读取 ${lines.length} / ${size} 条`, "");
  }
  return lines;
}

async function verify() {
  $("alarm").hidden = true;
  $("alarm").replaceChildren();
  say("verify-status", "正在验证……", "");
  $("verify").disabled = true;
  try {
    const key = await tv.parseVkey(read(PIN));
    const note = await get("/audit/checkpoint");
    const checkpoint = await tv.openCheckpoint(note, key);
    const last = read(LAST);
    if (last) {
      if (checkpoint.size < last.size) fail(`服务器的检查点（${checkpoint.size} 条）比上次验证的（${last.size} 条）还小：日志被截短。`);
      const proof = checkpoint.size === last.size ? { hashes: [] }
        : await get(`/audit/proofs/consistency?first=${last.size}&second=${checkpoint.size}`, "json");
      await tv.verifyConsistency(last.size, checkpoint.size, tv.fromBase64(last.root), checkpoint.root,
        proof.hashes.map(tv.fromBase64));
    }
    const lines = await allEntries(checkpoint.size);
    say("progress", `正在重算 ${lines.length} 条的哈希……`, "");
    await tv.verifyEntries(checkpoint, lines);
    const decoder = new TextDecoder();
    verified = { checkpoint, note, lines, entries: lines.map((l) => JSON.parse(decoder.decode(l))) };
    $("cp-size").textContent = String(checkpoint.size);
    $("cp-root").textContent = tv.toBase64(checkpoint.root);
    keep(LAST, { size: checkpoint.size, root: tv.toBase64(checkpoint.root) });
    showLast();
    say("progress", "", "");
    say("verify-status", `验证通过：检查点签名有效，${checkpoint.size} 条日志与签名的根哈希一致` +
      (last ? `，并且是上次验证的检查点（${last.size} 条）的延续。` : "。"), "good");
    $("export").disabled = false;
    filter();
  } catch (e) {
    verified = null;
    $("cp-size").textContent = "（未通过验证）";
    $("cp-root").textContent = "（未通过验证）";
    $("entries-body").replaceChildren();
    $("entries-count").textContent = "";
    $("export").disabled = true;
    say("progress", "", "");
    say("verify-status", "验证失败。", "bad");
    alarm(e.message);
  } finally {
    $("verify").disabled = !read(PIN);
  }
}

function fail(message) { throw new tv.VerifyError("truncated", message); }

function showLast() {
  const last = read(LAST);
  $("last-verified").textContent = last ? `${last.size} 条，根哈希 ${last.root}` : "（尚无）";
}

$("verify").addEventListener("click", verify);

$("sign-now").addEventListener("click", async () => {
  const response = await fetch("/audit/checkpoint", { method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": CSRF } });
  say("verify-status", response.ok ? "服务器已签署新检查点，请点击“在浏览器中验证”。" : `签署失败（${response.status}）。`,
    response.ok ? "" : "bad");
});

// ---- entries: filter, page, inclusion proofs ----

function sittingOf(entry) {
  const d = entry.details || {};
  if (typeof d.sitting === "string") return d.sitting;
  if (typeof d.sitting_code === "string") return d.sitting_code;
  return entry.subject && entry.subject.type === "sitting" ? entry.subject.id : "";
}

function actorText(actor) {
  if (!actor) return "";
  if (actor.type === "user") return `${actor.name}（${(actor.roles || []).join("、")}）`;
  if (actor.type === "workstation") return `考试机 ${actor.id}`;
  return `系统 ${actor.name || ""}`;
}

function filter() {
  if (!verified) return;
  const sitting = $("f-sitting").value.trim();
  const actor = $("f-actor").value.trim();
  const action = $("f-action").value.trim();
  const from = $("f-from").value, to = $("f-to").value; // datetime-local, the browser's zone
  const fromMs = from ? new Date(from).getTime() : -Infinity, toMs = to ? new Date(to).getTime() : Infinity;
  shown = verified.entries.filter((e) => (!sitting || sittingOf(e) === sitting)
    && (!actor || actorText(e.actor).includes(actor))
    && (!action || e.action.startsWith(action))
    && Date.parse(e.time) >= fromMs && Date.parse(e.time) <= toMs).reverse(); // newest first
  page = 0;
  render();
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
}

function render() {
  const body = $("entries-body");
  body.replaceChildren();
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  for (const entry of shown.slice(page * PAGE, (page + 1) * PAGE)) {
    const row = document.createElement("tr");
    cell(row, String(entry.index));
    cell(row, new Date(entry.time).toLocaleString("zh-CN", { hour12: false }));
    cell(row, actorText(entry.actor));
    cell(row, entry.action);
    cell(row, sittingOf(entry));
    const td = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "验证包含证明";
    button.setAttribute("aria-label", `验证条目 ${entry.index} 的包含证明`);
    const out = document.createElement("span");
    out.className = "status";
    out.setAttribute("role", "status");
    button.addEventListener("click", () => inclusion(entry.index, out));
    td.append(button, " ", out);
    row.append(td);
    body.append(row);
  }
  $("entries-count").textContent = `共 ${shown.length} 条，第 ${page + 1} / ${pages} 页`;
  $("prev-page").disabled = page === 0;
  $("next-page").disabled = page >= pages - 1;
}

async function inclusion(index, out) {
  const { checkpoint, lines } = verified;
  try {
    const proof = await get(`/audit/proofs/inclusion?index=${index}&tree_size=${checkpoint.size}`, "json");
    await tv.verifyInclusion(index, checkpoint.size, await tv.leafHash(lines[index]),
      proof.hashes.map(tv.fromBase64), checkpoint.root);
    out.textContent = `包含证明有效（${proof.hashes.length} 个哈希）`;
    out.className = "status good";
  } catch (e) {
    out.textContent = "包含证明无效";
    out.className = "status bad";
    alarm(`条目 ${index}：${e.message}`);
  }
}

$("filter-form").addEventListener("submit", (event) => { event.preventDefault(); filter(); });
$("prev-page").addEventListener("click", () => { page -= 1; render(); });
$("next-page").addEventListener("click", () => { page += 1; render(); });

// ---- downloads ----

function offer(list, name, body, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob(Array.isArray(body) ? body : [body], { type }));
  link.download = name;
  link.textContent = `下载 ${name}`;
  const item = document.createElement("li");
  item.append(link);
  list.append(item);
}

$("export").addEventListener("click", () => {
  const list = $("export-files");
  list.replaceChildren();
  const newline = Uint8Array.of(0x0a);
  offer(list, "entries.jsonl", verified.lines.flatMap((l) => [l, newline]), "application/x-ndjson");
  offer(list, "checkpoint", verified.note, "text/plain");
  offer(list, "log.vkey", read(PIN) + "\n", "text/plain");
});

$("sitting-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = $("d-sitting").value.trim();
  const list = $("sitting-files");
  list.replaceChildren();
  if (!code) return;
  const wanted = [
    ["paper-sets.json", `/paper-sets?sitting=${encodeURIComponent(code)}`, "application/json"],
    ["room-record.json", `/sittings/${encodeURIComponent(code)}/room-record`, "application/json"],
    ["room-record.sig", `/sittings/${encodeURIComponent(code)}/room-record/signature`, "text/plain"],
    ["results-manifest", `/sittings/${encodeURIComponent(code)}/results/manifest`, "text/plain"],
  ];
  for (const [name, url, type] of wanted) {
    try {
      offer(list, `${code}-${name}`, await get(url, "bytes"), type);
    } catch (e) {
      const item = document.createElement("li");
      item.textContent = `${name}：${e.message}`;
      list.append(item);
    }
  }
});

showLast();
await showKey();
root.dataset.ready = "1";
