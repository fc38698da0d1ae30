/* tlog-verify.js: the auditor's verifier, run in the browser so that it trusts nothing the server says.
 *
 * Plain ES module, no dependencies, no build step. SHA-256 and Ed25519 come from WebCrypto.
 * It mirrors examsvc's Python core step by step (examsvc/crypto/signed_note.py, examsvc/tlog/*.py,
 * examsvc/audit/offline.py) and is tested against the same vectors (tests/web/test_tlog_verify.py):
 *
 *   - C2SP signed-note (https://c2sp.org/signed-note): vkey = name+hex(key id)+base64(0x01 || public key),
 *     key id = SHA-256(name || "\n" || 0x01 || public key)[:4]; signature lines "— name base64(id || sig)".
 *   - C2SP tlog-checkpoint: origin line, decimal tree size, base64 root hash, optional extension lines.
 *   - RFC 6962 §2.1 hashes: leaf SHA-256(0x00 || entry), node SHA-256(0x01 || left || right).
 *   - Proof verification: RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
 *
 * Every check throws VerifyError (a code for programs, a Chinese message for the auditor) rather than
 * returning a boolean a caller could forget to look at.
 */

const encoder = new TextEncoder();
const DASH = "\u2014 "; // U+2014 EM DASH and a space open every signature line
const ALG_ED25519 = 0x01;
const HASH_SIZE = 32;

export class VerifyError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "VerifyError";
    this.code = code;
  }
}

function fail(code, message) {
  throw new VerifyError(code, message);
}

// ---- bytes ----

export function fromBase64(text) {
  // Standard alphabet, padded, nothing else (Python's b64decode(validate=True)).
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    fail("bad_base64", "不是有效的 base64 编码。");
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/.test(text)) fail("bad_hex", "不是有效的十六进制编码。");
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

// ---- RFC 6962 §2.1 ----

export function leafHash(entry) {
  return sha256(Uint8Array.of(0x00), entry);
}

export function nodeHash(left, right) {
  return sha256(Uint8Array.of(0x01), left, right);
}

/** MTH of the leaf hashes (RFC 6962 §2.1), built left to right: a stack of perfect subtrees. */
export async function rootOf(leafHashes) {
  if (leafHashes.length === 0) return sha256();
  const stack = []; // [hash, number of leaves], sizes strictly decreasing from the bottom
  for (const leaf of leafHashes) {
    let top = [leaf, 1];
    while (stack.length && stack[stack.length - 1][1] === top[1]) {
      const [left, n] = stack.pop();
      top = [await nodeHash(left, top[0]), 2 * n];
    }
    stack.push(top);
  }
  // The right edge: the smaller subtrees fold into the larger ones from the right.
  let [root] = stack.pop();
  while (stack.length) root = await nodeHash(stack.pop()[0], root);
  return root;
}

// ---- RFC 9162 §2.1.3.2: inclusion ----

export async function rootFromInclusionProof(index, size, leaf, proof) {
  if (!(0 <= index && index < size)) fail("bad_proof", `条目序号 ${index} 超出大小为 ${size} 的树。`); // step 1
  let fn = index, sn = size - 1; // step 2
  let r = leaf; // step 3
  for (const p of proof) { // step 4
    if (sn === 0) fail("bad_proof", "包含证明过长。"); // 4.1
    if (fn % 2 === 1 || fn === sn) { // 4.2
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("bad_proof", "包含证明过短。"); // step 5
  return r;
}

export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!equalBytes(await rootFromInclusionProof(index, size, leaf, proof), root)) {
    fail("bad_proof", `条目 ${index} 的包含证明与检查点（大小 ${size}）的根哈希不符。`);
  }
}

// ---- RFC 9162 §2.1.4.2: consistency ----

