// midway status page: renders the daemon's JSON API (/api/v1/...) and polls it.
// No framework, no external asset; DOM built with textContent only (never innerHTML),
// so nothing the API returns can become markup.
"use strict";

const POLL_MS = 1000;
const LABELS = {
  "in-sync": "in sync",
  drifted: "drifted",
  contested: "contested",
  missing: "missing",
  "stale-render": "stale render",
  unreachable: "unreachable",
  syncing: "syncing",
  reachable: "reachable",
  refused: "refused",
};

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "data") Object.assign(el.dataset, value);
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const enc = encodeURIComponent;
const appHref = (id) => "/apps/" + id.split("/").map(enc).join("/");
const destHref = (name) => "/destinations/" + name.split("/").map(enc).join("/");
const blueprintHref = (ref) => "/blueprints/" + enc(String(ref).split("@")[0]);

function badge(state) {
  return h("span", { class: "badge state-" + state, data: { state } }, LABELS[state] || state);
}

function when(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function short(commit) {
  return commit ? commit.slice(0, 12) : "—";
}

function value(v) {
  if (v === null || v === undefined) return "—";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > 120 ? text.slice(0, 117) + "…" : text;
}

function table(headers, rows, attrs) {
  if (!rows.length) return h("p", { class: "empty" }, "none");
  return h(
    "table",
    attrs || {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows),
  );
}

function meta(data) {
  return h(
    "div",
    { class: "meta" },
    h("span", {}, "config ", h("code", {}, short(data.config_commit))),
    h("span", {}, "state ", h("code", {}, short(data.state_commit))),
    data.identity ? h("span", {}, "daemon ", h("code", {}, data.identity)) : null,
  );
}

function problems(data) {
  const lines = [];
  if (data.standby) lines.push(`This replica (${data.identity}) is a standby: it holds no shard, so it reports no destination. Open the leader's page.`);
  if (data.publish_error) lines.push("The newest config commit does not render: " + data.publish_error);
  if (data.state_error) lines.push("State repo: " + data.state_error);
  return lines.map((line) => h("p", { class: "banner" }, line));
}

// ------------------------------------------------------------------ pages

function fleetPage(data) {
  const legend = h(
    "div",
    { class: "legend" },
    data.states.map((s) => h("span", { class: "badge state-" + s }, `${LABELS[s]} ${data.counts[s]}`)),
  );
  const head = h(
    "tr",
    {},
    h("th", {}, "app"),
    data.destinations.map((d) =>
      h(
        "th",
        { data: { destination: d.name } },
        h("a", { href: destHref(d.name) }, d.name),
        " ",
        d.state === "reachable" ? null : badge(d.state),
      ),
    ),
  );
  const rows = data.apps.map((app) =>
    h(
      "tr",
      { data: { app: app.app } },
      h("th", {}, h("a", { href: appHref(app.app) }, app.app)),
      data.destinations.map((d) => {
        const cell = app.cells[d.name];
        if (!cell) return h("td", { class: "cell none", data: { app: app.app, destination: d.name, state: "none" } }, "—");
        return h(
          "td",
          {
            class: "cell state-" + cell.state,
            title: cell.reason,
            data: { app: app.app, destination: d.name, state: cell.state },
          },
          h("span", { class: "label" }, LABELS[cell.state]),
          cell.blueprint ? h("span", { class: "sub" }, cell.blueprint) : null,
          cell.reason && cell.state !== "unreachable" ? h("span", { class: "sub" }, cell.reason) : null,
        );
      }),
    ),
  );
  return [
    h("h1", {}, "Fleet"),
    meta(data),
    ...problems(data),
    legend,
    h("table", { class: "matrix", id: "fleet" }, h("thead", {}, head), h("tbody", {}, rows)),
  ];
}

function appPage(data) {
  const dests = data.destinations.map((d) =>
    h(
      "tr",
      { data: { destination: d.destination, state: d.state } },
      h("td", {}, h("a", { href: destHref(d.destination) }, d.destination)),
      h("td", {}, badge(d.state), d.reason ? h("span", { class: "muted" }, " " + d.reason) : null),
      h("td", {}, d.blueprint ? h("a", { href: blueprintHref(d.blueprint) }, d.blueprint) : "—"),
      h("td", {}, String(d.objects)),
      h("td", {}, Object.entries(d.drift).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(", ")),
    ),
  );
  const driftRows = data.destinations.flatMap((d) =>
    d.drift_fields.map((f) =>
      h(
        "tr",
        { class: "drift-field", data: { destination: d.destination, field: f.field } },
        h("td", {}, d.destination),
        h("td", {}, f.object),
        h("td", {}, h("code", {}, f.field)),
        h("td", {}, f.change),
        h("td", { class: "manager" }, f.manager || "unknown"),
        h("td", {}, f.time || "—"),
        h("td", {}, h("code", {}, value(f.desired)), " → ", h("code", {}, value(f.live))),
      ),
    ),
  );
  const contested = data.destinations.flatMap((d) =>
    d.contested.map((c) =>
      h("div", {}, h("p", {}, `${d.destination}: ${c.field} of ${c.object} contested by ${c.manager} (${c.reverts} reverts)`), h("pre", {}, c.suggestion)),
    ),
  );
  const corrections = data.destinations
    .filter((d) => d.last_correction)
    .map((d) => {
      const c = d.last_correction;
      return h(
        "tr",
        {},
        h("td", {}, d.destination),
        h("td", {}, when(c.time)),
        h("td", {}, c.object),
        h("td", {}, c.action),
        h("td", {}, c.reason || ""),
      );
    });
  const errors = data.destinations.flatMap((d) => d.errors.map((e) => h("li", {}, `${d.destination}: ${e}`)));
  const params = data.params.map((p) =>
    h(
      "div",
      { class: "params", data: { env: p.env } },
      h("h3", {}, p.env, " ", p.blueprint ? h("a", { href: blueprintHref(p.blueprint) }, p.blueprint) : null),
      p.error ? h("p", { class: "banner" }, p.error) : h("pre", {}, JSON.stringify(p.values, null, 2)),
    ),
  );
  return [
    h("h1", {}, data.app),
    h(
      "div",
      { class: "meta" },
      data.file ? h("span", {}, "file ", h("code", {}, data.file)) : null,
      data.blueprint ? h("span", {}, "blueprint ", h("code", {}, data.blueprint)) : null,
      h("span", {}, "state ", h("code", {}, short(data.state_commit))),
    ),
    ...problems(data),
    h("h2", {}, "Destinations"),
    table(["destination", "state", "blueprint", "objects", "drift"], dests),
    h("h2", {}, "Drifted fields"),
    table(["destination", "object", "field", "change", "changed by", "when", "desired → live"], driftRows, { id: "drift-fields" }),
    contested.length ? h("h2", {}, "Contested fields") : null,
    ...contested,
    h("h2", {}, "Last corrections"),
    table(["destination", "when", "object", "action", "reason"], corrections),
    errors.length ? h("h2", {}, "Failing objects") : null,
    errors.length ? h("ul", {}, errors) : null,
    h("h2", {}, "Resolved params"),
    h("p", { class: "muted" }, "Secret-looking values are masked (***)."),
    ...params,
  ];
}

function blueprintPage(data) {
  const rows = data.in_use.map((u) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: destHref(u.destination) }, u.destination)),
      h("td", {}, h("code", {}, u.version)),
      h("td", {}, u.apps.flatMap((a, i) => [i ? ", " : "", h("a", { href: appHref(a) }, a)])),
    ),
  );
  return [
    h("h1", {}, "Blueprint " + data.name),
    data.description ? h("p", {}, data.description) : null,
    meta(data),
    h("h2", {}, "Versions in the config"),
    data.versions.length ? h("p", {}, data.versions.join(", ")) : h("p", { class: "empty" }, "none"),
    h("h2", {}, "In use"),
    table(["destination", "version", "apps"], rows),
    data.rollouts.length ? h("h2", {}, "Rollouts") : null,
    data.rollouts.length ? h("pre", {}, JSON.stringify(data.rollouts, null, 2)) : null,
  ];
}

