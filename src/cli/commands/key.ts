// `genprint key show|export`: this installation's report-signing key (report/signing.ts). Only the
// public half ever leaves the key folder; it is what a reviewer passes to `verify-report --key`.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { formatFingerprint, installationSigningKey, signingKeyDir } from '../../engine/report/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { displayText } from '../../shared/display-text.js';

export function registerKey(program: Command): void {
  const key = program.command('key').description("this installation's report-signing key (Ed25519; created with the first report)");
  key
    .command('show')
    .description('print the key folder, the public key and its fingerprint (creates the key if there is none)')
    .action(() => {
      const k = installationSigningKey();
      process.stdout.write(`folder ${displayText(signingKeyDir())}\nfingerprint ${formatFingerprint(k.fingerprint)}\n${k.publicKeyPem}`);
    });
  key
    .command('export')
    .description('write the public key (PEM) to FILE, or print it, for reviewers to pass to `verify-report --key`')
    .argument('[file]', 'destination (refuses to overwrite); stdout when omitted')
    .action(async (file: string | undefined) => {
      const k = installationSigningKey();
      if (!file) {
        process.stdout.write(k.publicKeyPem);
        return;
      }
      if (existsSync(file)) throw new CliError(`${file} exists; choose another name`, EXIT.usage);
      if (!existsSync(path.dirname(path.resolve(file)))) throw new CliError(`no such folder: ${path.dirname(file)}`, EXIT.input);
      await writeFile(file, k.publicKeyPem, { flag: 'wx' });
      process.stdout.write(`${displayText(file)}\n  fingerprint ${formatFingerprint(k.fingerprint)}\n`);
    });
}