export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (!(0 < first && first <= second)) fail("bad_proof", `一致性证明要求 0 < 旧大小 ≤ 新大小（${first}，${second}）。`);
  if (first === second) {
    if (proof.length) fail("bad_proof", "相同大小之间的一致性证明应为空。");
    if (!equalBytes(firstRoot, secondRoot)) fail("inconsistent", `大小同为 ${first} 的两个检查点根哈希不同：日志被改写。`);
    return;
  }
  const path = [...proof];
  if ((first & (first - 1)) === 0) path.unshift(firstRoot); // step 1: first is a power of two
  if (!path.length) fail("bad_proof", "一致性证明为空。");
  let fn = first - 1, sn = second - 1; // step 2
  while (fn % 2 === 1) { // step 3
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0], sr = path[0]; // step 4
  for (const c of path.slice(1)) { // step 5
    if (sn === 0) fail("bad_proof", "一致性证明过长。"); // 5.1
    if (fn % 2 === 1 || fn === sn) { // 5.2
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else { // 5.3
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("bad_proof", "一致性证明过短。"); // step 6
  if (!equalBytes(fr, firstRoot) || !equalBytes(sr, secondRoot)) {
    fail("inconsistent", `大小 ${second} 的检查点不是大小 ${first} 的检查点的延续：日志被改写。`);
  }
}

// ---- C2SP signed-note ----

function checkName(name) {
  if (!name || /[+\s]/.test(name)) fail("bad_key", "密钥名称为空或含有“+”、空白。");
}

async function keyId(name, publicKey) {
  return (await sha256(encoder.encode(name + "\n"), Uint8Array.of(ALG_ED25519), publicKey)).slice(0, 4);
}

/** A verifier key "name+keyid+base64(0x01 || key)"; its key id is recomputed, never taken on trust. */
export async function parseVkey(vkey) {
  const text = String(vkey).trim();
  const first = text.indexOf("+"), second = text.indexOf("+", first + 1);
  if (first < 0 || second < 0) fail("bad_key", "验证密钥的格式应为 名称+密钥编号+base64。");
  const name = text.slice(0, first), hexId = text.slice(first + 1, second), material = text.slice(second + 1);
  checkName(name);
  let raw, expectedId;
  try {
    raw = fromBase64(material);
    expectedId = fromHex(hexId);
  } catch (e) {
    fail("bad_key", "验证密钥格式错误。");
  }
  if (raw.length !== 33 || raw[0] !== ALG_ED25519 || expectedId.length !== 4) fail("bad_key", "不是 Ed25519 验证密钥。");
  const publicKey = raw.slice(1);
  const id = await keyId(name, publicKey);
  if (!equalBytes(id, expectedId)) fail("bad_key", "验证密钥的编号与密钥不符。");
  return { vkey: text, name, keyId: id, publicKey };
}

/** The note's text if one of its signatures is a valid Ed25519 signature by the verifier. */
export async function openNote(note, verifier) {
  const cut = note.lastIndexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) fail("bad_note", "签名文本格式错误：没有签名部分。");
  const text = note.slice(0, cut + 1);
  const lines = note.slice(cut + 2, -1).split("\n");
  const key = await crypto.subtle.importKey("raw", verifier.publicKey, { name: "Ed25519" }, false, ["verify"]);
  let foundKey = false;
  for (const line of lines) {
    if (!line.startsWith(DASH)) fail("bad_note", "签名行格式错误。");
    const rest = line.slice(DASH.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const blob = fromBase64(space < 0 ? "" : rest.slice(space + 1));
    if (name !== verifier.name || blob.length < 4 || !equalBytes(blob.slice(0, 4), verifier.keyId)) continue;
    foundKey = true;
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4), encoder.encode(text))) return text;
  }
  if (foundKey) fail("bad_signature", "签名无效：内容或签名被改动过。");
  fail("unknown_key", `没有固定的验证密钥（${verifier.name}）的签名：服务器换了密钥或签名被去掉。`);
}

// ---- C2SP tlog-checkpoint ----

export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") fail("bad_checkpoint", "检查点应有来源、大小和根哈希三行。");
  const [origin, sizeLine, rootLine] = lines;
  if (!origin) fail("bad_checkpoint", "检查点的来源行为空。");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    fail("bad_checkpoint", "检查点的树大小不是十进制数。");
  }
  const root = fromBase64(rootLine);
  if (root.length !== HASH_SIZE) fail("bad_checkpoint", "检查点的根哈希不是 32 字节。");
  return { origin, size: Number(sizeLine), root };
}

/** Open a signed checkpoint with the pinned key (examsvc/audit/offline.py step 1). */
export async function openCheckpoint(note, verifier) {
  const checkpoint = parseCheckpoint(await openNote(note, verifier));
  if (checkpoint.origin !== verifier.name) {
    fail("bad_checkpoint", `检查点的来源“${checkpoint.origin}”不是密钥的名称“${verifier.name}”。`);
  }
  return checkpoint;
}

// ---- entries against a checkpoint (examsvc/audit/offline.py steps 3 and 4) ----

/** The lines of a newline-terminated byte stream (GET /audit/entries), as the bytes the log hashed. */
export function splitLines(bytes) {
  const lines = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.slice(start, i));
      start = i + 1;
    }
  }
  if (start !== bytes.length) fail("bad_entries", "条目数据没有以换行结束。");
  return lines;
}

/** Each entry's index and prev (the chain names which entry changed); returns their leaf hashes. */
export async function checkEntries(entries, firstIndex = 0, prevHex = "") {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const hashes = [];
  let prev = prevHex;
  for (let i = 0; i < entries.length; i++) {
    const index = firstIndex + i;
    let entry;
    try {
      entry = JSON.parse(decoder.decode(entries[i]));
    } catch (e) {
      fail("bad_entry", `条目 ${index}：不是 JSON 对象。`);
    }
    if (entry === null || typeof entry !== "object" || entry.index !== index) {
      fail("bad_entry", `条目 ${index}：序号不符（写的是 ${entry && entry.index}）。`);
    }
    if (entry.prev !== prev) fail("bad_entry", `条目 ${index}：prev 与条目 ${index - 1} 的哈希不符，条目 ${index - 1} 被改动过。`);
    const hash = await leafHash(entries[i]);
    hashes.push(hash);
    prev = toHex(hash);
  }
  return hashes;
}

/** All entries of the log against a checkpoint already opened: count, chain, root. */
export async function verifyEntries(checkpoint, entries) {
  if (entries.length !== checkpoint.size) {
    fail("bad_size", `检查点的大小是 ${checkpoint.size}，条目却有 ${entries.length} 条。`);
  }
  const hashes = await checkEntries(entries);
  if (!equalBytes(await rootOf(hashes), checkpoint.root)) {
    fail("bad_root", "由条目重算的根哈希与已签名检查点的根哈希不符：条目被改动过。");
  }
  return hashes;
}
