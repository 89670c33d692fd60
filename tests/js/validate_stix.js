#!/usr/bin/env node
// Validates a STIX 2.1 bundle against the OASIS JSON schemas with Ajv:
// the bundle against bundle.json, then each object against the schema of
// its type. Exits 1 listing the errors.
//
// usage: validate_stix.js BUNDLE.json [SCHEMA_DIR]
// SCHEMA_DIR defaults to ../shared/testdata/stix2-json-schemas/schemas
// beside the project root.
'use strict';

const fs = require('fs');
const path = require('path');
const addFormats = require('ajv-formats');

// The Ajv class for each draft a schema may declare.
const AJV_BY_DRAFT = {
  'https://json-schema.org/draft/2020-12/schema': () => require('ajv/dist/2020'),
  'https://json-schema.org/draft/2019-09/schema': () => require('ajv/dist/2019'),
  'http://json-schema.org/draft-07/schema': () => require('ajv'),
  'http://json-schema.org/draft-07/schema#': () => require('ajv'),
};

function listJson(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listJson(p);
    return e.name.endsWith('.json') ? [p] : [];
  });
}

function loadSchemas(dir) {
  const schemas = listJson(dir).map((file) => {
    const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!schema.$id) throw new Error(`${file}: schema without $id`);
    return { file, schema };
  });
  if (schemas.length === 0) throw new Error(`${dir}: no schemas`);
  const drafts = new Set(schemas.map((s) => s.schema.$schema));
  if (drafts.size !== 1) {
    throw new Error(`schemas declare several drafts: ${[...drafts].join(', ')}`);
  }
  const draft = [...drafts][0];
  if (!AJV_BY_DRAFT[draft]) throw new Error(`unsupported draft ${draft}`);
  const AjvClass = AJV_BY_DRAFT[draft]();
  const ajv = new (AjvClass.default || AjvClass)({
    allErrors: true,
    // The OASIS schemas use annotations Ajv's strict mode frowns on, and
    // patterns such as \-? that are invalid with the RegExp "u" flag.
    strict: false,
    unicodeRegExp: false,
  });
  addFormats(ajv);
  // ajv-formats has no idn-hostname (RFC 5890): labels of letters, digits
  // and hyphens in any script, 63 characters at most, not hyphen-edged.
  ajv.addFormat('idn-hostname', (s) =>
    s.length <= 253 &&
    s.replace(/\.$/, '').split('.').every((l) =>
      /^[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?$/u.test(l)));
  for (const { schema } of schemas) ajv.addSchema(schema);
  return { ajv, schemas };
}

// The schema $id of each object type, from the titles of the schemas that
// define one ("indicator", "marking-definition", ...).
function schemaIdsByType(schemas) {
  const byType = new Map();
  for (const { file, schema } of schemas) {
    const folder = path.basename(path.dirname(file));
    const isTypeSchema =
      ['sdos', 'sros', 'observables'].includes(folder) ||
      ['marking-definition', 'language-content', 'extension-definition'].includes(
        schema.title,
      );
    if (isTypeSchema && schema.title) byType.set(schema.title, schema.$id);
  }
  return byType;
}

function describe(errors) {
  return errors
    .map((e) => `  ${e.instancePath || '/'}: ${e.message} (${e.schemaPath})`)
    .join('\n');
}

function main(argv) {
  if (argv.length < 1 || argv.length > 2) {
    console.error('usage: validate_stix.js BUNDLE.json [SCHEMA_DIR]');
    return 2;
  }
  const schemaDir =
    argv[1] ||
    path.join(__dirname, '..', '..', '..', 'shared', 'testdata',
      'stix2-json-schemas', 'schemas');
  const { ajv, schemas } = loadSchemas(schemaDir);
  const byType = schemaIdsByType(schemas);
  const bundleId = schemas.find((s) => s.schema.title === 'bundle').schema.$id;
  const bundle = JSON.parse(fs.readFileSync(argv[0], 'utf8'));
  const failures = [];

  const validateBundle = ajv.getSchema(bundleId);
  if (!validateBundle(bundle)) {
    failures.push(`bundle:\n${describe(validateBundle.errors)}`);
  }
  for (const [i, obj] of (bundle.objects || []).entries()) {
    const id = byType.get(obj.type);
    if (!id) {
      failures.push(`objects[${i}] (${obj.id}): no schema for type '${obj.type}'`);
      continue;
    }
    const validate = ajv.getSchema(id);
    if (!validate(obj)) {
      failures.push(`objects[${i}] (${obj.id}):\n${describe(validate.errors)}`);
    }
  }
  if (failures.length) {
    console.error(`${argv[0]}: invalid STIX 2.1\n${failures.join('\n')}`);
    return 1;
  }
  console.log(`${argv[0]}: valid STIX 2.1 (${(bundle.objects || []).length} objects)`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`validate_stix.js: ${e.message}`);
  process.exitCode = 2;
}
