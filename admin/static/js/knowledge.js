// The knowledge base's upload form (kb/templates/kb/collection.html): drop files on it or choose
// them, and each file is sent on its own request with its own progress bar. The server answers with
// the file's processing state (kb/templates/kb/_job.html), which htmx then polls until it is ready
// or failed; a refused file shows the reason next to it. Without this script the form still works.
"use strict";

(function () {
  function csrfToken(form) {
    return form.querySelector("input[name=csrf_token]").value;
  }

  function row(list, file) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var percent = document.createElement("span");
    percent.className = "upload-percent";
    percent.textContent = "0%";
    var state = document.createElement("div");
    state.className = "upload-state";
    item.append(name, bar, percent, state);
    list.append(item);
    return { bar: bar, percent: percent, state: state };
  }

  function show(parts, value) {
    parts.bar.value = value;
    parts.percent.textContent = "Uploaded " + value + "%";
  }

  function send(form, list, file) {
    var parts = row(list, file);
    var body = new FormData();
    body.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken(form));
    xhr.setRequestHeader("X-Requested-With", "upload");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) show(parts, Math.floor((100 * event.loaded) / event.total));
    });
    xhr.addEventListener("load", function () {
      show(parts, 100);
      var html = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/html") === 0;
      if (!html || !xhr.responseText) {
        parts.state.textContent =
          xhr.status === 413
            ? "Refused: the file is larger than the upload limit."
            : "Not added: the server could not take it (" + xhr.status + "). Try again.";
        parts.state.className = "upload-state field-error";
        return;
      }
      parts.state.innerHTML = xhr.responseText; // our own server's fragment, escaped by its templates
      if (window.htmx) window.htmx.process(parts.state);
    });
    xhr.addEventListener("error", function () {
      parts.state.textContent = "Not sent: the connection failed. Try again.";
      parts.state.className = "upload-state field-error";
    });
    xhr.send(body);
  }

  function sendAll(form, list, files) {
    for (var i = 0; i < files.length; i++) send(form, list, files[i]);
  }

  function setUp(form) {
    var list = document.querySelector("[data-uploads]");
    var input = form.querySelector("input[type=file]");
    var button = form.querySelector("[data-upload-button]");
    if (button) button.hidden = true; // each file goes as soon as it is chosen or dropped
    input.addEventListener("change", function () {
      sendAll(form, list, input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendAll(form, list, input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () {
        form.classList.remove("dragging");
      });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) sendAll(form, list, event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(setUp);
  });
})();
