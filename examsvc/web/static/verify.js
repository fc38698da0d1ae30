/* verify.js: the public check page (/verify). The page works without it; with it:
 *
 * - after a check, focus goes to the result's heading (screen readers read the answer first);
 * - a camera scan where the browser has BarcodeDetector and getUserMedia (else the button stays hidden):
 *   the QR's text fills the box and the form is sent, as if pasted;
 * - the log's inclusion proof is checked again here, with tlog-verify.js, trusting the server for bytes only:
 *   the checkpoint's Ed25519 signature under the log key shown on the page (compare it with the one the
 *   province publishes) and the RFC 9162 inclusion proof of the entry's hash against the checkpoint's root.
 *   The entry itself stays with the auditors (it names the officer who acted); that it is this certificate's
 *   and carries this QR's digest is what the server checked, listed under "what was checked".
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
    const leaf = tv.fromBase64(proof.leaf_hash);
    await tv.verifyInclusion(proof.index, checkpoint.size, leaf, proof.hashes.map(tv.fromBase64), checkpoint.root);
    say(`✓ 已在您的浏览器中独立核验：检查点签名有效（日志公钥 ${verifier.name}），` +
        `第 ${proof.index} 条记录包含在共 ${checkpoint.size} 条的日志中（RFC 9162 包含证明）。`, true);
  } catch (e) {
    say(`✗ 浏览器核验未通过：${e && e.message ? e.message : e}`, false);
  }
}

const proofBox = $("proof");
if (proofBox) checkProof(proofBox);
