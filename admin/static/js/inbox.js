// The inbox's live updates and keyboard (staff/pages). A file of its own: the pages' policy allows
// no inline script. The page names its live feed in data-live; each event re-reads the page and
// swaps in the list, the tab title's waiting count and, when it is the one that changed, the open
// conversation (never a part someone is typing in). EventSource reconnects by itself and resumes
// with Last-Event-ID; a "reset" event means: re-read everything. A "replying" event says who else
// is writing in the open conversation (#replying, a polite live region), and this page says so
// for its own person while they type; a draft answered by someone else meanwhile gets a notice.
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
        const stale = staleDraft(pane, fresh);
        if (typingIn(pane)) {
          replace("#messages", fresh);
        } else {
          // what the last action said stays until the next one
          const said = Array.from(pane.querySelectorAll(":scope > .notice:not(.stale-draft), :scope > .form-error"));
          replace("#conversation", fresh);
          const head = document.querySelector("#conversation > .conversation-head");
          if (head && !document.querySelector("#conversation > .notice, #conversation > .form-error")) {
            head.after(...said);
          }
          showReplying();
        }
        if (stale) tellStale(stale);
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

  // The draft this person was reading, answered by someone else meanwhile: what to tell them, or null.
  function staleDraft(pane, fresh) {
    const reading = pane.dataset.draft;
    const next = fresh.getElementById("conversation");
    const now = next ? next.dataset.draft : "";
    if (!reading || reading === now || pane.dataset.staleTold === reading) return null;
    return now
      ? "A newer draft has replaced the one you were reading."
      : "Someone else sent or rejected this draft meanwhile, so it will not be sent again.";
  }

  function tellStale(text) {
    const pane = document.getElementById("conversation");
    const head = pane && pane.querySelector(":scope > .conversation-head");
    if (!head) return;
    pane.dataset.staleTold = pane.dataset.draft;
    pane.querySelectorAll(":scope > .stale-draft").forEach((old) => old.remove());
    const notice = document.createElement("p");
    notice.className = "notice stale-draft";
    notice.setAttribute("role", "alert");
    notice.textContent = text;
    head.after(notice);
  }

  // Who else is writing in the open conversation (user id -> name and until when), shown in #replying.
  const writers = new Map();
  let writersTimer = null;
  const seeded = document.getElementById("replying");
  if (seeded) {
    try {
      for (const [id, name] of JSON.parse(seeded.dataset.people || "[]")) writers.set(id, { name, until: Date.now() + 6000 });
    } catch (e) {
      writers.clear();
    }
  }

  function showReplying() {
    const region = document.getElementById("replying");
    const now = Date.now();
    for (const [id, who] of writers) if (who.until <= now) writers.delete(id);
    const names = Array.from(writers.values(), (who) => who.name).sort();
    let text = "";
    if (names.length === 1) text = `${names[0]} is replying…`;
    else if (names.length) text = `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are replying…`;
    if (region && region.textContent.trim() !== text) region.textContent = text;
    window.clearTimeout(writersTimer);
    if (writers.size) {
      const next = Math.min(...Array.from(writers.values(), (who) => who.until)) - now;
      writersTimer = window.setTimeout(showReplying, Math.max(next, 50));
    }
  }

  // This person writing: told at most every 3 s while they type, and "stopped" once they send,
  // empty the box or leave.
  const token = (() => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  })();
  let told = 0; // when we last said "typing" (0: not writing)

  function say(state) {
    if (!root.dataset.open) return;
    const url = `/inbox/${encodeURIComponent(root.dataset.open)}/replying`;
    const body = new URLSearchParams({ state });
    // keepalive: a "stopped" sent as the page goes away still arrives
    fetch(url, { method: "POST", body, headers: { "X-CSRF-Token": token }, keepalive: true }).catch(() => {});
  }

  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || !box.closest("#conversation") || !["reply-text", "edit-text"].includes(box.id)) return;
    if (!box.value.trim()) {
      if (told) say("stopped");
      told = 0;
    } else if (Date.now() - told >= 3000) {
      told = Date.now();
      say("typing");
    }
  });
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      const sends = form instanceof HTMLFormElement && /\/(reply|approve)$/.test(new URL(form.action).pathname);
      if (told && sends && form.closest("#conversation")) {
        told = 0;
        say("stopped");
      }
    },
    true
  );
  window.addEventListener("pagehide", () => {
    if (told) say("stopped");
    told = 0;
  });

  const feed = new EventSource(root.dataset.live);
  feed.addEventListener("replying", (event) => {
    let said = null;
    try {
      said = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (!root.dataset.open || said.conversation_id !== root.dataset.open) return;
    if (said.typing) writers.set(said.user_id, { name: said.name, until: Date.now() + said.seconds * 1000 });
    else writers.delete(said.user_id);
    showReplying();
  });
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
