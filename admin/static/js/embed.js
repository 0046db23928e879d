// The web chat on a business's own site: <script src="https://<frontdesk>/static/js/embed.js"
// data-frontdesk-chat="<workspace slug>" async></script> puts a frame of /chat/<slug> where the tag
// is (or at the end of the page when the tag is in <head>). Optional: data-title, data-height (px).
// The chat page lets only the workspace's listed websites show it in a frame.
(function () {
  const script = document.currentScript;
  if (!script || !script.dataset.frontdeskChat) return;
  const server = new URL(script.src).origin;
  const frame = document.createElement("iframe");
  frame.src = server + "/chat/" + encodeURIComponent(script.dataset.frontdeskChat);
  frame.title = script.dataset.title || "Chat with us";
  frame.loading = "lazy";
  const height = parseInt(script.dataset.height || "600", 10);
  frame.style.width = "100%";
  frame.style.maxWidth = "420px";
  frame.style.height = (height > 0 ? height : 600) + "px";
  frame.style.border = "0";
  const place = () => {
    if (script.parentNode && script.parentNode !== document.head) {
      script.parentNode.insertBefore(frame, script.nextSibling);
    } else {
      document.body.appendChild(frame);
    }
  };
  if (document.body || script.parentNode !== document.head) place();
  else document.addEventListener("DOMContentLoaded", place);
})();
