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
  document.querySelectorAll(sel).forEach((el) => {
    el.hidden = needle !== "" && !(el.dataset.text || el.textContent).toLowerCase().includes(needle);
  });
});

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
