// Scan the resident's pay code with the camera. The browser's own
// BarcodeDetector is used where it exists (Chrome on Android, macOS); elsewhere
// (iPhone Safari, desktop Linux) each video frame is read with jsQR. Typing the
// digits always works.
(function () {
  var input = document.getElementById("id_code");
  var button = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  if (!input || !button || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  if (!("BarcodeDetector" in window) && !window.jsQR) return;
  button.hidden = false;

  function detector() {
    if ("BarcodeDetector" in window) {
      var native = new BarcodeDetector({formats: ["qr_code"]});
      return function () {
        return native.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", {willReadFrequently: true});
    return function () {
      if (!video.videoWidth) return Promise.resolve(null);
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      var frame = ctx.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(frame.data, frame.width, frame.height, {inversionAttempts: "dontInvert"});
      return Promise.resolve(found ? found.data : null);
    };
  }

  button.addEventListener("click", function () {
    var read = detector();
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      function stop() { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; }
      function look() {
        read().then(function (code) {
          if (code) {
            input.value = code.trim();
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
