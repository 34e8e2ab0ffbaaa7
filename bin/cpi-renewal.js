#!/usr/bin/env node
// The cpi-renewal command; the code is bundled to dist/cli.js by `npm run build` (run by `npm install`).
require('../dist/cli.js');
