// The API reference: /openapi.json (written by FastAPI from the endpoints and their pydantic schemas)
// drawn as a page, with no script from elsewhere.

import { api, el } from "./api.js";

let schemas = {};

/** Text with `code` spans, as the docstrings write them. */
function prose(tag, text, attrs = {}) {
  const node = el(tag, attrs);
  (text || "").split("`").forEach((part, i) => node.append(i % 2 ? el("code", { text: part }) : part));
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

/** A JSON schema as a short type: "integer 0 to 10", "array of array of number", "Array8 or null". */
function typeOf(schema) {
  if (!schema) return "";
  if (schema.$ref) return el("a", { href: `#schema-${refName(schema.$ref)}`, text: refName(schema.$ref) });
  if (schema.anyOf) {
    const parts = schema.anyOf.map(typeOf);
    const span = el("span");
    parts.forEach((p, i) => span.append(i ? " or " : "", p));
    return span;
  }
  if (schema.enum) return `one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  if (schema.type === "array") {
    const span = el("span", {}, "array of ");
    span.append(typeOf(schema.items || {}) || "anything");
    return span;
  }
  let text = schema.type || "anything";
  if (schema.minimum !== undefined && schema.maximum !== undefined) text += ` ${schema.minimum} to ${schema.maximum}`;
  else if (schema.minimum !== undefined) text += ` ≥ ${schema.minimum}`;
  else if (schema.maximum !== undefined) text += ` ≤ ${schema.maximum}`;
  return text;
}

function fieldTable(schema) {
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const rows = Object.entries(props).map(([name, p]) => {
    const def = p.default === undefined ? "" : ` (default ${JSON.stringify(p.default)})`;
    return el("tr", {},
      el("th", { scope: "row" }, el("code", { text: name })),
      el("td", {}, typeOf(p)),
      el("td", { text: `${required.has(name) ? "required" : "optional"}${def}` }),
      prose("td", p.description));
  });
  if (!rows.length) return null;
  return el("table", {}, el("thead", {}, el("tr", {}, ...["field", "type", "", "meaning"].map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows));
}

function bodySchema(content) {
  if (!content) return null;
  const [type, media] = Object.entries(content)[0];
  return { type, schema: media.schema };
}

function endpoint(path, method, op) {
  const parts = [el("h2", {}, el("span", { class: `method ${method}`, text: method.toUpperCase() }), path),
    el("p", { class: "muted", text: op.summary || "" })];
  for (const para of (op.description || "").split("\n\n")) parts.push(prose("p", para.replaceAll("\n", " ")));
  if (op.parameters?.length) {
    parts.push(el("h3", { text: "Query parameters" }), el("table", {},
      el("tbody", {}, ...op.parameters.map((p) => el("tr", {},
        el("th", { scope: "row" }, el("code", { text: p.name })),
        el("td", {}, typeOf(p.schema)),
        el("td", { text: p.required ? "required" : `optional (default ${JSON.stringify(p.schema.default)})` }),
        prose("td", p.description))))));
  }
  const body = bodySchema(op.requestBody?.content);
  if (body) {
    parts.push(el("h3", {}, "Request body ", el("span", { class: "muted", text: `(${body.type})` })));
    const schema = body.schema.$ref ? schemas[refName(body.schema.$ref)] : body.schema;
    parts.push(fieldTable(schema) || typeOf(body.schema));
  }
  const ok = bodySchema(op.responses?.["200"]?.content);
  if (ok) parts.push(el("p", {}, el("strong", { text: "Answer: " }), typeOf(ok.schema)));
  const errors = Object.keys(op.responses || {}).filter((code) => code !== "200");
  if (errors.length) parts.push(el("p", { class: "muted", text: `Errors: ${errors.join(", ")}, as {"detail": "…"}` }));
  return el("section", { class: "endpoint", id: `${method}-${path}` }, ...parts);
}

async function main() {
  const root = document.getElementById("reference");
  try {
    const spec = await api("/openapi.json");
    schemas = spec.components?.schemas || {};
    document.getElementById("api-title").textContent = `${spec.info.title} ${spec.info.version}: the JSON API`;
    document.getElementById("api-description").replaceWith(prose("p", spec.info.description, { class: "lead" }));
    const sections = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) sections.push(endpoint(path, method, op));
    }
    const shown = Object.entries(schemas).filter(([name]) => !name.startsWith("Body_") && name !== "HTTPValidationError"
      && name !== "ValidationError");
    sections.push(el("h2", { class: "schemas-title", text: "Schemas" }));
    for (const [name, schema] of shown) {
      sections.push(el("section", { class: "endpoint", id: `schema-${name}` }, el("h2", { text: name }),
        prose("p", schema.description), fieldTable(schema)));
    }
    root.replaceChildren(...sections);
    document.body.dataset.ready = "true";
  } catch (err) {
    root.textContent = err.message;
  }
}

main();
