// The inbox's live updates and keyboard (staff/pages). A file of its own: the pages' policy allows
// no inline script. The page names its live feed in data-live; each event re-reads the page and
// swaps in the list, the tab title's waiting count and, when it is the one that changed, the open
// conversation (never a part someone is typing in). EventSource reconnects by itself and resumes
// with Last-Event-ID; a "reset" event means: re-read everything.
(function () {
  "use strict";
  const root = document.querySelector(".inbox[data-live]");
  if (!root) return;

  let busy = false;
  let acting = 0; // htmx requests of the page's forms under way
  let swaps = 0; // htmx swaps so far: a page read before the latest one is stale
  document.body.addEventListener("htmx:beforeRequest", () => { acting += 1; });
  let afterAction = false;
  document.body.addEventListener("htmx:afterRequest", () => {
    acting = Math.max(acting - 1, 0);
    if (!acting && afterAction) {
      afterAction = false;
      window.setTimeout(() => refresh(true), 0);
    }
  });
  document.body.addEventListener("htmx:afterSwap", () => { swaps += 1; });
  let again = null; // what to re-read once the running refresh is done

  function typingIn(part) {
    const active = document.activeElement;
    if (active && part.contains(active) && active.matches("input, textarea, select")) return true;
    return Array.from(part.querySelectorAll("textarea, input:not([type=hidden]):not([type=checkbox])")).some(
      (field) => field.value !== field.defaultValue
    );
  }

  function replace(selector, fresh) {
    const old = document.querySelector(selector);
    const next = fresh.querySelector(selector);
    if (!old || !next) return;
    const focused = document.activeElement && old.contains(document.activeElement) ? document.activeElement : null;
    const href = focused && focused.getAttribute("href");
    old.replaceWith(next);
    if (window.htmx) window.htmx.process(next);
    if (href) {
      const same = next.querySelector(`a[href="${CSS.escape(href)}"]`);
      if (same) same.focus();
    }
  }

  async function refresh(conversationChanged) {
    if (busy) {
      again = again || conversationChanged;
      return;
    }
    busy = true;
    const before = swaps;
    try {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      document.title = fresh.title;
      const search = document.querySelector("#conversation-list form.filters");
      if (search && typingIn(search)) {
        replace("#conversation-list .views", fresh);
        replace("#conversation-list .rows", fresh);
      } else {
        replace("#conversation-list", fresh);
      }
      const pane = document.getElementById("conversation");
      if (conversationChanged && pane && (acting || swaps !== before)) {
        afterAction = true; // an action of staff's is answering now: read the page again after it
      } else if (conversationChanged && pane) {
        if (typingIn(pane)) {
          replace("#messages", fresh);
        } else {
          // what the last action said stays until the next one
          const said = Array.from(pane.querySelectorAll(":scope > .notice, :scope > .form-error"));
          replace("#conversation", fresh);
          const head = document.querySelector("#conversation > .conversation-head");
          if (head && !document.querySelector("#conversation > .notice, #conversation > .form-error")) {
            head.after(...said);
          }
        }
      }
    } finally {
      busy = false;
      if (again !== null) {
        const next = again;
        again = null;
        refresh(next);
      }
    }
  }

  const feed = new EventSource(root.dataset.live);
  feed.addEventListener("changed", (event) => {
    let changed = null;
    try {
      changed = JSON.parse(event.data).conversation_id;
    } catch (e) {
      changed = null;
    }
    refresh(Boolean(root.dataset.open) && changed === root.dataset.open);
  });
  feed.addEventListener("reset", () => refresh(true));

  // j/k move through the list, Enter opens (a link's own), a approves, e edits, r replies.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (target instanceof Element && target.closest("input, textarea, select, [contenteditable], summary")) return;
    if (event.key === "j" || event.key === "k") {
      const rows = Array.from(document.querySelectorAll("#conversation-list a.row"));
      if (!rows.length) return;
      let at = rows.indexOf(document.activeElement);
      if (at === -1) at = rows.findIndex((row) => row.classList.contains("current"));
      const next = at === -1 ? 0 : Math.min(Math.max(at + (event.key === "j" ? 1 : -1), 0), rows.length - 1);
      rows[next].focus();
      rows[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if (event.key === "a") {
      const approve = document.getElementById("approve-button");
      if (approve) {
        event.preventDefault();
        approve.click();
      }
    } else if (event.key === "e") {
      const edit = document.getElementById("edit-draft");
      if (edit) {
        event.preventDefault();
        edit.open = true;
        document.getElementById("edit-text").focus();
      }
    } else if (event.key === "r") {
      const reply = document.getElementById("reply-text");
      if (reply) {
        event.preventDefault();
        reply.focus();
      }
    }
  });
})();
