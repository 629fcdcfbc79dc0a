// cumulo dashboard: small progressive enhancements; every page works without them.
"use strict";

// A select marked data-autosubmit submits its form when changed (group switcher).
document.addEventListener("change", (e) => {
  if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
});

// Copy buttons: <button data-copy="text">.
document.addEventListener("click", async (e) => {
  const btn = e.target.closest("[data-copy]");
  if (!btn) return;
  e.preventDefault();
  try {
    await navigator.clipboard.writeText(btn.dataset.copy);
    btn.textContent = "Copied";
  } catch {
    btn.textContent = "Select and copy";
  }
  setTimeout(() => (btn.textContent = "Copy"), 1500);
});

// Live filtering of a list as one types in a search box with data-filter=".item-selector".
document.addEventListener("input", (e) => {
  const sel = e.target.dataset && e.target.dataset.filter;
  if (!sel) return;
  const needle = e.target.value.trim().toLowerCase();
  const items = [...document.querySelectorAll(sel)];
  items.forEach((el) => {
    el.hidden = needle !== "" && !(el.dataset.text || el.textContent).toLowerCase().includes(needle);
  });
  // Nothing left: say so, rather than show an empty page.
  const none = e.target.dataset.filterEmpty && document.querySelector(e.target.dataset.filterEmpty);
  if (none) {
    none.hidden = items.some((el) => !el.hidden);
    const said = none.querySelector("[data-needle]");
    if (said) said.textContent = needle ? ` “${e.target.value.trim()}”` : "";
  }
});

// The header's menu folds behind a button on narrow screens (unfolded without JavaScript).
const menuButton = document.querySelector("header.top .menu-toggle");
if (menuButton) {
  const header = menuButton.closest("header");
  header.classList.add("foldable");
  menuButton.hidden = false;
  menuButton.addEventListener("click", () => {
    const open = header.classList.toggle("open");
    menuButton.setAttribute("aria-expanded", open ? "true" : "false");
  });
}

