#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, upstreamFrom, workersFrom } from '../config.js';
import { isKeywardError } from '../core/errors.js';
import { randomBase62 } from '../core/ids.js';
import { hashSecret } from '../core/key-format.js';
import { githubCustomPattern, gitleaksRule } from '../core/leak-rules.js';
import { createAccount } from '../service/accounts.js';
import { createApplication } from '../service/applications.js';
import { createApplicationKey } from '../service/keys.js';
import { createUser } from '../service/users.js';
import { openStore } from '../store/store.js';
import { actAs, withKeyward } from './act-as.js';
import { generateKeyFile, rotateMasterKey } from './master-key.js';
import { serve } from './serve.js';
import { signForCli } from './sign.js';

const program = new Command();
program.name('keyward').description('Keyward: API access service').showHelpAfterError();

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

program
  .command('serve')
  .description('Start the HTTP server (migrates the store first)')
  .option('--host <host>', 'address to listen on (KEYWARD_HOST)')
  .option('--port <port>', 'port to listen on (KEYWARD_PORT)', port)
  .option('--upstream <url>', 'reverse-proxy mode: authorize and forward non-Keyward requests to this API (KEYWARD_UPSTREAM)')
  .option('--workers <n|auto>', 'processes serving the one port; auto = one per core (KEYWARD_WORKERS, default 1)')
  .action(async (opts: { host?: string; port?: number; upstream?: string; workers?: string }) => {
    const config = loadConfig(process.env, {
      ...(opts.host !== undefined && { host: opts.host }),
      ...(opts.port !== undefined && { port: opts.port }),
      ...(opts.upstream !== undefined && { upstream: upstreamFrom(opts.upstream) }),
      ...(opts.workers !== undefined && { workers: workersFrom(opts.workers, '--workers') }),
    });
    await serve(config);
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const store = openStore(config.databaseUrl, {
      statementTimeoutMs: config.dbStatementTimeoutMs,
      connectTimeoutMs: config.dbConnectTimeoutMs,
    });
    try {
      const applied = await store.migrate();
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already up to date.\n');
    } finally {
      await store.close();
    }
  });

const account = program.command('account').description('Manage customer accounts (as the operator)');
account
  .command('create')
  .requiredOption('--name <name>', 'account name')
  .requiredOption('--admin-email <email>', "first admin's email")
  .requiredOption('--admin-password <password>', "first admin's password (10+ characters)")
  .option('--admin-name <name>', "first admin's name", 'Admin')
  .option('--customer-id <id>', 'public customer ID (generated if omitted)')
  .action(async (o) =>
    withKeyward(async (ctx) => {
      const actor = await actAs(ctx, null);
      const { account: a, admin } = await createAccount(ctx, actor, {
        name: o.name,
        customerId: o.customerId,
        admin: { email: o.adminEmail, name: o.adminName, password: o.adminPassword },
      });
      return { accountId: a.id, customerId: a.customerId, adminUserId: admin.id };
    }),
  );

program
  .command('user')
  .description('Manage users')
  .command('create')
  .requiredOption('--account <accountId>')
  .requiredOption('--as <email>', 'an admin of the account')
  .requiredOption('--email <email>')
  .requiredOption('--password <password>')
  .option('--name <name>', 'display name', 'User')
  .option('--admin', 'make the user an account admin', false)
  .option('--permissions <list>', 'comma-separated management permissions', list, [])
  .option('--scopes <list>', 'comma-separated API scopes or roles', list, [])
  .action(async (o) =>
    withKeyward(async (ctx) => {
      const user = await createUser(ctx, await actAs(ctx, o.as), o.account, {
        email: o.email,
        name: o.name,
        password: o.password,
        isAdmin: o.admin,
        permissions: o.permissions,
        apiScopes: o.scopes,
      });
      return { userId: user.id };
    }),
  );

