import { runCli } from './run-cli';

// Entry of the purchase-import command. Kept apart from run-cli so tests can call runCli
// without touching the process.
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  env: process.env,
  endsAfterCommand: true,
});
// Exit explicitly once the output is flushed: a command is done when it has answered, whatever
// handles (pool timers, a sandbox server's pipes) are still open.
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
