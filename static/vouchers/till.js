// The till answers a refused quote or confirm with 400/409/429 and the reason
// as a card; htmx leaves error responses unswapped unless told.
document.addEventListener("htmx:beforeSwap", function (e) {
  var target = e.detail.target;
  var status = e.detail.xhr ? e.detail.xhr.status : 0;
  if (target && target.id === "till-out" && [400, 409, 429].indexOf(status) >= 0) {
    e.detail.shouldSwap = true;
    e.detail.isError = false;
  }
});

// Scan what the customer shows (the community card's QR, the wallet pay code,
// or the QR printed on a household card, which then needs its PIN). The browser's own
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
            var pin = document.getElementById("id_pin");
            var next = /^DJ\d{10}$/i.test(input.value) && pin ? pin : document.getElementById("id_bill");
            next.focus();
          } else {
            requestAnimationFrame(look);
          }
        }).catch(function () { requestAnimationFrame(look); });
      }
      look();
    }).catch(function () { button.textContent = button.dataset.lNocamera; });
  });
})();