program
  .command('app')
  .description('Manage applications')
  .command('create')
  .requiredOption('--account <accountId>')
  .requiredOption('--as <email>', 'the user who will own the application')
  .requiredOption('--name <name>')
  .option('--description <text>', '', '')
  .action(async (o) =>
    withKeyward(async (ctx) => {
      const app = await createApplication(ctx, await actAs(ctx, o.as), o.account, { name: o.name, description: o.description });
      return { applicationId: app.id };
    }),
  );

program
  .command('key')
  .description('Manage access keys')
  .command('create')
  .requiredOption('--account <accountId>')
  .requiredOption('--application <applicationId>')
  .requiredOption('--as <email>', 'the user who will own the key')
  .requiredOption('--name <name>')
  .option('--scopes <list>', 'comma-separated scopes or roles', list, [])
  .option('--expires-in-days <days>', 'expire the key after this many days', Number)
  .action(async (o) =>
    withKeyward(async (ctx) => {
      const { key, secret } = await createApplicationKey(ctx, await actAs(ctx, o.as), o.account, o.application, {
        name: o.name,
        scopes: o.scopes,
        expiresAt: o.expiresInDays ? ctx.now() + o.expiresInDays * 86_400_000 : null,
      });
      return { keyId: key.id, key: secret, note: 'Shown once: store it now.' };
    }),
  );

program
  .command('sign')
  .description(
    'Sign a request as a device (CTN1-HMAC-SHA256); prints the body POST /v1/signatures/verify takes. Secret from KEYWARD_DEVICE_SECRET',
  )
  .requiredOption('--device <deviceId>', 'the device ID')
  .requiredOption('--url <url>', 'the absolute URL the device calls')
  .option('--method <method>', 'HTTP method', 'GET')
  .option('--body <text>', 'the exact request body')
  .action((o: { device: string; url: string; method: string; body?: string }) => {
    process.stdout.write(`${JSON.stringify(signForCli(o, process.env.KEYWARD_DEVICE_SECRET))}\n`);
  });

const masterKey = program.command('master-key').description('Manage the master key sealing device secrets (docs/devices.md)');
masterKey
  .command('generate')
  .description('Write a new random master key to a new file (mode 0600)')
  .requiredOption('--out <path>', 'where to write the key; must not exist')
  .action((o: { out: string }) => {
    process.stdout.write(`${JSON.stringify(generateKeyFile(o.out), null, 2)}\n`);
  });
masterKey
  .command('rotate')
  .description('Re-encrypt every stored secret under a new master key, in one transaction (stop all nodes first)')
  .requiredOption('--new-key-file <path>', 'file holding the new key (64 hex characters, mode 0600)')
  .action(async (o: { newKeyFile: string }) => {
    process.stdout.write(`${JSON.stringify(await rotateMasterKey(loadConfig(), o.newKeyFile), null, 2)}\n`);
  });

program
  .command('leak-rules')
  .description("Print a gitleaks rule and a GitHub custom pattern that find this deployment's keys (docs/webhooks.md#leaked-keys)")
  .action(() => {
    const gh = githubCustomPattern();
    process.stdout.write(
      `# gitleaks (.gitleaks.toml)\n${gitleaksRule()}\n# GitHub secret scanning custom pattern\nsecret format:  ${gh.secretFormat}\nbefore secret:  ${gh.before}\nafter secret:   ${gh.after}\n`,
    );
  });

program
  .command('leak-reporter-token')
  .description('Issue a token a secret scanner sends to POST /v1/leaks; add its hash to KEYWARD_LEAK_REPORTER_TOKEN_HASHES')
  .action(() => {
    const token = `kwlr_${randomBase62(40)}`;
    process.stdout.write(
      `${JSON.stringify({ token, sha256: hashSecret(token), note: 'Give the token to the scanner (shown once); put sha256 in KEYWARD_LEAK_REPORTER_TOKEN_HASHES on every node.' }, null, 2)}\n`,
    );
  });

program.parseAsync().catch((e: unknown) => {
  if (isKeywardError(e)) process.stderr.write(`error ${e.code}: ${e.message}\n`);
  else process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
