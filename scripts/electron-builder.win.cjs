// package:win's configuration: electron-builder.json plus the step that signs CredHop's PowerShell module.
const base = require('../electron-builder.json');

module.exports = { ...base, afterPack: './scripts/sign-module-after-pack.cjs' };
