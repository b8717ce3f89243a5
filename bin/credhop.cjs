#!/usr/bin/env node
// Runs the built command line (out/main/cli.js). `bash scripts/setup.sh` builds it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('credhop: the command line is not built yet. Run `bash scripts/setup.sh` (or `npm run build`) first.\n');
  process.exit(4);
}
require(cli);
