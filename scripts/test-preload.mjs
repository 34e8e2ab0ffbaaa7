// Preloaded into every test file by scripts/run-tests.mjs (`node --import`), so that no test file can hang:
//   - a test or hook that sets no `timeout` of its own gets CPI_TEST_TIMEOUT_MS. Node 20's --test-timeout bounds
//     only a whole file (the test files it runs ignore it). Side effect: the `location` node reports for such a
//     test is this file; the test's name and its error stack still point at the test;
//   - once every test of the file has ended, the process has CPI_TEST_LINGER_MS to exit. A harness that left a
//     server, child process or timer open would otherwise keep it alive forever; instead the open resources are
//     named and the file fails.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { setTimeout } from 'node:timers';

const nodeTest = createRequire(import.meta.url)('node:test');
const timeout = Number(process.env.CPI_TEST_TIMEOUT_MS) || 600_000;
const linger = Number(process.env.CPI_TEST_LINGER_MS) || 20_000;

/** Adds `{ timeout }` to the arguments of test/it ([name][, options][, fn]) or of a hook (fn[, options]). */
function withTimeout(args, hook = false) {
  const at = args.findIndex((a) => a !== null && typeof a === 'object');
  if (at >= 0) {
    if (args[at].timeout !== undefined) return args;
    return args.map((a, i) => (i === at ? { ...a, timeout } : a));
  }
  if (hook) return [args[0], { timeout }];
  const fnAt = args.findIndex((a) => typeof a === 'function');
  const insertAt = fnAt >= 0 ? fnAt : args.length;
  return [...args.slice(0, insertAt), { timeout }, ...args.slice(insertAt)];
}

function wrapTest(original) {
  const wrapped = (...args) => original(...withTimeout(args));
  for (const variant of ['skip', 'todo', 'only']) {
    if (typeof original[variant] === 'function') {
      wrapped[variant] = (...args) => original[variant](...withTimeout(args));
    }
  }
  return wrapped;
}

const wrapHook = (original) => (fn, options) =>
  original(...withTimeout(options === undefined ? [fn] : [fn, options], true));

const rootAfter = nodeTest.after;
nodeTest.test = wrapTest(nodeTest.test);
nodeTest.it = wrapTest(nodeTest.it);
for (const hook of ['before', 'after', 'beforeEach', 'afterEach']) nodeTest[hook] = wrapHook(nodeTest[hook]);
syncBuiltinESMExports();

// Runs after every test and hook of the file; the timer does not itself keep the process alive.
rootAfter(() => {
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((r) => r !== 'Timeout');
    const message =
      `every test has ended, but the process is still running ${linger / 1000} s later: something a test or ` +
      `harness started was not closed (open: ${open.join(', ') || 'timers'})`;
    process.stdout.write(`# ${message}\n`);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }, linger).unref();
});
