// Scan the resident's pay code with the phone camera where the browser can
// (BarcodeDetector, e.g. Chrome on Android); typing the digits always works.
(function () {
  var input = document.getElementById("id_code");
  var button = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  if (!input || !button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new BarcodeDetector({formats: ["qr_code"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
      function look() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            input.value = codes[0].rawValue;
            stop();
            document.getElementById("id_bill").focus();
          } else {
            requestAnimationFrame(look);
          }
        }).catch(function () { requestAnimationFrame(look); });
      }
      look();
    }).catch(function () { button.textContent = button.dataset.lNocamera; });
  });
})();
