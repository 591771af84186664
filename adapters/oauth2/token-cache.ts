/**
 * The installation's one token cache (SPEC S4): a JSON file in msal's cache format shared by every mailbox and every
 * process. An msal `ICachePlugin` reads it before each cache access; a write (msal signals one with
 * `cacheHasChanged`) happens under a lock file, re-reads the file, lets msal merge, and replaces the file atomically
 * (temporary file with mode 0600, then rename). Tokens never leave this file: nothing here logs, and errors name
 * only the path.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { acquireFileLock, type FileLockOptions, FileLockTimeoutError } from './file-lock.js';

/**
 * The token cache file could not be read, locked or written.
 *
 * @example
 * ```ts
 * if (error instanceof TokenCacheError && error.code === 'TOKEN_CACHE_LOCKED') console.log('busy, try again');
 * ```
 */
export class TokenCacheError extends Error {
  override readonly name = 'TokenCacheError';
  constructor(
    /** `TOKEN_CACHE_LOCKED` (another writer holds the lock) or `TOKEN_CACHE_IO`. */
    readonly code: 'TOKEN_CACHE_LOCKED' | 'TOKEN_CACHE_IO',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The file name of the token cache when the configuration names none.
 *
 * @example
 * ```ts
 * join(configDir, DEFAULT_TOKEN_CACHE_FILE); // '<configDir>/autopilot.tokens.json'
 * ```
 */
export const DEFAULT_TOKEN_CACHE_FILE = 'autopilot.tokens.json';

/**
 * Where the installation's token cache lives: the configured `tokenCache` (relative to the configuration file's
 * directory), or {@link DEFAULT_TOKEN_CACHE_FILE} next to the configuration file (beside the default journal).
 *
 * @example
 * ```ts
 * tokenCachePath('/etc/mail-autopilot');                  // '/etc/mail-autopilot/autopilot.tokens.json'
 * tokenCachePath('/etc/mail-autopilot', '/var/lib/ma/t.json'); // '/var/lib/ma/t.json'
 * ```
 */
export function tokenCachePath(configDir: string, configured?: string): string {
  const path = configured === undefined || configured === '' ? DEFAULT_TOKEN_CACHE_FILE : configured;
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/**
 * The lock file next to the cache file.
 *
 * @example
 * ```ts
 * lockPathOf('/var/lib/ma/tokens.json'); // '/var/lib/ma/tokens.json.lock'
 * ```
 */
export function lockPathOf(cachePath: string): string {
  return `${cachePath}.lock`;
}

async function readCacheText(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new TokenCacheError('TOKEN_CACHE_IO', `cannot read the token cache ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // A damaged file must not stop sign-in: it is treated as empty and replaced by the next write.
  try {
    JSON.parse(text);
    return text;
  } catch {
    return '';
  }
}

/**
 * Replaces `path` with `data` atomically: a temporary file in the same directory, mode 0600, synced, renamed over.
 *
 * @example
 * ```ts
 * await writeFileAtomic('/var/lib/mail-autopilot/tokens.json', '{}');
 * ```
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(temporary, 'wx', 0o600);
    try {
      // The umask cannot widen 0600, but a restrictive one could narrow it: state it once more.
      await handle.chmod(0o600);
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new TokenCacheError('TOKEN_CACHE_IO', `cannot write the token cache ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Options of {@link createFileCachePlugin}.
 *
 * @example
 * ```ts
 * const options: FileCachePluginOptions = { lock: { timeoutMs: 10_000 } };
 * ```
 */
export interface FileCachePluginOptions {
  readonly lock?: FileLockOptions;
}

/**
 * An msal cache plugin persisting to `cachePath` (see the module description). One plugin may serve several msal
 * applications: each access is self-contained.
 *
 * @example
 * ```ts
 * const pca = new PublicClientApplication({
 *   auth: { clientId, authority },
 *   cache: { cachePlugin: createFileCachePlugin('/var/lib/mail-autopilot/tokens.json') },
 * });
 * ```
 */
export function createFileCachePlugin(cachePath: string, options: FileCachePluginOptions = {}): ICachePlugin {
  const held = new WeakMap<TokenCacheContext, () => Promise<void>>();
  return {
    async beforeCacheAccess(context) {
      if (context.cacheHasChanged) {
        await mkdir(dirname(cachePath), { recursive: true, mode: 0o700 }).catch(() => undefined);
        try {
          held.set(context, await acquireFileLock(lockPathOf(cachePath), options.lock));
        } catch (error) {
          if (error instanceof FileLockTimeoutError) {
            throw new TokenCacheError(
              'TOKEN_CACHE_LOCKED',
              `the token cache ${cachePath} is locked by another process (lock file ${error.lockPath})`,
              { cause: error },
            );
          }
          throw new TokenCacheError(
            'TOKEN_CACHE_IO',
            `cannot lock the token cache ${cachePath}: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
      }
      try {
        const text = await readCacheText(cachePath);
        if (text !== '') context.tokenCache.deserialize(text);
      } catch (error) {
        await held.get(context)?.();
        held.delete(context);
        throw error;
      }
    },
    async afterCacheAccess(context) {
      const release = held.get(context);
      // msal calls this even when beforeCacheAccess failed: without the lock nothing may be written.
      if (release === undefined) return;
      held.delete(context);
      try {
        if (context.cacheHasChanged) await writeFileAtomic(cachePath, context.tokenCache.serialize());
      } finally {
        await release();
      }
    },
  };
}

/**
 * Makes an existing cache file private (0600) — for files created by older versions or copied by hand.
 *
 * @example
 * ```ts
 * await tightenCacheFileMode('/var/lib/mail-autopilot/tokens.json');
 * ```
 */
export async function tightenCacheFileMode(cachePath: string): Promise<void> {
  await chmod(cachePath, 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
