/* verify.js: the public check page (/verify). The page works without it; with it:
 *
 * - after a check, focus goes to the result's heading (screen readers read the answer first);
 * - a camera scan where the browser has BarcodeDetector and getUserMedia (else the button stays hidden):
 *   the QR's text fills the box and the form is sent, as if pasted;
 * - the log's inclusion proof is checked again here, with tlog-verify.js, trusting the server for bytes only:
 *   the checkpoint's Ed25519 signature under the log key shown on the page (compare it with the one the
 *   province publishes), the entry's hash, the RFC 9162 inclusion proof against the checkpoint's root, that
 *   the entry names this certificate's number, and whether it carries the digest of the QR text checked
 *   (Base45 and zlib undone here, SHA-256 of the COSE bytes: docs/certificates.md).
 */

const $ = (id) => document.getElementById(id);

const heading = $("result-title");
if (heading) heading.focus();

// ---- camera scan ----

const scan = $("scan");
const canScan = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
if (scan && canScan) {
  scan.hidden = false;
  let stream = null;
  let timer = null;
  const video = $("scan-video");
  const status = (text) => { $("scan-status").textContent = text; };
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $("scan-view").hidden = true;
    $("scan-start").hidden = false;
  };
  $("scan-start").addEventListener("click", async () => {
    let detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      stop();
      status("无法打开摄像头，请用手机的扫码工具读出文字后粘贴。");
      return;
    }
    video.srcObject = stream;
    video.play().catch(() => {}); // not awaited: a stream without frames yet would hold it
    $("scan-view").hidden = false;
    $("scan-start").hidden = true;
    $("scan-stop").focus();
    status("正在扫描：请将证书上的二维码对准摄像头。");
    const look = async () => {
      if (!stream) return;
      try {
        const found = (await detector.detect(video)).find((c) => c.rawValue);
        if (found) {
          stop();
          $("qr-text").value = found.rawValue;
          status("已读取二维码，正在查验……");
          $("qr-form").requestSubmit();
          return;
        }
      } catch (e) { /* a frame not ready yet: try the next */ }
      timer = setTimeout(look, 250);
    };
    look();
  });
  $("scan-stop").addEventListener("click", () => {
    stop();
    status("已停止扫码。");
    $("scan-start").focus();
  });
}

// ---- the inclusion proof, again, in this browser ----

const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/** RFC 9285 Base45 to bytes; null if the text is not Base45. */
function base45(text) {
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const chunk = text.slice(i, i + 3);
    const v = Array.from(chunk, (c) => B45.indexOf(c));
    if (v.includes(-1) || chunk.length === 1) return null;
    const n = v[0] + v[1] * 45 + (v.length === 3 ? v[2] * 2025 : 0);
    if (v.length === 3) {
      if (n > 0xffff) return null;
      out.push(n >> 8, n & 0xff);
    } else {
      if (n > 0xff) return null;
      out.push(n);
    }
  }
  return Uint8Array.from(out);
}

/** SHA-256 (hex) of the COSE bytes inside a QR text, or null if it cannot be read. */
async function formDigest(tv, text) {
  const t = text.trim();
  if (!t.startsWith("SQ1:")) return null;
  const packed = base45(t.slice(4));
  if (!packed || !("DecompressionStream" in window)) return null;
  try {
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    return tv.toHex(await tv.sha256(new Uint8Array(await new Response(stream).arrayBuffer())));
  } catch (e) {
    return null;
  }
}

async function checkProof(box) {
  const say = (text, ok) => {
    const el = $("browser-check");
    el.textContent = text;
    el.className = "browser-check " + (ok ? "browser-ok" : "browser-bad");
  };
  try {
    const tv = await import(box.dataset.verifier);
    const proof = JSON.parse(box.dataset.proof);
    const verifier = await tv.parseVkey(box.dataset.vkey);
    const checkpoint = await tv.openCheckpoint(proof.checkpoint, verifier);
    if (checkpoint.size !== proof.tree_size) throw new tv.VerifyError("bad_size", "检查点的大小与证明不符。");
    const entryBytes = new TextEncoder().encode(proof.entry);
    const leaf = await tv.leafHash(entryBytes);
    if (!tv.equalBytes(leaf, tv.fromBase64(proof.leaf_hash))) {
      throw new tv.VerifyError("bad_entry", "日志条目的哈希与证明不符。");
    }
    await tv.verifyInclusion(proof.index, checkpoint.size, leaf, proof.hashes.map(tv.fromBase64), checkpoint.root);
    const entry = JSON.parse(proof.entry);
    const details = (entry && entry.details) || {};
    if (entry.index !== proof.index || details.number !== box.dataset.number) {
      throw new tv.VerifyError("bad_entry", "日志条目记载的不是这张证。");
    }
    let form = "";
    const text = $("qr-text") ? $("qr-text").value : "";
    if (text) {
      const digest = await formDigest(tv, text);
      form = digest && digest === details.form_digest
        ? "该记录载有此二维码的摘要。"
        : "该记录是这张证最近一次办理的记录。";
    }
    say(`✓ 已在您的浏览器中独立核验：检查点签名有效（日志公钥 ${verifier.name}），` +
        `第 ${proof.index} 条记录包含在共 ${checkpoint.size} 条的日志中（RFC 9162 包含证明），` +
        `记录的证号为 ${details.number}。${form}`, true);
  } catch (e) {
    say(`✗ 浏览器核验未通过：${e && e.message ? e.message : e}`, false);
  }
}

const proofBox = $("proof");
if (proofBox) checkProof(proofBox);
