// Print every entity JSON Schema that @backstage/catalog-model ships, as one JSON object
// {"<path below dist/schema>": schema}. The package publishes them as compiled modules
// (dist/schema/**/*.schema.json.cjs.js, each exporting the schema as `default`), not as
// .json files, so node reads them; tests/catalog validates with python's jsonschema.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(
  path.dirname(require.resolve("@backstage/catalog-model/package.json")),
  "dist",
  "schema",
);
const schemas = {};
function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) walk(full);
    else if (name.endsWith(".schema.json.cjs.js")) {
      schemas[path.relative(root, full).replace(/\.cjs\.js$/, "")] = require(full).default;
    }
  }
}
walk(root);
if (Object.keys(schemas).length === 0) {
  console.error(`no *.schema.json.cjs.js below ${root}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(schemas));
