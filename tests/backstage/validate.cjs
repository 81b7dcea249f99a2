// Run Backstage's own entity checks (the ones its catalog applies when it reads a location)
// over YAML-parsed entities given as one JSON array on stdin; print a JSON array of
// {"name": ..., "error": ...} for every entity that fails (empty when all pass).
"use strict";
const model = require("@backstage/catalog-model");

const policy = model.EntityPolicies.allOf([
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(),
  new model.SchemaValidEntityPolicy(),
]);
const kindValidators = {
  Component: model.componentEntityV1alpha1Validator,
  Resource: model.resourceEntityV1alpha1Validator,
  System: model.systemEntityV1alpha1Validator,
  Group: model.groupEntityV1alpha1Validator,
  Location: model.locationEntityV1alpha1Validator,
};

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const failures = [];
  for (const entity of input) {
    const name = `${entity.kind}:${entity.metadata && entity.metadata.name}`;
    try {
      const checked = await policy.enforce(entity);
      const validator = kindValidators[entity.kind];
      if (!validator) throw new Error(`no validator for kind ${entity.kind}`);
      if ((await validator.check(checked)) !== true) throw new Error("kind validator refused");
    } catch (error) {
      failures.push({ name, error: String(error && error.message ? error.message : error) });
    }
  }
  process.stdout.write(JSON.stringify(failures));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