// Tabs: [role=tablist] buttons with aria-controls; arrow keys move between them.
function selectTab(tab) {
  const list = tab.closest("[role=tablist]");
  list.querySelectorAll("[role=tab]").forEach((t) => {
    const on = t === tab;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    const panel = document.getElementById(t.getAttribute("aria-controls"));
    if (panel) panel.hidden = !on;
  });
}
document.addEventListener("click", (e) => {
  const tab = e.target.closest("[role=tab]");
  if (tab) { e.preventDefault(); selectTab(tab); }
});
document.addEventListener("keydown", (e) => {
  const tab = e.target.closest && e.target.closest("[role=tab]");
  if (!tab || !["ArrowLeft", "ArrowRight"].includes(e.key)) return;
  const tabs = [...tab.closest("[role=tablist]").querySelectorAll("[role=tab]")];
  const next = tabs[(tabs.indexOf(tab) + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  selectTab(next); next.focus();
});
window.cumulo = { selectTab };

// ---- The wizard's widgets ----
document.addEventListener("click", (e) => {
  const add = e.target.closest("[data-add-row]");
  if (add) {
    const box = add.closest(".table-widget");
    const row = box.querySelector("template").content.firstElementChild.cloneNode(true);
    box.querySelector("[data-rows]").appendChild(row);
    const first = row.querySelector("input, select");
    if (first) first.focus();
    return;
  }
  const remove = e.target.closest("[data-remove-row]");
  if (remove) { remove.closest(".row").remove(); return; }
  const gen = e.target.closest("[data-generate]");
  if (gen) {
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    const input = document.getElementById(gen.dataset.generate);
    input.value = btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, "x");
    input.type = "text";
  }
});
document.addEventListener("change", (e) => {
  const fill = e.target.dataset && e.target.dataset.fill;
  if (fill && e.target.value) document.getElementById(fill).value = e.target.value;
});

const SIZE_UNITS = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

// Checks the browser cannot express with attributes alone; the messages match the server's.
function customCheck(el) {
  let msg = "";
  const v = el.value.trim();
  if (v && el.dataset.pattern && !new RegExp(el.dataset.pattern).test(v)) msg = el.dataset.patternMessage;
  if (v && el.dataset.minExclusive !== undefined && Number(v) <= Number(el.dataset.minExclusive))
    msg = `Must be more than ${el.dataset.minExclusive}`;
  if (v && el.dataset.maxExclusive !== undefined && Number(v) >= Number(el.dataset.maxExclusive))
    msg = `Must be less than ${el.dataset.maxExclusive}`;
  if (v && el.dataset.sizeUnit) {
    const unit = el.parentElement.querySelector("select").value;
    const inFieldUnit = (Number(v) * SIZE_UNITS[unit]) / SIZE_UNITS[el.dataset.sizeUnit];
    const lo = el.dataset.sizeMin, hi = el.dataset.sizeMax;
    if (lo !== "" && inFieldUnit < Number(lo)) msg = `Must be at least ${lo} ${el.dataset.sizeUnit}`;
    if (hi !== "" && inFieldUnit > Number(hi)) msg = `Must be at most ${hi} ${el.dataset.sizeUnit}`;
  }
  el.setCustomValidity(msg);
}

function errorBox(el) {
  const holder = el.closest(".field");
  return holder && holder.querySelector(".field-error");
}

function showError(el) {
  const box = errorBox(el);
  if (!box) return;
  box.textContent = el.validity.valid ? "" : el.validationMessage;
  el.closest(".field").classList.toggle("invalid", !el.validity.valid);
  if (el.validity.valid) el.removeAttribute("aria-invalid"); else el.setAttribute("aria-invalid", "true");
}

document.querySelectorAll("form[data-validate]").forEach((form) => {
  form.noValidate = true; // we show the browser's messages next to each field instead of bubbles
  form.addEventListener("input", (e) => { if (e.target.name) { customCheck(e.target); showError(e.target); } });
  form.addEventListener("change", (e) => {
    const size = e.target.closest(".size");
    const el = size ? size.querySelector("input") : e.target;
    if (el.name) { customCheck(el); showError(el); }
  });
  form.addEventListener("submit", (e) => {
    const fields = [...form.elements].filter((el) => el.willValidate);
    fields.forEach((el) => { customCheck(el); showError(el); });
    const bad = fields.filter((el) => !el.validity.valid);
    form.querySelectorAll("[role=tab]").forEach((t) => t.classList.remove("has-error"));
    bad.forEach((el) => {
      const panel = el.closest("[role=tabpanel]");
      if (panel) document.querySelector(`[aria-controls="${panel.id}"]`).classList.add("has-error");
    });
    if (bad.length) {
      e.preventDefault();
      const panel = bad[0].closest("[role=tabpanel]");
      if (panel) selectTab(document.querySelector(`[aria-controls="${panel.id}"]`));
      bad[0].focus();
    }
  });
  // After a server-side error, open the first tab with a problem.
  const flagged = form.querySelector("[role=tab].has-error");
  if (flagged) selectTab(flagged);
});

// ---- Live statuses (server-sent events) ----
function badgeClass(status) {
  if (!status) return "badge";
  if (status.endsWith("_COMPLETE")) return "badge ok";
  if (status.endsWith("_IN_PROGRESS")) return "badge busy";
  return status.endsWith("_FAILED") || status === "UNKNOWN" ? "badge bad" : "badge";
}
function showStatus(root, st) {
  root.querySelectorAll("[data-status]").forEach((b) => {
    b.textContent = st.gone ? "DELETED" : st.status;
    if (b.classList.contains("badge")) b.className = badgeClass(st.gone ? "" : st.status);
  });
}

const table = document.querySelector("[data-live-statuses]");
if (table && window.EventSource) {
  const rows = new Map([...table.querySelectorAll("tr[data-deployment]")].map((r) => [r.dataset.deployment, r]));
  if (rows.size) {
    const es = new EventSource(`/ui/deployments/live?ids=${[...rows.keys()].join(",")}`);
    es.addEventListener("status", (e) => {
      const st = JSON.parse(e.data);
      const row = rows.get(st.id);
      if (!row) return;
      showStatus(row, st);
      const site = row.querySelector("[data-site]");
      if (site && st.site) site.textContent = st.site;
      if (st.gone) {
        // Deleted: it leaves the list; an emptied list reloads to say so.
        row.remove();
        rows.delete(st.id);
        if (!table.querySelector("tr[data-deployment]")) location.reload();
      }
    });
  }
}

const log = document.querySelector("pre.log[data-stream]");
if (log && window.EventSource) {
  const initial = document.getElementById("dep-status").textContent.trim();
  const es = new EventSource(log.dataset.stream);
  es.addEventListener("log", (e) => {
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.append(JSON.parse(e.data) + "\n");
    if (atEnd) log.scrollTop = log.scrollHeight;
  });
  es.addEventListener("status", (e) => {
    const st = JSON.parse(e.data);
    showStatus(document, st);
    const reason = document.getElementById("dep-reason");
    if (reason) reason.textContent = st.reason || "—";
    // Gone: the page of a deleted deployment says so (and offers nothing of it).
    if (st.gone) { es.close(); location.reload(); return; }
    // A final status brings outputs and resources: show them (same tab).
    // So does the start of a delete (no update, no running attempt) and a delete that failed.
    const deleting = st.status === "DELETE_IN_PROGRESS" && initial !== st.status;
    if (deleting || (st.status !== initial && !st.status.endsWith("_IN_PROGRESS"))) {
      es.close();
      const tab = document.querySelector("[role=tab][aria-selected=true]");
      location.hash = tab ? tab.id : "";
      location.reload();
    }
  });
}
// A tab the server asks to open (a form sent back with errors).
const asked = document.querySelector("[role=tab][data-open]");
if (asked) selectTab(asked);
// Open the tab named in the address (#tab-outputs), e.g. after a reload.
if (location.hash.startsWith("#tab-")) {
  const tab = document.getElementById(location.hash.slice(1));
  if (tab && tab.getAttribute("role") === "tab") selectTab(tab);
}

// Forms asking for confirmation (deletions).
document.addEventListener("submit", (e) => {
  const msg = e.target.dataset && e.target.dataset.confirm;
  if (msg && !confirm(msg)) e.preventDefault();
});

// Scheduling: the site list is for Manual; picking a site switches to Manual.
document.addEventListener("change", (e) => {
  if (e.target.matches("input[data-manual]")) {
    const manual = document.querySelector("input[name=scheduling][value=manual]");
    if (manual) manual.checked = true;
  }
});