function destinationPage(data) {
  const apps = Object.entries(data.apps).map(([id, cell]) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: appHref(id) }, id)),
      h("td", { class: "cell state-" + cell.state, data: { state: cell.state } }, LABELS[cell.state]),
      h("td", {}, cell.blueprint || "—"),
      h("td", {}, cell.reason || ""),
    ),
  );
  const objects = Object.entries(data.objects).map(([k, n]) => h("tr", {}, h("td", {}, k), h("td", {}, String(n))));
  const failing = Object.entries(data.failing).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v)));
  const recent = data.recent
    .slice()
    .reverse()
    .map((c) => h("tr", {}, h("td", {}, when(c.time)), h("td", {}, c.object), h("td", {}, c.action), h("td", {}, c.reason || "")));
  const unwatched = Object.entries(data.unwatched).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v)));
  return [
    h("h1", {}, "Destination " + data.name, " ", badge(data.state)),
    data.reason ? h("p", { class: "banner" }, data.reason) : null,
    h(
      "div",
      { class: "meta" },
      h("span", {}, "state commit ", h("code", {}, short(data.dest_state_commit))),
      h("span", {}, "applied ", h("code", {}, short(data.applied_commit))),
      h("span", {}, "last full sync ", when(data.last_sync)),
      data.queue_depth !== null ? h("span", {}, "queue " + data.queue_depth) : null,
    ),
    h("h2", {}, "Apps"),
    table(["app", "state", "blueprint", "reason"], apps),
    h("h2", {}, "Objects by drift class"),
    table(["class", "objects"], objects),
    h("h2", {}, "Failing objects"),
    table(["object", "last error"], failing),
    h("h2", {}, "Recent changes"),
    table(["when", "object", "action", "reason"], recent),
    unwatched.length ? h("h2", {}, "Not watched") : null,
    unwatched.length ? table(["type", "why"], unwatched) : null,
  ];
}

