// Validates .github/workflows/*.yml against SchemaStore's published workflow schema (scripts/schemas/),
// offline, with ajv 8 and js-yaml 4 (both already installed as electron-builder's own dependencies).
// It first shows that it can fail: a workflow with a misspelt key must be refused.
// Exit code 0 when every file validates, 1 otherwise.
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const Ajv = require('ajv');
const yaml = require('js-yaml');

const root = join(__dirname, '..');
const schema = JSON.parse(readFileSync(join(__dirname, 'schemas', 'github-workflow.json'), 'utf8'));
// strict off: SchemaStore's schemas use keywords and formats ajv's strict mode rejects.
const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

function check(text) {
  let doc;
  try {
    // JSON_SCHEMA: 'on' stays the string "on" (YAML 1.1 would make it true), as GitHub reads it.
    doc = yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (e) {
    return [`not YAML: ${e.message}`];
  }
  if (validate(doc)) return [];
  return validate.errors.map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && e.params.additionalProperty ? `: ${e.params.additionalProperty}` : ''}`);
}

const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n';
if (check(broken).length === 0) {
  console.error('workflows: the validator accepted a workflow with "stepz" (it cannot fail; not trusting it)');
  process.exit(1);
}

const dir = join(root, '.github', 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));
let bad = 0;
for (const f of files) {
  const errors = check(readFileSync(join(dir, f), 'utf8'));
  if (errors.length > 0) {
    bad += 1;
    console.log(`workflows: ${f}: INVALID`);
    for (const e of errors) console.log(`  ${e}`);
  } else {
    console.log(`workflows: ${f}: valid (SchemaStore github-workflow schema)`);
  }
}
if (files.length === 0) {
  console.log('workflows: no workflow files found');
  process.exit(1);
}
process.exit(bad > 0 ? 1 : 0);
