// Greeting card page: render the inline SVG onto a canvas and download it as PNG
// (no network access needed).
(function () {
  "use strict";
  var button = document.getElementById("save-png");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var svg = document.querySelector("#card-stage svg");
    var data = new XMLSerializer().serializeToString(svg);
    var img = new Image();
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = 1200; canvas.height = 1680;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      var a = document.createElement("a");
      a.download = button.dataset.filename || "greeting-card.png";
      a.href = canvas.toDataURL("image/png");
      a.click();
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(data);
  });
})();