// ------------------------------------------------------------------ routing and polling

function route(path) {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (!parts.length) return { api: "/api/v1/fleet", render: fleetPage, title: "Fleet" };
  const rest = parts.slice(1).map(enc).join("/");
  const pages = { apps: appPage, blueprints: blueprintPage, destinations: destinationPage };
  if (pages[parts[0]]) return { api: `/api/v1/${parts[0]}/${rest}`, render: pages[parts[0]], title: parts.slice(1).join("/") };
  return null;
}

async function poll(page) {
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  try {
    const response = await fetch(page.api, { cache: "no-cache", headers: { Accept: "application/json" } });
    if (response.status === 404) {
      main.replaceChildren(h("h1", {}, "Not found"), h("p", {}, (await response.json()).error));
    } else if (response.status === 401 || response.status === 403) {
      throw new Error(`HTTP ${response.status}: signed out? reload the page to sign in`);
    } else if (!response.ok) {
      throw new Error("HTTP " + response.status);
    } else {
      const data = await response.json();
      const text = JSON.stringify(data);
      if (text !== page.last) {
        page.last = text;
        main.replaceChildren(...page.render(data).filter(Boolean));
        document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
      }
    }
    live.className = "live";
    live.textContent = "live · updated " + new Date().toISOString().slice(11, 19) + " UTC";
  } catch (err) {
    live.className = "live stale";
    live.textContent = "daemon not answering (" + err.message + "), retrying";
  }
  setTimeout(() => poll(page), POLL_MS);
}

function start() {
  const page = route(location.pathname);
  if (!page) {
    document.getElementById("main").replaceChildren(h("h1", {}, "Not found"));
    return;
  }
  document.title = "midway · " + page.title;
  poll(page);
}

start();
